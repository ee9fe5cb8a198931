"""The dashboard in a real browser: headless Chromium, driven by Playwright, against a live server.

A coordinator signs in with e-mail and password, opens a situation, filters its items, accepts
a partner's update in the review queue and sees the pillar's bar move; a viewer follows an
invitation link, sets a password, signs in and out, and the old cookie no longer works; the
pages are also rendered 375 px wide.
Screenshots go to ``test-artifacts/screenshots/``. Without Debian's Chromium (``CRRF_CHROMIUM``,
default ``/usr/bin/chromium``) or the playwright package, the tests skip and say why.
"""

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.databases import fresh_database
from tests.factories import World, migrated_world
from tests.live import LiveServer, live_server

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("CRRF_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
NARRATIVE = "Reception desks verified at all three border points"
PASSWORD = "a long walk to the river"


def invitation_path(server_url: str, world: World, who: str) -> str:
    """Invite ``who`` through the API, as an admin; the link's path on the live server."""
    response = httpx.post(
        f"{server_url}/api/v1/users/{world.users[who].id}/invitations",
        headers=world.headers("admin"),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return urlsplit(response.json()["url"]).path


def _require_browser() -> None:
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does), "
            "or point CRRF_CHROMIUM at a Chromium binary"
        )


@dataclass
class Served:
    server: LiveServer
    world: World

    @property
    def url(self) -> str:
        return self.server.url

    def situation(self) -> str:
        return f"{self.url}/situations/{self.world.s1.id}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A fresh database with a world, a live server on it, and a fresh update proposing in_place."""
    _require_browser()
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        with live_server(url) as server:
            response = httpx.post(
                f"{server.url}/api/v1/situations/{world.s1.id}/items/5a/updates",
                json={"narrative": NARRATIVE, "proposed_status": "in_place"},
                headers=world.headers("partner_a"),
                timeout=30,
            )
            assert response.status_code == 201, response.text
            response = httpx.post(
                server.url + invitation_path(server.url, world, "coordinator"),
                data={"password": PASSWORD, "confirm": PASSWORD},
                timeout=30,
            )
            assert response.status_code == 303, response.text
            yield Served(server, world)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


