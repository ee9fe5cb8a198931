"""Four languages in a real browser: the switcher, Arabic right to left on a phone and a
desktop, and axe-core on every dashboard page in English and Arabic, for each role.

axe-core comes inside the axe-playwright-python package (its axe.min.js is injected into
the page; nothing is downloaded). Without the package, the axe test skips and says why.
Reuses the live server and browser of ``tests.test_browser``.
"""

import importlib.util
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_browser import (
    PASSWORD,
    SCREENSHOTS,
    Page,
    Served,
    browser,
    invitation_path,
    served,
)

pytestmark = pytest.mark.slow
__all__ = ["browser", "served"]  # the fixtures, imported for this module

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
ROLES = ("admin", "coordinator", "partner_a", "viewer")


@pytest.fixture(scope="module")
def people(served: Served) -> Served:
    """Every role can sign in with a password (the coordinator already can)."""
    for who in ROLES:
        if who == "coordinator":
            continue
        response = httpx.post(
            served.url + invitation_path(served.url, served.world, who),
            data={"password": PASSWORD, "confirm": PASSWORD},
            timeout=30,
        )
        assert response.status_code == 303, response.text
    return served


def open_page(browser: Any, viewport: str) -> Page:
    size = VIEWPORTS[viewport]
    if viewport == "phone":
        return Page(browser, viewport=size, device_scale_factor=2, is_mobile=True, has_touch=True)
    return Page(browser, viewport=size)


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Any, viewport: str) -> Iterator[Page]:
    opened = open_page(browser, viewport)
    yield opened
    opened.close()


def choose(page: Page, native_name: str) -> None:
    """Press a language in the switcher (a form post; no script needed)."""
    with page.page.expect_navigation():
        page.page.locator("form.languages").get_by_role("button", name=native_name).click()


@pytest.mark.parametrize("native_name", ["Français", "Español"])
def test_the_longer_languages_fit_a_phone(
    people: Served, page: Page, viewport: str, native_name: str
) -> None:
    """French and Spanish name the header's links at greater length: they wrap, and no page
    is wider than the screen (the header once pushed the home page about 40 px past a phone's)."""
    page.sign_in(people, people.world.users["coordinator"].email)
    page.page.goto(people.situation())
    choose(page, native_name)
    for path in ("/", people.situation()):
        page.page.goto(path if path.startswith("http") else f"{people.url}{path}")
        width = page.page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"], f"{native_name} {path}: {width}px wide"
    assert page.errors == []


def test_the_situation_page_in_arabic(people: Served, page: Page, viewport: str) -> None:
    page.sign_in(people, people.world.users["coordinator"].email)
    page.page.goto(people.situation())
    choose(page, "العربية")
    html = page.page.locator("html")
    assert html.get_attribute("dir") == "rtl"
    assert html.get_attribute("lang") == "ar"
    assert page.page.get_by_role("heading", name="التقدم حسب الركيزة").is_visible()
    # Mirrored: the brand sits at the right edge of the header, the switcher at the left.
    brand = page.page.locator(".brand").bounding_box()
    switcher = page.page.locator("form.languages").bounding_box()
    assert brand is not None and switcher is not None
    assert brand["x"] > switcher["x"]
    # Nothing wider than the screen.
    width = page.page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"]
    page.shot(f"i18n-situation-ar-{viewport}")
    top = SCREENSHOTS / f"i18n-situation-ar-{viewport}-top.png"
    page.page.screenshot(path=str(top))  # what the screen shows first
    # The choice is kept: the next page speaks Arabic too; back to English with a press.
    page.page.goto(f"{people.url}/")
    assert page.page.locator("html").get_attribute("lang") == "ar"
    choose(page, "English")
    assert page.page.locator("html").get_attribute("dir") == "ltr"
    assert page.errors == []


def pages_of(served: Served, who: str) -> list[str]:
    """Every page ``who`` reaches: the shared ones, then their role's workspace."""
    sid = served.world.s1.id
    item = f"/situations/{sid}/items/5a"
    paths = ["/", "/situations", "/organisation", f"/situations/{sid}", item]
    paths += [f"/situations/{sid}/trend", "/rollup", "/pledges"]
    if who in ("admin", "coordinator"):
        paths += [f"/situations/{sid}/review", f"/situations/{sid}/members"]
        paths += [f"{item}/edit", f"{item}/owners?q=NGO"]
    if who == "admin":
        paths += ["/admin", "/admin/situations/new", "/admin/organisations/new"]
        paths += ["/admin/users/new"]
    return paths


def check_invalid_report(axe: Any, page: Page, served: Served) -> list[str]:
    """The update form sent with errors: each is next to its field (a 422 page)."""
    page.page.goto(f"{served.url}/situations/{served.world.s1.id}/items/5a")
    for field, value in {
        "#evidence-title-0": "A link without its address",
        "#period_start": "2026-05-01",
        "#period_end": "2026-04-01",
        "#narrative": "Typed, then sent with errors",
    }.items():
        page.page.locator(field).fill(value)  # by id: the labels are in the page's language
    page.page.locator("form[action$='/updates'] button[type=submit]").click()
    page.page.get_by_role("alert").wait_for()
    return axe_violations(axe, page)


def axe_violations(axe: Any, page: Page) -> list[str]:
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = axe.run(page.page, options=options)
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("who", ROLES)
def test_axe_finds_no_violations(people: Served, browser: Any, who: str) -> None:
    if importlib.util.find_spec("axe_playwright_python") is None:
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[dev]')")
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = open_page(browser, "desktop")
    found: dict[str, list[str]] = {}
    try:
        page.page.goto(f"{people.url}/signin")
        for language, name in (("en", "English"), ("ar", "العربية")):
            choose(page, name)
            found[f"{language} /signin"] = axe_violations(axe, page)
        choose(page, "English")
        page.sign_in(people, people.world.users[who].email)
        for language, name in (("en", "English"), ("ar", "العربية")):
            choose(page, name)
            for path in pages_of(people, who):
                page.page.goto(people.url + path)
                found[f"{language} {path}"] = axe_violations(axe, page)
            if who == "partner_a":
                found[f"{language} report with errors"] = check_invalid_report(axe, page, people)
        choose(page, "English")  # leave the user's preference as it was
    finally:
        page.close()
    assert {where: v for where, v in found.items() if v} == {}
