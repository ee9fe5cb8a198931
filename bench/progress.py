"""The progress report of a situation with 10,000 events over three years, as HTML and PDF.

The database is ``bench.seed``'s one situation with about 5,200 updates over three years
(10,000 events or so: every submission, review and item version), two years of requirements
per item and 300 flows (``bench.funding.seed_money``), twelve quarterly reporting cycles
(their obligations made by the service from the owners) and a few pledges. The report covers
the three years, for the coordinator (every organisation's updates).

Each database is measured in a process of its own, so that its memory is the report's:
the time of ``report.build`` + ``render.html`` and of ``report.build`` + ``render.pdf`` (p50,
p95 and the first, cold call), and the peak resident memory the reports added to the process
after its imports. Beside them, the bare baseline: the two summaries' raw SQL (the report's
own floor) and WeasyPrint printing a plain HTML page of the same size with no template or
query. Goals: PDF at most 2 s, HTML at most 300 ms, peak memory under +100 MB.

    python -m bench.progress [--db sqlite,postgres] [--runs 10] [--reseed]
"""

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.policies import situation_permissions
from app.config import PROJECT_ROOT, Settings
from app.core.db import make_engine
from app.core.vocab import SituationRole
from app.cycles import service as cycles
from app.cycles.schemas import CycleCreate
from app.events.service import SYSTEM
from app.models import ChecklistItem, Event, Membership, Organisation, Situation, User
from app.pledges import service as pledges
from app.pledges.schemas import PledgeCreate
from app.progress import period, render, report
from app.templates.registry import cached_registry
from bench import databases
from bench.funding import seed_money
from bench.seed import seed

NAME = "crrf_bench_progress"
UPDATES = 5200
FLOWS = 300
GOALS_MS = {"html": 300.0, "pdf": 2000.0}
GOAL_MEMORY_MB = 100.0


def _fill(url: str) -> dict[str, Any]:
    seeded = seed(url, 1, UPDATES)
    counts = seed_money(url, random.Random(17), flows=FLOWS)
    engine = make_engine(url, Settings(database_url=url))
    with Session(engine) as session, session.begin():
        situation = session.scalars(select(Situation)).one()
        admin = session.scalars(select(User).where(User.email == "admin@bench.crrf")).one()
        today = datetime.now(UTC).date()
        for quarter in range(12):
            start = date(today.year - 3, 1, 1) + timedelta(days=91 * quarter)
            end = start + timedelta(days=90)
            data = {
                "name": f"Quarter {quarter + 1}",
                "period_start": start,
                "period_end": end,
                "due_date": end + timedelta(days=15),
                "closes_on": end + timedelta(days=30),
            }
            cycles.create(session, situation.id, CycleCreate.model_validate(data), SYSTEM)
        organisations = list(session.scalars(select(Organisation.id).limit(5)))
        codes = list(
            session.scalars(select(ChecklistItem.code).order_by(ChecklistItem.sort_order).limit(5))
        )
        for number, (organisation, code) in enumerate(zip(organisations, codes, strict=True)):
            body = {
                "title": f"Bench pledge {number}",
                "type": "financial",
                "gcr_objectives": [1 + number % 4],
                "forum": "GRF 2023",
                "parties": [{"organisation_id": organisation, "role": "submitter"}],
                "links": [{"situation_id": situation.id, "code": code}],
            }
            pledges.create(session, admin, PledgeCreate.model_validate(body))
    engine.dispose()
    return {"rows": {**seeded["rows"], **counts}}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _raw_floor(engine: Any, situation: Situation, days: tuple[date, date]) -> None:
    """The two summaries' SQL on the bare driver: what no report can go below."""
    from app.checklist.service import stale_threshold
    from app.reporting.service import _summary_query, end_of_day

    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for day in days:
            moment = end_of_day(day)
            query = _summary_query(
                situation.id,
                moment=moment,
                today=day,
                threshold=stale_threshold(moment, situation.stale_after_days),
                now=False,
                organisation=None,
            )
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            cursor.execute(str(compiled))
            cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


