"""The progress report: its figures equal the summary's, it shows only what its reader may
see, it is one self-contained HTML file, and its PDF (read back with pdftotext) holds the
same figures, in Latin and Arabic scripts."""

import re
import shutil
import subprocess
import sys
import uuid
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.core.vocab import OwnerRole, SituationRole
from app.dashboard.rendering import LANGUAGE_COOKIE
from app.events.service import Actor
from app.models import Situation
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from tests.factories import (
    World,
    add_member,
    make_organisation,
    make_pledge,
    make_situation,
    open_cycle,
    set_owners,
    submit_update,
)
from tests.helpers import assert_problem
from tests.test_cli import crrf, migrated_url
from tests.test_dashboard import assert_page, find, sign_in
from tests.test_reporting import _patch, at

__all__ = ["migrated_url"]  # a fixture

PERIOD = "from=2026-03-01&to=2026-06-30"
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


@pytest.fixture
def story(db: Session, registry: TemplateRegistry, world: World) -> Situation:
    """Six months of a response: moves before and in the period (March to June 2026), an
    update accepted, one awaiting review and one returned, a cycle, money and a pledge."""
    with at("2026-01-10"):
        situation = make_situation(db, registry, name="Reported response")
        for who, role in (
            ("coordinator", SituationRole.COORDINATOR),
            ("partner_a", SituationRole.PARTNER),
            ("partner_b", SituationRole.PARTNER),
            ("viewer", SituationRole.VIEWER),
        ):
            add_member(db, situation, world.users[who], role)
    with at("2026-02-01"):
        set_owners(db, situation, "5a", (world.orgs["ngo_a"], OwnerRole.LEAD))
        set_owners(db, situation, "5b", (world.orgs["ngo_b"], OwnerRole.LEAD))
        _patch(db, situation, "7a", status="planned")
    with at("2026-03-05"):
        _patch(db, situation, "5a", status="in_progress")
        _patch(db, situation, "16", status="not_applicable", status_note="No quota")
    with at("2026-03-15"):
        accepted = submit_update(
            db, situation, world.users["partner_a"], "5a", proposed_status="in_place"
        )
    with at("2026-03-20"):
        updates.review(db, accepted.id, "accept", None, Actor.of(world.users["coordinator"]))
    with at("2026-04-10"):
        submit_update(db, situation, world.users["partner_b"], "5b", proposed_status="planned")
        returned = submit_update(db, situation, world.users["partner_a"], "5a")
    with at("2026-04-12"):
        updates.review(db, returned.id, "return", "Add the evidence", Actor.of(None))
    with at("2026-05-01"):
        _patch(db, situation, "5c", status="in_place")
        open_cycle(
            db,
            situation,
            name="Second quarter 2026",
            period_start="2026-04-01",
            period_end="2026-06-30",
            due_date="2026-07-15",
            closes_on="2026-07-31",
        )
    with at("2026-08-01"):
        _patch(db, situation, "7a", status="in_place")  # after the period: not in it
    make_pledge(db, world.users["coordinator"], world.orgs["unhcr"], situation, ("5a",))
    db.commit()
    return situation


def _url(situation: Situation, query: str = PERIOD) -> str:
    return f"/api/v1/situations/{situation.id}/report?{query}"


