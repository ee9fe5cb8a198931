"""Adopting a context framework in a situation, and reading the checklist through it."""

import csv
import io

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.vocab import ItemStatus
from app.dashboard.rendering import LANGUAGE_COOKIE
from app.frameworks.derive import derived_status
from app.models import Event
from tests.factories import World
from tests.helpers import assert_problem, with_etag
from tests.test_dashboard import csrf_of, find, sign_in, text_of

S = ItemStatus


def adopt(client: TestClient, world: World, framework: str = "uga-crrf", **body: str) -> None:
    response = client.put(
        world.url(f"/frameworks/{framework}"), json=body, headers=world.headers("coordinator")
    )
    assert response.status_code in (200, 201), response.text


def set_status(client: TestClient, world: World, code: str, status: ItemStatus) -> None:
    url = world.url(f"/items/{code}")
    body: dict[str, str] = {"status": status.value}
    if status is S.NOT_APPLICABLE:
        body["status_note"] = "Not relevant here"
    headers = with_etag(client, url, world.headers("coordinator"))
    assert client.patch(url, json=body, headers=headers).status_code == 200


def read(client: TestClient, world: World, path: str = "/items", **params: str) -> httpx.Response:
    """A viewer's GET of ``path`` through the Ugandan framework (unless ``framework`` says)."""
    return client.get(
        world.url(path), params={"framework": "uga-crrf", **params}, headers=world.headers("viewer")
    )