def measure(url: str, runs: int) -> dict[str, Any]:
    """In this process: the report's times and the memory it adds (see the module)."""
    import weasyprint

    engine = make_engine(url, Settings(database_url=url))
    registry = cached_registry((PROJECT_ROOT / "crrf_templates").resolve())
    today = datetime.now(UTC).date()
    covered = period.Period(today - timedelta(days=3 * 365), today)
    with Session(engine) as session:
        situation = session.scalars(select(Situation)).one()
        user = session.scalars(select(User).where(User.email == "coordinator@bench.crrf")).one()
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.situation_id == situation.id)
        )
        role = (
            session.scalar(select(Membership.role).where(Membership.user_id == user.id))
            or SituationRole.COORDINATOR
        )
        session.expunge_all()
    access = SituationAccess(situation, user, role, situation_permissions(user, role))
    before = _peak_mb()

    def built() -> report.ProgressReport:
        with Session(engine) as session:
            return report.build(
                session, access, registry, period=covered, language="en", now=datetime.now(UTC)
            )

    sample = render.html(built())
    calls = {
        "html": lambda: render.html(built()),
        "pdf": lambda: render.pdf(built()),
        "raw_sql": lambda: _raw_floor(engine, situation, (covered.opening_day, covered.end)),
        "bare_pdf": lambda: weasyprint.HTML(
            string="<html><body>"
            + "<p>Lorem ipsum dolor sit amet.</p>" * (len(sample) // 40)
            + "</body></html>"
        ).write_pdf(),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    first: dict[str, float] = {}
    for round_ in range(runs + 1):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
            if round_ == 0:
                first[name] = elapsed
            else:
                times[name].append(elapsed)
    pdf_bytes = render.pdf(built())
    engine.dispose()
    return {
        "events": int(events or 0),
        "html_bytes": len(sample.encode()),
        "pdf_bytes": len(pdf_bytes),
        "memory_added_mb": round(_peak_mb() - before, 1),
        **{
            name: {
                "p50": statistics.median(found),
                "p95": sorted(found)[max(0, int(len(found) * 0.95) - 1)],
                "first": first[name],
            }
            for name, found in times.items()
        },
    }


def run(kinds: list[str], runs: int = 10, reseed: bool = False) -> dict[str, Any]:
    """Seed (or reuse) each database, and measure it in a process of its own."""
    results = {}
    for kind in kinds:
        url = databases.seeded(kind, NAME, _fill, reseed=reseed)
        found = subprocess.run(
            [sys.executable, "-m", "bench.progress", "--measure", url, "--runs", str(runs)],
            capture_output=True,
            text=True,
            check=True,
            cwd=PROJECT_ROOT,
        )
        results[kind] = json.loads(found.stdout.strip().splitlines()[-1])
    return results


def report_text(results: dict[str, Any]) -> str:
    """The results as a Markdown table, with the goals."""
    lines = [
        "### Progress report (one situation, three years of events)",
        "",
        "| database | events | HTML p50 (p95; first) ms | PDF p50 (p95; first) ms "
        "| memory added | baseline: raw SQL / bare PDF ms | goals |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, r in results.items():
        met = (
            r["html"]["p50"] <= GOALS_MS["html"]
            and r["pdf"]["p50"] <= GOALS_MS["pdf"]
            and r["memory_added_mb"] < GOAL_MEMORY_MB
        )
        lines.append(
            f"| {kind} | {r['events']:,} "
            f"| {r['html']['p50']:.0f} ({r['html']['p95']:.0f}; {r['html']['first']:.0f}) "
            f"| {r['pdf']['p50']:.0f} ({r['pdf']['p95']:.0f}; {r['pdf']['first']:.0f}) "
            f"| +{r['memory_added_mb']:.0f} MB "
            f"| {r['raw_sql']['p50']:.0f} / {r['bare_pdf']['p50']:.0f} "
            f"| {'met' if met else 'MISSED'} (HTML ≤ 300 ms, PDF ≤ 2 s, < +100 MB) |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return 0
    results = run(args.db.split(","), args.runs, args.reseed)
    print(json.dumps(results, indent=1), file=sys.stderr)
    print(report_text(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
