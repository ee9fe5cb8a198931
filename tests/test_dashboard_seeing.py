"""Seeing the response on the dashboard: accepted reports, population and owners, the trend,
the roll-up matrix, exports from the page; and pages light on bad connections (gzip, size,
nothing from another host)."""

import csv
import gzip
import io
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.core.base import utcnow
from app.core.vocab import ItemStatus, OwnerRole, PopulationType
from app.events.service import Actor
from app.exports.service import COLUMNS
from app.models import ChecklistItem, Event, PopulationFigure
from app.reporting.trend import trend
from app.templates.registry import TemplateRegistry
from app.updates import service as updates_service
from tests.factories import World, make_organisation, make_situation, set_owners, submit_update
from tests.test_dashboard import TestPages, assert_page, find, parse, sign_in, text_of

EVIDENCE = {"title": "Border monitoring report", "url": "https://example.org/report.pdf"}


def accept(db: Session, world: World, key: str, comment: str | None = None) -> None:
    updates_service.review(
        db, world.updates[key].id, "accept", comment, Actor.of(world.users["coordinator"])
    )
    db.commit()


class TestAcceptedReports:
    def test_every_member_reads_the_accepted_narrative_evidence_and_comment(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        world.updates["own"] = submit_update(
            db,
            world.s1,
            world.users["partner_a"],
            "5a",
            narrative="Desks at three border points",
            evidence=[EVIDENCE],
        )
        accept(db, world, "own", comment="Thank you, verified")
        for who in ("viewer", "partner_b", "coordinator"):
            sign_in(client, world, who)
            html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
            text = text_of(html)
            assert "Desks at three border points" in text, who
            assert "Thank you, verified" in text
            assert world.orgs["ngo_a"].name in text
            assert find(html, "a", href=EVIDENCE["url"])

    def test_a_submitted_update_is_not_among_them(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/6a"), 200)
        assert "Pledging conference held" not in text_of(html)
        assert "No report on this item has been accepted yet." in text_of(html)


class TestSituationOverview:
    def test_the_population_and_every_owner_by_role(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        db.add(
            PopulationFigure(
                situation_id=world.s1.id,
                population_type=PopulationType.REF,
                date=utcnow().date(),
                total=1_234_567,
            )
        )
        db.commit()
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        text = text_of(html)
        assert "1,234,567" in text
        start = html.index('data-code="5a"')
        cell = text_of(html[start : html.index("</tr>", start)])
        assert f"Lead: {world.orgs['ngo_a'].name}" in cell  # no acronym: the name
        assert "Funding: UNHCR" in cell


class TestTrend:
    def _age(self, db: Session, world: World, days: int) -> None:
        """Move the situation's history ``days`` into the past."""
        shift = timedelta(days=days)
        for event in db.scalars(select(Event).where(Event.situation_id == world.s1.id)):
            event.at -= shift
        for item in db.scalars(
            select(ChecklistItem).where(ChecklistItem.situation_id == world.s1.id)
        ):
            item.created_at -= shift
        db.commit()

    def test_points_month_by_month_from_the_events(self, world: World, db: Session) -> None:
        self._age(db, world, 100)
        accept(db, world, "own")  # 5a proposed nothing: status stays; move one item now
        found = trend(db, world.s1, now=utcnow(), months=12)
        assert 4 <= len(found.overall) <= 5
        assert all(p.items_total == found.overall[-1].items_total for p in found.overall)
        assert found.overall[-1].day == utcnow().date()
        assert set(found.pillars) and all(
            len(points) == len(found.overall) for points in found.pillars.values()
        )

    def test_one_statement_whatever_the_number_of_points(
        self, world: World, db: Session, statements: list[str]
    ) -> None:
        self._age(db, world, 800)
        assert world.s1.stale_after_days  # loaded again after the commit, before counting
        few = trend(db, world.s1, now=utcnow(), months=3)
        statements.clear()
        many = trend(db, world.s1, now=utcnow(), months=24)
        assert [s for s in statements if not s.startswith("SAVEPOINT")] == statements[-1:]
        assert (len(few.overall), len(many.overall)) == (3, 24)

    def test_the_page_draws_an_svg_with_a_name_and_a_table(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        self._age(db, world, 70)
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}/trend?months=6"), 200)
        [svg] = find(html, "svg", role="img")
        assert svg["aria-labelledby"] == "chart-title"
        assert '<title id="chart-title">Trend of All pillars</title>' in html
        assert "<details" in html and len(find(html, "th", scope="row")) >= 3

    def test_a_pillar_and_its_page_statements_do_not_grow(
        self, client: TestClient, world: World, statements: list[str]
    ) -> None:
        sign_in(client, world, "viewer")
        path = f"/situations/{world.s1.id}/trend?pillar=reception"
        statements.clear()
        assert_page(client.get(path + "&months=3"), 200)
        few = len(statements)
        statements.clear()
        html = assert_page(client.get(path + "&months=24"), 200)
        assert len(statements) == few
        assert find(html, "option", value="reception", selected="")

    def test_someone_else_s_situation_is_not_found(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "outsider")
        assert_page(client.get(f"/situations/{world.s1.id}/trend"), 404)


class TestRollup:
    def test_elements_by_the_situations_one_may_see(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get("/rollup"), 200)
        heads = [a["href"] for a in find(html, "a") if a.get("href", "").startswith("/situations/")]
        assert f"/situations/{world.s1.id}" in heads
        assert f"/situations/{world.s2.id}" not in heads
        rows = [a["data-element"] for a in find(html, "tr") if "data-element" in a]
        assert len(rows) == 43 and rows[0] == "5a"  # Annex I starts at paragraph 5
        assert "Not started" in text_of(html)  # a cell says its status in words

    def test_filters_by_country_pillar_and_status(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        item = db.get(ChecklistItem, checklist.item_ref(db, world.s2.id, "5a").id)
        assert item is not None
        item.status = ItemStatus.IN_PLACE
        db.commit()
        sign_in(client, world, "admin")
        html = assert_page(client.get("/rollup?host_country=KEN&status=in_place"), 200)
        rows = [a["data-element"] for a in find(html, "tr") if "data-element" in a]
        assert rows == ["5a"]
        assert f"/situations/{world.s1.id}" not in html
        html = assert_page(client.get("/rollup?pillar=reception&host_country="), 200)
        rows = [a["data-element"] for a in find(html, "tr") if "data-element" in a]
        assert rows and all(code.startswith("5") for code in rows) and len(rows) < 43


class TestExports:
    def _links(self, html: str) -> dict[str, str]:
        return {
            a["href"].rsplit("=", 1)[-1]: a["href"]
            for a in find(html, "a")
            if "export" in a.get("href", "")
        }

    def test_the_situation_page_s_xlsx_opens_with_openpyxl(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "viewer")
        links = self._links(client.get(f"/situations/{world.s1.id}").text)
        assert set(links) == {"csv", "xlsx", "hxl"}
        response = client.get(links["xlsx"])
        assert response.status_code == 200
        assert "content-encoding" not in response.headers  # a zip file already
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        rows = list(workbook.active.iter_rows(values_only=True))
        workbook.close()
        assert list(rows[0]) == [c.header for c in COLUMNS]
        assert len(rows) == 2 + 43

    def test_the_same_file_as_the_api_s(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        page = client.get(f"/situations/{world.s1.id}/export?format=csv")
        api = client.get(world.url("/export?format=csv"), headers=world.headers("viewer"))
        assert page.status_code == api.status_code == 200
        assert page.headers["content-encoding"] == "gzip"  # text streams compressed
        assert page.content == api.content
        assert page.headers["content-disposition"] == api.headers["content-disposition"]

    def test_the_roll_up_export_keeps_to_one_s_situations(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        links = self._links(client.get("/rollup").text)
        body = client.get(links["csv"]).text
        names = {row["situation_name"] for row in csv.DictReader(io.StringIO(body))}
        assert names == {world.s1.name}

    def test_refused_without_the_situation_or_a_session(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "outsider")
        assert_page(client.get(f"/situations/{world.s1.id}/export?format=csv"), 404)
        client.cookies.clear()
        response = client.get("/rollup/export?format=csv", follow_redirects=False)
        assert response.status_code == 303


# --- light on bad connections -----------------------------------------------------------

PAGE_LIMIT = 60 * 1024


def realistic(db: Session, registry: TemplateRegistry, world: World) -> None:
    """Fill s1 like a real response: many owners, reports with evidence, 25 more situations."""
    orgs = [
        make_organisation(
            db, f"Partner {i} {uuid.uuid4().hex[:4]}", "national_ngo", acronym=f"P{i}"
        )
        for i in range(12)
    ]
    codes = db.scalars(
        select(ChecklistItem.code).where(ChecklistItem.situation_id == world.s1.id).limit(20)
    ).all()
    for code in codes:
        set_owners(
            db,
            world.s1,
            code,
            (orgs[0], OwnerRole.LEAD),
            *((org, OwnerRole.SUPPORT) for org in orgs[1:6]),
        )
    for i in range(15):
        update = submit_update(
            db,
            world.s1,
            world.users["partner_a"],
            "5a",
            narrative=f"Monthly report {i}: " + "reception desks staffed and screening done. " * 8,
            evidence=[
                {"title": f"Annex {n}", "url": f"https://example.org/{i}/{n}"} for n in range(3)
            ],
        )
        updates_service.review(
            db, update.id, "accept", "Checked", Actor.of(world.users["coordinator"])
        )
    for i in range(25):
        make_situation(db, registry, name=f"Situation {i} {uuid.uuid4().hex[:4]}")
    db.commit()


class TestLight:
    @pytest.fixture
    def pages(self, world: World) -> list[str]:
        sid = world.s1.id
        return [
            *TestPages().pages(world),
            f"/situations/{sid}/trend?months=24",
            "/rollup",
            "/admin",
            "/admin/situations/new",
            "/admin/organisations/new",
            "/admin/users/new",
        ]

    def test_each_page_is_gzipped_and_under_60_kb(
        self,
        client: TestClient,
        world: World,
        db: Session,
        registry: TemplateRegistry,
        pages: list[str],
    ) -> None:
        realistic(db, registry, world)
        sign_in(client, world, "admin")
        for path in pages:
            with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
                raw = b"".join(response.iter_raw())
            assert response.status_code == 200, path
            assert response.headers["content-encoding"] == "gzip", path
            assert len(raw) < PAGE_LIMIT, f"{path}: {len(raw)} bytes compressed"
            assert gzip.decompress(raw).startswith(b"<!doctype html>")

    def test_nothing_loads_from_another_host(
        self, client: TestClient, world: World, db: Session, pages: list[str]
    ) -> None:
        accept(db, world, "own")
        sign_in(client, world, "admin")
        for path in pages:
            for tag, attrs in parse(assert_page(client.get(path), 200)).found:
                for name in ("src", "href", "action", "srcset", "poster", "data"):
                    value = attrs.get(name)
                    if value is None or (tag == "a" and "external" in attrs.get("rel", "")):
                        continue
                    parts = urlsplit(value)
                    assert not parts.netloc and parts.scheme in ("", "data"), (path, tag, value)

    def test_etags_and_304_survive_compression(self, client: TestClient, world: World) -> None:
        first = client.get("/static/dashboard.css", headers={"Accept-Encoding": "gzip"})
        assert first.headers["content-encoding"] == "gzip"
        again = client.get(
            "/static/dashboard.css",
            headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]},
        )
        assert again.status_code == 304 and again.content == b""
        url = world.url("/items/5a")
        zipped = client.get(url, headers={**world.headers("viewer"), "Accept-Encoding": "gzip"})
        plain = client.get(url, headers={**world.headers("viewer"), "Accept-Encoding": "identity"})
        assert zipped.headers["etag"] == plain.headers["etag"]
        assert "content-encoding" not in plain.headers
        assert zipped.json() == plain.json()

    def test_small_answers_are_not_compressed(self, client: TestClient, world: World) -> None:
        response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        # A submission's answer fits in one packet: compressing it would save no round trip.
        submitted = client.post(
            world.url("/items/5a/updates"),
            json={"narrative": "Desks staffed.", "proposed_status": "in_progress"},
            headers={**world.headers("partner_a"), "Accept-Encoding": "gzip"},
        )
        assert submitted.status_code == 201
        assert 500 < len(submitted.content) < 1400
        assert "content-encoding" not in submitted.headers
