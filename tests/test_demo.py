"""`crrf demo`: a realistic, back-dated data set, and tokens that sign in to it."""

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.databases import fresh_database
from tests.factories import auth

API = "/api/v1"
PROJECT = Path(__file__).resolve().parent.parent
SIGN_IN = re.compile(r"^\s+(admin|coordinator|partner|viewer)\s+(\S+@demo\.crrf)\s+(crrf_\S+)$")


@dataclass
class Demo:
    url: str
    output: str
    emails: dict[str, str]
    tokens: dict[str, str]

    def crrf(self, *args: str) -> subprocess.CompletedProcess[str]:
        return crrf(self.url, *args)

    def headers(self, who: str) -> dict[str, str]:
        return auth(self.tokens[who])


def crrf(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "CRRF_DATABASE_URL": url},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A fresh database (SQLite, or PostgreSQL under CRRF_TEST_DATABASE_URL), demo loaded."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        upgraded = crrf(url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        loaded = crrf(url, "demo")
        assert loaded.returncode == 0, loaded.stderr
        found = [m.groups() for line in loaded.stdout.splitlines() if (m := SIGN_IN.match(line))]
        yield Demo(
            url=url,
            output=loaded.stdout,
            emails={label: email for label, email, _ in found},
            tokens={label: token for label, _, token in found},
        )


@pytest.fixture(scope="module")
def api(demo: Demo) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=demo.url))) as client:
        yield client


@pytest.fixture(scope="module")
def uganda(demo: Demo, api: TestClient) -> dict[str, Any]:
    """The main situation, as the coordinator sees it."""
    found = api.get(f"{API}/situations", headers=demo.headers("coordinator")).json()["items"]
    return next(s for s in found if s["host_country"] == "UGA")


