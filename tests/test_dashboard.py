"""The web dashboard: sign-in by cookie, the same permissions and data as the API, HTML errors."""

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch
from app.dashboard.deps import SESSION_COOKIE
from app.dashboard.rendering import STATIC_DIR
from app.events.service import Actor
from app.organisations.service import name_key
from tests.factories import World, submit_update
from tests.helpers import assert_problem, state_fingerprint


class Elements(HTMLParser):
    """Collect every element's tag and attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def find(html: str, tag: str, **wanted: str) -> list[dict[str, str]]:
    """The attributes of the elements ``tag`` whose attributes include ``wanted``."""
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in wanted.items()}
    return [
        attrs
        for name, attrs in parse(html).found
        if name == tag and all(attrs.get(k) == v for k, v in wanted.items())
    ]


def row_codes(html: str) -> list[str]:
    """The item codes of the items table, in order."""
    return [attrs["data-code"] for attrs in find(html, "tr") if "data-code" in attrs]


def text_of(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())


def sign_in(client: TestClient, world: World, who: str) -> None:
    """Hold the dashboard session the world opened for ``who`` (``tests.test_accounts``
    signs in through the form, with a password)."""
    client.cookies.set(SESSION_COOKIE, world.cookies[who])


def csrf_of(client: TestClient) -> str:
    """The CSRF token the signed-in pages put in their forms."""
    fields = find(client.get("/").text, "input", name="csrf_token")  # sign-out, language
    assert len({field["value"] for field in fields}) == 1
    return fields[0]["value"]


def assert_page(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    return str(response.text)


class TestSignedOut:
    @pytest.mark.parametrize("path", ["", "/items/5a", "/review"])
    def test_pages_redirect_to_sign_in_and_back(
        self, client: TestClient, world: World, path: str
    ) -> None:
        target = f"/situations/{world.s1.id}{path}"
        response = client.get(target, follow_redirects=False)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("/signin?next=")
        form = assert_page(client.get(location), 200)
        assert find(form, "input", name="next", value=target)

    def test_home_redirects_to_sign_in(self, client: TestClient) -> None:
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin"

    @pytest.mark.parametrize("forged", ["crrf_forged", "x" * 5000])
    def test_an_invalid_cookie_is_cleared(
        self, client: TestClient, world: World, forged: str
    ) -> None:
        client.cookies.set(SESSION_COOKIE, forged)
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["set-cookie"].startswith(f"{SESSION_COOKIE}=")
        assert "max-age=0" in response.headers["set-cookie"].lower()

    def test_the_api_does_not_accept_the_cookie(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        assert_problem(client.get(world.url()), 401)
        bearer = {"Authorization": f"Bearer {world.cookies['coordinator']}"}
        assert_problem(client.get(world.url(), headers=bearer), 401)

    def test_an_api_token_is_not_a_session(self, client: TestClient, world: World) -> None:
        client.cookies.set(SESSION_COOKIE, world.tokens["coordinator"])
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"


class TestHome:
    def test_lists_only_the_situations_one_belongs_to(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get("/"), 200)
        assert world.s1.name in html
        assert world.s2.name not in html
        sign_in(client, world, "outsider")
        html = assert_page(client.get("/"), 200)
        assert world.s2.name in html
        assert world.s1.name not in html

    def test_admins_see_every_situation(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "admin")
        html = assert_page(client.get("/"), 200)
        assert world.s1.name in html and world.s2.name in html

    def test_bars_match_the_summary_api(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        for code in ("5b", "5c"):
            item = checklist.get_item(db, world.s1.id, code, for_update=True)
            checklist.patch_item(db, item, ItemPatch(status="in_place"), Actor(None, None))
        item = checklist.get_item(db, world.s1.id, "16", for_update=True)
        patch = ItemPatch(status="not_applicable", status_note="No resettlement quota")
        checklist.patch_item(db, item, patch, Actor(None, None))
        db.flush()
        summary = client.get(world.url("/summary"), headers=world.headers("viewer")).json()
        sign_in(client, world, "viewer")
        html = assert_page(client.get("/"), 200)
        for pillar in summary["pillars"]:
            [bar] = find(html, "progress", id=f"bar-{world.s1.id}-{pillar['code']}")
            applicable = pillar["items_total"] - pillar["by_status"]["not_applicable"]
            assert int(bar["value"]) == pillar["by_status"]["in_place"]
            assert int(bar["max"]) == applicable
            assert f"No lead: {pillar['lead_missing']}" in html
        [reception] = [p for p in summary["pillars"] if p["code"] == "reception"]
        assert reception["by_status"]["in_place"] == 2


class TestSituationPage:
    def test_other_situations_are_a_404_page(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        for path in (
            f"/situations/{world.s2.id}",
            f"/situations/{uuid.uuid4()}",
            "/situations/not-a-uuid",
            f"/situations/{world.s2.id}/items/5a",
        ):
            html = assert_page(client.get(path), 404)
            assert world.s2.name not in html

    @pytest.mark.parametrize(
        ("page", "api"),
        [
            ({}, {}),
            ({"gap": "lead_missing"}, {"lead_missing": "true"}),
            ({"gap": "no_data"}, {"no_data": "true"}),
            ({"status": "in_progress"}, {"status": "in_progress"}),
            ({"pillar": "durable_solutions"}, {"pillar": "durable_solutions"}),
            (
                {"pillar": "reception", "gap": "lead_missing"},
                {"pillar": "reception", "lead_missing": "true"},
            ),
            ({"pillar": "", "status": "", "owner": "", "gap": ""}, {}),
        ],
    )
    def test_items_match_the_api(
        self,
        client: TestClient,
        world: World,
        db: Session,
        page: dict[str, str],
        api: dict[str, str],
    ) -> None:
        item = checklist.get_item(db, world.s1.id, "6b", for_update=True)
        checklist.patch_item(db, item, ItemPatch(status="in_progress"), Actor(None, None))
        db.flush()
        expected = client.get(
            world.url("/items"), params={**api, "limit": 200}, headers=world.headers("viewer")
        ).json()
        sign_in(client, world, "viewer")
        html = assert_page(client.get(world.url().replace("/api/v1", ""), params=page), 200)
        assert row_codes(html) == [i["code"] for i in expected["items"]]
        assert row_codes(html)

    def test_owner_filter(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        path = f"/situations/{world.s1.id}"
        html = assert_page(client.get(path, params={"owner": str(world.orgs["ngo_a"].id)}), 200)
        assert row_codes(html) == ["5a"]
        assert find(html, "option", value=str(world.orgs["ngo_b"].id))
        assert not find(html, "option", value=str(world.orgs["rlo"].id))

    def test_the_owner_filter_offers_every_owner_filtered_or_not(
        self, client: TestClient, world: World, db: Session, statements: list[str]
    ) -> None:
        """Unfiltered, the owners are read off the items; filtered, asked of the database:
        the same organisations, in the same order."""
        sign_in(client, world, "viewer")
        path = f"/situations/{world.s1.id}"
        owning = checklist.owning_organisations(db, world.s1.id)
        expected = [str(org.id) for org in sorted(owning, key=lambda org: name_key(org.name))]
        assert len(expected) > 2

        def options(params: dict[str, str]) -> list[str]:
            html = assert_page(client.get(path, params=params), 200)
            select = html.split('name="owner"')[1].split("</select>")[0]
            return [o["value"] for o in find(select, "option") if o.get("value")]

        asked = "IN (SELECT item_owner.organisation_id"
        statements.clear()
        assert options({}) == expected
        assert not any(asked in s for s in statements)
        assert options({"pillar": "reception"}) == expected
        assert any(asked in s for s in statements)

    def test_gap_rows_are_marked_with_text(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        [gap_row] = find(html, "tr", data_code="6b")
        [led_row] = find(html, "tr", data_code="5a")
        assert "is-gap" in gap_row["class"]
        assert "is-gap" not in led_row["class"]
        row_6b = html.split('data-code="6b"')[1].split("</tr>")[0]
        assert "No lead" in row_6b

    def test_invalid_filter_is_an_html_page(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        assert_page(client.get(f"/situations/{world.s1.id}", params={"status": "bogus"}), 422)

    @pytest.mark.parametrize(
        ("who", "link"), [("coordinator", True), ("admin", True), ("partner_a", False)]
    )
    def test_review_link_only_for_reviewers(
        self, client: TestClient, world: World, who: str, link: bool
    ) -> None:
        sign_in(client, world, who)
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        assert bool(find(html, "a", href=f"/situations/{world.s1.id}/review")) is link

    def test_tables_have_captions_and_headers(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        assert "<caption>" in html
        assert len(find(html, "th", scope="col")) == 7
        assert len(find(html, "th", scope="row")) == 43
        for select in find(html, "select"):
            assert find(html, "label", for_=select["id"])


class TestItemPage:
    def test_shows_annex_text_owners_and_history(self, client: TestClient, world: World) -> None:
        item = client.get(world.url("/items/5a"), headers=world.headers("coordinator")).json()
        history = client.get(
            world.url("/items/5a/history"), headers=world.headers("coordinator")
        ).json()
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
        text = text_of(html)
        assert " ".join(item["text"].split()) in text
        assert " ".join(item["lead_in"].split()) in text
        assert world.orgs["ngo_a"].name in text and world.orgs["unhcr"].name in text
        times = [attrs["datetime"] for attrs in find(html, "time")]
        assert len(times) == len(history["items"])
        assert times == sorted(times, reverse=True)
        assert text.count("Update submitted") == 1

    def test_history_hides_other_organisations_updates(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "partner_b")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
        assert "Update submitted" not in html
        sign_in(client, world, "partner_a")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
        assert "Update submitted" in html

    def test_unknown_item_is_a_404_page(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        for code in ("99z", "5a.unknown", "BAD!"):
            assert_page(client.get(f"/situations/{world.s1.id}/items/{code}"), 404)


class TestReviewQueue:
    def queue(self, world: World) -> str:
        return f"/situations/{world.s1.id}/review"

    def test_coordinators_see_submitted_updates(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get(self.queue(world)), 200)
        assert "Screening at two border points" in html
        assert "Pledging conference held" in html
        assert "Reception centre open" not in html
        ids = [a["data-update-id"] for a in find(html, "article") if "data-update-id" in a]
        assert ids == [str(world.updates["own"].id), str(world.updates["other_org"].id)]

    @pytest.mark.parametrize(
        ("who", "status"), [("partner_a", 403), ("viewer", 403), ("outsider", 404)]
    )
    def test_others_do_not_see_the_queue(
        self, client: TestClient, world: World, who: str, status: int
    ) -> None:
        sign_in(client, world, who)
        html = assert_page(client.get(self.queue(world)), status)
        assert "Screening at two border points" not in html

    def post(self, client: TestClient, world: World, update: uuid.UUID, **data: str) -> Any:
        data.setdefault("csrf_token", csrf_of(client))
        return client.post(f"{self.queue(world)}/{update}", data=data, follow_redirects=False)

    def update_state(self, client: TestClient, world: World, update: uuid.UUID) -> str:
        response = client.get(f"/api/v1/updates/{update}", headers=world.headers("coordinator"))
        return str(response.json()["state"])

    def test_accept_applies_the_update(self, client: TestClient, world: World, db: Session) -> None:
        update = submit_update(
            db, world.s1, world.users["partner_a"], "5a", proposed_status="in_place"
        )
        db.flush()
        sign_in(client, world, "coordinator")
        response = self.post(client, world, update.id, decision="accept", comment="Verified")
        assert response.status_code == 303
        location, _, card = response.headers["location"].partition("#")
        assert location == f"{self.queue(world)}?done=accepted&item=5a"
        assert card == f"update-{world.updates['other_org'].id}"
        html = assert_page(client.get(response.headers["location"]), 200)
        assert find(html, "div", role="status")
        assert "Update on 5a accepted" in html
        assert self.update_state(client, world, update.id) == "accepted"
        item = client.get(world.url("/items/5a"), headers=world.headers("viewer")).json()
        assert item["status"] == "in_place"
        home = assert_page(client.get("/"), 200)
        [bar] = find(home, "progress", id=f"bar-{world.s1.id}-reception")
        assert bar["value"] == "1"

    def test_return_needs_a_comment(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        response = self.post(client, world, world.updates["own"].id, decision="return")
        assert response.headers["location"].endswith("?done=comment_required")
        assert state_fingerprint(connection) == before
        html = assert_page(client.get(response.headers["location"]), 200)
        assert find(html, "div", role="alert")
        response = self.post(
            client, world, world.updates["own"].id, decision="return", comment="Add figures"
        )
        assert response.headers["location"].split("#")[0].endswith("?done=returned&item=5a")
        assert self.update_state(client, world, world.updates["own"].id) == "returned"

    def test_reviewing_twice_is_a_message(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        self.post(client, world, world.updates["other_org"].id, decision="accept")
        response = self.post(
            client, world, world.updates["other_org"].id, decision="return", comment="Late"
        )
        assert response.status_code == 303
        assert response.headers["location"].endswith("?done=already_reviewed")
        html = assert_page(client.get(response.headers["location"]), 200)
        assert "reviewed already" in html
        assert self.update_state(client, world, world.updates["other_org"].id) == "accepted"

    @pytest.mark.parametrize(
        "data",
        [{"decision": "maybe"}, {"decision": "accept", "comment": "\x00"}, {}],
    )
    def test_unreadable_reviews_change_nothing(
        self, client: TestClient, world: World, connection: Connection, data: dict[str, str]
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        response = self.post(client, world, world.updates["own"].id, **data)
        assert response.headers["location"].endswith("?done=invalid")
        assert state_fingerprint(connection) == before

    def test_updates_of_other_situations_are_not_reviewed(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        other = world.updates["other_situation"].id
        response = self.post(client, world, other, decision="accept")
        assert response.headers["location"].endswith("?done=not_found")
        response = self.post(client, world, uuid.uuid4(), decision="accept")
        assert response.headers["location"].endswith("?done=not_found")
        response = client.post(
            f"/situations/{world.s2.id}/review/{other}",
            data={"decision": "accept", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert_page(response, 404)
        assert state_fingerprint(connection) == before

    @pytest.mark.parametrize(("who", "status"), [("partner_a", 403), ("viewer", 403)])
    def test_only_reviewers_may_review(
        self, client: TestClient, world: World, connection: Connection, who: str, status: int
    ) -> None:
        sign_in(client, world, who)
        before = state_fingerprint(connection)
        response = self.post(client, world, world.updates["own"].id, decision="accept")
        assert_page(response, status)
        assert state_fingerprint(connection) == before

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/page"},
            {"Origin": "http://testserver.evil.example"},
        ],
    )
    def test_forms_from_other_sites_are_refused(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        headers: dict[str, str],
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        response = client.post(
            f"{self.queue(world)}/{world.updates['own'].id}",
            data={"decision": "accept", "csrf_token": csrf_of(client)},
            headers=headers,
            follow_redirects=False,
        )
        html = assert_page(response, 403)
        assert "another site" in html
        assert state_fingerprint(connection) == before

    def test_forms_from_this_site_are_accepted(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        response = client.post(
            f"{self.queue(world)}/{world.updates['own'].id}",
            data={"decision": "accept", "csrf_token": csrf_of(client)},
            headers={"Origin": "http://testserver", "Referer": "http://testserver/x"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"].split("#")[0].endswith("?done=accepted&item=5a")

    @pytest.mark.parametrize("token", [None, "", "0" * 64, "other session"])
    def test_forms_without_their_sessions_token_are_refused(
        self, client: TestClient, world: World, connection: Connection, token: str | None
    ) -> None:
        if token == "other session":
            sign_in(client, world, "admin")
            token = csrf_of(client)
        sign_in(client, world, "coordinator")
        assert token != csrf_of(client)
        before = state_fingerprint(connection)
        data = {"decision": "accept"} | ({"csrf_token": token} if token is not None else {})
        response = client.post(
            f"{self.queue(world)}/{world.updates['own'].id}", data=data, follow_redirects=False
        )
        html = assert_page(response, 403)
        assert "reload the page" in html
        assert state_fingerprint(connection) == before


class TestPages:
    def pages(self, world: World) -> list[str]:
        sid = world.s1.id
        return [
            "/",
            f"/situations/{sid}",
            f"/situations/{sid}/items/5a",
            f"/situations/{sid}/review",
            "/pledges",
        ]

    def test_pages_are_accessible_shells(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        for path in [*self.pages(world), "/signin"]:
            response = client.get(path)
            html = assert_page(response, 200)
            assert '<html lang="en" dir="ltr">' in html
            assert find(html, "a", href="#main") and find(html, "main", id="main")
            assert find(html, "header") and "<title>" in html
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["referrer-policy"] == "same-origin"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    def test_no_inline_script_or_style(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        for path in [*self.pages(world), "/signin"]:
            html = client.get(path).text
            assert "<style" not in html
            assert not re.search(r"\sstyle\s*=", html)
            assert not re.search(r"\son[a-z]+\s*=", html)
            for script in find(html, "script"):
                assert script.get("src", "").startswith("/static/")
            for link in find(html, "link"):
                assert link["href"].startswith("/static/")

    def test_static_files_are_served(self, client: TestClient) -> None:
        response = client.get("/static/dashboard.css")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/css")
        assert "@import" not in response.text and "url(" not in response.text

    def test_error_pages_are_html_while_the_api_keeps_problems(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        assert_page(client.get(f"/situations/{world.s2.id}"), 404)
        assert_problem(
            client.get(world.url(situation=world.s2), headers=world.headers("coordinator")), 404
        )
        assert_problem(client.get("/api/v1/nowhere", headers=world.headers("coordinator")), 404)
        assert_problem(client.get(world.url(), headers=world.headers("stranger")), 404)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


TEXT_PAIRS = [
    ("fg", "bg"),
    ("muted", "bg"),
    ("link", "bg"),
    ("fg", "surface"),
    ("muted", "surface"),
    ("link", "surface"),
    ("header-fg", "header-bg"),
    ("accent-fg", "accent"),
    ("accent", "bg"),
    ("fg", "gap-bg"),
    ("link", "gap-bg"),
    ("muted", "gap-bg"),
    ("gap-badge-fg", "gap-badge-bg"),
    ("gap-badge-fg", "bg"),
    ("ok-fg", "ok-bg"),
    ("error-fg", "error-bg"),
    *(
        (f"status-{s}-fg", f"status-{s}-bg")
        for s in ("not_started", "planned", "in_progress", "in_place", "not_applicable")
    ),
]


def test_every_scrolling_table_can_be_reached_by_keyboard() -> None:
    """A table that scrolls sideways on a phone (the population's did, 419 px in 358) must
    take focus and name itself, or keyboard users cannot scroll it (axe:
    scrollable-region-focusable)."""
    templates = STATIC_DIR.parent / "templates"
    wrappers = [
        (path.name, tag)
        for path in sorted(templates.rglob("*.html"))
        for tag in re.findall(r'<div class="table-scroll"[^>]*>', path.read_text())
    ]
    assert len(wrappers) >= 7
    for name, tag in wrappers:
        assert 'tabindex="0"' in tag and 'role="region"' in tag, (name, tag)
        assert "aria-labelledby=" in tag, (name, tag)


def test_text_colours_have_enough_contrast() -> None:
    css = (Path(STATIC_DIR) / "dashboard.css").read_text()
    colours = dict(re.findall(r"--([a-z_-]+):\s*(#[0-9a-f]{6});", css))
    low = [
        (fg, bg, round(contrast(colours[fg], colours[bg]), 2))
        for fg, bg in TEXT_PAIRS
        if contrast(colours[fg], colours[bg]) < 4.5
    ]
    assert low == []
