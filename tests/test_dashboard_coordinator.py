"""A coordinator's workspace on the dashboard: edit an item, set owners, manage members,
review in bulk; a viewer or partner finds none of these forms, and their posts change nothing."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch
from app.events.service import Actor
from tests.factories import World, make_user, submit_update
from tests.helpers import state_fingerprint
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of


def item_json(client: TestClient, world: World, code: str = "5a") -> dict[str, Any]:
    response = client.get(world.url(f"/items/{code}"), headers=world.headers("coordinator"))
    return dict(response.json())


def edit_url(world: World, code: str = "5a") -> str:
    return f"/situations/{world.s1.id}/items/{code}/edit"


def post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    data = {"csrf_token": csrf_of(client), **data}
    return client.post(url, data=data, follow_redirects=False)


def form_etag(html: str) -> str:
    [field] = find(html, "input", name="etag")
    return field["value"]


class TestEditItem:
    def test_the_item_page_links_to_the_forms_for_coordinators(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
        assert find(html, "a", href=edit_url(world))
        assert find(html, "a", href=f"/situations/{world.s1.id}/items/5a/owners")

    def test_an_edit_saves_one_version(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(edit_url(world)), 200)
        assert form_etag(html) == '"v1"' or form_etag(html).startswith('"v')
        version = item_json(client, world)["version"]
        response = post(
            client,
            edit_url(world),
            {
                "etag": form_etag(html),
                "status": "in_progress",
                "status_note": "Two border points",
                "target_date": "2031-06-30",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"].endswith("/items/5a?saved=item")
        item = item_json(client, world)
        assert (item["status"], item["status_note"], item["target_date"]) == (
            "in_progress",
            "Two border points",
            "2031-06-30",
        )
        assert item["version"] == version + 1
        page = assert_page(client.get(response.headers["location"]), 200)
        assert find(page, "div", role="status")

    def test_not_applicable_needs_a_note_next_to_its_field(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        etag = form_etag(client.get(edit_url(world)).text)
        before = state_fingerprint(connection)
        response = post(
            client,
            edit_url(world),
            {"etag": etag, "status": "not_applicable", "status_note": " ", "target_date": ""},
        )
        html = assert_page(response, 422)
        assert state_fingerprint(connection) == before
        [note] = find(html, "textarea", name="status_note")
        assert note["aria-invalid"] == "true"
        assert "status_note-error" in note["aria-describedby"]
        assert find(html, "p", id="status_note-error")
        [chosen] = find(html, "option", value="not_applicable")
        assert "selected" in chosen

    def test_a_bad_date_is_kept_and_marked(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        etag = form_etag(client.get(edit_url(world)).text)
        response = post(
            client,
            edit_url(world),
            {"etag": etag, "status": "planned", "status_note": "Kept", "target_date": "3000-01-01"},
        )
        html = assert_page(response, 422)
        [date] = find(html, "input", name="target_date")
        assert date["value"] == "3000-01-01" and date["aria-invalid"] == "true"
        assert "Kept" in html
        assert item_json(client, world)["status"] == "not_started"

    def test_a_stale_edit_is_a_conflict_with_both_versions_and_nothing_lost(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "coordinator")
        stale = form_etag(client.get(edit_url(world)).text)
        item = checklist.get_item(db, world.s1.id, "5a", for_update=True)
        checklist.patch_item(
            db,
            item,
            ItemPatch(status="planned", status_note="Changed by a colleague"),
            Actor.of(world.users["admin"]),
        )
        db.flush()
        typed = {"status": "in_place", "status_note": "My own careful note", "target_date": ""}
        response = post(client, edit_url(world), {"etag": stale, **typed})
        html = assert_page(response, 409)
        text = text_of(html)
        assert "Changed by a colleague" in text and "My own careful note" in text
        assert "Planned" in text and "In place" in text
        assert item_json(client, world)["status"] == "planned"
        fresh = form_etag(html)
        assert fresh != stale
        [note] = find(html, "textarea", name="status_note")
        assert "My own careful note" in html.split('name="status_note"')[1].split("</textarea>")[0]
        assert note
        [chosen] = [o for o in find(html, "option") if "selected" in o]
        assert chosen["value"] == "in_place"
        again = post(client, edit_url(world), {"etag": fresh, **typed})
        assert again.status_code == 303
        assert item_json(client, world)["status_note"] == "My own careful note"


class TestOwners:
    def url(self, world: World, code: str = "6a") -> str:
        return f"/situations/{world.s1.id}/items/{code}/owners"

    def test_search_lists_matching_organisations(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        name = world.orgs["rlo"].name
        html = assert_page(client.get(self.url(world), params={"q": name.split()[-1]}), 200)
        assert find(html, "form", method="get", action=self.url(world))
        rows = [a["data-organisation"] for a in find(html, "div") if "data-organisation" in a]
        assert str(world.orgs["rlo"].id) in rows
        assert find(html, "input", name="q", value=name.split()[-1])

    def test_owners_are_set(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = client.get(self.url(world)).text
        orgs = [world.orgs["ngo_b"].id, world.orgs["unhcr"].id, world.orgs["gov"].id]
        response = post(
            client,
            self.url(world),
            {
                "etag": form_etag(html),
                "organisation": [str(o) for o in orgs],
                "role": ["support", "lead", "funding"],
            },
        )
        assert response.status_code == 303
        owners = {
            (o["organisation_id"], o["role"]) for o in item_json(client, world, "6a")["owners"]
        }
        assert owners == {
            (str(orgs[0]), "support"),
            (str(orgs[1]), "lead"),
            (str(orgs[2]), "funding"),
        }

    def test_two_leads_are_refused_and_the_choice_kept(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        etag = form_etag(client.get(self.url(world)).text)
        before = state_fingerprint(connection)
        orgs = [str(world.orgs["ngo_b"].id), str(world.orgs["gov"].id)]
        response = post(
            client, self.url(world), {"etag": etag, "organisation": orgs, "role": ["lead", "lead"]}
        )
        html = assert_page(response, 422)
        assert state_fingerprint(connection) == before
        assert find(html, "div", role="alert", id="owners-error")
        assert len([o for o in find(html, "option", value="lead") if "selected" in o]) == 2

    def test_a_stale_owners_form_is_a_conflict(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "coordinator")
        stale = form_etag(client.get(self.url(world)).text)
        item = checklist.get_item(db, world.s1.id, "6a", for_update=True)
        checklist.patch_item(db, item, ItemPatch(status="planned"), Actor.of(world.users["admin"]))
        db.flush()
        gov = str(world.orgs["gov"].id)
        response = post(
            client, self.url(world), {"etag": stale, "organisation": [gov], "role": ["lead"]}
        )
        html = assert_page(response, 409)
        assert find(html, "ul", data_owners="stored") and find(html, "ul", data_owners="typed")
        assert world.orgs["ngo_b"].name in html and world.orgs["gov"].name in html
        again = post(
            client,
            self.url(world),
            {"etag": form_etag(html), "organisation": [gov], "role": ["lead"]},
        )
        assert again.status_code == 303
        assert item_json(client, world, "6a")["lead"]["id"] == gov


class TestMembers:
    def url(self, world: World) -> str:
        return f"/situations/{world.s1.id}/members"

    def test_members_are_listed_with_their_role(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(self.url(world)), 200)
        emails = {a["data-member"] for a in find(html, "li") if "data-member" in a}
        assert world.users["viewer"].email in emails
        assert world.users["outsider"].email not in emails

    def test_a_person_is_invited_and_the_link_shown_once(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        newcomer, _ = make_user(db, world.orgs["ngo_a"], name="newcomer")
        db.flush()
        sign_in(client, world, "coordinator")
        response = post(
            client,
            self.url(world),
            {"email": newcomer.email.upper(), "role": "partner", "link": "yes"},
        )
        html = assert_page(response, 200)
        [link] = find(html, "input", id="invitation-link")
        assert "/invitations/" in link["value"]
        path = link["value"][link["value"].index("/invitations/") :]
        client.cookies.clear()
        assert_page(client.get(path), 200)
        sign_in(client, world, "coordinator")
        member = client.get(
            world.url(f"/members/{newcomer.id}"), headers=world.headers("coordinator")
        )
        assert member.json()["role"] == "partner"
        again = assert_page(client.get(self.url(world)), 200)
        assert link["value"] not in again

    def test_an_unknown_address_says_who_creates_accounts(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        for email in ("nobody@example.org", world.users["stranger"].email):
            response = post(client, self.url(world), {"email": email, "role": "viewer"})
            html = assert_page(response, 422)
            [field] = find(html, "input", name="email")
            assert field["aria-invalid"] == "true"
            assert "Only an admin can create accounts" in text_of(html)
        assert state_fingerprint(connection) == before

    def test_a_role_is_changed_and_a_member_removed(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        viewer = world.users["viewer"].id
        response = post(client, f"{self.url(world)}/{viewer}/role", {"role": "partner"})
        assert response.status_code == 303
        assert response.headers["location"].endswith(f"?done=role_changed#member-{viewer}")
        member = client.get(world.url(f"/members/{viewer}"), headers=world.headers("coordinator"))
        assert member.json()["role"] == "partner"
        response = post(client, f"{self.url(world)}/{viewer}/remove", {})
        assert response.headers["location"].endswith("?done=removed")
        gone = client.get(world.url(f"/members/{viewer}"), headers=world.headers("coordinator"))
        assert gone.status_code == 404
        assert find(
            assert_page(client.get(response.headers["location"]), 200), "div", role="status"
        )


class TestBulkReview:
    def url(self, world: World) -> str:
        return f"/situations/{world.s1.id}/review"

    def state(self, client: TestClient, world: World, update: uuid.UUID) -> str:
        response = client.get(f"/api/v1/updates/{update}", headers=world.headers("coordinator"))
        return str(response.json()["state"])

    def test_several_updates_are_returned_with_one_comment(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        third = submit_update(db, world.s1, world.users["partner_a"], "5a", narrative="Third")
        db.flush()
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(self.url(world)), 200)
        cards = [a for a in find(html, "article") if "data-update-id" in a]
        assert all(card["tabindex"] == "-1" for card in cards)
        boxes = find(html, "input", name="update_ids", form="bulk")
        assert len(boxes) == 3
        own, other = world.updates["own"].id, world.updates["other_org"].id
        response = post(
            client,
            self.url(world),
            {"update_ids": [str(own), str(other)], "decision": "return", "comment": "Add figures"},
        )
        assert response.status_code == 303
        location, _, card = response.headers["location"].partition("#")
        assert card == f"update-{third.id}"
        assert "done=bulk_returned" in location and "count=2" in location
        assert self.state(client, world, own) == "returned"
        assert self.state(client, world, other) == "returned"
        assert self.state(client, world, third.id) == "submitted"
        page = assert_page(client.get(location), 200)
        assert "2 updates returned" in page

    def test_bulk_accept_skips_what_was_reviewed_already(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        own, other = world.updates["own"].id, world.updates["other_org"].id
        post(client, f"{self.url(world)}/{own}", {"decision": "accept"})
        response = post(
            client, self.url(world), {"update_ids": [str(own), str(other)], "decision": "accept"}
        )
        location = response.headers["location"]
        assert "count=1" in location and "skipped=1" in location
        assert self.state(client, world, other) == "accepted"

    @pytest.mark.parametrize(
        ("data", "done"),
        [
            ({"decision": "accept"}, "none_selected"),
            ({"decision": "return", "comment": ""}, "comment_required"),
            ({"decision": "maybe"}, "invalid"),
        ],
    )
    def test_unreadable_bulk_reviews_change_nothing(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        data: dict[str, str],
        done: str,
    ) -> None:
        sign_in(client, world, "coordinator")
        if done != "none_selected":
            data = {**data, "update_ids": str(world.updates["own"].id)}
        before = state_fingerprint(connection)
        response = post(client, self.url(world), data)
        assert response.headers["location"].endswith(f"?done={done}")
        assert state_fingerprint(connection) == before

    def test_filters_by_organisation_pillar_and_item(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        durable = submit_update(
            db, world.s1, world.users["coordinator"], "16", narrative="Pathways"
        )
        db.flush()
        sign_in(client, world, "coordinator")

        def ids(**params: str) -> set[str]:
            html = assert_page(client.get(self.url(world), params=params), 200)
            return {a["data-update-id"] for a in find(html, "article") if "data-update-id" in a}

        own, other = str(world.updates["own"].id), str(world.updates["other_org"].id)
        assert ids(organisation=str(world.orgs["ngo_b"].id)) == {other}
        assert ids(pillar="durable_solutions") == {str(durable.id)}
        assert ids(code="5a") == {own}
        assert ids(organisation="", pillar="", code="") == {own, other, str(durable.id)}

    def test_a_filtered_review_comes_back_filtered(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        own = world.updates["own"].id
        response = post(client, f"{self.url(world)}/{own}", {"decision": "accept", "code": "5a"})
        assert "code=5a" in response.headers["location"]


def _coordinator_forms(world: World, variant: str) -> list[tuple[str, dict[str, Any]]]:
    sid = world.s1.id
    member = world.users["partner_b"].id
    return [
        (f"/situations/{sid}/items/5a/edit", {"etag": '"v1"', "status": "in_place"}),
        (
            f"/situations/{sid}/items/5a/owners",
            {"etag": '"v1"', "organisation": [str(world.orgs["gov"].id)], "role": ["lead"]},
        ),
        (f"/situations/{sid}/members", {"email": world.users["stranger"].email, "role": "viewer"}),
        (f"/situations/{sid}/members/{member}/role", {"role": "viewer"}),
        (f"/situations/{sid}/members/{member}/remove", {}),
        (
            f"/situations/{sid}/review",
            {"update_ids": [str(world.updates["own"].id)], "decision": "accept"},
        ),
    ]


class TestDenied:
    PAGES = ("/items/5a/edit", "/items/5a/owners", "/members")

    @pytest.mark.parametrize(
        ("who", "status"), [("partner_a", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_others_find_no_forms_and_their_posts_change_nothing(
        self, client: TestClient, world: World, connection: Connection, who: str, status: int
    ) -> None:
        sign_in(client, world, who)
        item = assert_page(
            client.get(f"/situations/{world.s1.id}/items/5a"), 200 if status == 403 else 404
        )
        assert not find(item, "a", href=edit_url(world))
        assert not find(item, "a", href=f"/situations/{world.s1.id}/items/5a/owners")
        for path in self.PAGES:
            assert_page(client.get(f"/situations/{world.s1.id}{path}"), status)
        before = state_fingerprint(connection)
        for url, data in _coordinator_forms(world, "own"):
            response = post(client, url, data)
            assert response.status_code == status, url
        assert state_fingerprint(connection) == before

    def test_posts_without_the_csrf_token_change_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        for url, data in _coordinator_forms(world, "own"):
            for token in ("", "0" * 64):
                response = client.post(
                    url, data={**data, "csrf_token": token}, follow_redirects=False
                )
                assert response.status_code == 403, url
        assert state_fingerprint(connection) == before

    def test_posts_from_another_site_change_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        token = csrf_of(client)
        before = state_fingerprint(connection)
        for url, data in _coordinator_forms(world, "own"):
            response = client.post(
                url,
                data={**data, "csrf_token": token},
                headers={"Origin": "https://evil.example"},
                follow_redirects=False,
            )
            assert response.status_code == 403, url
        assert state_fingerprint(connection) == before
