"""A situation through the Ugandan framework, in Arabic, right to left, in a real browser.

Reuses the live server and browser of ``tests.test_browser``; axe-core as in
``tests.test_browser_i18n``.
"""

import importlib.util
from typing import Any

import httpx
import pytest

from tests.test_browser import SCREENSHOTS, Served, browser, served
from tests.test_browser_i18n import VIEWPORTS, axe_violations, choose, open_page

pytestmark = pytest.mark.slow
__all__ = ["browser", "served"]  # the fixtures, imported for this module


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_the_ugandan_pillars_in_arabic(served: Served, browser: Any, viewport: str) -> None:
    if importlib.util.find_spec("axe_playwright_python") is None:
        pytest.skip("axe-playwright-python is not installed (pip install -e '.[dev]')")
    from axe_playwright_python.sync_playwright import Axe

    world = served.world
    adopted = httpx.put(
        f"{served.url}/api/v1/situations/{world.s1.id}/frameworks/uga-crrf",
        json={},
        headers=world.headers("coordinator"),
        timeout=30,
    )
    assert adopted.status_code in (200, 201), adopted.text
    page = open_page(browser, viewport)
    try:
        page.sign_in(served, world.users["coordinator"].email)
        page.page.goto(served.situation())
        choose(page, "العربية")
        page.page.locator("#f-framework").select_option("uga-crrf")
        with page.page.expect_navigation():
            page.page.get_by_role("button", name="عرض الإطار").click()
        html = page.page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        section = page.page.get_by_role("region", name="من خلال إطار وطني")
        assert section.is_visible()
        first = section.locator("tr[data-code='1']")
        assert "القبول والحقوق" in first.inner_text()
        if viewport == "desktop":  # on a phone the cells stack, each under its label
            # Right to left: the code column sits at the right edge of the row.
            code = first.locator("th").bounding_box()
            title = first.locator("td").first.bounding_box()
            assert code is not None and title is not None
            assert code["x"] > title["x"]
        width = page.page.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[viewport]["width"]
        page.shot(f"framework-uga-ar-{viewport}")
        section.screenshot(path=str(SCREENSHOTS / f"framework-uga-ar-{viewport}-section.png"))
        assert axe_violations(Axe(), page) == []
        choose(page, "English")  # leave the user's preference as it was
        assert page.errors == []
    finally:
        page.close()
