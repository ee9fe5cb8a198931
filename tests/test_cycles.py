"""Reporting cycles: opening makes obligations from the owners, owners set later join, reports
fulfil them and follow their review, a closed cycle refuses late reports until reopened,
waivers, what an organisation owes, overdue by the clock, and the deadline reminders.

The clock is frozen on 10 March 2030 (``TODAY``) unless a test moves it; the cycle of the
tests reports on the first quarter of 2030, is due on 15 April and closes on 30 April.
"""

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.base import frozen_now
from app.core.db import make_engine, make_sessionmakers
from app.core.vocab import ObligationState, OwnerRole, ReviewPolicy, SituationRole
from app.cycles import service as cycles
from app.cycles.deadlines import reminder_due, run_deadlines
from app.events.service import Actor
from app.i18n import when
from app.models import Event, Obligation, ReportingCycle, Situation
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from tests.databases import fresh_database
from tests.factories import (
    World,
    add_member,
    make_situation,
    migrated_world,
    open_cycle,
    set_owners,
    submit_update,
)
from tests.helpers import assert_problem, state_fingerprint, with_etag

TODAY = "2030-03-10"
CYCLE: dict[str, Any] = {
    "name": "First quarter 2030",
    "period_start": "2030-01-01",
    "period_end": "2030-03-31",
    "due_date": "2030-04-15",
    "closes_on": "2030-04-30",
}
LAST_QUARTER = {
    "name": "Last quarter 2029",
    "period_start": "2029-10-01",
    "period_end": "2029-12-31",
    "due_date": "2030-01-15",
    "closes_on": "2030-01-31",
}
NEXT_QUARTER = {
    "name": "Second quarter 2030",
    "period_start": "2030-04-01",
    "period_end": "2030-06-30",
    "due_date": "2030-07-15",
    "closes_on": "2030-07-31",
}
IN_PERIOD = {"period_start": "2030-02-01", "period_end": "2030-02-28"}
REPORT: dict[str, Any] = {"narrative": "Screening at two border points", **IN_PERIOD}


def on(day: str) -> Any:
    """Move the clock to noon (UTC) of ``day``."""
    return frozen_now(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC))


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with on(TODAY):
        yield


def _open(client: TestClient, world: World, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        world.url("/cycles"), json={**CYCLE, **(body or {})}, headers=world.headers("coordinator")
    )


def _opened(client: TestClient, world: World, body: dict[str, Any] | None = None) -> str:
    response = _open(client, world, body)
    assert response.status_code == 201, response.text
    cycle_id: str = response.json()["id"]
    return cycle_id


