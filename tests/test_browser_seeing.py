"""Seeing the response in a real browser: an export downloaded from the page opens with
openpyxl; the trend, the roll-up and the progress report render on a phone (390 x 844) and a
desktop (1366 x 900), the report as a page (checked by axe-core) and as a PDF download.

Reuses ``tests.test_browser``'s live server, browser and page helpers (it skips the same way
without Chromium or playwright).
"""

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from app.exports.service import COLUMNS
from tests.test_browser import Page, Served, browser, served
from tests.test_browser_i18n import axe_violations

__all__ = ["browser", "served"]  # the fixtures, shared with tests.test_browser

pytestmark = pytest.mark.slow

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}


@pytest.fixture(params=sorted(VIEWPORTS))
def screen(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Page]]:
    page = Page(browser, accept_downloads=True, **VIEWPORTS[request.param])
    yield request.param, page
    page.close()


def overflow(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_the_xlsx_downloaded_from_the_page_opens(
    served: Served, screen: tuple[str, Page], tmp_path: Any
) -> None:
    name, browser_page = screen
    page = browser_page.page
    browser_page.sign_in(served, served.world.users["coordinator"].email)
    page.goto(served.situation())
    with page.expect_download() as download:
        page.get_by_role("link", name="Download XLSX").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    workbook = load_workbook(saved, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert list(rows[0]) == [column.header for column in COLUMNS]
    assert len(rows) == 2 + 43
    assert browser_page.errors == [], name


def test_the_trend_and_the_roll_up_render(served: Served, screen: tuple[str, Page]) -> None:
    name, browser_page = screen
    page = browser_page.page
    browser_page.sign_in(served, served.world.users["coordinator"].email)
    page.goto(f"{served.situation()}/trend?months=12")
    chart = page.get_by_role("img", name="Trend of All pillars")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 300
    page.get_by_text("The figures as a table").click()
    assert page.get_by_role("table").is_visible()
    assert overflow(page) <= 0, "the trend is wider than the screen"
    browser_page.shot(f"seeing-{name}-trend")

    page.goto(f"{served.url}/rollup")
    matrix = page.get_by_role("table", name="Status of each Annex I element in each situation")
    assert matrix.is_visible()
    assert page.locator("tr[data-element]").count() == 43
    assert overflow(page) <= 0, "the roll-up is wider than the screen (the table scrolls)"
    page.get_by_label("Pillar").select_option("reception")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/rollup?**pillar=reception**")
    assert 0 < page.locator("tr[data-element]").count() < 43
    browser_page.shot(f"seeing-{name}-rollup")
    assert browser_page.errors == [], name


def test_the_progress_report_opens_from_the_situation_page(
    served: Served, screen: tuple[str, Page], tmp_path: Any
) -> None:
    name, browser_page = screen
    page = browser_page.page
    browser_page.sign_in(served, served.world.users["coordinator"].email)
    page.goto(served.situation())
    form = page.get_by_role("form", name="Progress report")
    form.get_by_label("From").fill("2026-01-01")
    form.get_by_label("Format").select_option("html")
    form.get_by_role("button", name="Make the report").click()
    page.wait_for_url("**/report?from=2026-01-01**format=html**")
    assert page.get_by_role("heading", name="Headline figures").is_visible()
    chart = page.get_by_role("img", name="Share of applicable elements in place")
    assert chart.is_visible()
    assert page.locator("tr[data-element]").count() == 43
    assert overflow(page) <= 0, "the report is wider than the screen"
    if importlib.util.find_spec("axe_playwright_python") is not None:
        from axe_playwright_python.sync_playwright import Axe

        assert axe_violations(Axe(), browser_page) == []
    browser_page.shot(f"seeing-{name}-report")
    assert browser_page.errors == [], name  # its inline style is allowed, nothing else loads

    page.go_back()
    form = page.get_by_role("form", name="Progress report")
    form.get_by_label("Language").select_option("ar")
    form.get_by_label("Format").select_option("pdf")
    with page.expect_download() as download:
        form.get_by_role("button", name="Make the report").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".pdf"
    assert saved.read_bytes().startswith(b"%PDF-")
