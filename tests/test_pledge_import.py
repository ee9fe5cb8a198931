"""``crrf pledges import``: organisations by name or acronym, re-imports update, a bad file
is reported line by line and nothing of it is imported."""

import csv
import io
from pathlib import Path

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.models import Pledge
from app.pledges.importer import import_pledges
from app.templates.registry import TemplateRegistry
from tests.factories import World, make_organisation, make_situation
from tests.helpers import state_fingerprint
from tests.test_cli import crrf, migrated_url  # noqa: F401 (a fixture)

HEADER = [
    "external_ref",
    "title",
    "type",
    "gcr_objectives",
    "forum",
    "status",
    "submitter",
    "co_pledgers",
    "matchers",
    "situation",
    "codes",
    "description",
]


def csv_text(*rows: list[str], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def rows_for(world: World, ref: str = "GRF-01", **cells: str) -> list[str]:
    values = {
        "external_ref": ref,
        "title": "Schools for refugee children",
        "type": "financial",
        "gcr_objectives": "1;2",
        "forum": "GRF 2023",
        "status": "",
        "submitter": world.orgs["ngo_a"].name.upper(),  # names match ignoring case
        "co_pledgers": "UNHCR",  # an acronym
        "matchers": "",
        "situation": world.s1.name,
        "codes": "5a; 6a",
        "description": "",
    }
    values.update(cells)
    return [values[name] for name in HEADER]


def count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Pledge)) or 0


class TestImport:
    def test_imports_then_updates_by_external_reference(self, db: Session, world: World) -> None:
        report = import_pledges(db, csv_text(rows_for(world), rows_for(world, "GRF-02")))
        assert (report.errors, report.created, report.updated) == ([], 2, 0)
        pledge = db.scalars(select(Pledge).where(Pledge.external_ref == "GRF-01")).one()
        assert pledge.status == "planning" and pledge.forum == "GRF 2023"
        again = import_pledges(
            db, csv_text(rows_for(world), rows_for(world, "GRF-02", status="fulfilled"))
        )
        assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
        assert count(db) == 2
        db.expire_all()
        assert db.scalars(select(Pledge.status).where(Pledge.external_ref == "GRF-02")).one() == (
            "fulfilled"
        )

    def test_a_situation_by_its_id_and_a_matcher(self, db: Session, world: World) -> None:
        row = rows_for(
            world, situation=str(world.s2.id), matchers=world.orgs["rlo"].name, co_pledgers=""
        )
        report = import_pledges(db, csv_text(row))
        assert report.errors == [] and report.created == 1

    def test_a_dry_run_changes_nothing(
        self, db: Session, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        report = import_pledges(db, csv_text(rows_for(world)), dry_run=True)
        assert report.created == 1
        assert state_fingerprint(connection) == before

    def test_a_bad_file_is_reported_by_line_and_nothing_is_imported(
        self, db: Session, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        text = csv_text(
            rows_for(world, "GRF-01"),
            rows_for(world, "GRF-02", gcr_objectives="1;7"),
            rows_for(world, "GRF-03", submitter="Nobody at all"),
            rows_for(world, "GRF-04", codes="5a;99z", situation="No such situation"),
            rows_for(world, "GRF-01"),
            rows_for(world, "GRF-06", type="cash"),
        )
        report = import_pledges(db, text)
        joined = "\n".join(report.errors)
        assert report.created == 0
        assert "line 3: gcr_objectives" in joined
        assert "line 4: submitter: no organisations match “Nobody at all”" in joined
        assert "line 5: situation: no situation match" in joined
        assert "line 6: external_ref “GRF-01” is on line 2 too" in joined
        assert "line 7: type" in joined
        assert not any(error.startswith("line 2:") for error in report.errors)
        assert state_fingerprint(connection) == before

    def test_an_unknown_code_and_missing_columns(self, db: Session, world: World) -> None:
        report = import_pledges(db, csv_text(rows_for(world, codes="5a;99z")))
        assert report.errors == ["line 2: codes: “99z” is no item of the situation"]
        short = import_pledges(db, csv_text(["x"], header=["external_ref", "colour"]))
        assert short.errors[0].startswith("line 1: missing columns: title")
        assert short.errors[1] == "line 1: unknown columns: colour"
        ragged = import_pledges(db, csv_text(rows_for(world)[:5]))
        assert ragged.errors == ["line 2: not as many cells as columns"]


def test_the_command_imports_re_imports_and_refuses_a_bad_file(
    migrated_url: str,  # noqa: F811
    tmp_path: Path,
    registry: TemplateRegistry,
) -> None:
    engine = make_engine(migrated_url, Settings(database_url=migrated_url))
    try:
        with Session(engine) as db, db.begin():
            make_organisation(db, "Office of the Prime Minister", acronym="OPM")
            make_situation(db, registry, name="Refugees in Uganda")
    finally:
        engine.dispose()
    row = ["GRF-9", "Land for farming", "policy", "2", "GRF 2019", "in_progress", "opm", "", ""]
    good = tmp_path / "pledges.csv"
    good.write_text(csv_text([*row, "Refugees in Uganda", "8a", "Plots"]), encoding="utf-8")
    dry = crrf(migrated_url, "pledges", "import", str(good), "--dry-run")
    assert (dry.returncode, dry.stdout.strip()) == (
        0,
        "would create 1, would update 0, unchanged 0",
    )
    first = crrf(migrated_url, "pledges", "import", str(good))
    assert (first.returncode, first.stdout.strip()) == (0, "created 1, updated 0, unchanged 0")
    again = crrf(migrated_url, "pledges", "import", str(good))
    assert again.stdout.strip() == "created 0, updated 0, unchanged 1"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        csv_text([*row, "Refugees in Uganda", "8a", ""], [*row[:3], "9", *row[4:], "x", "8a", ""])
    )
    refused = crrf(migrated_url, "pledges", "import", str(bad))
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"{bad}: line 3: " in refused.stderr and "nothing imported" in refused.stderr
    missing = crrf(migrated_url, "pledges", "import", str(tmp_path / "none.csv"))
    assert missing.returncode == 1 and "none.csv" in missing.stderr