def every(api: TestClient, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    """Every page of a list."""
    items: list[Any] = []
    cursor = None
    while True:
        page = api.get(
            path,
            params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


class TestDemoCommand:
    def test_prints_a_sign_in_line_for_each_role_and_the_dashboard(self, demo: Demo) -> None:
        assert set(demo.tokens) == {"admin", "coordinator", "partner", "viewer"}
        assert demo.emails["coordinator"] == "coordinator@demo.crrf"
        assert re.search(r"^Dashboard: .*http://[^/\s]+:\d+/signin ", demo.output, re.MULTILINE)
        links = re.findall(r"^\s+(\w+)\s+http://\S+(/invitations/\S+)$", demo.output, re.MULTILINE)
        assert {label for label, _ in links} == {"admin", "coordinator", "partner", "viewer"}

    def test_the_links_set_a_password_that_signs_in(self, demo: Demo, api: TestClient) -> None:
        found = re.findall(r"^\s+(\w+)\s+http://\S+(/invitations/\S+)$", demo.output, re.MULTILINE)
        path = dict(found)["partner"]
        password = "a demo partner's passphrase"
        response = api.post(path, data={"password": password, "confirm": password})
        assert response.status_code == 200 and "password is set" in response.text
        response = api.post(
            "/signin",
            data={"email": demo.emails["partner"], "password": password},
            follow_redirects=False,
        )
        assert response.status_code == 303 and api.get("/").status_code == 200

    def test_tokens_sign_in_with_the_roles_they_are_printed_for(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        for who in ("admin", "coordinator", "partner", "viewer"):
            me = api.get(f"{API}/users/me", headers=demo.headers(who))
            assert me.status_code == 200, me.text
            assert me.json()["email"] == demo.emails[who]
            roles = {m["situation_id"]: m["role"] for m in me.json()["memberships"]}
            if who == "admin":
                assert me.json()["is_admin"] is True
            else:
                assert roles[uganda["id"]] == who

    def test_refuses_to_load_twice_and_changes_nothing(self, demo: Demo, api: TestClient) -> None:
        before = every(api, f"{API}/situations", demo.headers("admin"))
        again = demo.crrf("demo")
        assert again.returncode == 1
        assert "loaded in this database already" in again.stderr
        assert "crrf_" not in again.stdout
        assert every(api, f"{API}/situations", demo.headers("admin")) == before


class TestDemoData:
    def test_situations_in_several_host_countries_one_auto_accepting(
        self, demo: Demo, api: TestClient
    ) -> None:
        situations = every(api, f"{API}/situations", demo.headers("admin"))
        assert {s["host_country"] for s in situations} >= {"UGA", "KEN", "TCD", "COL"}
        assert {s["review_policy"] for s in situations} == {"review", "auto_accept"}
        assert len({s["phase"] for s in situations}) >= 3
        for situation in situations:
            assert len({f["date"] for f in situation["population"]}) == 2
        uganda = next(s for s in situations if s["host_country"] == "UGA")
        refugees = [f for f in uganda["population"] if f["population_type"] == "REF"]
        assert all(
            sum(f["female"].values()) + sum(f["male"].values()) == f["total"] for f in refugees
        )

    def test_organisations_of_many_types(self, demo: Demo, api: TestClient) -> None:
        organisations = every(api, f"{API}/organisations", demo.headers("viewer"))
        assert len({o["type"] for o in organisations}) >= 12

    def test_pledges_from_several_forums_serve_demo_items(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        pledges = every(api, f"{API}/pledges", demo.headers("viewer"))
        assert {p["forum"] for p in pledges} == {"GRF 2019", "GRF 2023", "national"}
        item = api.get(f"{API}/situations/{uganda['id']}/items/5f", headers=demo.headers("viewer"))
        assert [p["title"] for p in item.json()["pledges"]] == [
            "Birth registration in every settlement"
        ]

    def test_accepted_returned_and_pending_updates(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        path = f"{API}/situations/{uganda['id']}/updates"
        updates = every(api, path, demo.headers("coordinator"))
        states = Counter(u["state"] for u in updates)
        assert states["accepted"] > states["returned"] > 0
        assert states["submitted"] > 0
        assert all(u["review_comment"] for u in updates if u["state"] == "returned")
        months = {u["period_start"][:7] for u in updates}
        assert len(months) >= 8

    def test_gaps_overdue_stale_and_not_applicable_items(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        items = every(api, f"{API}/situations/{uganda['id']}/items", demo.headers("viewer"))
        flags = Counter(flag for item in items for flag, on in item["flags"].items() if on)
        assert flags["overdue"] > 0
        assert flags["lead_missing"] > 0
        assert flags["stale"] > 0
        assert flags["no_data"] > 0
        not_applicable = [i for i in items if i["status"] == "not_applicable"]
        assert not_applicable
        assert all(i["status_note"] for i in not_applicable)
        assert {i["status"] for i in items} >= {"not_started", "planned", "in_progress", "in_place"}
        assert any(i["is_custom"] for i in items)
        roles = {o["role"] for i in items for o in i["owners"]}
        assert roles == {"lead", "support", "funding", "implementing"}

    def test_the_partner_organisation_owns_several_items_and_reports_on_them(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        me = api.get(f"{API}/users/me", headers=demo.headers("partner")).json()
        owned = every(
            api,
            f"{API}/situations/{uganda['id']}/items",
            demo.headers("partner"),
            owner=me["organisation_id"],
        )
        assert len(owned) >= 5
        assert any(
            o["role"] == "lead"
            for i in owned
            for o in i["owners"]
            if o["organisation_id"] == me["organisation_id"]
        )
        updates = every(api, f"{API}/situations/{uganda['id']}/updates", demo.headers("partner"))
        assert updates
        assert {u["organisation_id"] for u in updates} == {me["organisation_id"]}

    def test_summary_months_ago_differs_from_now(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        path = f"{API}/situations/{uganda['id']}/summary"
        headers = demo.headers("viewer")
        now = api.get(path, headers=headers).json()
        then_day = (datetime.now(UTC) - timedelta(days=120)).date().isoformat()
        then = api.get(path, params={"as_of": then_day}, headers=headers).json()
        assert then["as_of"] == then_day
        assert then["items_total"] == now["items_total"]
        assert then["by_status"]["in_place"] < now["by_status"]["in_place"]
        assert then["by_status"] != now["by_status"]
        assert now["pending_review"] is None  # viewers do not see submitted updates
        coordinator = api.get(path, headers=demo.headers("coordinator")).json()
        assert coordinator["pending_review"] > 0

    def test_item_history_spans_months(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        path = f"{API}/situations/{uganda['id']}/items/5c/history"
        events = every(api, path, demo.headers("viewer"))
        moments = [datetime.fromisoformat(e["at"]) for e in events]
        assert max(moments) - min(moments) > timedelta(days=180)
        assert {"item.created", "item.owners_set", "update.accepted"} <= {
            e["action"] for e in events
        }


class TestDemoFramework:
    def test_uganda_reads_through_its_national_framework(
        self, demo: Demo, api: TestClient, uganda: dict[str, Any]
    ) -> None:
        base = f"{API}/situations/{uganda['id']}"
        adopted = api.get(f"{base}/frameworks", headers=demo.headers("viewer")).json()
        assert [f["template_id"] for f in adopted["items"]] == ["uga-crrf"]
        through = api.get(
            f"{base}/items", params={"framework": "uga-crrf"}, headers=demo.headers("viewer")
        ).json()
        assert len(through["items"]) == 5  # Uganda's five CRRF pillars
        assert all(element["mappings"] for element in through["items"])
        assert any(element["in_place_share"] for element in through["items"])

    def test_the_dashboard_shows_it_out_of_the_box(
        self, demo: Demo, uganda: dict[str, Any]
    ) -> None:
        found = re.findall(r"^\s+(\w+)\s+http://\S+(/invitations/\S+)$", demo.output, re.MULTILINE)
        password = "a demo viewer's passphrase"
        with TestClient(create_app(Settings(database_url=demo.url))) as browser:
            browser.post(dict(found)["viewer"], data={"password": password, "confirm": password})
            signed_in = browser.post(
                "/signin", data={"email": demo.emails["viewer"], "password": password}
            )
            assert signed_in.status_code == 200, signed_in.text
            page = browser.get(f"/situations/{uganda['id']}", params={"framework": "uga-crrf"})
        assert page.status_code == 200
        assert page.text.count('<tr role="row" data-code="') == 5
        assert 'option value="uga-crrf" selected' in page.text
