"""A partner's workspace in a real browser, on a phone (390 x 844) and a desktop (1366 x 900).

The partner signs in and lands on "my organisation"; submits an update from the item page; a
coordinator returns it; the partner finds it returned with the comment and sends it again
from the prefilled form. A double tap on "Send" makes one update. A draft typed and left
survives a reload (the script keeps it in the browser), and is cleared once sent.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_browser import PASSWORD, Page, Served, browser, invitation_path, served

pytestmark = pytest.mark.slow

__all__ = ["browser", "served"]  # the fixtures of tests.test_browser, reused here

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
# Each size reports on its own item, so the two runs do not meet.
CODES = {"phone": "5b", "desktop": "5c"}


@pytest.fixture(scope="module")
def partner_ready(served: Served) -> Served:
    """NGO A's partner has a password, and NGO A leads the items the two sizes report on."""
    world = served.world
    response = httpx.post(
        served.url + invitation_path(served.url, world, "partner_a"),
        data={"password": PASSWORD, "confirm": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 303, response.text
    for code in CODES.values():
        url = f"{served.url}/api/v1/situations/{world.s1.id}/items/{code}"
        item = httpx.get(url, headers=world.headers("coordinator"), timeout=30)
        owners = {"owners": [{"organisation_id": str(world.orgs["ngo_a"].id), "role": "lead"}]}
        response = httpx.put(
            f"{url}/owners",
            json=owners,
            headers={**world.headers("coordinator"), "If-Match": item.headers["ETag"]},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    return served


@pytest.fixture(params=sorted(SIZES))
def partner(request: pytest.FixtureRequest, browser: Any, partner_ready: Served) -> Iterator[Page]:
    page = Page(browser, viewport=SIZES[request.param])
    page.sign_in(partner_ready, partner_ready.world.users["partner_a"].email)
    page.size = request.param  # type: ignore[attr-defined]
    yield page
    # A form with errors answers 422, which Chromium logs; anything else (a CSP violation) fails.
    assert [e for e in page.errors if "status of 422" not in e] == []
    page.close()


def updates_of(served: Served, code: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{served.url}/api/v1/situations/{served.world.s1.id}/updates",
        params={"item": code, "limit": 200},
        headers=served.world.headers("coordinator"),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return [u for u in response.json()["items"] if u["item_code"] == code]


def test_submit_be_returned_and_send_again(partner_ready: Served, partner: Page) -> None:
    page, served = partner.page, partner_ready
    size = partner.size  # type: ignore[attr-defined]
    code = CODES[size]
    page.get_by_role("heading", level=1, name=served.world.orgs["ngo_a"].name).wait_for()
    page.get_by_role("link", name=code).first.click()
    page.get_by_role("heading", name="Report on this item").wait_for()
    page.get_by_label("Proposed status").select_option("in_progress")
    page.get_by_label("What was done").fill(f"First report from a {size}")
    page.get_by_label("Title of link 1").fill("Site visit")
    page.get_by_label("Address of link 1").fill("https://example.org/visit")
    page.get_by_role("button", name="Send the update").click()
    page.get_by_role("status").get_by_text("Your update was sent").wait_for()
    [sent] = updates_of(served, code)
    assert sent["evidence"] == [{"title": "Site visit", "url": "https://example.org/visit"}]
    partner.shot(f"partner-{size}-sent")

    response = httpx.post(
        f"{served.url}/api/v1/updates/{sent['id']}/review",
        json={"decision": "return", "comment": f"Say how many were screened ({size})"},
        headers=served.world.headers("coordinator"),
        timeout=30,
    )
    assert response.status_code == 200, response.text

    page.get_by_role("link", name="My organisation").click()
    returned = page.get_by_role("article").filter(has_text=f"Say how many were screened ({size})")
    returned.wait_for()
    partner.shot(f"partner-{size}-returned")
    returned.get_by_role("link", name="Correct and send again").click()
    page.get_by_role("heading", name="Send your returned update again").wait_for()
    narrative = page.get_by_label("What was done")
    assert narrative.input_value() == f"First report from a {size}"
    assert page.get_by_label("Address of link 1").input_value() == "https://example.org/visit"
    narrative.fill(f"First report from a {size}: 1,200 people screened")
    page.get_by_role("button", name="Send the update").click()
    page.get_by_role("status").get_by_text("Your update was sent").wait_for()
    states = sorted(u["state"] for u in updates_of(served, code))
    assert states == ["returned", "submitted"]
    page.get_by_role("link", name="My organisation").click()
    assert page.get_by_text(f"Say how many were screened ({size})").count() == 0


def test_a_double_tap_makes_one_update(partner_ready: Served, partner: Page) -> None:
    page, served = partner.page, partner_ready
    code, size = "5a", partner.size  # type: ignore[attr-defined]
    before = len(updates_of(served, code))
    page.goto(f"{served.situation()}/items/{code}")
    page.get_by_label("What was done").fill(f"Sent twice by a {size}")
    page.get_by_role("button", name="Send the update").dblclick()
    page.get_by_role("status").get_by_text("Your update was sent").wait_for()
    mine = [u for u in updates_of(served, code) if u["narrative"] == f"Sent twice by a {size}"]
    assert len(mine) == 1
    assert len(updates_of(served, code)) == before + 1


def test_a_draft_survives_a_reload_and_goes_once_sent(partner_ready: Served, partner: Page) -> None:
    page, served = partner.page, partner_ready
    size = partner.size  # type: ignore[attr-defined]
    url = f"{served.situation()}/items/5a"
    page.goto(url)
    page.get_by_label("What was done").fill(f"Half a report, typed on a {size}")
    page.get_by_label("Period from").fill("2026-01-01")
    page.reload()  # the connection dropped; the page comes back
    assert page.get_by_label("What was done").input_value() == f"Half a report, typed on a {size}"
    assert page.get_by_label("Period from").input_value() == "2026-01-01"
    page.get_by_text("A draft kept in this browser was restored.").wait_for()
    page.get_by_role("button", name="Send the update").click()
    page.get_by_role("status").get_by_text("Your update was sent").wait_for()
    page.goto(url)
    assert page.get_by_label("What was done").input_value() == ""


def test_a_viewer_finds_no_forms_and_a_crafted_post_is_refused(
    partner_ready: Served, browser: Any
) -> None:
    served, world = partner_ready, partner_ready.world
    response = httpx.post(
        served.url + invitation_path(served.url, world, "viewer"),
        data={"password": PASSWORD, "confirm": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 303, response.text
    viewer = Page(browser, viewport=SIZES["phone"])
    try:
        viewer.sign_in(served, world.users["viewer"].email)
        page = viewer.page
        for path in ("", "/items/5a", "/review", "/items/5a/edit"):
            page.goto(f"{served.situation()}{path}")
            forms = page.locator("main form[method=post]")
            assert forms.count() == 0, path
        before = len(updates_of(served, "5a"))
        page.goto(f"{served.situation()}/items/5a")
        status = page.evaluate(
            """async (url) => {
                const body = new URLSearchParams({
                    csrf_token: document.querySelector("input[name=csrf_token]").value,
                    form_key: "crafted", narrative: "Crafted by hand",
                });
                const response = await fetch(url, {method: "POST", body});
                return response.status;
            }""",
            f"{served.situation()}/items/5a/updates",
        )
        assert status == 403
        assert len(updates_of(served, "5a")) == before
        # The 403s the pages answered are logged by Chromium; nothing else may be.
        assert [e for e in viewer.errors if "status of 403" not in e] == []
    finally:
        viewer.close()