def through(client: TestClient, world: World, path: str = "/items", **params: str) -> dict:  # type: ignore[type-arg]
    response = read(client, world, path, **params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def pillar(body: dict, code: str) -> dict:  # type: ignore[type-arg]
    [element] = [e for e in body["items"] if e["code"] == code]
    return element  # type: ignore[no-any-return]


class TestDerivedStatusRule:
    @pytest.mark.parametrize(
        ("statuses", "expected"),
        [
            ([S.IN_PLACE, S.IN_PLACE], S.IN_PLACE),
            ([S.IN_PLACE, S.IN_PROGRESS, S.IN_PLACE], S.IN_PROGRESS),
            ([S.IN_PLACE, S.PLANNED, S.NOT_STARTED], S.NOT_STARTED),
            ([S.IN_PLACE, S.NOT_APPLICABLE], S.IN_PLACE),
            ([S.NOT_APPLICABLE, S.NOT_APPLICABLE], S.NOT_APPLICABLE),
            ([S.PLANNED], S.PLANNED),
            ([], None),
        ],
    )
    def test_least_advanced_of_the_applicable_items(
        self, statuses: list[ItemStatus], expected: ItemStatus | None
    ) -> None:
        assert derived_status(statuses) == expected


class TestAdoption:
    def test_a_coordinator_adopts_once_then_nothing_changes(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        url = world.url("/frameworks/uga-crrf")
        first = client.put(url, json={}, headers=world.headers("coordinator"))
        assert first.status_code == 201
        assert first.headers["location"] == f"/api/v1/situations/{world.s1.id}/frameworks/uga-crrf"
        assert (first.json()["template_version"], first.json()["latest_version"]) == (
            "2018.1",
            "2018.1",
        )
        again = client.put(url, json={"version": "2018.1"}, headers=world.headers("coordinator"))
        assert again.status_code == 200
        actions = db.scalars(
            select(Event.action).where(
                Event.situation_id == world.s1.id, Event.action.like("framework.%")
            )
        ).all()
        assert actions == ["framework.adopted"]
        listed = client.get(world.url("/frameworks"), headers=world.headers("viewer")).json()
        assert [a["template_id"] for a in listed["items"]] == ["uga-crrf"]

    def test_a_partner_may_not_adopt(self, client: TestClient, world: World) -> None:
        response = client.put(
            world.url("/frameworks/uga-crrf"), json={}, headers=world.headers("partner_a")
        )
        assert_problem(response, 403)

    def test_unknown_framework_is_404_and_unknown_version_422(
        self, client: TestClient, world: World
    ) -> None:
        headers = world.headers("coordinator")
        assert_problem(client.put(world.url("/frameworks/no-such"), json={}, headers=headers), 404)
        assert_problem(
            client.put(world.url("/frameworks/crrf-annex-i"), json={}, headers=headers), 404
        )
        assert_problem(
            client.put(
                world.url("/frameworks/uga-crrf"), json={"version": "1999.1"}, headers=headers
            ),
            422,
        )

    def test_dropping_keeps_the_items_and_records_it(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        adopt(client, world)
        headers = world.headers("coordinator")
        assert client.delete(world.url("/frameworks/uga-crrf"), headers=headers).status_code == 204
        assert_problem(client.delete(world.url("/frameworks/uga-crrf"), headers=headers), 404)
        assert (
            db.scalar(select(Event.action).where(Event.action == "framework.dropped"))
            == "framework.dropped"
        )
        items = client.get(world.url("/items"), headers=headers).json()["items"]
        assert len(items) == 43


class TestReadingThroughAFramework:
    def test_a_framework_not_adopted_is_a_422(self, client: TestClient, world: World) -> None:
        assert_problem(read(client, world), 422)

    def test_a_pillar_is_in_place_only_when_all_its_items_are(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world)
        for code in ("14a", "14b", "14c", "15", "16"):
            set_status(client, world, code, S.IN_PLACE)
        assert pillar(through(client, world), "4")["status"] == "in_place"
        set_status(client, world, "15", S.IN_PROGRESS)
        expansion = pillar(through(client, world), "4")
        assert (expansion["status"], expansion["in_place_share"]) == ("in_progress", 0.8)
        set_status(client, world, "15", S.NOT_APPLICABLE)
        assert pillar(through(client, world), "4")["status"] == "in_place"

    def test_a_related_match_never_moves_the_status(self, client: TestClient, world: World) -> None:
        adopt(client, world)
        for code in ("5a", "5b", "5d", "5e", "5f", "5g", "5h", "5i", "13a"):
            set_status(client, world, code, S.IN_PLACE)
        admission = pillar(through(client, world), "1")
        assert admission["status"] == "in_place"
        [related] = [m for m in admission["mappings"] if m["relation"] == "relatedMatch"]
        assert (related["code"], related["status"], related["counted"]) == (
            "7a",
            "not_started",
            False,
        )

    def test_arabic_answers_in_arabic_right_to_left(self, client: TestClient, world: World) -> None:
        adopt(client, world)
        body = through(client, world, lang="ar")
        assert (body["framework"]["language"], body["framework"]["dir"]) == ("ar", "rtl")
        first = pillar(body, "1")
        assert first["title"] == "القبول والحقوق"
        assert first["mappings"][0]["title"] == "تحديد الهوية والاستقبال الآمن والكريم"

    def test_filters_do_not_combine_with_a_framework(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world)
        assert_problem(read(client, world, pillar="reception"), 422)

    def test_the_summary_adds_the_framework_and_keeps_annex_i_pillars(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world)
        for code in ("14a", "14b", "14c", "15", "16"):
            set_status(client, world, code, S.IN_PLACE)
        body = through(client, world, "/summary")
        assert [p["code"] for p in body["pillars"]] == [
            "reception",
            "immediate_needs",
            "host_support",
            "durable_solutions",
        ]
        figures = body["framework"]
        assert (figures["id"], figures["version"], figures["elements_total"]) == (
            "uga-crrf",
            "2018.1",
            5,
        )
        assert figures["by_status"]["in_place"] == 1
        assert figures["in_place_share"] == pytest.approx(0.2)
        assert_problem(read(client, world, "/summary", as_of="2020-01-01"), 422)

    def test_the_export_has_a_row_per_framework_element(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world)
        set_status(client, world, "14a", S.IN_PLACE)
        response = read(client, world, "/export", format="hxl")
        assert response.status_code == 200
        header, hashtags, *rows = list(csv.reader(io.StringIO(response.text)))
        assert header[5:9] == ["framework_id", "framework_version", "code", "group"]
        assert hashtags[7] == "#activity+code"
        assert [row[7] for row in rows] == ["1", "2", "3", "4", "5"]
        assert "narrowMatch 14a (in_place)" in rows[3][12]

    def test_the_gcr_objectives_read_the_same_checklist(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world, "gcr-objectives")
        body = through(client, world, framework="gcr-objectives")
        assert [e["code"] for e in body["items"]] == ["1", "2", "3", "4"]
        mapped = {m["code"] for e in body["items"] for m in e["mappings"]}
        assert len(mapped) == 43


class TestDashboardPicker:
    def test_no_picker_before_a_framework_is_adopted(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "viewer")
        html = client.get(f"/situations/{world.s1.id}").text
        assert 'name="framework"' not in html

    def test_a_coordinator_adopts_then_drops_on_the_page(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "coordinator")
        page = client.get(f"/situations/{world.s1.id}").text
        assert find(page, "select", id="f-adopt")
        adopted = client.post(
            f"/situations/{world.s1.id}/frameworks",
            data={"framework": "uga-crrf", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert adopted.status_code == 303
        assert adopted.headers["location"].endswith("?framework=uga-crrf#framework")
        html = client.get(adopted.headers["location"]).text
        assert "Admission and rights" in html
        dropped = client.post(
            f"/situations/{world.s1.id}/frameworks/uga-crrf/drop",
            data={"csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert dropped.status_code == 303
        actions = db.scalars(
            select(Event.action)
            .where(Event.situation_id == world.s1.id, Event.action.like("framework.%"))
            .order_by(Event.at)
        ).all()
        assert actions == ["framework.adopted", "framework.dropped"]

    def test_a_viewer_may_not_adopt_on_the_page(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        response = client.post(
            f"/situations/{world.s1.id}/frameworks",
            data={"framework": "uga-crrf", "csrf_token": csrf_of(client)},
            follow_redirects=False,
        )
        assert response.status_code == 403

    def test_the_page_reads_through_the_chosen_framework_in_arabic(
        self, client: TestClient, world: World
    ) -> None:
        adopt(client, world)
        sign_in(client, world, "coordinator")
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        page = client.get(f"/situations/{world.s1.id}")
        assert 'name="framework"' in page.text
        assert (
            "tr data-code" not in page.text.split('id="framework-title"')[1].split("</section>")[0]
        )
        html = client.get(f"/situations/{world.s1.id}", params={"framework": "uga-crrf"}).text
        assert '<div lang="ar" dir="rtl">' in html
        assert find(html, "tr", data_code="1")
        assert "القبول والحقوق" in text_of(html)

    def test_a_framework_not_adopted_is_refused(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        page = client.get(f"/situations/{world.s1.id}", params={"framework": "gcr-objectives"})
        assert page.status_code == 422
