"""Summaries and the roll-up, against hand-counted fixtures, now and as of past days."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch
from app.core.base import frozen_now, utcnow
from app.core.vocab import OwnerRole, SituationRole
from app.events.service import Actor
from app.models import Situation
from app.reporting import trend
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from tests.factories import World, add_member, make_situation, set_owners, submit_update
from tests.helpers import assert_problem


def at(day: str) -> Any:
    return frozen_now(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC))


def _patch(db: Session, situation: Situation, code: str, **fields: Any) -> None:
    item = checklist.get_item(db, situation.id, code, for_update=True)
    checklist.patch_item(db, item, ItemPatch.model_validate(fields), Actor(None, None))


@pytest.fixture
def history(db: Session, registry: TemplateRegistry, world: World) -> Situation:
    """A situation with ten months of history (see the module's counts)."""
    with at("2026-01-10"):
        situation = make_situation(db, registry, name="Hand-counted")
        for who, role in (
            ("coordinator", SituationRole.COORDINATOR),
            ("partner_a", SituationRole.PARTNER),
            ("partner_b", SituationRole.PARTNER),
            ("viewer", SituationRole.VIEWER),
        ):
            add_member(db, situation, world.users[who], role)
    with at("2026-02-01"):
        set_owners(db, situation, "5a", (world.orgs["ngo_a"], OwnerRole.LEAD))
        set_owners(db, situation, "5b", (world.orgs["ngo_b"], OwnerRole.LEAD))
        set_owners(db, situation, "8a", (world.orgs["gov"], OwnerRole.LEAD))
    with at("2026-03-01"):
        _patch(db, situation, "5a", status="in_progress", target_date="2026-04-01")
        _patch(db, situation, "16", status="not_applicable", status_note="No quota")
        _patch(db, situation, "6a", target_date="2026-02-15")
    with at("2026-03-15"):
        accepted = submit_update(
            db, situation, world.users["partner_a"], "5a", proposed_status="in_place"
        )
    with at("2026-03-20"):
        updates.review(db, accepted.id, "accept", None, Actor.of(world.users["coordinator"]))
    with at("2026-04-10"):
        submit_update(db, situation, world.users["partner_b"], "5b", proposed_status="planned")
    with at("2026-05-01"):
        _patch(db, situation, "5c", status="in_place")
    db.commit()
    return situation


def _summary(
    client: TestClient,
    world: World,
    situation: Situation,
    query: str = "",
    who: str = "coordinator",
) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/situations/{situation.id}/summary{query}", headers=world.headers(who)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _figures(body: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "items_total",
        "in_place_share",
        "lead_missing",
        "overdue",
        "stale",
        "no_data",
        "pending_review",
    )
    return {k: body[k] for k in keys} | {"by_status": body["by_status"]}


def _status(
    in_place: int = 0, in_progress: int = 0, planned: int = 0, not_started: int = 0, na: int = 0
) -> dict[str, int]:
    return {
        "not_started": not_started,
        "planned": planned,
        "in_progress": in_progress,
        "in_place": in_place,
        "not_applicable": na,
    }


