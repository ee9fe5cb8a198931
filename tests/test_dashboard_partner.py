"""A partner's workspace on the dashboard: "my organisation" as home, the update form on an
item it owns, one update per form however often it is sent, errors next to their fields,
and a returned update sent again from a prefilled form."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.core.vocab import UpdateState
from app.events.service import Actor
from app.models import Update
from app.updates import service as updates
from tests.factories import World
from tests.helpers import state_fingerprint
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of


def item_url(world: World, code: str = "5a") -> str:
    return f"/situations/{world.s1.id}/items/{code}"


def form_of(client: TestClient, world: World, code: str = "5a") -> dict[str, str]:
    """The hidden fields of the item page's update form."""
    html = assert_page(client.get(item_url(world, code)), 200)
    [key] = find(html, "input", name="form_key")
    return {"csrf_token": csrf_of(client), "form_key": key["value"]}


def send(client: TestClient, world: World, fields: dict[str, Any], code: str = "5a") -> Any:
    return client.post(f"{item_url(world, code)}/updates", data=fields, follow_redirects=False)


def count_updates(db: Session, world: World, code: str = "5a") -> int:
    db.expire_all()
    return db.scalar(
        select(func.count())
        .select_from(Update)
        .where(Update.situation_id == world.s1.id, Update.item_code == code)
    )


GOOD = {
    "proposed_status": "in_progress",
    "narrative": "Screening desks opened at Elegu and Oraba",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "evidence_title": ["Site report", ""],
    "evidence_url": ["https://example.org/elegu.pdf", ""],
}


