"""Recording a funding flow from an item's page in a real browser, on a phone (390 x 844) and
a desktop (1366 x 900): a form sent with a money error comes back with the error next to its
field and what was typed (axe finds no violation there); corrected, the flow is recorded and
listed on the page.
"""

import importlib.util
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_browser import Page, Served, browser, served
from tests.test_browser_coordinator import SIZES
from tests.test_browser_i18n import axe_violations

pytestmark = pytest.mark.slow

__all__ = ["browser", "served"]  # the fixtures of tests.test_browser, reused here


@pytest.fixture(params=sorted(SIZES))
def coordinator(request: pytest.FixtureRequest, browser: Any, served: Served) -> Iterator[Page]:
    """The coordinator, signed in, at one of the two sizes."""
    page = Page(browser, viewport=SIZES[request.param])
    page.sign_in(served, served.world.users["coordinator"].email)
    page.size = request.param  # type: ignore[attr-defined]
    yield page
    # The form sent with an error answers 422, which Chromium logs; anything else fails.
    assert [e for e in page.errors if "status of 422" not in e] == []
    page.close()


def flows(served: Served, code: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{served.url}/api/v1/situations/{served.world.s1.id}/funding?item={code}",
        headers=served.world.headers("coordinator"),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def test_a_coordinator_records_a_flow_after_an_error(served: Served, coordinator: Page) -> None:
    page, world = coordinator.page, served.world
    size: str = coordinator.size  # type: ignore[attr-defined]
    code = {"desktop": "11a", "phone": "11b"}[size]
    page.goto(f"{served.situation()}/items/{code}")
    form = page.get_by_role("form", name="Record a funding flow")
    form.get_by_label("Flow status").select_option("paid")
    form.get_by_label("Source organisation").select_option(str(world.orgs["unhcr"].id))
    form.get_by_label("Destination organisation").select_option(str(world.orgs["ngo_a"].id))
    form.get_by_label("Amount", exact=True).fill("900.00")
    form.get_by_label("Currency").fill("EUR")  # and neither a USD amount nor a rate
    form.get_by_label("Date").fill("2024-06-01")
    form.get_by_label("Budget year").fill("2024")
    form.get_by_label("FTS flow id (optional)").fill(f"FTS-{size}")
    form.get_by_role("button", name="Record the flow").click()
    page.get_by_role("alert").wait_for()
    usd = form.get_by_label("Amount in USD")
    assert usd.get_attribute("aria-invalid") == "true"
    assert (
        "give the amount in US dollars or the rate"
        in page.locator("#flow-amount_usd-error").inner_text()
    )
    assert form.get_by_label("Currency").input_value() == "EUR"
    assert form.get_by_label("FTS flow id (optional)").input_value() == f"FTS-{size}"
    if importlib.util.find_spec("axe_playwright_python") is not None:
        from axe_playwright_python.sync_playwright import Axe

        assert axe_violations(Axe(), coordinator) == []
    coordinator.shot(f"funding-{size}-flow-error")
    assert flows(served, code) == []
    form.get_by_label("Exchange rate").fill("0.9")
    form.get_by_role("button", name="Record the flow").click()
    page.wait_for_url(f"{served.situation()}/items/{code}?saved=flow#funding-title")
    assert page.get_by_role("status").filter(has_text="The funding flow was recorded.").is_visible()
    (flow,) = flows(served, code)
    assert (flow["status"], flow["amount_usd"], flow["fts_flow_id"]) == (
        "paid",
        "1000.00",
        f"FTS-{size}",
    )
    assert page.locator(f'tr[data-flow="{flow["id"]}"]').is_visible()