class Page:
    """A browser page that records console errors (CSP violations among them)."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def sign_in(self, served: Served, email: str, password: str = PASSWORD) -> None:
        self.page.goto(f"{served.url}/")
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{served.url}/")

    def bar(self, selector: str) -> int:
        return int(self.page.locator(selector).get_attribute("value") or "-1")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Page]:
    page = Page(browser, viewport={"width": 1280, "height": 900})
    yield page
    page.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Page]:
    page = Page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield page
    page.close()


def test_coordinator_accepts_an_update_and_the_bar_moves(served: Served, desktop: Page) -> None:
    page, world = desktop.page, served.world
    sid = world.s1.id

    page.goto(f"{served.url}/")
    assert page.url.startswith(f"{served.url}/signin")
    page.get_by_label("E-mail address").fill(world.users["coordinator"].email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    assert "do not match" in page.get_by_role("alert").inner_text()
    desktop.shot("01-signin-error")
    assert [e for e in desktop.errors if "status of 400" not in e] == []
    desktop.errors.clear()  # the refused sign-in page itself answers 400, as it should

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.url}/")
    [cookie] = [c for c in desktop.context.cookies() if c["name"] == "crrf_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.get_by_role("heading", level=1).inner_text() == "Your situations"
    before = desktop.bar(f"#bar-{sid}-reception")
    assert before == 0
    desktop.shot("02-home")

    page.get_by_role("link", name=world.s1.name).click()
    page.wait_for_url(served.situation())
    assert page.get_by_role("heading", level=1).inner_text() == world.s1.name
    assert page.locator("table.items-table tbody tr").count() == 43
    desktop.shot("03-situation")

    page.get_by_label("Pillar", exact=True).select_option("reception")
    page.get_by_label("Gap", exact=True).select_option("lead_missing")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**gap=lead_missing**")
    codes = page.locator("table.items-table tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.code)"
    )
    assert codes == ["5b", "5c", "5d", "5e", "5f", "5g", "5h", "5i"]
    assert page.locator("tr.is-gap").count() == 8
    desktop.shot("04-filtered")

    page.get_by_role("link", name="Review queue").click()
    page.wait_for_url(f"{served.situation()}/review")
    assert page.locator("article.update").count() == 3
    desktop.shot("05-review-queue")

    card = page.locator("article.update", has_text=NARRATIVE)
    card.get_by_label("Comment").fill("Verified on site")
    card.get_by_role("button", name="Accept").click()
    page.wait_for_url("**done=accepted**")
    assert "Update on 5a accepted" in page.get_by_role("status").inner_text()
    assert page.locator("article.update").count() == 2
    desktop.shot("06-accepted")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=world.s1.name
    ).click()
    page.wait_for_url(served.situation())
    assert desktop.bar("#chart-reception") == 1
    desktop.shot("07-situation-after")

    page.get_by_role("link", name="Identification", exact=False).first.click()
    page.wait_for_url(f"{served.situation()}/items/5a")
    history = page.locator("ol.history").inner_text()
    assert "Update accepted" in history
    assert history.index("Update accepted") < history.index("Item created")
    desktop.shot("08-item")

    page.get_by_role("link", name="Situations", exact=True).first.click()
    page.wait_for_url(f"{served.url}/situations")
    after = desktop.bar(f"#bar-{sid}-reception")
    assert after > before
    desktop.shot("09-home-after")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{served.url}/signin")
    page.goto(f"{served.url}/situations/{sid}")
    assert page.url.startswith(f"{served.url}/signin?next=")
    assert desktop.errors == []


def test_invited_person_sets_a_password_signs_in_and_out(served: Served, desktop: Page) -> None:
    page, world = desktop.page, served.world
    link = f"{served.url}{invitation_path(served.url, world, 'viewer')}"
    page.goto(link)
    assert page.get_by_role("heading", level=1).inner_text() == "Choose your password"
    page.get_by_label("New password", exact=True).fill("password123")
    page.get_by_label("New password, again").fill("password123")
    page.get_by_role("button", name="Set my password").click()
    assert "too common" in page.get_by_role("alert").inner_text()
    desktop.errors.clear()  # the refused password answers 422, as it should
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password, again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(f"{served.url}/signin?done=password")
    assert "password is set" in page.get_by_role("status").inner_text()
    desktop.shot("10-password-set")

    page.get_by_label("E-mail address").fill(world.users["viewer"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me signed in", exact=False).check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.url}/")
    [cookie] = [c for c in desktop.context.cookies() if c["name"] == "crrf_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    assert cookie["value"] not in world.tokens.values()
    assert world.s1.name in page.get_by_role("main").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{served.url}/signin")
    desktop.context.add_cookies([cookie])  # replay the old session id: it was ended
    page.goto(f"{served.url}/situations/{world.s1.id}")
    assert page.url.startswith(f"{served.url}/signin?next=")
    page.goto(link)  # the link worked once
    assert "does not work" in page.get_by_role("main").inner_text()
    assert [e for e in desktop.errors if "status of 404" not in e] == []


def test_pages_fit_a_phone(served: Served, phone: Page) -> None:
    page, world = phone.page, served.world
    page.goto(f"{served.url}/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    phone.shot("phone-01-signin")
    phone.sign_in(served, world.users["coordinator"].email)
    situation = f"/situations/{world.s1.id}"
    pages = [
        ("phone-02-home", "/"),
        (None, situation),  # all 43 items: checked, too long to be worth a picture
        ("phone-03-situation", f"{situation}?pillar=reception"),
        ("phone-04-item", f"{situation}/items/5a"),
        ("phone-05-review", f"{situation}/review"),
    ]
    for name, path in pages:
        page.goto(f"{served.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is wider than the screen by {overflow}px"
        if name:
            phone.shot(name)
    assert phone.errors == []