class TestSituationSummary:
    def test_now(self, client: TestClient, world: World, history: Situation) -> None:
        body = _summary(client, world, history)
        assert body["as_of"] is None
        assert _figures(body) == {
            "items_total": 43,
            "in_place_share": round(2 / 42, 4),
            "lead_missing": 39,
            "overdue": 1,
            "stale": 42,
            "no_data": 41,
            "pending_review": 1,
            "by_status": _status(in_place=2, not_started=40, na=1),
        }
        pillars = {p["code"]: _figures(p) for p in body["pillars"]}
        assert [p["code"] for p in body["pillars"]] == [
            "reception",
            "immediate_needs",
            "host_support",
            "durable_solutions",
        ]
        assert body["pillars"][0]["title"] == "Reception and admission"
        assert pillars["reception"] == {
            "items_total": 9,
            "in_place_share": round(2 / 9, 4),
            "lead_missing": 7,
            "overdue": 0,
            "stale": 9,
            "no_data": 8,
            "pending_review": 1,
            "by_status": _status(in_place=2, not_started=7),
        }
        assert pillars["immediate_needs"] == {
            "items_total": 11,
            "in_place_share": 0.0,
            "lead_missing": 11,
            "overdue": 1,
            "stale": 11,
            "no_data": 11,
            "pending_review": 0,
            "by_status": _status(not_started=11),
        }
        assert pillars["host_support"]["lead_missing"] == 2
        assert pillars["durable_solutions"] == {
            "items_total": 20,
            "in_place_share": 0.0,
            "lead_missing": 19,
            "overdue": 0,
            "stale": 19,
            "no_data": 19,
            "pending_review": 0,
            "by_status": _status(not_started=19, na=1),
        }

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (
                "2026-01-05",
                {
                    "items_total": 0,
                    "in_place_share": 0.0,
                    "lead_missing": 0,
                    "overdue": 0,
                    "stale": 0,
                    "no_data": 0,
                    "pending_review": 0,
                    "by_status": _status(),
                },
            ),
            (
                "2026-03-10",
                {
                    "items_total": 43,
                    "in_place_share": 0.0,
                    "lead_missing": 39,
                    "overdue": 1,
                    "stale": 0,
                    "no_data": 42,
                    "pending_review": 0,
                    "by_status": _status(in_progress=1, not_started=41, na=1),
                },
            ),
            (
                "2026-03-17",
                {
                    "items_total": 43,
                    "in_place_share": 0.0,
                    "lead_missing": 39,
                    "overdue": 1,
                    "stale": 0,
                    "no_data": 42,
                    "pending_review": 1,
                    "by_status": _status(in_progress=1, not_started=41, na=1),
                },
            ),
            (
                "2026-03-25",
                {
                    "items_total": 43,
                    "in_place_share": round(1 / 42, 4),
                    "lead_missing": 39,
                    "overdue": 1,
                    "stale": 0,
                    "no_data": 41,
                    "pending_review": 0,
                    "by_status": _status(in_place=1, not_started=41, na=1),
                },
            ),
            (
                "2026-04-15",
                {
                    "items_total": 43,
                    "in_place_share": round(1 / 42, 4),
                    "lead_missing": 39,
                    "overdue": 1,
                    "stale": 41,
                    "no_data": 41,
                    "pending_review": 1,
                    "by_status": _status(in_place=1, not_started=41, na=1),
                },
            ),
            (
                "2026-06-15",
                {
                    "items_total": 43,
                    "in_place_share": round(2 / 42, 4),
                    "lead_missing": 39,
                    "overdue": 1,
                    "stale": 41,
                    "no_data": 41,
                    "pending_review": 1,
                    "by_status": _status(in_place=2, not_started=40, na=1),
                },
            ),
        ],
    )
    def test_as_of_a_past_day(
        self,
        client: TestClient,
        world: World,
        history: Situation,
        day: str,
        expected: dict[str, Any],
    ) -> None:
        body = _summary(client, world, history, f"?as_of={day}")
        assert body["as_of"] == day
        assert _figures(body) == expected

    def test_as_of_today_matches_now(
        self, client: TestClient, world: World, history: Situation
    ) -> None:
        today = date.today().isoformat()
        assert _figures(_summary(client, world, history, f"?as_of={today}")) == _figures(
            _summary(client, world, history)
        )

    def test_future_or_malformed_day_is_422(
        self, client: TestClient, world: World, history: Situation
    ) -> None:
        url = f"/api/v1/situations/{history.id}/summary"
        assert_problem(client.get(f"{url}?as_of=2999-01-01", headers=world.headers("viewer")), 422)
        assert_problem(client.get(f"{url}?as_of=yesterday", headers=world.headers("viewer")), 422)

    def test_non_members_get_404(
        self, client: TestClient, world: World, history: Situation
    ) -> None:
        assert_problem(
            client.get(
                f"/api/v1/situations/{history.id}/summary", headers=world.headers("outsider")
            ),
            404,
        )