def _report(
    client: TestClient, world: World, situation: Situation, who: str = "coordinator", **more: str
) -> str:
    extra = "".join(f"&{key}={value}" for key, value in more.items())
    response = client.get(_url(situation, PERIOD + extra), headers=world.headers(who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def _summary(
    client: TestClient, world: World, situation: Situation, day: str, who: str = "coordinator"
) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/situations/{situation.id}/summary?as_of={day}", headers=world.headers(who)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class _Rows(HTMLParser):
    """The cells of each ``<tr data-figure=…>`` of the headline table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = dict(attrs).get("data-figure")
            if self._row:
                self.rows[self._row] = []
        elif tag == "td" and self._row:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def headline(html: str) -> dict[str, list[str]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def _pdf(client: TestClient, world: World, story: Situation, query: str, tmp_path: Path) -> str:
    """The coordinator's PDF of the period, read back as text."""
    url = _url(story, PERIOD + "&format=pdf" + query)
    response = client.get(url, headers=world.headers("coordinator"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return _pdf_text(response.content, tmp_path)


class TestFigures:
    def test_the_headline_equals_the_summary_at_both_ends(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        rows = headline(_report(client, world, story))
        opening = _summary(client, world, story, "2026-02-28")
        closing = _summary(client, world, story, "2026-06-30")
        assert rows["in_place_share"][:2] == [
            _percent(opening["in_place_share"]),
            _percent(closing["in_place_share"]),
        ]
        for status in ("in_place", "in_progress", "planned", "not_started", "not_applicable"):
            change = closing["by_status"][status] - opening["by_status"][status]
            assert rows[status][:2] == [
                str(opening["by_status"][status]),
                str(closing["by_status"][status]),
            ], status
            assert rows[status][2] == (
                f"+{change}" if change > 0 else f"\u2212{-change}" if change else "0"
            )
        for figure in ("lead_missing", "overdue", "stale", "no_data", "pending_review"):
            assert rows[figure][:2] == [str(opening[figure]), str(closing[figure])], figure

    def test_the_numbers_are_the_story_s(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        rows = headline(_report(client, world, story))
        # In place at the start: nothing; at the end: 5a (accepted) and 5c (edited).
        assert rows["in_place"] == ["0", "2", "+2"]
        assert rows["not_applicable"] == ["0", "1", "+1"]
        assert rows["pending_review"] == ["0", "1", "+1"]

    def test_what_moved_in_the_period_and_on_whose_update(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story)
        row = html[html.index('data-element="5a"') :]
        row = row[: row.index("</tr>")]
        assert "Not started → In progress" in row
        assert "In progress → In place" in row
        assert f"on an update by {world.orgs['ngo_a'].name}, accepted" in row
        late = html[html.index('data-element="7a"') :]
        assert "→" not in late[: late.index("</tr>")]  # it moved in August, after the period

    def test_the_trend_ends_at_the_closing_share(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story)
        closing = _summary(client, world, story, "2026-06-30")
        trend = html[html.index('id="trend-figures"') :]
        last = trend[: trend.index("</tbody>")].rsplit("<tr>", 1)[1]
        assert "2026-06-30" in last
        assert f">{_percent(closing['in_place_share'])}<" in last
        assert "<svg" in html and "<polyline" in html

    def test_ownership_gaps_are_the_applicable_elements_without_a_lead(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story)
        gaps = html[html.index('id="lead-missing"') :]
        gaps = gaps[: gaps.index("</ul>")]
        closing = _summary(client, world, story, "2026-06-30")
        assert gaps.count("<li>") == closing["lead_missing"]
        assert ">5a<" not in gaps and ">16<" not in gaps and ">6a<" in gaps

    def test_reporting_discipline_and_late_reporters(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story)
        section = html[html.index('id="discipline"') :]
        assert "Second quarter 2026" in section
        assert world.orgs["ngo_a"].name in section and world.orgs["ngo_b"].name in section
        # Its due date (15 July 2026) has passed with nothing sent for this cycle's period.
        late = section[section.index("Late reporters") :]
        assert world.orgs["ngo_a"].name in late[: late.index("</p>")]

    def test_the_funding_gap_per_pillar_and_the_pledges(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        url = f"/api/v1/situations/{story.id}/items/5a/requirements/2026"
        put = client.put(url, json={"amount_usd": "1500.00"}, headers=world.headers("coordinator"))
        assert put.status_code == 201, put.text
        html = _report(client, world, story)
        funding = html[html.index('id="funding-figures"') :]
        assert "$1,500.00" in funding[: funding.index("</table>")]
        gaps = html[html.index('id="largest-gaps"') :]
        assert "5a" in gaps[: gaps.index("</ol>")]
        pledges = html[html.index('id="pledge-figures"') :]
        assert re.search(r"Planning</th>.*?<td class=\"num\">1</td>", pledges, re.S)

    def test_an_adopted_framework_s_elements_at_both_ends(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        base = f"/api/v1/situations/{story.id}"
        headers = world.headers("coordinator")
        assert client.put(f"{base}/frameworks/gcr-objectives", json={}, headers=headers).is_success
        today = date.today().isoformat()
        response = client.get(f"{base}/report?from=2026-03-01&to={today}", headers=headers)
        html = response.text
        section = html[html.index('id="frameworks"') : html.index('id="ownership"')]
        figures = client.get(f"{base}/summary?framework=gcr-objectives", headers=headers).json()
        elements = figures["framework"]["elements"]
        assert len(elements) == 4 == section.count("data-framework-element=")
        for element in elements:  # the end is today: the framework view's statuses
            row = section[section.index(f'data-framework-element="{element["code"]}"') :]
            row = row[: row.index("</tr>")]
            assert f"status--{element['status']}" in row.rsplit("<td>", 1)[1]


class TestWhatTheReaderMaySee:
    def test_a_viewer_sees_no_pending_or_returned_update(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story, who="viewer")
        assert headline(html)["pending_review"] == ["Not shown to your role"]
        assert "Your role sees accepted updates only" in html
        section = html[html.index('id="discipline"') :]
        assert world.orgs["ngo_b"].name not in section
        assert "Add the evidence" not in html

    def test_a_partner_sees_only_its_own_organisation_s(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story, who="partner_a")
        section = html[html.index('id="discipline"') :]
        assert world.orgs["ngo_a"].name in section
        assert world.orgs["ngo_b"].name not in section  # its pending 5b update, its obligations
        assert headline(html)["pending_review"] == ["0", "0", "0"]

    def test_a_coordinator_sees_every_organisation_s(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        html = _report(client, world, story)
        updates_part = html[html.index("Updates awaiting review, and returned") :]
        assert world.orgs["ngo_b"].name in updates_part  # awaiting review
        assert world.orgs["ngo_a"].name in updates_part  # returned

    def test_a_stranger_may_not_read_it(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        assert_problem(client.get(_url(story), headers=world.headers("stranger")), 404)


class TestFormats:
    def test_the_html_is_one_self_contained_file(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        response = client.get(_url(story), headers=world.headers("coordinator"))
        html = response.text
        assert response.headers["content-disposition"].startswith("inline; filename=")
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "<script" not in html and "<link" not in html and "<img" not in html
        assert not re.search(r"(src|href)=\"(?!#)", html)
        assert "url(" not in html and "@import" not in html
        assert "<style>" in html and "<svg" in html

    def test_every_language_and_arabic_right_to_left(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        french = _report(client, world, story, lang="fr")
        assert '<html lang="fr" dir="ltr">' in french and "Chiffres clés" in french
        arabic = _report(client, world, story, lang="ar")
        assert '<html lang="ar" dir="rtl">' in arabic and "الأرقام الرئيسية" in arabic
        spanish = _report(client, world, story, lang="es")
        assert "Cifras principales" in spanish

    @needs_pdftotext
    def test_the_pdf_holds_the_figures_page_numbers_and_date(
        self, client: TestClient, world: World, story: Situation, tmp_path: Path
    ) -> None:
        text = _pdf(client, world, story, "", tmp_path)
        closing = _summary(client, world, story, "2026-06-30")
        assert "Reported response" in text
        assert _percent(closing["in_place_share"]) in text
        assert re.search(r"In place\s+0\s+2\s+\+2", text)
        assert re.search(r"\b1 ?/ ?\d+", text)
        assert "Generated on" in text

    @needs_pdftotext
    def test_an_arabic_pdf_holds_arabic_text(
        self, client: TestClient, world: World, story: Situation, tmp_path: Path
    ) -> None:
        text = _pdf(client, world, story, "&lang=ar", tmp_path)
        assert re.search(r"[\u0600-\u06FF]{4,}", text)
        assert "الرئيسية" in text


class TestWithoutPango:
    def test_a_pdf_is_a_503_problem_and_html_still_works(
        self, client: TestClient, world: World, story: Situation, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it could not load Pango
        url = _url(story, PERIOD + "&format=pdf")
        problem = assert_problem(client.get(url, headers=world.headers("coordinator")), 503)
        assert "Pango" in problem["detail"]
        assert _report(client, world, story)


class TestRefusals:
    @pytest.mark.parametrize(
        "query",
        [
            "from=2026-06-30&to=2026-03-01",
            "from=2026-03-01",
            "from=2026-03-01&to=2999-01-01",
            "from=1800-01-01&to=2026-01-01",
            "from=2026-03-01&to=2026-06-31",
            PERIOD + "&format=docx",
            PERIOD + "&lang=de",
        ],
    )
    def test_a_bad_query_is_422(
        self, client: TestClient, world: World, story: Situation, query: str
    ) -> None:
        assert_problem(client.get(_url(story, query), headers=world.headers("coordinator")), 422)


class TestCommand:
    @needs_pdftotext
    def test_writes_the_pdf(
        self, migrated_url: str, registry: TemplateRegistry, tmp_path: Path
    ) -> None:
        engine = make_engine(migrated_url, Settings(database_url=migrated_url))
        try:
            with Session(engine) as db:
                situation = make_situation(db, registry, name="Reported on the command line")
                set_owners(db, situation, "5a", (make_organisation(db, "Lead NGO"), OwnerRole.LEAD))
                db.commit()
                sid = str(situation.id)
        finally:
            engine.dispose()
        out = tmp_path / "report.pdf"
        today = date.today().isoformat()
        args = ("report", sid, "--from", "2026-01-01", "--to", today, "--format", "pdf")
        result = crrf(migrated_url, *args, "--lang", "fr", "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"wrote {out}")
        text = _pdf_text(out.read_bytes(), tmp_path)
        assert "Reported on the command line" in text and "Chiffres clés" in text

    def test_a_period_ending_tomorrow_is_refused(self, migrated_url: str, tmp_path: Path) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        args = ("report", str(uuid.uuid4()), "--from", "2026-01-01", "--to", tomorrow)
        result = crrf(migrated_url, *args, "--out", str(tmp_path / "x.pdf"))
        assert result.returncode == 2
        assert "today or before" in result.stderr
        assert not (tmp_path / "x.pdf").exists()


def test_today_is_the_latest_end() -> None:
    from app.progress.period import problem

    today = date(2026, 12, 7)
    assert problem(today - timedelta(days=1), today, today) is None
    assert problem(today, today + timedelta(days=1), today) is not None


class TestDashboard:
    def test_the_situation_page_offers_the_report_form(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{story.id}"), 200)
        (form,) = find(html, "form", action=f"/situations/{story.id}/report")
        assert form["method"] == "get"
        for name in ("from", "to", "lang", "format"):
            assert find(html, "input", name=name) or find(html, "select", name=name), name

    def test_the_page_serves_the_api_s_report_in_the_page_s_language(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        sign_in(client, world, "coordinator")
        response = client.get(f"/situations/{story.id}/report?{PERIOD}")
        html = assert_page(response, 200)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        api = _report(client, world, story)
        assert headline(html) == headline(api)
        client.cookies.set(LANGUAGE_COOKIE, "ar")
        arabic = client.get(f"/situations/{story.id}/report?{PERIOD}")
        assert arabic.headers["content-language"] == "ar"
        assert '<html lang="ar" dir="rtl">' in arabic.text
        french = client.get(f"/situations/{story.id}/report?{PERIOD}&lang=fr")
        assert '<html lang="fr" dir="ltr">' in french.text

    def test_a_pdf_from_the_page(self, client: TestClient, world: World, story: Situation) -> None:
        sign_in(client, world, "partner_a")
        response = client.get(f"/situations/{story.id}/report?{PERIOD}&format=pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")

    def test_a_viewer_s_page_holds_no_pending_update(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{story.id}/report?{PERIOD}"), 200)
        assert headline(html)["pending_review"] == ["Not shown to your role"]
        assert world.orgs["ngo_b"].name not in html[html.index('id="discipline"') :]

    def test_a_bad_period_is_an_error_page(
        self, client: TestClient, world: World, story: Situation
    ) -> None:
        sign_in(client, world, "coordinator")
        page = client.get(f"/situations/{story.id}/report?from=2026-06-30&to=2026-03-01")
        assert "must start on or before its last day" in assert_page(page, 422)

    def test_signed_out_goes_to_sign_in(self, client: TestClient, story: Situation) -> None:
        response = client.get(f"/situations/{story.id}/report?{PERIOD}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
