"""A coordinator's workspace in a real browser, on a phone (390 x 844) and a desktop (1366 x 900).

The coordinator edits an item from a stale page and meets the conflict page, sends their
values again; sets owners with the organisation search; invites a member and sees the link
once; reviews two updates at once and lands on the next card, focused.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_browser import Page, Served, browser, served

pytestmark = pytest.mark.slow

__all__ = ["browser", "served"]  # the fixtures of tests.test_browser, reused here

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=sorted(SIZES))
def coordinator(request: pytest.FixtureRequest, browser: Any, served: Served) -> Iterator[Page]:
    """The coordinator, signed in, at one of the two sizes."""
    page = Page(browser, viewport=SIZES[request.param])
    page.sign_in(served, served.world.users["coordinator"].email)
    page.size = request.param  # type: ignore[attr-defined]
    yield page
    # A conflict page answers 409, which Chromium logs; anything else (a CSP violation) fails.
    assert [e for e in page.errors if "status of 409" not in e] == []
    page.close()


def api(served: Served, method: str, path: str, who: str = "coordinator", **kw: Any) -> Any:
    response = httpx.request(
        method,
        f"{served.url}/api/v1{path}",
        headers={**served.world.headers(who), **kw.pop("headers", {})},
        timeout=30,
        **kw,
    )
    assert response.status_code < 300, response.text
    return response


def test_a_stale_edit_meets_the_conflict_page(served: Served, coordinator: Page) -> None:
    page, sid = coordinator.page, served.world.s1.id
    page.goto(f"{served.situation()}/items/6a")
    page.get_by_role("link", name="Edit status, note and target date").click()
    page.wait_for_url(f"{served.situation()}/items/6a/edit")
    item = api(served, "GET", f"/situations/{sid}/items/6a")
    api(
        served,
        "PATCH",
        f"/situations/{sid}/items/6a",
        json={"status_note": "A colleague was faster"},
        headers={"If-Match": item.headers["ETag"]},
    )
    page.get_by_label("Status", exact=True).select_option("in_progress")
    note = f"My note, typed at {coordinator.size}"  # type: ignore[attr-defined]
    page.get_by_label("Status note").fill(note)
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", level=1, name="changed while you were editing").wait_for()
    table = page.get_by_role("table")
    assert "A colleague was faster" in table.inner_text() and note in table.inner_text()
    assert page.get_by_label("Status note").input_value() == note
    coordinator.shot(f"coordinator-{coordinator.size}-conflict")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save my values").click()
    page.wait_for_url(f"{served.situation()}/items/6a?saved=item")
    assert page.get_by_role("status").is_visible()
    assert api(served, "GET", f"/situations/{sid}/items/6a").json()["status_note"] == note


def test_owners_are_set_with_the_search(served: Served, coordinator: Page) -> None:
    page, world = coordinator.page, served.world
    code = {"desktop": "7a", "phone": "7b"}[coordinator.size]  # type: ignore[attr-defined]
    page.goto(f"{served.situation()}/items/{code}/owners")
    page.get_by_label("Find an organisation (name or acronym)").fill(
        world.orgs["gov"].name.split()[-1]
    )
    page.get_by_role("button", name="Search").click()
    page.get_by_label(f"Add {world.orgs['gov'].name} as").select_option("lead")
    coordinator.shot(f"coordinator-{coordinator.size}-owners")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save owners").click()
    page.wait_for_url(f"{served.situation()}/items/{code}?saved=owners")
    lead = api(served, "GET", f"/situations/{world.s1.id}/items/{code}").json()["lead"]
    assert lead["id"] == str(world.orgs["gov"].id)


def test_a_member_is_invited(served: Served, coordinator: Page) -> None:
    page, world = coordinator.page, served.world
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.org"
    api(
        served,
        "POST",
        "/users",
        who="admin",
        json={"email": email, "name": "Newcomer", "organisation_id": str(world.orgs["ngo_a"].id)},
    )
    page.goto(served.situation())
    page.get_by_role("link", name="Members").click()
    page.wait_for_url(f"{served.situation()}/members")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role", exact=True).select_option("partner")
    page.get_by_role("button", name="Invite", exact=True).click()
    link = page.get_by_role("textbox", name="One-time sign-in link").input_value()
    assert "/invitations/" in link
    coordinator.shot(f"coordinator-{coordinator.size}-invited")  # type: ignore[attr-defined]
    page.goto(f"{served.situation()}/members")
    assert link not in page.content()
    assert page.locator(f'[data-member="{email}"]').is_visible()


def test_bulk_review_moves_focus_to_the_next_card(served: Served, coordinator: Page) -> None:
    page, world = coordinator.page, served.world
    made = [
        api(
            served,
            "POST",
            f"/situations/{world.s1.id}/items/5a/updates",
            who="partner_a",
            json={"narrative": f"Bulk {n} {coordinator.size}"},  # type: ignore[attr-defined]
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ).json()["id"]
        for n in range(3)
    ]
    page.goto(f"{served.situation()}/review?code=5a")
    for update in made[:2]:
        page.locator(f"#select-{update}").check()
    page.get_by_label("Comment for all selected").fill("Please add the figures")
    page.get_by_role("button", name="Return selected").click()
    page.wait_for_url(f"**/review?*#update-{made[2]}")
    page.get_by_role("status").wait_for()
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == f"update-{made[2]}"
    coordinator.shot(f"coordinator-{coordinator.size}-bulk")  # type: ignore[attr-defined]
    for update in made[:2]:
        assert api(served, "GET", f"/updates/{update}").json()["state"] == "returned"
    api(
        served,
        "POST",
        f"/situations/{world.s1.id}/updates:review",
        json={"update_ids": [made[2]], "decision": "accept"},
    )