class TestRollup:
    def _rollup(
        self, client: TestClient, world: World, who: str, query: str = ""
    ) -> dict[str, Any]:
        response = client.get(f"/api/v1/summary{query}", headers=world.headers(who))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def test_only_visible_situations_count(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        _patch(db, world.s1, "5f", status="in_place")
        _patch(db, world.s2, "5f", status="in_progress")
        db.commit()
        nobody = self._rollup(client, world, "stranger")
        assert (nobody["situations"], nobody["elements"], nobody["totals"]["items_total"]) == (
            [],
            [],
            0,
        )
        partner = self._rollup(client, world, "partner_a")
        assert [s["situation_id"] for s in partner["situations"]] == [str(world.s1.id)]
        [birth] = [e for e in partner["elements"] if e["code"] == "5f"]
        assert (birth["situations"], birth["by_status"]["in_place"]) == (1, 1)
        admin = self._rollup(client, world, "admin")
        assert {s["situation_id"] for s in admin["situations"]} == {
            str(world.s1.id),
            str(world.s2.id),
        }
        assert admin["situations_total"] == 2
        [birth] = [e for e in admin["elements"] if e["code"] == "5f"]
        assert birth == {
            "code": "5f",
            "title": "Birth registration and civil documentation",
            "pillar": "reception",
            "situations": 2,
            "by_status": _status(in_place=1, in_progress=1),
            "funding": {
                **dict.fromkeys(("required_usd", "funded_usd", "paid_usd"), "0.00"),
                **dict.fromkeys(("pledged_usd", "gap_usd"), "0.00"),
                "funded_share": None,
            },
            "pledged_not_in_place": None,  # asked for with ?pledged_not_in_place=true
        }
        assert [e["code"] for e in admin["elements"]][:3] == ["5a", "5b", "5c"]
        assert len(admin["elements"]) == 43

    def test_rows_and_totals(self, client: TestClient, world: World) -> None:
        body = self._rollup(client, world, "admin")
        rows = {s["situation_id"]: s for s in body["situations"]}
        s1, s2 = rows[str(world.s1.id)], rows[str(world.s2.id)]
        assert (s1["items_total"], s1["lead_missing"], s1["pending_review"], s1["no_data"]) == (
            43,
            41,
            2,
            43,
        )
        assert (s2["items_total"], s2["lead_missing"], s2["pending_review"]) == (43, 42, 1)
        assert body["totals"]["items_total"] == 86
        assert body["totals"]["lead_missing"] == 83
        assert body["totals"]["pending_review"] == 3

    def test_filters(self, client: TestClient, world: World) -> None:
        kenya = self._rollup(client, world, "admin", "?host_country=KEN")
        assert [s["situation_id"] for s in kenya["situations"]] == [str(world.s2.id)]
        assert self._rollup(client, world, "admin", "?phase=emergency")["situations"] == []
        assert_problem(
            client.get("/api/v1/summary?host_country=XX", headers=world.headers("admin")), 422
        )


class TestPendingReviewIsWhatYouMaySee:
    """``pending_review`` counts only updates the caller may read: every organisation's for
    coordinators and admins, their own organisation's for partners, none (null) for viewers."""

    @staticmethod
    def _pending(body: dict[str, Any]) -> tuple[Any, set[Any]]:
        return body["pending_review"], {p["pending_review"] for p in body["pillars"]}

    def test_the_summary(self, client: TestClient, world: World) -> None:
        assert self._pending(_summary(client, world, world.s1, who="coordinator")) == (2, {0, 1})
        assert self._pending(_summary(client, world, world.s1, who="admin")) == (2, {0, 1})
        assert self._pending(_summary(client, world, world.s1, who="partner_a")) == (1, {0, 1})
        assert self._pending(_summary(client, world, world.s1, who="viewer")) == (None, {None})

    def test_the_summary_as_of_a_day(self, client: TestClient, world: World) -> None:
        today = f"?as_of={utcnow().date().isoformat()}"
        assert _summary(client, world, world.s1, today, who="coordinator")["pending_review"] == 2
        assert _summary(client, world, world.s1, today, who="partner_b")["pending_review"] == 1
        assert _summary(client, world, world.s1, today, who="viewer")["pending_review"] is None

    def test_the_rollup(self, client: TestClient, world: World) -> None:
        def pending(who: str) -> tuple[Any, Any]:
            response = client.get("/api/v1/summary", headers=world.headers(who))
            assert response.status_code == 200, response.text
            body = response.json()
            rows = {s["situation_id"]: s["pending_review"] for s in body["situations"]}
            return rows.get(str(world.s1.id), "absent"), body["totals"]["pending_review"]

        assert pending("coordinator") == (2, 2)
        assert pending("partner_a") == (1, 1)
        assert pending("viewer") == (None, None)
        assert pending("admin") == (2, 3)

    def test_the_dashboard(self, client: TestClient, world: World) -> None:
        def page(who: str, path: str) -> str:
            client.cookies.set("crrf_session", world.cookies[who])
            response = client.get(path)
            assert response.status_code == 200
            return response.text

        situation = f"/situations/{world.s1.id}"
        assert "Awaiting review" not in page("viewer", situation)
        assert "awaiting review" not in page("viewer", "/situations")
        assert "Awaiting review: 1" in page("partner_a", situation)
        assert "1 update awaiting review" in page("partner_a", "/situations")
        assert "2 updates awaiting review" in page("coordinator", situation)


class TestOneStatementPerShape:
    """The summary's statement is built once per shape; each run binds its own values."""

    def test_built_once_per_shape(self) -> None:
        from app.reporting.service import _summary_statement

        first = _summary_statement(now=True, by_organisation=False)
        assert _summary_statement(now=True, by_organisation=False) is first
        assert _summary_statement(now=False, by_organisation=False) is not first
        assert _summary_statement(now=True, by_organisation=True) is not first

    def test_each_situation_gets_its_own_figures(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        set_owners(db, world.s2, "5b", (world.orgs["rlo"], OwnerRole.LEAD))
        db.flush()
        one = client.get(world.url("/summary"), headers=world.headers("admin")).json()
        two = client.get(world.url("/summary", world.s2), headers=world.headers("admin")).json()
        assert (one["situation_id"], two["situation_id"]) == (str(world.s1.id), str(world.s2.id))
        # s1 has leads on 5a and 6a; s2 on 5a and 5b, and fewer pending reviews.
        assert one["lead_missing"] == two["lead_missing"] == 41
        assert (one["pending_review"], two["pending_review"]) == (2, 1)


class TestTrendAgreesWithTheSummary:
    """The trend counts each version event once (``app.reporting.trend``): every point must
    still be the as-of summary of its day, overall and per pillar."""

    DAYS = ("2026-01-09", "2026-01-10", "2026-02-28", "2026-03-01", "2026-03-19", "2026-03-20")

    def test_every_point_is_the_summary_of_its_day(
        self,
        db: Session,
        client: TestClient,
        world: World,
        history: Situation,
        registry: TemplateRegistry,
    ) -> None:
        days = [date.fromisoformat(day) for day in (*self.DAYS, "2026-04-30", "2026-06-15")]
        found = trend.at_days(db, history, days, utcnow())
        assert found.overall[0].day == date(2026, 1, 10)  # before the situation: left out
        for point in found.overall:
            summary = _summary(client, world, history, f"?as_of={point.day}")
            assert {s.value: n for s, n in point.by_status.items()} == summary["by_status"]
            assert point.items_total == summary["items_total"]
            assert point.in_place_share == summary["in_place_share"]
            for pillar in summary["pillars"]:
                (mine,) = [p for p in found.pillars[pillar["code"]] if p.day == point.day]
                assert {s.value: n for s, n in mine.by_status.items()} == pillar["by_status"]
