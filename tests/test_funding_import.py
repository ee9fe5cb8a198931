"""``crrf funding import``: FTS flows in, matched by organisation name or acronym, never
twice, a malformed file refused whole with line numbers; and out again through the export."""

import csv
import io
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.funding import fts_import
from tests.databases import fresh_database
from tests.factories import World, migrated_world
from tests.helpers import state_fingerprint
from tests.test_cli import crrf

HEADER = (
    "id,amountUSD,originalAmount,originalCurrency,exchangeRate,status,date,budgetYear,"
    "sourceOrganization,destinationOrganization,items"
)


def fts_csv(world: World, *rows: str) -> str:
    """A file of ``rows`` where ``{unhcr}`` and ``{ngo_a}`` stand for the world's names."""
    names = {key: org.name for key, org in world.orgs.items()}
    return "\n".join([HEADER, *(row.format(**names) for row in rows)]) + "\n"


def good_file(world: World) -> str:
    return fts_csv(
        world,
        "F1,1119946,1000000,EUR,0.8929,paid,2024-03-01T00:00:00Z,2024,{unhcr},{ngo_a},5a;6a",
        # Matched by acronym, whatever its case; no original currency: USD.
        "F2,250.50,,,,commitment,2024-04-01,2024,unhcr,,5a",
        "F3,1000,,,,pledge,2024-05-01,2024,{ngo_a},,6a",
    )


def run(db: Session, world: World, text: str, *, dry_run: bool = False) -> fts_import.Report:
    report = fts_import.run(db, text, situation_id=world.s1.id, dry_run=dry_run)
    db.commit()
    return report


def flows(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    response = client.get(world.url("/funding"), headers=world.headers("viewer"))
    return {f["fts_flow_id"]: f for f in response.json()["items"]}


class TestImport:
    def test_flows_come_in_with_their_organisations_and_items(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        report = run(db, world, good_file(world))
        assert (report.created, report.unmatched, report.errors) == (3, [], [])
        found = flows(client, world)
        assert found["F1"]["amount_usd"] == "1119946.00"
        assert found["F1"]["exchange_rate"] == "0.8929"
        assert found["F1"]["destination_organisation_id"] == str(world.orgs["ngo_a"].id)
        assert [s["amount_usd"] for s in found["F1"]["shares"]] == ["559973.00", "559973.00"]
        assert found["F2"]["source_organisation_id"] == str(world.orgs["unhcr"].id)
        assert found["F2"]["currency"] == "USD"
        assert found["F3"]["status"] == "pledge"

    def test_a_reimport_duplicates_nothing_and_moves_statuses_forward(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        run(db, world, good_file(world))
        again = run(db, world, good_file(world))
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        moved = good_file(world).replace("pledge,2024-05-01", "paid,2024-05-01")
        report = run(db, world, moved)
        assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
        assert flows(client, world)["F3"]["status"] == "paid"
        back = run(db, world, moved.replace("paid,2024-05-01", "pledge,2024-05-01"))
        assert back.updated == 0
        assert back.unmatched == [
            "line 4: A flow's status only advances: pledge → commitment → paid."
        ]
        assert len(flows(client, world)) == 3

    def test_unmatched_rows_are_reported_and_left_out(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        text = fts_csv(
            world,
            "G1,10,,,,paid,2024-01-01,2024,Nobody we know,,5a",
            "G2,10,,,,paid,2024-01-01,2024,{unhcr},,9z",
            "G3,10,,,,paid,2024-01-01,2024,{unhcr},,5a",
        )
        report = run(db, world, text)
        assert report.created == 1
        assert report.unmatched == [
            "line 2: no single organisation named 'Nobody we know'",
            "line 3: no such items: 9z",
        ]
        assert list(flows(client, world)) == ["G3"]

    def test_a_malformed_file_is_refused_whole_with_line_numbers(
        self, world: World, db: Session, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        text = fts_csv(
            world,
            "H1,10,,,,paid,2024-01-01,2024,{unhcr},,5a",
            "H2,ten,,,,paid,2024-01-01,2024,{unhcr},,5a",
            "H3,10,,,,donated,2024-01-01,2024,{unhcr},,5a",
            "H1,10,,,,paid,2024-01-01,2024,{unhcr},,5a",
        )
        report = run(db, world, text)
        assert report.created == 0
        assert sorted({line.split(":")[0] for line in report.errors}) == [
            "line 3",
            "line 4",
            "line 5",
        ]
        assert report.errors[-1] == "line 5: id: the same flow as line 2"
        assert report.lines()[-1].endswith("problems in the file: nothing was imported")
        assert state_fingerprint(connection) == before

    def test_missing_columns_are_named(self, world: World, db: Session) -> None:
        report = run(db, world, "id,amountUSD\nX,1\n")
        assert report.errors == [
            "line 1: missing columns: status, date, budgetyear, sourceorganization, items"
        ]

    def test_a_dry_run_writes_nothing(
        self, world: World, db: Session, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        report = run(db, world, good_file(world), dry_run=True)
        assert report.created == 3
        assert report.lines()[-1].endswith("(dry run: nothing was written)")
        assert state_fingerprint(connection) == before


class TestRoundTrip:
    def test_imported_flows_come_out_in_the_export(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        url = world.url("/items/5a/requirements/2024")
        body = {"amount_usd": "1000000.00"}
        assert client.put(url, json=body, headers=world.headers("coordinator")).status_code == 201
        run(db, world, good_file(world))
        response = client.get(world.url("/export?format=hxl"), headers=world.headers("viewer"))
        header, tags, *rows = list(csv.reader(io.StringIO(response.text)))
        cells = {row[header.index("code")]: dict(zip(tags, row, strict=True)) for row in rows}
        assert cells["5a"]["#value+funding+required+usd"] == "1000000.00"
        assert cells["5a"]["#value+funding+total+usd"] == "560223.50"  # 559,973.00 + 250.50
        assert cells["5a"]["#value+funding+pct"] == "56.02"
        assert cells["6a"]["#value+funding+total+usd"] == "559973.00"
        assert cells["6a"]["#value+funding+pledged+usd"] == "1000.00"


class TestCommand:
    def test_the_command_imports_reports_and_exits_by_what_happened(
        self, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
    ) -> None:
        with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
            world = migrated_world(url)
            path = tmp_path / "flows.csv"
            path.write_text(good_file(world), encoding="utf-8")
            sid = str(world.s1.id)
            dry = crrf(url, "funding", "import", str(path), "--situation", sid, "--dry-run")
            assert dry.returncode == 0, dry.stderr
            assert "3 created" in dry.stdout and "dry run" in dry.stdout
            done = crrf(url, "funding", "import", str(path), "--situation", sid)
            assert done.returncode == 0, done.stderr
            assert "3 created" in done.stdout
            again = crrf(url, "funding", "import", str(path), "--situation", sid)
            assert "0 created, 0 updated, 3 unchanged" in again.stdout
            path.write_text(fts_csv(world, "Z,x,,,,paid,2024-01-01,2024,{unhcr},,5a"))
            bad = crrf(url, "funding", "import", str(path), "--situation", sid)
            assert bad.returncode == 2
            assert bad.stderr.startswith("line 2: amount")
