"""Exports: files parsed back (csv, openpyxl, libhxl) against hand-checked rows."""

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2 as httpx
import hxl
import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemCreate, ItemPatch
from app.config import PROJECT_ROOT
from app.core.base import frozen_now, utcnow
from app.core.vocab import OrganisationType, OwnerRole, SituationRole
from app.events.service import SYSTEM, Actor
from app.exports import formats, service
from app.exports.deps import snapshot_session
from app.exports.formats import ExportFormat
from app.models import Situation, User
from app.reporting.rollup import visible_situations
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from tests.factories import (
    World,
    add_member,
    auth,
    make_organisation,
    make_situation,
    make_user,
    set_owners,
    submit_update,
)
from tests.helpers import assert_problem, with_etag

HEADERS = [c.header for c in service.COLUMNS]
CODE = HEADERS.index("code")
HASHTAGS = {
    "situation_id": "#crisis+code",
    "situation_name": "#crisis+name",
    "host_country": "#country+code",
    "phase": "#crisis+phase",
    "situation_start_date": "#date+start",
    "code": "#activity+code",
    "element_code": "#activity+code+element",
    "pillar": "#sector+code",
    "title": "#activity+name",
    "status": "#status+code",
    "status_note": "#status+description",
    "target_date": "#date+end",
    "lead_organisation": "#org+lead+name",
    "lead_organisation_iati_type": "#org+lead+type+code",
    "lead_organisation_iati_role": "#org+lead+role+code",
    "support_organisations": "#org+support+name",
    "funding_organisations": "#org+funder+name",
    "funding_organisations_iati_role": "#org+funder+role+code",
    "implementing_organisations": "#org+impl+name",
    "implementing_organisations_iati_role": "#org+impl+role+code",
    "last_accepted_update": "#date+reported",
    "overdue": "#indicator+overdue+num",
    "lead_missing": "#indicator+lead_missing+num",
    "stale": "#indicator+stale+num",
    "no_data": "#indicator+no_data+num",
    "required_usd": "#value+funding+required+usd",
    "funded_usd": "#value+funding+total+usd",
    "funded_pct": "#value+funding+pct",
    "paid_usd": "#value+funding+paid+usd",
    "pledged_usd": "#value+funding+pledged+usd",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HXL_1_1_HASHTAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")
# From the HXL 1.1 dictionary (hxlstandard.org/standard/1-1final/dictionary): the hashtags
# and attributes the exports use, and the extensions the README names.
HXL_DICTIONARY_HASHTAGS = {"#activity", "#country", "#crisis", "#date", "#indicator", "#org"}
HXL_DICTIONARY_HASHTAGS |= {"#sector", "#status", "#value"}
HXL_DICTIONARY_ATTRIBUTES = {"code", "name", "type", "num", "impl", "funder"}
HXL_DICTIONARY_ATTRIBUTES |= {"start", "end", "reported"}
HXL_DICTIONARY_ATTRIBUTES |= {"funding", "required", "total", "pct", "usd"}
HXL_EXTENSIONS = {"phase", "element", "description", "lead", "support", "role"}
HXL_EXTENSIONS |= {"overdue", "lead_missing", "stale", "no_data", "paid", "pledged"}


def _export(
    client: TestClient,
    url: str,
    headers: dict[str, str],
    export_format: str | None = None,
    **params: str,
) -> httpx.Response:
    if export_format is not None:
        params["format"] = export_format
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


def _csv(response: httpx.Response, *, hashtags: bool = False) -> list[dict[str, str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert not response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    header, body = lines[0], lines[2:] if hashtags else lines[1:]
    if hashtags:
        assert lines[1] == [HASHTAGS[h] for h in header]
    return [dict(zip(header, line, strict=True)) for line in body]


def _xlsx(response: httpx.Response) -> list[tuple[Any, ...]]:
    assert response.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    return rows


def _rows_by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in rows}


def _patch(db: Session, situation: Situation, code: str, **fields: Any) -> None:
    item = checklist.get_item(db, situation.id, code, for_update=True)
    checklist.patch_item(db, item, ItemPatch.model_validate(fields), SYSTEM)


def _accept(db: Session, world: World, situation: Situation, code: str, **fields: Any) -> None:
    update = submit_update(db, situation, world.users["partner_a"], code, **fields)
    updates.review(db, update.id, "accept", None, Actor.of(world.users["coordinator"]))


def _annex_order(client: TestClient, world: World) -> list[str]:
    response = client.get(world.url("/items?limit=200"), headers=world.headers("viewer"))
    return [item["code"] for item in response.json()["items"]]


def _situation_cells(situation: Situation) -> dict[str, str]:
    return {
        "situation_id": str(situation.id),
        "situation_name": situation.name,
        "host_country": situation.host_country,
        "phase": situation.phase.value,
        "situation_start_date": situation.start_date.isoformat(),
    }


NO_MONEY = {
    **dict.fromkeys(("required_usd", "funded_usd", "paid_usd", "pledged_usd"), "0.00"),
    "funded_pct": "",
}


def _blank_flags(**flags: str) -> dict[str, str]:
    """The flags of an item with no update, and no money."""
    return {"overdue": "0", "lead_missing": "1", "stale": "0", "no_data": "1", **NO_MONEY, **flags}


class TestSituationExport:
    def test_csv_is_one_row_per_item_in_annex_order(self, client: TestClient, world: World) -> None:
        response = _export(client, world.url("/export"), world.headers("viewer"))
        rows = _csv(response)
        assert list(rows[0]) == HEADERS
        assert [row["code"] for row in rows] == _annex_order(client, world)
        assert len(rows) == 43
        today = utcnow().strftime("%Y%m%d")
        assert re.fullmatch(
            rf'attachment; filename="crrf-south-sudanese-refugees-in-uganda-[0-9a-f]{{6}}-{today}'
            r'\.csv"',
            response.headers["content-disposition"],
        )

    def test_rows_of_the_world_by_hand(self, client: TestClient, world: World) -> None:
        rows = _rows_by_code(_csv(_export(client, world.url("/export"), world.headers("viewer"))))
        assert rows["5a"] == {
            **_situation_cells(world.s1),
            "code": "5a",
            "element_code": "5a",
            "pillar": "reception",
            "title": rows["5a"]["title"],
            "status": "not_started",
            "status_note": "",
            "target_date": "",
            "lead_organisation": world.orgs["ngo_a"].name,
            "lead_organisation_iati_type": "22",
            "lead_organisation_iati_role": "2",
            "support_organisations": "",
            "funding_organisations": world.orgs["unhcr"].name,
            "funding_organisations_iati_role": "1",
            "implementing_organisations": "",
            "implementing_organisations_iati_role": "",
            "last_accepted_update": "",
            **_blank_flags(lead_missing="0"),
        }
        assert rows["5a"]["title"]
        assert (rows["6a"]["lead_organisation"], rows["6a"]["lead_organisation_iati_type"]) == (
            world.orgs["ngo_b"].name,
            "21",
        )
        assert rows["6a"]["pillar"] == "immediate_needs"
        assert rows["6a"]["funding_organisations"] == ""
        assert {code: row["lead_missing"] for code, row in rows.items()} == {
            code: "0" if code in ("5a", "6a") else "1" for code in rows
        }

    def test_status_dates_owners_and_flags(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        past = date.today() - timedelta(days=3)
        orgs = world.orgs
        set_owners(
            db,
            world.s1,
            "5b",
            (orgs["gov"], OwnerRole.LEAD),
            (orgs["rlo"], OwnerRole.SUPPORT),
            (orgs["ngo_b"], OwnerRole.SUPPORT),
            (orgs["ngo_a"], OwnerRole.IMPLEMENTING),
            (orgs["unhcr"], OwnerRole.FUNDING),
            (orgs["ngo_b"], OwnerRole.FUNDING),
        )
        _patch(db, world.s1, "5b", status="in_progress", status_note="Two desks", target_date=past)
        _patch(db, world.s1, "16", status="not_applicable", status_note="No quota")
        _accept(db, world, world.s1, "5a", proposed_status="in_place")
        db.commit()

        rows = _rows_by_code(_csv(_export(client, world.url("/export"), world.headers("viewer"))))
        assert {k: v for k, v in rows["5b"].items() if k not in ("title",)} == {
            **_situation_cells(world.s1),
            "code": "5b",
            "element_code": "5b",
            "pillar": "reception",
            "status": "in_progress",
            "status_note": "Two desks",
            "target_date": past.isoformat(),
            "lead_organisation": orgs["gov"].name,
            "lead_organisation_iati_type": "10",
            "lead_organisation_iati_role": "2",
            "support_organisations": "; ".join(sorted([orgs["ngo_b"].name, orgs["rlo"].name])),
            "funding_organisations": "; ".join(sorted([orgs["ngo_b"].name, orgs["unhcr"].name])),
            "funding_organisations_iati_role": "1",
            "implementing_organisations": orgs["ngo_a"].name,
            "implementing_organisations_iati_role": "4",
            "last_accepted_update": "",
            **_blank_flags(overdue="1", lead_missing="0"),
        }
        assert (rows["5a"]["status"], rows["5a"]["last_accepted_update"]) == (
            "in_place",
            utcnow().date().isoformat(),
        )
        assert rows["5a"]["no_data"] == "0"
        assert {k: rows["16"][k] for k in ("status", "status_note", "lead_missing", "no_data")} == {
            "status": "not_applicable",
            "status_note": "No quota",
            "lead_missing": "0",
            "no_data": "0",
        }

    def test_owners_of_a_role_are_by_name(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        # Made in an order that is neither the names' nor (ids being random) the ids'.
        names = ["Mu", "Alpha", "Zeta", "Kappa", "Beta", "Omega", "Delta"]
        orgs = [make_organisation(db, f"{name} {uuid.uuid4().hex[:6]}") for name in names]
        codes = ["5b", "5c", "5d", "6a", "6b", "7a", "8c", "16"]
        for shift, code in enumerate(codes):
            turned = orgs[shift % len(orgs) :] + orgs[: shift % len(orgs)]
            set_owners(
                db,
                world.s1,
                code,
                *((org, OwnerRole.SUPPORT) for org in turned[:5]),
                *((org, OwnerRole.FUNDING) for org in reversed(turned[2:])),
            )
        db.commit()

        for url in (world.url("/export"), TestRollupExport.URL):
            found = _csv(_export(client, url, world.headers("coordinator")))
            mine = str(world.s1.id)
            rows = _rows_by_code([r for r in found if r.get("situation_id", mine) == mine])
            for shift, code in enumerate(codes):
                turned = orgs[shift % len(orgs) :] + orgs[: shift % len(orgs)]
                expected = {
                    "support_organisations": sorted(o.name for o in turned[:5]),
                    "funding_organisations": sorted(o.name for o in turned[2:]),
                }
                assert {k: rows[code][k].split("; ") for k in expected} == expected, code

    def test_stale_follows_the_situation_threshold(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        with frozen_now(utcnow() - timedelta(days=100)):
            old = make_situation(db, registry, name="Old")
            patient = make_situation(db, registry, name="Patient", stale_after_days=120)
        for situation in (old, patient):
            add_member(db, situation, world.users["viewer"], SituationRole.VIEWER)
        db.commit()
        for situation, stale in ((old, "1"), (patient, "0")):
            url = f"/api/v1/situations/{situation.id}/export"
            rows = _rows_by_code(_csv(_export(client, url, world.headers("viewer"))))
            assert {row["stale"] for row in rows.values()} == {stale}

    def test_hxl_is_csv_with_a_hashtag_row(self, client: TestClient, world: World) -> None:
        response = _export(client, world.url("/export"), world.headers("partner_b"), "hxl")
        assert response.headers["content-disposition"].endswith('-hxl.csv"')
        assert len(_csv(response, hashtags=True)) == 43
        dataset = hxl.data(io.BytesIO(response.content))
        assert [c.header for c in dataset.columns] == HEADERS
        assert [c.display_tag for c in dataset.columns] == [HASHTAGS[h] for h in HEADERS]
        every = list(dataset)
        rows = {row.get("#activity+code"): row for row in every}
        assert rows["5a"].get("#org+lead+name") == world.orgs["ngo_a"].name
        assert rows["5a"].get("#org+lead+type+code") == "22"
        assert rows["5a"].get("#org+funder") == world.orgs["unhcr"].name
        assert rows["5a"].get("#org+funder+role") == "1"
        assert rows["6a"].get("#sector") == "immediate_needs"
        assert rows["6a"].get("#indicator+no_data") == "1"
        assert rows["6a"].get("#org+impl") is None
        # The per-situation file names its crisis and country on every row, as the roll-up does.
        assert {(r.get("#crisis+code"), r.get("#crisis+name")) for r in every} == {
            (str(world.s1.id), world.s1.name)
        }
        assert {r.get("#country+code") for r in every} == {"UGA"}
        assert {r.get("#date+start") for r in every} == {world.s1.start_date.isoformat()}
        assert (rows["5a"].get("#date+reported"), rows["5a"].get("#date+end")) == (None, None)

    def test_hxl_dates_are_reported_start_and_end(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        _patch(db, world.s1, "6a", target_date=date(2027, 6, 30))
        _accept(db, world, world.s1, "5a")
        db.commit()
        response = _export(client, world.url("/export"), world.headers("viewer"), "hxl")
        rows = {row.get("#activity+code"): row for row in hxl.data(io.BytesIO(response.content))}
        assert rows["6a"].get("#date+end") == "2027-06-30"
        assert rows["5a"].get("#date+reported") == utcnow().date().isoformat()

    def test_hashtags_are_valid_hxl_1_1(self) -> None:
        for column in service.COLUMNS:
            assert HXL_1_1_HASHTAG.fullmatch(column.hashtag), column.hashtag
            assert hxl.model.Column.parse(column.hashtag).display_tag == column.hashtag
        assert len({c.hashtag for c in service.COLUMNS}) == len(service.COLUMNS)

    def test_hashtags_come_from_the_dictionary_or_are_named_extensions(self) -> None:
        readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
        for column in service.COLUMNS:
            parsed = hxl.model.Column.parse(column.hashtag)
            assert parsed.tag in HXL_DICTIONARY_HASHTAGS, column.hashtag
            unknown = set(parsed.attributes) - HXL_DICTIONARY_ATTRIBUTES
            assert unknown <= HXL_EXTENSIONS, column.hashtag
        for extension in HXL_EXTENSIONS:
            assert f"`+{extension}`" in readme, extension

    def test_xlsx_has_the_header_and_hashtag_rows(self, client: TestClient, world: World) -> None:
        response = _export(client, world.url("/export"), world.headers("coordinator"), "xlsx")
        assert response.headers["content-disposition"].endswith('.xlsx"')
        header, hashtags, *body = _xlsx(response)
        assert list(header) == HEADERS
        assert list(hashtags) == [HASHTAGS[h] for h in HEADERS]
        assert len(body) == 43
        rows = {row[CODE]: dict(zip(HEADERS, row, strict=True)) for row in body}
        assert rows["5a"]["lead_organisation"] == world.orgs["ngo_a"].name
        assert rows["5a"]["funding_organisations"] == world.orgs["unhcr"].name
        assert (rows["5a"]["support_organisations"], rows["5a"]["target_date"]) == (None, None)
        assert (rows["5a"]["no_data"], rows["5a"]["lead_missing"]) == (1, 0)

    def test_xlsx_has_column_widths_and_an_autofilter_under_the_headers(
        self, client: TestClient, world: World
    ) -> None:
        response = _export(client, world.url("/export"), world.headers("viewer"), "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        widths = [
            sheet.column_dimensions[get_column_letter(n)].width for n in range(1, len(HEADERS) + 1)
        ]
        assert widths == [float(c.width) for c in service.COLUMNS]
        assert widths[HEADERS.index("title")] > widths[HEADERS.index("code")]
        # The filter's header is the hashtag row: sorting keeps both header rows on top.
        assert sheet.auto_filter.ref == f"A2:{get_column_letter(len(HEADERS))}{2 + 43}"
        assert sheet.freeze_panes == "A3"

    def test_xlsx_of_nothing_filters_its_header_only(
        self, client: TestClient, world: World
    ) -> None:
        url = TestRollupExport.URL
        response = _export(client, url, world.headers("stranger"), "xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet.auto_filter.ref == f"A2:{get_column_letter(len(HEADERS))}2"

    def test_xlsx_dates_are_dates(self, client: TestClient, world: World, db: Session) -> None:
        _patch(db, world.s1, "5a", target_date=date(2027, 6, 30))
        db.commit()
        response = _export(client, world.url("/export"), world.headers("viewer"), "xlsx")
        rows = {row[CODE]: row for row in _xlsx(response)[2:]}
        assert rows["5a"][HEADERS.index("target_date")] == datetime(2027, 6, 30)

    def test_user_text_never_starts_a_formula(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        evil = make_organisation(db, '=HYPERLINK("http://evil.example","x")')
        minus = make_organisation(db, "-2+3", OrganisationType.MEDIA)
        set_owners(db, world.s1, "5c", (evil, OwnerRole.LEAD), (minus, OwnerRole.SUPPORT))
        _patch(db, world.s1, "5c", status_note="@SUM(A1:A9)")
        checklist.create_item(
            db,
            world.s1,
            registry,
            ItemCreate(code="5c.local", title="+cmd|' /C calc'!A0"),
            SYSTEM,
        )
        db.commit()
        rows = _rows_by_code(_csv(_export(client, world.url("/export"), world.headers("viewer"))))
        assert rows["5c"]["lead_organisation"] == "'" + evil.name
        assert rows["5c"]["support_organisations"] == "'-2+3"
        assert rows["5c"]["status_note"] == "'@SUM(A1:A9)"
        assert rows["5c.local"]["title"] == "'+cmd|' /C calc'!A0"
        for row in rows.values():
            assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())

        response = _export(client, world.url("/export"), world.headers("viewer"), "xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        cells = {row[CODE].value: row for row in workbook.active.iter_rows(min_row=3)}
        lead = cells["5c"][HEADERS.index("lead_organisation")]
        assert (lead.value, lead.data_type) == (evil.name, "s")
        assert cells["5c.local"][HEADERS.index("title")].data_type == "s"

    def test_a_name_with_leading_whitespace_and_a_formula_is_neutralised(
        self, client: TestClient, world: World
    ) -> None:
        formula = '=HYPERLINK("http://evil.example","x")'
        created = client.post(
            "/api/v1/organisations",
            json={"name": f" \t {formula}", "type": "national_ngo"},
            headers=world.headers("admin"),
        )
        assert created.status_code == 201, created.text
        organisation = created.json()
        assert organisation["name"] == formula  # trimmed: the formula now leads the name
        owned = client.put(
            world.url("/items/5d/owners"),
            json={"owners": [{"organisation_id": organisation["id"], "role": "lead"}]},
            headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
        )
        assert owned.status_code == 200, owned.text

        for url in (world.url("/export"), "/api/v1/summary/export"):
            rows = _csv(_export(client, url, world.headers("coordinator")))
            leads = [r["lead_organisation"] for r in rows if formula in r["lead_organisation"]]
            assert leads == ["'" + formula], url

            response = _export(client, url, world.headers("coordinator"), "xlsx")
            workbook = openpyxl.load_workbook(io.BytesIO(response.content))
            header = [cell.value for cell in next(workbook.active.iter_rows(max_row=1))]
            column = header.index("lead_organisation")
            leads = [
                row[column]
                for row in workbook.active.iter_rows(min_row=3)
                if row[column].value == formula
            ]
            assert leads, url
            assert all(cell.data_type == "s" for cell in leads)

    def test_hidden_from_non_members(self, client: TestClient, world: World) -> None:
        assert_problem(client.get(world.url("/export"), headers=world.headers("outsider")), 404)
        assert_problem(client.get(world.url("/export"), headers=world.headers("stranger")), 404)
        assert_problem(client.get(f"/api/v1/situations/{uuid.uuid4()}/export"), 401)
        assert_problem(client.get(world.url("/export")), 401)

    def test_unknown_format_is_422(self, client: TestClient, world: World) -> None:
        response = client.get(world.url("/export?format=pdf"), headers=world.headers("viewer"))
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"] == ["query", "format"]


class TestRollupExport:
    URL = "/api/v1/summary/export"

    def test_partners_see_their_situations_only(self, client: TestClient, world: World) -> None:
        rows = _csv(_export(client, self.URL, world.headers("partner_a")))
        assert list(rows[0]) == HEADERS
        assert len(rows) == 43
        assert {
            (r["situation_id"], r["situation_name"], r["host_country"], r["phase"]) for r in rows
        } == {(str(world.s1.id), world.s1.name, "UGA", "protracted")}
        by_code = _rows_by_code(rows)
        assert by_code["5a"]["lead_organisation"] == world.orgs["ngo_a"].name
        assert by_code["5a"]["funding_organisations"] == world.orgs["unhcr"].name

        kenya = _rows_by_code(_csv(_export(client, self.URL, world.headers("outsider"))))
        assert {r["situation_id"] for r in kenya.values()} == {str(world.s2.id)}
        assert kenya["5a"]["lead_organisation"] == world.orgs["rlo"].name
        assert kenya["5a"]["lead_organisation_iati_type"] == "22"

    def test_owners_carry_their_iati_roles_and_support_none(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        orgs = world.orgs
        set_owners(db, world.s1, "5c", (orgs["rlo"], OwnerRole.SUPPORT))
        set_owners(
            db,
            world.s1,
            "5d",
            (orgs["gov"], OwnerRole.LEAD),
            (orgs["unhcr"], OwnerRole.FUNDING),
            (orgs["ngo_a"], OwnerRole.IMPLEMENTING),
            (orgs["ngo_b"], OwnerRole.SUPPORT),
        )
        db.commit()
        roles = ("lead_organisation", "funding_organisations", "implementing_organisations")
        response = _export(client, self.URL, world.headers("partner_a"), "xlsx")
        _, _, *body = _xlsx(response)
        rows = {row[CODE]: dict(zip(HEADERS, row, strict=True)) for row in body}
        assert [rows["5d"][f"{role}_iati_role"] for role in roles] == ["2", "1", "4"]
        assert rows["5c"]["support_organisations"] == orgs["rlo"].name
        assert [rows["5c"][f"{role}_iati_role"] for role in roles] == [None, None, None]
        assert not any(header.startswith("support") and "iati" in header for header in HEADERS)

    def test_strangers_get_the_header_rows_only(self, client: TestClient, world: World) -> None:
        headers = world.headers("stranger")
        assert _export(client, self.URL, headers).text.splitlines() == [",".join(HEADERS)]
        assert _csv(_export(client, self.URL, headers, "hxl"), hashtags=True) == []
        assert len(_xlsx(_export(client, self.URL, headers, "xlsx"))) == 2

    def test_situations_by_name_then_annex_order(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        user, token = make_user(db, world.orgs["gov"])
        later = make_situation(db, registry, name="Beta situation")
        first = make_situation(db, registry, name="Alpha situation", phase="emergency")
        for situation in (later, first):
            add_member(db, situation, user, SituationRole.VIEWER)
        db.commit()
        rows = _csv(_export(client, self.URL, auth(token), "hxl"), hashtags=True)
        annex = _annex_order(client, world)
        assert [(r["situation_name"], r["code"]) for r in rows] == [
            (name, code) for name in ("Alpha situation", "Beta situation") for code in annex
        ]
        filtered = _csv(_export(client, self.URL, auth(token), phase="emergency"))
        assert {r["situation_name"] for r in filtered} == {"Alpha situation"}

    def test_filters_and_file_name(self, client: TestClient, world: World) -> None:
        response = _export(client, self.URL, world.headers("admin"), "xlsx", host_country="ken")
        assert re.fullmatch(
            r'attachment; filename="crrf-rollup-ken-\d{8}\.xlsx"',
            response.headers["content-disposition"],
        )
        header, _, *body = _xlsx(response)
        assert {row[header.index("situation_id")] for row in body} == {str(world.s2.id)}

    def test_stale_is_per_situation(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        user, token = make_user(db, world.orgs["gov"])
        with frozen_now(utcnow() - timedelta(days=100)):
            old = make_situation(db, registry, name="Old")
            patient = make_situation(db, registry, name="Patient", stale_after_days=120)
        for situation in (old, patient):
            add_member(db, situation, user, SituationRole.VIEWER)
        db.commit()
        rows = _csv(_export(client, self.URL, auth(token)))
        assert {(r["situation_name"], r["stale"]) for r in rows} == {("Old", "1"), ("Patient", "0")}

    def test_errors_are_problems(self, client: TestClient, world: World) -> None:
        headers = world.headers("viewer")
        assert_problem(client.get(f"{self.URL}?format=docx", headers=headers), 422)
        assert_problem(client.get(f"{self.URL}?host_country=XXX", headers=headers), 422)
        assert_problem(client.get(f"{self.URL}?phase=over", headers=headers), 422)
        assert_problem(client.get(self.URL), 401)


class TestStatementCount:
    def _member_of(
        self, db: Session, registry: TemplateRegistry, world: World, count: int
    ) -> tuple[User, str]:
        user, token = make_user(db, world.orgs["gov"])
        for n in range(count):
            situation = make_situation(db, registry, name=f"Counted {n}")
            add_member(db, situation, user, SituationRole.VIEWER)
            for code in ("5a", "6b", "8c", "16"):
                set_owners(
                    db,
                    situation,
                    code,
                    (world.orgs["ngo_a"], OwnerRole.LEAD),
                    (world.orgs["ngo_b"], OwnerRole.SUPPORT),
                    (world.orgs["unhcr"], OwnerRole.FUNDING),
                )
        db.commit()
        return user, token

    @pytest.mark.parametrize("export_format", ["csv", "hxl", "xlsx"])
    def test_rollup_statements_do_not_grow_with_situations(
        self,
        client: TestClient,
        world: World,
        db: Session,
        registry: TemplateRegistry,
        statements: list[str],
        export_format: str,
    ) -> None:
        counts = []
        for situations in (1, 3):
            _, token = self._member_of(db, registry, world, situations)
            statements.clear()
            _export(client, TestRollupExport.URL, auth(token), export_format)
            counts.append(len(statements))
        assert counts[0] == counts[1]

    def test_situation_statements_do_not_grow_with_owners(
        self, client: TestClient, world: World, db: Session, statements: list[str]
    ) -> None:
        _export(client, world.url("/export"), world.headers("viewer"))
        few = len(statements)
        for code in ("5b", "5c", "5d", "7a", "11a", "12b", "15"):
            set_owners(db, world.s1, code, (world.orgs["gov"], OwnerRole.LEAD))
        db.commit()
        statements.clear()
        _export(client, world.url("/export"), world.headers("viewer"))
        assert len(statements) == few

    def test_statements_do_not_grow_with_the_chunks(
        self, db: Session, registry: TemplateRegistry, world: World, statements: list[str]
    ) -> None:
        user, _ = self._member_of(db, registry, world, 2)
        visible = visible_situations(user, host_country=None, phase=None)
        now = utcnow()
        statements.clear()
        whole = list(service.rollup_rows(db, visible, now=now))
        in_one_chunk = len(statements)
        statements.clear()
        chunked = list(service.rollup_rows(db, visible, now=now, chunk_size=10))
        assert chunked == whole
        assert len(whole) == 86
        # Nine chunks of ten cost no more statements than one chunk of all 86.
        assert len(statements) <= in_one_chunk


def test_export_sessions_read_one_snapshot(app: FastAPI, engine: Engine) -> None:
    with snapshot_session(app.state.sessionmakers[0]) as session:
        if engine.dialect.name == "postgresql":
            level = session.execute(text("SHOW transaction_isolation")).scalar_one()
            assert level == "repeatable read"
        else:
            assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_rows_carry_utc_dates(db: Session, world: World) -> None:
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with frozen_now(late):
        _accept(db, world, world.s1, "5a")
    rows = {
        row[CODE]: row
        for row in service.situation_rows(db, world.s1.id, 90, now=late + timedelta(hours=2))
    }
    assert rows["5a"][HEADERS.index("last_accepted_update")] == date(2026, 3, 1)


def test_file_names_are_plain_ascii() -> None:
    day = date(2026, 3, 1)
    assert formats.filename("Réfugiés au Tchad", ExportFormat.HXL, day) == (
        "crrf-refugies-au-tchad-20260301-hxl.csv"
    )
    assert formats.filename('"; x=1 \\', ExportFormat.XLSX, day) == "crrf-x-1-20260301.xlsx"
    assert formats.filename("ثلاثة", ExportFormat.CSV, day) == "crrf-export-20260301.csv"


def test_tabs_and_carriage_returns_are_neutralised_too() -> None:
    assert formats.neutralise("\t=1") == "'\t=1"
    assert formats.neutralise("\r=1") == "'\r=1"
    assert formats.neutralise("Plain 5-year plan") == "Plain 5-year plan"