class TestMyOrganisation:
    def test_a_partners_home_is_their_organisation(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "partner_a")
        html = assert_page(client.get("/"), 200)
        [heading] = find(html, "h1")
        assert world.orgs["ngo_a"].name in text_of(html)
        [mine] = find(html, "a", href="/organisation")
        assert mine["aria-current"] == "page"
        assert find(html, "a", href=f"{item_url(world)}")
        assert not find(html, "a", href=item_url(world, "6a")), "6a is NGO B's"
        assert "Lead" in text_of(html)
        assert heading is not None

    def test_coordinators_keep_the_situations_at_home(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get("/"), 200)
        assert find(html, "a", href=f"/situations/{world.s1.id}")
        assert not find(html, "input", name="form_key")
        page = assert_page(client.get("/organisation"), 200)
        assert world.orgs["unhcr"].name in text_of(page)  # funds 5a
        assert "Funding" in text_of(page)

    def test_the_situations_stay_one_link_away(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "partner_a")
        html = assert_page(client.get("/situations"), 200)
        assert find(html, "a", href=f"/situations/{world.s1.id}")

    def test_a_returned_update_shows_with_its_comment_until_sent_again(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        own = world.updates["own"]
        updates.review(
            db,
            own.id,
            "return",
            "Add the number of people screened",
            Actor.of(world.users["coordinator"]),
        )
        db.commit()
        sign_in(client, world, "partner_a")
        html = assert_page(client.get("/organisation"), 200)
        assert "Add the number of people screened" in text_of(html)
        [again] = find(html, "a", href=f"{item_url(world)}?resubmit={own.id}#report")
        page = assert_page(client.get(again["href"].split("#")[0]), 200)
        [narrative] = find(page, "textarea", name="narrative")
        assert own.narrative in page
        assert "Add the number of people screened" in text_of(page)
        assert narrative["name"] == "narrative"
        response = send(client, world, {**form_of(client, world), **GOOD})
        assert response.status_code == 303
        assert "Add the number of people screened" not in text_of(client.get("/organisation").text)

    def test_what_needs_a_report(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "partner_a")
        html = assert_page(client.get("/organisation"), 200)
        [due] = find(html, "ul", **{"class": "due-list"})
        assert due is not None
        assert find(html, "a", href=f"{item_url(world)}#report")  # never reported

    def test_someone_of_no_organisation_is_told(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "admin")
        html = assert_page(client.get("/organisation"), 200)
        assert "belongs to no organisation" in text_of(html)


class TestUpdateForm:
    def test_only_who_may_report_finds_the_form(self, client: TestClient, world: World) -> None:
        cases = {
            ("partner_a", "5a"): True,
            ("partner_a", "6a"): False,
            ("partner_b", "6a"): True,
            ("coordinator", "6a"): True,
            ("viewer", "5a"): False,
        }
        for (who, code), expected in cases.items():
            sign_in(client, world, who)
            html = assert_page(client.get(item_url(world, code)), 200)
            found = bool(find(html, "form", action=f"{item_url(world, code)}/updates"))
            assert found is expected, (who, code)

    def test_a_sent_form_makes_one_update(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "partner_a")
        before = count_updates(db, world)
        response = send(client, world, {**form_of(client, world), **GOOD})
        assert response.status_code == 303
        assert response.headers["location"] == f"{item_url(world)}?saved=update"
        assert count_updates(db, world) == before + 1
        update = db.scalars(
            select(Update).where(Update.item_code == "5a").order_by(Update.submitted_at.desc())
        ).first()
        assert update is not None and update.state is UpdateState.SUBMITTED
        assert update.evidence == [{"title": "Site report", "url": "https://example.org/elegu.pdf"}]
        assert str(update.period_end) == "2026-03-31"
        page = assert_page(client.get(response.headers["location"]), 200)
        [status] = find(page, "div", role="status")
        assert status["data-draft-clear"] == f"draft:{world.s1.id}:5a"

    def test_a_double_tap_or_a_retry_makes_one_update(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "partner_a")
        fields = {**form_of(client, world), **GOOD}
        before = count_updates(db, world)
        first, second = send(client, world, fields), send(client, world, fields)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert count_updates(db, world) == before + 1
        changed = send(client, world, {**fields, "narrative": "Another text, same form"})
        html = assert_page(changed, 422)
        assert "already sent with other values" in text_of(html)
        assert count_updates(db, world) == before + 1
        [key] = find(html, "input", name="form_key")
        assert key["value"] != fields["form_key"]

    def test_errors_show_next_to_their_fields_and_nothing_is_lost(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "partner_a")
        fields = {
            **form_of(client, world),
            "proposed_status": "not_applicable",
            "narrative": "Typed before the error",
            "period_start": "2026-05-01",
            "period_end": "2026-04-01",
            "evidence_title": ["Photos", "No link"],
            "evidence_url": ["ftp://example.org/x", ""],
        }
        before = state_fingerprint(connection)
        html = assert_page(send(client, world, fields), 422)
        assert state_fingerprint(connection) == before
        assert find(html, "div", role="alert")
        [narrative] = find(html, "textarea", name="narrative")
        assert "Typed before the error" in html and "aria-invalid" not in narrative
        for name in ("status_note", "period_end"):
            [field] = find(html, "textarea" if name == "status_note" else "input", name=name)
            assert field["aria-invalid"] == "true", name
            assert f"{name}-error" in field["aria-describedby"]
        for row in (0, 1):
            assert find(html, "p", id=f"evidence-{row}-error"), row
        [url] = find(html, "input", id="evidence-url-0")
        assert url["value"] == "ftp://example.org/x"
        [chosen] = find(html, "option", value="not_applicable")
        assert "selected" in chosen

    def test_an_empty_narrative_is_refused(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "partner_a")
        before = count_updates(db, world)
        html = assert_page(send(client, world, {**form_of(client, world), "narrative": "  "}), 422)
        assert find(html, "p", id="narrative-error")
        assert count_updates(db, world) == before

    @pytest.mark.parametrize(
        ("who", "status"), [("viewer", 403), ("partner_b", 403), ("outsider", 404)]
    )
    def test_a_hand_crafted_post_is_refused_and_changes_nothing(
        self, client: TestClient, world: World, connection: Connection, who: str, status: int
    ) -> None:
        sign_in(client, world, who)
        before = state_fingerprint(connection)
        fields = {"csrf_token": csrf_of(client), "form_key": "hand-made", **GOOD}
        assert_page(send(client, world, fields), status)
        assert state_fingerprint(connection) == before

    def test_a_post_without_the_token_is_refused(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "partner_a")
        before = state_fingerprint(connection)
        assert_page(send(client, world, {"form_key": "k", **GOOD}), 403)
        assert state_fingerprint(connection) == before

    def test_an_auto_accepting_situation_says_so(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        from app.core.vocab import ReviewPolicy

        world.s1.review_policy = ReviewPolicy.AUTO_ACCEPT
        db.commit()
        sign_in(client, world, "partner_a")
        response = send(client, world, {**form_of(client, world), **GOOD})
        assert response.headers["location"].endswith("?saved=update-accepted")
