"""The funding roll-up: per element across 1,000 situations with 100,000 flows, beside the
same GROUP BY written by hand and run on the bare driver.

The database is ``bench.seed``'s 1,000 situations (43,000 items; no updates), two years of
requirements per item, and 100,000 flows of one to three items each (about 200,000 item
parts). Timed in-process, one call at a time, the calls in turn (so that they share the load of
the machine), median and p95 over ``--runs``:

- service: ``app.funding.figures.by_element`` and the ``Funding`` objects the roll-up
  serialises, through a SQLAlchemy session;
- raw SQL: the same statement through the DBAPI cursor, rows fetched (and, for scale, the
  two statements that would make the figures from every requirement and flow part);

each for an admin (every situation) and for a member of all 1,000 (the visibility
subquery on memberships). Goals: at most 1.5 times the raw SQL, and at most 200 ms.

    python -m bench.funding [--db sqlite,postgres] [--runs 30] [--reseed]
"""

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.core.vocab import FlowStatus
from app.funding import figures, totals
from app.models import (
    ChecklistItem,
    FundingFlow,
    FundingFlowItem,
    FundingRequirement,
    Membership,
    Organisation,
    User,
)
from bench import databases
from bench.seed import Buffers, seed

SITUATIONS = 1000
FLOWS = 100_000
GOAL_RATIO, GOAL_MS = 1.5, 200.0
NAME = "crrf_bench_funding"

RAW = (
    "SELECT element_code, sum(required_cents), sum(committed_cents), sum(paid_cents), "
    "sum(pledged_cents) FROM item_funding {where} GROUP BY element_code"
)
# What the roll-up would cost without ``item_funding``: the same figures from every flow.
RAW_FROM_FLOWS = (
    "SELECT element_code, sum(amount_usd_cents) FROM funding_requirement {where} "
    "GROUP BY element_code",
    "SELECT element_code, "
    "sum(CASE WHEN status = 'commitment' THEN amount_usd_cents ELSE 0 END), "
    "sum(CASE WHEN status = 'paid' THEN amount_usd_cents ELSE 0 END), "
    "sum(CASE WHEN status = 'pledge' THEN amount_usd_cents ELSE 0 END) "
    "FROM funding_flow_item {where} GROUP BY element_code",
)
RAW_MEMBER = "WHERE situation_id IN (SELECT situation_id FROM membership WHERE user_id = {user})"