def _obligations(
    client: TestClient, world: World, cycle_id: str, who: str = "coordinator", query: str = ""
) -> list[dict[str, Any]]:
    response = client.get(
        world.url(f"/cycles/{cycle_id}/obligations?limit=200{query}"), headers=world.headers(who)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _owed(client: TestClient, world: World, cycle_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The cycle's obligations by (item code, organisation id)."""
    return {(o["code"], o["organisation_id"]): o for o in _obligations(client, world, cycle_id)}


def _of(world: World, org: str, code: str = "5a") -> tuple[str, str]:
    return code, str(world.orgs[org].id)


def _submit(client: TestClient, world: World, who: str, code: str = "5a", **fields: Any) -> Any:
    return client.post(
        world.url(f"/items/{code}/updates"),
        json={**REPORT, **fields},
        headers=world.headers(who),
    )


def _review(client: TestClient, world: World, update_id: str, decision: str) -> None:
    body = {"decision": decision, "comment": "Add the numbers"}
    response = client.post(
        f"/api/v1/updates/{update_id}/review", json=body, headers=world.headers("coordinator")
    )
    assert response.status_code == 200, response.text


def _patch(client: TestClient, world: World, cycle_id: str, body: dict[str, Any]) -> Any:
    url = world.url(f"/cycles/{cycle_id}")
    headers = with_etag(client, url, world.headers("coordinator"))
    return client.patch(url, json=body, headers=headers)


def _put_owners(client: TestClient, world: World, code: str, *pairs: tuple[str, str]) -> None:
    url = world.url(f"/items/{code}")
    owners = [{"organisation_id": str(world.orgs[o].id), "role": r} for o, r in pairs]
    headers = with_etag(client, url, world.headers("coordinator"))
    response = client.put(f"{url}/owners", json={"owners": owners}, headers=headers)
    assert response.status_code == 200, response.text


def _events(db: Session, action: str) -> list[Event]:
    db.expire_all()
    return list(db.scalars(select(Event).where(Event.action == action).order_by(Event.at)))


class TestOpen:
    def test_opening_makes_one_obligation_per_lead_by_default(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        response = _open(client, world)
        assert response.status_code == 201, response.text
        cycle = response.json()
        assert response.headers["location"] == world.url(f"/cycles/{cycle['id']}")
        assert response.headers["etag"] == '"v1"'
        assert (cycle["state"], cycle["reporting_roles"], cycle["version"]) == ("open", ["lead"], 1)
        owed = _owed(client, world, cycle["id"])
        assert set(owed) == {_of(world, "ngo_a", "5a"), _of(world, "ngo_b", "6a")}
        first = owed[_of(world, "ngo_a")]
        assert (first["role"], first["state"], first["update_id"]) == ("lead", "due", None)
        assert (first["due_date"], first["cycle_name"]) == ("2030-04-15", CYCLE["name"])
        assert first["organisation"]["name"] == world.orgs["ngo_a"].name
        [event] = _events(db, "cycle.opened")
        assert event.after is not None and event.after["obligations"] == 2
        assert event.item_id is None and event.actor_user_id == world.users["coordinator"].id

    def test_the_roles_chosen_report_one_obligation_per_organisation_and_item(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        ngo_a, gov = world.orgs["ngo_a"], world.orgs["gov"]
        set_owners(
            db,
            world.s1,
            "7a",
            (ngo_a, OwnerRole.SUPPORT),
            (ngo_a, OwnerRole.FUNDING),
            (gov, OwnerRole.IMPLEMENTING),
        )
        db.commit()
        cycle_id = _opened(client, world, {"reporting_roles": ["funding", "support"]})
        owed = _owed(client, world, cycle_id)
        assert set(owed) == {_of(world, "unhcr", "5a"), _of(world, "ngo_a", "7a")}
        assert owed[_of(world, "ngo_a", "7a")]["role"] == "support"  # the first of its roles
        assert owed[_of(world, "unhcr", "5a")]["role"] == "funding"

    @pytest.mark.parametrize(
        ("change", "where"),
        [
            ({"period_end": "2029-12-31"}, "period_end"),
            ({"closes_on": "2030-04-14"}, "closes_on"),
            ({"reporting_roles": ["lead", "owner"]}, "reporting_roles"),
            ({"reporting_roles": ["lead", "lead"]}, "repeated"),
            ({"reporting_roles": []}, "reporting_roles"),
            ({"due_date": "2101-01-01"}, "due_date"),
            ({"name": ""}, "name"),
            ({"state": "closed"}, "state"),
        ],
    )
    def test_invalid_cycles_are_refused_and_change_nothing(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        change: dict[str, Any],
        where: str,
    ) -> None:
        before = state_fingerprint(connection)
        body = assert_problem(_open(client, world, change), 422)
        assert body["errors"]
        assert state_fingerprint(connection) == before

    def test_a_due_date_after_the_period_is_not_required(
        self, client: TestClient, world: World
    ) -> None:
        assert _open(client, world, {"due_date": "2030-02-01"}).status_code == 201

    def test_past_cycles_stay_readable(self, client: TestClient, world: World) -> None:
        cycle_id = _opened(client, world)
        with on("2031-01-01"):
            response = client.get(world.url(f"/cycles/{cycle_id}"), headers=world.headers("viewer"))
            assert response.status_code == 200
            assert response.json()["state"] == "closed"
            listed = client.get(world.url("/cycles?state=closed"), headers=world.headers("viewer"))
            assert [c["id"] for c in listed.json()["items"]] == [cycle_id]
            assert (
                client.get(world.url("/cycles?state=open"), headers=world.headers("viewer")).json()[
                    "items"
                ]
                == []
            )

    def test_the_list_shows_the_latest_period_first_page_by_page(
        self, client: TestClient, world: World
    ) -> None:
        ids = [
            _opened(client, world, {"name": f"Q{q}", "period_start": f"2030-0{m}-01"})
            for q, m in ((1, 1), (2, 2), (3, 3))
        ]
        seen, cursor = [], ""
        while True:
            page = client.get(
                world.url(f"/cycles?limit=2{cursor}"), headers=world.headers("partner_a")
            ).json()
            seen += [c["id"] for c in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert seen == ids[::-1]


class TestOwnersLater:
    def test_owners_added_later_join_every_open_cycle(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        open_id = _opened(client, world)
        closed_id = _opened(client, world, {"name": "Closed"})
        assert _patch(client, world, closed_id, {"state": "closed"}).status_code == 200
        _put_owners(client, world, "7a", ("gov", "lead"), ("ngo_b", "support"))
        owed = _owed(client, world, open_id)
        assert owed[_of(world, "gov", "7a")]["state"] == "due"
        assert _of(world, "ngo_b", "7a") not in owed  # support does not report here
        assert _of(world, "gov", "7a") not in _owed(client, world, closed_id)
        [added] = _events(db, "obligation.added")
        assert added.after is not None and added.after["code"] == "7a"
        assert added.item_id is None  # obligations stay out of the item history

    def test_what_a_removed_owner_still_owed_is_waived_and_comes_back_with_it(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        assert _submit(client, world, "partner_b", "6a").status_code == 201
        _put_owners(client, world, "5a", ("unhcr", "funding"))
        _put_owners(client, world, "6a")
        owed = _owed(client, world, cycle_id)
        gone = owed[_of(world, "ngo_a")]
        assert (gone["state"], gone["waived_reason"]) == ("waived", "owner removed")
        assert owed[_of(world, "ngo_b", "6a")]["state"] == "submitted"  # history stays
        _put_owners(client, world, "5a", ("ngo_a", "lead"))
        back = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (back["state"], back["waived_reason"]) == ("due", None)


class TestFulfilment:
    def test_a_report_follows_submit_accept_return_and_resubmit(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        first = _submit(client, world, "partner_a").json()["id"]
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (obligation["state"], obligation["update_id"]) == ("submitted", first)
        _review(client, world, first, "return")
        assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "returned"
        second = _submit(client, world, "partner_a").json()["id"]
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (obligation["state"], obligation["update_id"]) == ("submitted", second)
        _review(client, world, second, "accept")
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (obligation["state"], obligation["update_id"]) == ("accepted", second)
        third = _submit(client, world, "partner_a").json()["id"]
        _review(client, world, third, "return")
        assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "accepted"

    def test_accepting_an_earlier_report_of_the_period_fulfils_it_too(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        first = _submit(client, world, "partner_a").json()["id"]
        second = _submit(client, world, "partner_a").json()["id"]
        _review(client, world, first, "accept")
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (obligation["state"], obligation["update_id"]) == ("accepted", first)
        _review(client, world, second, "return")
        assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "accepted"

    @pytest.mark.parametrize(
        ("period", "fulfils"),
        [
            ({"period_start": "2029-12-01", "period_end": "2029-12-31"}, False),
            ({"period_start": "2030-03-01", "period_end": "2030-04-30"}, False),  # overlaps
            ({"period_start": None, "period_end": None}, True),  # sent on 10 March
            ({"period_start": "2030-03-01", "period_end": None}, True),
        ],
    )
    def test_only_a_period_inside_the_cycle_fulfils(
        self, client: TestClient, world: World, period: dict[str, Any], fulfils: bool
    ) -> None:
        cycle_id = _opened(client, world)
        body = {k: v for k, v in {**REPORT, **period}.items() if v is not None}
        response = client.post(
            world.url("/items/5a/updates"), json=body, headers=world.headers("partner_a")
        )
        assert response.status_code == 201, response.text
        state = _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"]
        assert state == ("submitted" if fulfils else "due")

    def test_another_organisations_report_fulfils_nothing(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        assert _submit(client, world, "coordinator").status_code == 201  # UNHCR: not the lead
        assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "due"

    def test_an_auto_accepting_situation_fulfils_at_once(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        situation = db.get(Situation, world.s1.id)
        assert situation is not None
        situation.review_policy = ReviewPolicy.AUTO_ACCEPT
        db.commit()
        cycle_id = _opened(client, world)
        update_id = _submit(client, world, "partner_a").json()["id"]
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        assert (obligation["state"], obligation["update_id"]) == ("accepted", update_id)


class TestClosing:
    def test_after_its_closing_date_a_report_is_refused_until_reopened(
        self, client: TestClient, world: World, connection: Connection, db: Session
    ) -> None:
        cycle_id = _opened(client, world)
        with on("2030-05-01"):
            before = state_fingerprint(connection)
            body = assert_problem(_submit(client, world, "partner_a"), 409)
            assert body["type"] == "/problems/cycle-closed"
            assert "closed on 2030-04-30" in body["detail"] and CYCLE["name"] in body["detail"]
            assert "reopen" in body["detail"]
            assert state_fingerprint(connection) == before
            batch = client.post(
                world.url("/updates:batch"),
                json={"updates": [{**REPORT, "code": "5a", "client_ref": "late"}]},
                headers=world.headers("partner_a"),
            ).json()["results"][0]
            assert (batch["status"], batch["problem"]["type"]) == (409, "/problems/cycle-closed")
            # Reports on other periods are not the cycle's business.
            later = {"period_start": "2030-04-01", "period_end": "2030-04-30"}
            assert _submit(client, world, "partner_a", **later).status_code == 201
            reopened = _patch(client, world, cycle_id, {"state": "open"})
            assert reopened.status_code == 200, reopened.text
            assert reopened.json()["state"] == "open" and reopened.json()["reopened_at"]
            assert _submit(client, world, "partner_a").status_code == 201
            assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "submitted"
            closed = _patch(client, world, cycle_id, {"state": "closed"})
            assert closed.json()["state"] == "closed" and closed.json()["version"] == 3
            assert_problem(_submit(client, world, "partner_a"), 409)
        assert [e.action for e in _events(db, "cycle.reopened") + _events(db, "cycle.closed")] == [
            "cycle.reopened",
            "cycle.closed",
        ]

    def test_a_coordinator_closes_early_and_a_reopened_cycle_still_closes_on_its_date(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        assert _patch(client, world, cycle_id, {"state": "closed"}).json()["state"] == "closed"
        body = assert_problem(_submit(client, world, "partner_a"), 409)
        assert "closed by a coordinator" in body["detail"]
        reopened = _patch(client, world, cycle_id, {"state": "open"}).json()
        assert (reopened["state"], reopened["reopened_at"]) == ("open", None)
        assert _submit(client, world, "partner_a").status_code == 201
        with on("2030-05-01"):
            assert_problem(_submit(client, world, "partner_a"), 409)

    def test_moving_the_closing_date_closes_and_reopens(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        cycle_id = _opened(client, world)
        moved = _patch(
            client, world, cycle_id, {"due_date": "2030-03-01", "closes_on": "2030-03-05"}
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["state"], moved.json()["version"]) == ("closed", 2)
        assert_problem(_submit(client, world, "partner_a"), 409)
        assert (
            _patch(client, world, cycle_id, {"closes_on": "2030-03-31"}).json()["state"] == "open"
        )
        assert [e.action for e in _events(db, "cycle.changed")] == ["cycle.changed"] * 2
        assert len(_events(db, "cycle.closed")) == len(_events(db, "cycle.reopened")) == 1


class TestPatch:
    def test_a_rename_is_one_version_with_its_event(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        cycle_id = _opened(client, world)
        response = _patch(client, world, cycle_id, {"name": "Q1 2030"})
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"v2"' and response.json()["name"] == "Q1 2030"
        [event] = _events(db, "cycle.changed")
        assert (event.before, event.after) == (
            {"cycle_id": cycle_id, "name": CYCLE["name"]},
            {"cycle_id": cycle_id, "name": "Q1 2030"},
        )
        same = _patch(client, world, cycle_id, {"name": "Q1 2030", "state": "open"})
        assert same.headers["etag"] == '"v2"'  # nothing changed

    def test_writes_need_the_current_etag(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        cycle_id = _opened(client, world)
        url, headers = world.url(f"/cycles/{cycle_id}"), world.headers("coordinator")
        before = state_fingerprint(connection)
        assert_problem(client.patch(url, json={"name": "X"}, headers=headers), 428)
        stale = {**headers, "If-Match": '"v7"'}
        assert_problem(client.patch(url, json={"name": "X"}, headers=stale), 412)
        assert state_fingerprint(connection) == before

    @pytest.mark.parametrize(
        "body",
        [
            {"period_start": "2030-04-01"},
            {"closes_on": "2030-04-01"},
            {"reporting_roles": ["support"]},
            {"name": None},
            {"state": "archived"},
        ],
    )
    def test_changes_that_do_not_fit_are_422(
        self, client: TestClient, world: World, connection: Connection, body: dict[str, Any]
    ) -> None:
        cycle_id = _opened(client, world)
        before = state_fingerprint(connection)
        assert_problem(_patch(client, world, cycle_id, body), 422)
        assert state_fingerprint(connection) == before

    def test_a_cycle_of_another_situation_is_not_found(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        url = world.url(f"/cycles/{cycle_id}", world.s2)
        assert_problem(client.get(url, headers=world.headers("admin")), 404)
        assert_problem(
            client.get(world.url(f"/cycles/{uuid.uuid4()}"), headers=world.headers("admin")), 404
        )


class TestWaive:
    def test_a_coordinator_waives_with_a_reason(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        cycle_id = _opened(client, world)
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        url = world.url(f"/cycles/{cycle_id}/obligations/{obligation['id']}:waive")
        response = client.post(
            url, json={"reason": "Office closed by floods"}, headers=world.headers("coordinator")
        )
        assert response.status_code == 200, response.text
        waived = response.json()
        assert (waived["state"], waived["waived_reason"]) == ("waived", "Office closed by floods")
        stored = db.get(Obligation, uuid.UUID(obligation["id"]))
        assert stored is not None and stored.waived_by_id == world.users["coordinator"].id
        [event] = _events(db, "obligation.waived")
        assert event.after is not None and event.after["waived_reason"] == "Office closed by floods"
        # A waived obligation stays waived whatever is reported afterwards.
        update_id = _submit(client, world, "partner_a").json()["id"]
        _review(client, world, update_id, "accept")
        assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "waived"

    def test_an_accepted_one_or_an_empty_reason_is_refused(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        cycle_id = _opened(client, world)
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a")]
        url = world.url(f"/cycles/{cycle_id}/obligations/{obligation['id']}:waive")
        headers = world.headers("coordinator")
        assert_problem(client.post(url, json={"reason": "  "}, headers=headers), 422)
        _review(client, world, _submit(client, world, "partner_a").json()["id"], "accept")
        before = state_fingerprint(connection)
        assert_problem(client.post(url, json={"reason": "Late"}, headers=headers), 409)
        assert state_fingerprint(connection) == before
        other = world.url(f"/cycles/{uuid.uuid4()}/obligations/{obligation['id']}:waive")
        assert_problem(client.post(other, json={"reason": "x"}, headers=headers), 404)


class TestObligationsList:
    def test_filters_and_pages(self, client: TestClient, world: World, db: Session) -> None:
        set_owners(db, world.s1, "7a", (world.orgs["ngo_a"], OwnerRole.LEAD))
        db.commit()
        cycle_id = _opened(client, world)
        codes = [o["code"] for o in _obligations(client, world, cycle_id)]
        assert codes == ["5a", "6a", "7a"]  # checklist order
        ngo_a = f"&organisation_id={world.orgs['ngo_a'].id}"
        assert [o["code"] for o in _obligations(client, world, cycle_id, query=ngo_a)] == [
            "5a",
            "7a",
        ]
        assert [o["code"] for o in _obligations(client, world, cycle_id, query="&item=6a")] == [
            "6a"
        ]
        _submit(client, world, "partner_a", "7a")
        submitted = _obligations(client, world, cycle_id, query="&state=submitted")
        assert [o["code"] for o in submitted] == ["7a"]
        seen, cursor = [], ""
        while True:
            page = client.get(
                world.url(f"/cycles/{cycle_id}/obligations?limit=1{cursor}"),
                headers=world.headers("coordinator"),
            ).json()
            seen += [o["code"] for o in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert seen == codes

    def test_partners_see_their_organisations_and_viewers_none(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        mine = _obligations(client, world, cycle_id, "partner_b")
        assert [(o["code"], o["organisation_id"]) for o in mine] == [_of(world, "ngo_b", "6a")]
        url = world.url(f"/cycles/{cycle_id}/obligations")
        assert_problem(client.get(url, headers=world.headers("viewer")), 403)


class TestOverdue:
    def test_past_the_due_date_with_nothing_sent_is_overdue(
        self, client: TestClient, world: World
    ) -> None:
        cycle_id = _opened(client, world)
        _submit(client, world, "partner_b", "6a")
        with on("2030-04-15"):
            assert _owed(client, world, cycle_id)[_of(world, "ngo_a")]["state"] == "due"
        with on("2030-04-16"):
            owed = _owed(client, world, cycle_id)
            assert owed[_of(world, "ngo_a")]["state"] == "overdue"
            assert owed[_of(world, "ngo_b", "6a")]["state"] == "submitted"
            overdue = _obligations(client, world, cycle_id, query="&state=overdue")
            assert [o["code"] for o in overdue] == ["5a"]
            assert _obligations(client, world, cycle_id, query="&state=due") == []
            mine = client.get("/api/v1/users/me/obligations", headers=world.headers("partner_a"))
            assert [o["state"] for o in mine.json()["items"]] == ["overdue"]
        assert [o["code"] for o in _obligations(client, world, cycle_id, query="&state=due")] == [
            "5a"
        ]


class TestMyObligations:
    def test_what_my_organisation_owes_soonest_first(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        elsewhere = make_situation(db, registry, name="Elsewhere")
        add_member(db, elsewhere, world.users["partner_a"], SituationRole.VIEWER)
        set_owners(db, elsewhere, "8a", (world.orgs["ngo_a"], OwnerRole.LEAD))
        unseen = make_situation(db, registry, name="Not a member")
        set_owners(db, unseen, "8b", (world.orgs["ngo_a"], OwnerRole.LEAD))
        soon = open_cycle(db, elsewhere, due_date="2030-04-01")
        open_cycle(db, unseen, due_date="2030-03-20")
        past = open_cycle(db, world.s1, **LAST_QUARTER)
        db.commit()
        cycle_id = _opened(client, world)
        url, headers = "/api/v1/users/me/obligations", world.headers("partner_a")
        owed = client.get(url, headers=headers).json()["items"]
        assert [(o["situation_id"], o["code"], o["due_date"]) for o in owed] == [
            (str(elsewhere.id), "8a", "2030-04-01"),
            (str(world.s1.id), "5a", "2030-04-15"),
        ]
        assert owed[0]["cycle_id"] == str(soon.id) and owed[1]["cycle_id"] == cycle_id
        every = client.get(f"{url}?include_closed=true", headers=headers).json()["items"]
        assert (every[0]["cycle_id"], every[0]["state"]) == (str(past.id), "overdue")
        _submit(client, world, "partner_a")
        due = client.get(f"{url}?state=due", headers=headers).json()["items"]
        assert [o["code"] for o in due] == ["8a"]
        page = client.get(f"{url}?limit=1", headers=headers).json()
        rest = client.get(f"{url}?limit=1&cursor={page['next_cursor']}", headers=headers).json()
        assert [o["code"] for o in page["items"] + rest["items"]] == ["8a", "5a"]

    def test_someone_of_no_organisation_owes_nothing(
        self, client: TestClient, world: World
    ) -> None:
        _opened(client, world)
        response = client.get("/api/v1/users/me/obligations", headers=world.headers("admin"))
        assert response.json() == {"items": [], "next_cursor": None}


def _deadlines(db: Session, day: str) -> int:
    moment = datetime.fromisoformat(day).replace(hour=6, tzinfo=UTC)
    found = run_deadlines(db, moment)
    db.commit()
    return found


class TestDeadlines:
    def test_each_reminder_is_recorded_once_when_its_day_comes(
        self, world: World, db: Session
    ) -> None:
        cycle = open_cycle(db, world.s1)
        db.commit()
        assert _deadlines(db, "2030-04-11") == 0  # due in four days; reminders go three before
        assert _deadlines(db, "2030-04-12") == 2
        assert _deadlines(db, "2030-04-12") == 0
        assert _deadlines(db, "2030-04-13") == 0
        submit_update(db, world.s1, world.users["partner_b"], "6a", **IN_PERIOD)
        db.commit()
        assert _deadlines(db, "2030-04-15") == 1
        assert _deadlines(db, "2030-04-15") == 0
        assert _deadlines(db, "2030-04-16") == 1
        assert _deadlines(db, "2030-04-20") == 0
        soon, today, overdue = (
            _events(db, "obligation.due_soon"),
            _events(db, "obligation.due_today"),
            _events(db, "obligation.overdue"),
        )
        assert (len(soon), len(today), len(overdue)) == (2, 1, 1)
        obligation = db.scalars(
            select(Obligation).where(Obligation.cycle_id == cycle.id, Obligation.item_code == "5a")
        ).one()
        assert overdue[0].after == {
            "obligation_id": str(obligation.id),
            "organisation_id": str(world.orgs["ngo_a"].id),
            "code": "5a",
            "due_date": "2030-04-15",
            "cycle_id": str(cycle.id),
        }
        assert overdue[0].at == datetime(2030, 4, 16, 6, tzinfo=UTC)
        assert overdue[0].actor_user_id is None and overdue[0].situation_id == world.s1.id
        marks = (obligation.due_soon_sent_at, obligation.due_today_sent_at)
        assert all(marks) and obligation.overdue_sent_at is not None

    def test_a_worker_that_starts_late_sends_only_what_is_due_now(
        self, world: World, db: Session
    ) -> None:
        open_cycle(db, world.s1)
        db.commit()
        assert _deadlines(db, "2030-04-20") == 2
        assert _events(db, "obligation.due_soon") == _events(db, "obligation.due_today") == []

    def test_waived_obligations_closed_cycles_and_no_days_before_get_nothing(
        self, world: World, db: Session
    ) -> None:
        situation = db.get(Situation, world.s1.id)
        assert situation is not None
        situation.reminder_days_before = 0
        cycle = open_cycle(db, world.s1)
        obligation = db.scalars(select(Obligation).where(Obligation.item_code == "5a")).one()
        cycles.waive(db, obligation, "Not this quarter", Actor.of(world.users["coordinator"]))
        db.commit()
        assert _deadlines(db, "2030-04-14") == 0
        assert _deadlines(db, "2030-04-15") == 1  # 6a only
        cycle.state = cycle.state.CLOSED
        db.commit()
        assert _deadlines(db, "2030-04-16") == 0

    def test_the_setting_is_per_situation(self, client: TestClient, world: World) -> None:
        url = world.url()
        headers = with_etag(client, url, world.headers("coordinator"))
        response = client.patch(url, json={"reminder_days_before": 7}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["reminder_days_before"] == 7
        headers["If-Match"] = response.headers["etag"]
        too_many = client.patch(url, json={"reminder_days_before": 61}, headers=headers)
        assert_problem(too_many, 422)

    @pytest.mark.parametrize(
        ("day", "reminder"),
        [
            ("2030-04-11", None),
            ("2030-04-12", "obligation.due_soon"),
            ("2030-04-14", "obligation.due_soon"),
            ("2030-04-15", "obligation.due_today"),
            ("2030-04-16", "obligation.overdue"),
        ],
    )
    def test_which_reminder_a_day_owes(self, day: str, reminder: str | None) -> None:
        assert reminder_due(date(2030, 4, 15), date.fromisoformat(day), 3) == reminder


def test_two_workers_never_record_the_same_reminder(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On committed data, two workers at once: one claims the rows, the other records none.

    On PostgreSQL the second skips the rows the first holds (``SKIP LOCKED``) and returns at
    once; on SQLite it waits for the first writer's commit, then finds them marked.
    """
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        settings = Settings(database_url=url)
        engine = make_engine(url, settings)
        try:
            _, writer = make_sessionmakers(engine)
            with writer() as session:
                open_cycle(session, world.s1)
                session.commit()
            moment = datetime(2030, 4, 16, 6, tzinfo=UTC)
            second: list[int] = []
            with writer() as first:
                assert run_deadlines(first, moment) == 2
                worker = threading.Thread(
                    target=lambda: second.append(_run_in(writer, moment)), daemon=True
                )
                worker.start()
                if engine.dialect.name == "postgresql":
                    worker.join(timeout=20)
                    assert second == [0]  # it did not wait for the first's commit
                first.commit()
            worker.join(timeout=20)
            assert second == [0]
            with writer() as session:
                count = session.scalar(
                    select(func.count()).where(Event.action == "obligation.overdue")
                )
                assert count == 2
        finally:
            engine.dispose()


def _run_in(writer: Any, moment: datetime) -> int:
    with writer() as session:
        found = run_deadlines(session, moment)
        session.commit()
        return int(found)


class TestSummary:
    def _summary(self, client: TestClient, world: World, who: str, query: str = "") -> Any:
        response = client.get(world.url(f"/summary{query}"), headers=world.headers(who))
        assert response.status_code == 200, response.text
        return response.json()["reporting"]

    def test_null_without_an_open_cycle(self, client: TestClient, world: World) -> None:
        assert self._summary(client, world, "coordinator") is None
        cycle_id = _opened(client, world)
        _patch(client, world, cycle_id, {"state": "closed"})
        assert self._summary(client, world, "coordinator") is None

    def test_per_organisation_figures_of_the_current_cycle(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        set_owners(db, world.s1, "7a", (world.orgs["ngo_a"], OwnerRole.LEAD))
        set_owners(db, world.s1, "7b", (world.orgs["ngo_a"], OwnerRole.LEAD))
        set_owners(db, world.s1, "7c", (world.orgs["ngo_a"], OwnerRole.LEAD))
        db.commit()
        later = _opened(client, world, NEXT_QUARTER)
        cycle_id = _opened(client, world)  # holds today: the current one
        on_time = _submit(client, world, "partner_a", "5a").json()["id"]
        _review(client, world, on_time, "accept")
        _submit(client, world, "partner_a", "7a")
        obligation = _owed(client, world, cycle_id)[_of(world, "ngo_a", "7c")]
        client.post(
            world.url(f"/cycles/{cycle_id}/obligations/{obligation['id']}:waive"),
            json={"reason": "Merged with 7b"},
            headers=world.headers("coordinator"),
        )
        assert self._summary(client, world, "viewer")["cycle_id"] == cycle_id
        _patch(client, world, later, {"state": "closed"})  # else it would hold 20 April
        with on("2030-04-20"):
            late = _submit(client, world, "partner_b", "6a").json()["id"]
            reporting = self._summary(client, world, "coordinator")
            assert reporting["cycle_id"] == cycle_id
            rows = {row["organisation"]["id"]: row for row in reporting["organisations"]}
            ngo_a, ngo_b = rows[str(world.orgs["ngo_a"].id)], rows[str(world.orgs["ngo_b"].id)]
            figures = ("due", "submitted", "accepted", "returned", "overdue", "waived")
            assert [ngo_a[f] for f in figures] == [0, 1, 1, 0, 1, 1]
            assert ngo_a["on_time_share"] == round(2 / 3, 4)
            assert [ngo_b[f] for f in figures] == [0, 1, 0, 0, 0, 0]
            assert ngo_b["on_time_share"] == 0.0
            assert late
            partner = self._summary(client, world, "partner_b")
            assert [r["organisation"]["id"] for r in partner["organisations"]] == [
                str(world.orgs["ngo_b"].id)
            ]
            viewer = self._summary(client, world, "viewer")
            assert viewer["cycle_id"] == cycle_id and viewer["organisations"] == []
            assert self._summary(client, world, "coordinator", "?as_of=2030-04-01") is None

    def test_the_latest_open_cycle_when_none_holds_today(
        self, client: TestClient, world: World
    ) -> None:
        late = {"closes_on": "2030-12-31"}
        _opened(client, world, {**late, "period_start": "2029-01-01", "period_end": "2029-03-31"})
        newer = _opened(
            client, world, {**late, "period_start": "2029-04-01", "period_end": "2029-06-30"}
        )
        assert self._summary(client, world, "viewer")["cycle_id"] == newer


def _sign_in_for_a_year(client: TestClient, db: Session, world: World, who: str) -> None:
    """A dashboard session that outlasts the clock's moves (the world's lasts 12 hours)."""
    from app.accounts import sessions
    from app.dashboard.deps import SESSION_COOKIE

    _, session_id = sessions.start(
        db, world.users[who], persistent=True, lifetime=timedelta(days=365)
    )
    db.commit()
    client.cookies.set(SESSION_COOKIE, session_id)


class TestDashboard:
    def test_my_organisation_lists_what_is_owed_with_its_due_date(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        from tests.test_dashboard import assert_page, find, text_of

        _opened(client, world)
        _sign_in_for_a_year(client, db, world, "partner_a")
        html = assert_page(client.get("/organisation"), 200)
        assert len(find(html, "ul", **{"class": "due-list"})) == 2  # owed, and flagged items
        page = text_of(html)
        assert "Owed in open reporting cycles" in page
        assert f"{CYCLE['name']} · due on {when(date(2030, 4, 15))}" in page
        assert "Overdue" not in page.split("Items that need attention")[0]
        with on("2030-04-16"):
            page = text_of(assert_page(client.get("/organisation"), 200))
            assert "Overdue" in page.split("Items that need attention")[0]

    def test_the_form_tells_a_closed_cycle_at_its_top(
        self, client: TestClient, world: World, connection: Connection, db: Session
    ) -> None:
        from tests.test_dashboard import assert_page, text_of
        from tests.test_dashboard_partner import form_of, send

        _opened(client, world)
        _sign_in_for_a_year(client, db, world, "partner_a")
        with on("2030-05-02"):
            fields = {**form_of(client, world), "narrative": "Late", **IN_PERIOD}
            before = state_fingerprint(connection)
            html = assert_page(send(client, world, fields), 422)
            assert state_fingerprint(connection) == before
            assert f"closed on {when(date(2030, 4, 30))}" in text_of(html)
            assert "Late" in html


def test_the_tables_hold_what_the_api_says(world: World, db: Session) -> None:
    cycle = open_cycle(db, world.s1, reporting_roles=["lead", "funding"])
    rows = db.scalars(select(Obligation).where(Obligation.cycle_id == cycle.id)).all()
    assert {(o.item_code, o.role, o.state) for o in rows} == {
        ("5a", OwnerRole.LEAD, ObligationState.DUE),
        ("5a", OwnerRole.FUNDING, ObligationState.DUE),
        ("6a", OwnerRole.LEAD, ObligationState.DUE),
    }
    assert db.get(ReportingCycle, cycle.id) is not None
    assert all(o.situation_id == world.s1.id for o in rows)
    updates.review(db, world.updates["own"].id, "accept", None, Actor(None, None))
    # The world's report on 5a was sent (on 10 March) before the cycle opened: accepting it
    # now fulfils the obligation of its period.
    db.expire_all()
    lead = next(o for o in rows if o.role is OwnerRole.LEAD and o.item_code == "5a")
    assert db.get(Obligation, lead.id).state is ObligationState.ACCEPTED  # type: ignore[union-attr]


class TestStatements:
    """No N+1: the statements of the cycle routes, and of the routes that feed obligations,
    stay the same when the cycle has more obligations."""

    CALLS = ("obligations", "mine", "summary", "submit", "review", "owners")

    def _count(
        self, name: str, client: TestClient, world: World, db: Session, cycle: str, seen: list[str]
    ) -> int:
        coordinator, partner = world.headers("coordinator"), world.headers("partner_a")
        update = submit_update(db, world.s1, world.users["partner_a"], "5a", **IN_PERIOD)
        db.commit()
        calls: dict[str, Any] = {
            "obligations": lambda: client.get(
                world.url(f"/cycles/{cycle}/obligations"), headers=coordinator
            ),
            "mine": lambda: client.get("/api/v1/users/me/obligations", headers=partner),
            "summary": lambda: client.get(world.url("/summary"), headers=coordinator),
            "submit": lambda: _submit(client, world, "partner_a"),
            "review": lambda: client.post(
                f"/api/v1/updates/{update.id}/review",
                json={"decision": "accept"},
                headers=coordinator,
            ),
            "owners": lambda: client.put(
                world.url("/items/16/owners"),
                json={"owners": [{"organisation_id": str(world.orgs["gov"].id), "role": "lead"}]},
                headers=etag,
            ),
        }
        etag = with_etag(client, world.url("/items/16"), coordinator)
        seen.clear()
        response = calls[name]()
        assert response.status_code < 400, response.text
        return len(seen)

    @pytest.mark.parametrize("name", CALLS)
    def test_statements_do_not_grow_with_the_obligations(
        self,
        name: str,
        client: TestClient,
        world: World,
        db: Session,
        connection: Connection,
        statements: list[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from app.idempotency import service as idempotency_service

        monkeypatch.setattr(idempotency_service, "SWEEP_CHANCE", 0.0)
        cycle = str(open_cycle(db, world.s1, reporting_roles=["lead", "support"]).id)
        db.commit()
        savepoint = connection.begin_nested()
        small = self._count(name, client, world, db, cycle, statements)
        savepoint.rollback()
        for code in ("5b", "5c", "6b", "7a", "7b", "8a", "11a", "12a"):
            set_owners(
                db,
                world.s1,
                code,
                (world.orgs["ngo_a"], OwnerRole.LEAD),
                (world.orgs["ngo_b"], OwnerRole.SUPPORT),
            )
        open_cycle(db, world.s1, name="Beside it", due_date="2030-03-31")
        db.commit()
        large = self._count(name, client, world, db, cycle, statements)
        assert large == small, f"{name}: {small} statements with few obligations, {large} with more"