def seed_money(url: str, rng: random.Random, flows: int = FLOWS) -> dict[str, int]:
    """Two years of requirements per item, ``flows`` flows of one to three items, and each
    item's totals."""
    engine = make_engine(url, Settings(database_url=url))
    tables = (FundingRequirement.__table__, FundingFlow.__table__, FundingFlowItem.__table__)
    out = Buffers(engine, order=tables)  # type: ignore[arg-type]
    now = datetime.now(UTC)
    with engine.connect() as connection:
        items = connection.execute(
            select(ChecklistItem.id, ChecklistItem.situation_id, ChecklistItem.code)
        ).all()
        orgs = list(connection.execute(select(Organisation.id)).scalars())
    by_situation: dict[Any, list[Any]] = {}
    for item in items:
        by_situation.setdefault(item.situation_id, []).append(item)
        for year in (2024, 2025):
            out.add(
                tables[0],
                {
                    "id": uuid.uuid4(),
                    "situation_id": item.situation_id,
                    "item_id": item.id,
                    "element_code": item.code,
                    "year": year,
                    "amount_usd_cents": rng.randrange(1_000_00, 5_000_000_00),
                    "budget_status": "indicative",
                    "note": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                },
            )
    situations = list(by_situation)
    statuses = [FlowStatus.PLEDGE, FlowStatus.COMMITMENT, FlowStatus.PAID]
    for _ in range(flows):
        sid = rng.choice(situations)
        served = rng.sample(by_situation[sid], rng.choice((1, 1, 2, 3)))
        cents = rng.randrange(100, 2_000_000_00)
        status = rng.choices(statuses, weights=(2, 3, 5))[0]
        fid = uuid.uuid4()
        out.add(
            tables[1],
            {
                "id": fid,
                "situation_id": sid,
                "status": status,
                "source_organisation_id": rng.choice(orgs),
                "destination_organisation_id": None,
                "amount": figures.from_cents(cents),
                "currency": "USD",
                "exchange_rate": Decimal(1),
                "amount_usd_cents": cents,
                "date": date(2024, rng.randrange(1, 13), 1),
                "budget_year": 2024,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        share, left = divmod(cents, len(served))
        for position, item in enumerate(served):
            out.add(
                tables[2],
                {
                    "flow_id": fid,
                    "item_id": item.id,
                    "situation_id": sid,
                    "code": item.code,
                    "element_code": item.code,
                    "position": position,
                    "status": status,
                    "amount_usd_cents": share + (1 if position < left else 0),
                },
            )
    out.flush()
    # Each item's totals, as the services keep them (``app.funding.totals``).
    ids = [item.id for item in items]
    for start in range(0, len(ids), 500):
        with Session(engine) as session, session.begin():
            totals.refresh(session, ids[start : start + 500])
    engine.dispose()
    return out.counts


def _fill(url: str) -> dict[str, Any]:
    seeded = seed(url, SITUATIONS, 0)
    return {"rows": {**seeded["rows"], **seed_money(url, random.Random(15))}}


def database(kind: str, reseed: bool) -> str:
    """The seeded database (made once, reused after)."""
    return databases.seeded(kind, NAME, _fill, reseed=reseed)


def _timed(calls: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    """p50 and p95 in ms of each call, taken in turn, so that they share the machine's load."""
    for call in calls.values():
        call()  # warm: the statement cache, the pages
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"p50": statistics.median(found), "p95": sorted(found)[int(len(found) * 0.95) - 1]}
        for name, found in times.items()
    }


def measure(kind: str, url: str, runs: int) -> dict[str, Any]:
    """Service and raw SQL, for an admin and for a member of every situation."""
    engine: Engine = make_engine(url, Settings(database_url=url))
    with Session(engine) as session:
        member = session.scalar(select(User.id).where(User.email == "coordinator@bench.crrf"))
        assert member is not None
    visible = select(Membership.situation_id).where(Membership.user_id == member)
    stored = member.hex if kind == "sqlite" else str(member)
    results: dict[str, Any] = {}
    for who, situations, where in (
        ("admin", None, ""),
        ("member", visible, RAW_MEMBER.format(user=f"'{stored}'")),
    ):

        def service(situations: Any = situations) -> None:
            with Session(engine) as session:
                totals = figures.by_element(session, situations)
                [t.funding() for t in totals.values()]
                figures.total(totals.values()).funding()

        def raw(where: str = where, statements: tuple[str, ...] = (RAW,)) -> None:
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                for statement in statements:
                    cursor.execute(statement.format(where=where))
                    cursor.fetchall()
                cursor.close()
            finally:
                connection.close()

        timed = _timed(
            {
                "service": service,
                "raw": raw,
                "raw_from_flows": lambda where=where: raw(where, RAW_FROM_FLOWS),
            },
            runs,
        )
        results[who] = {**timed, "ratio": timed["service"]["p50"] / timed["raw"]["p50"]}
    engine.dispose()
    return results


def report(results: dict[str, Any]) -> str:
    """The results as a Markdown table, with the goals."""
    lines = [
        f"### Funding roll-up ({SITUATIONS} situations, {FLOWS:,} flows)",
        "",
        "| database | caller | service p50 (p95) ms | raw SQL p50 (p95) ms | ratio | goals "
        "| raw SQL over every flow, p50 ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, callers in results.items():
        for who, r in callers.items():
            ok = r["ratio"] <= GOAL_RATIO and r["service"]["p50"] <= GOAL_MS
            lines.append(
                f"| {kind} | {who} | {r['service']['p50']:.1f} ({r['service']['p95']:.1f}) "
                f"| {r['raw']['p50']:.1f} ({r['raw']['p95']:.1f}) | {r['ratio']:.2f} "
                f"| {'met' if ok else 'MISSED'} (≤ {GOAL_RATIO} x, ≤ {GOAL_MS:.0f} ms) "
                f"| {r['raw_from_flows']['p50']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def run(kinds: list[str], runs: int, reseed: bool = False) -> dict[str, Any]:
    """Seed (or reuse) and measure each database."""
    return {kind: measure(kind, database(kind, reseed), runs) for kind in kinds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.db.split(","), args.runs, args.reseed)
    print(json.dumps(results, indent=1), file=sys.stderr)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
