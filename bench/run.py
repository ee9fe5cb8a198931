"""Run the benchmark suite: the service beside its bare baseline, in the same run.

For each database: seed (or reuse) databases of 10, 100 and 1,000 situations with 1,000
updates per situation, serve the real service and the baseline under uvicorn on
127.0.0.1, drive each scenario from a separate process, five runs each, and print
requests per second, p50 and p99 (median and min-max over the runs), server CPU per
request, peak memory, the ratio to the baseline, the goals, and a scaling table.

    python -m bench.run [--db sqlite,postgres] [--runs 5] [--duration 5] [--quick]
"""

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.accounts import sessions
from app.auth.tokens import hash_token
from app.config import PROJECT_ROOT
from app.models import ApiToken, User
from bench import fanout, funding, progress
from bench.report import report
from bench.scenarios import SCALED, SCENARIOS, SUBMISSION, chosen

VAR = PROJECT_ROOT / "var" / "bench"
RESULTS = PROJECT_ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
POSTGRES = os.environ.get(
    "CRRF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The seeded databases' names begin with it: two people benchmarking on one PostgreSQL
# server give theirs different prefixes.
PREFIX = os.environ.get("CRRF_BENCH_PREFIX", "crrf_bench")


# --- processes and their costs -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                queue += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return total / 2**20


class PeakMemory(threading.Thread):
    """Sample the resident memory of a process tree until stopped."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.stopped = pids, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, _rss_mb(self.pids))
            time.sleep(0.01)


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    @property
    def pids(self) -> list[int]:
        return _tree(self.process.pid)


@contextmanager
def serve(name: str, app: str, database_url: str, workers: int, health: str) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "CRRF_DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": database_url,
        "CRRF_RATE_LIMIT_PER_MINUTE": "0",
        "CRRF_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=PROJECT_ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + health, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}")
        else:
            raise RuntimeError(f"{name} did not start")
        yield Server(name, url, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(server: Server, spec: dict[str, Any]) -> dict[str, Any]:
    """One run of the driver against a server, with the server's CPU and memory."""
    pids = server.pids
    rss_before = _rss_mb(pids)
    cpu_before = _cpu_seconds(pids)
    sampler = PeakMemory(pids)
    sampler.start()
    done = subprocess.run(
        [sys.executable, "-m", "bench.driver", json.dumps({**spec, "base": server.url})],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    sampler.stopped.set()
    sampler.join()
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    count = result.get("sent") or 1  # the server also served the warm-up
    result["cpu_ms_per_request"] = (_cpu_seconds(pids) - cpu_before) * 1000 / count
    result["peak_rss_mb"] = sampler.peak
    result["rss_growth_mb"] = sampler.peak - rss_before
    return result


# --- databases ---------------------------------------------------------------------------


def database(kind: str, situations: int, updates: int, reseed: bool) -> tuple[str, dict[str, Any]]:
    """A seeded database of this size (reused when it exists), and what the seed printed."""
    VAR.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}_{situations}_{updates}"
    info_file = VAR / f"{kind}-{name}.json"
    # A database without the seed's record was left half-made: make it again.
    reseed = reseed or not info_file.exists()
    if kind == "sqlite":
        path = VAR / f"{name}.sqlite3"
        url = f"sqlite:///{path}"
        exists = path.exists()
        if reseed and exists:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            exists = False
    else:
        base = make_url(POSTGRES)
        url = base.set(database=name).render_as_string(hide_password=False)
        admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            exists = bool(
                connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).scalar()
            )
            if reseed and exists:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                exists = False
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    if exists and info_file.exists():
        # A database seeded by an older version of the service: bring its schema up to date.
        subprocess.run(
            [sys.executable, "-m", "app.cli", "db", "upgrade"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "CRRF_DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        return url, json.loads(info_file.read_text())
    print(
        f"  seeding {kind}: {situations} situations, {updates} updates ...",
        file=sys.stderr,
        flush=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.seed",
            "--url",
            url,
            "--situations",
            str(situations),
            "--updates",
            str(updates),
            "--output",
            str(info_file),
        ],
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if kind == "postgres":
        subprocess.run(
            [
                "psql",
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                "-qc",
                "VACUUM ANALYZE",
            ],
            check=False,
            capture_output=True,
        )
    return url, json.loads(info_file.read_text())


def open_web_sessions(url: str, info: dict[str, Any]) -> dict[str, str]:
    """Open a dashboard session for each seeded user (by role), as signing in does."""
    engine = create_engine(url, poolclass=NullPool)
    opened: dict[str, str] = {}
    try:
        with Session(engine) as session:
            for role, token in info["tokens"].items():
                user = session.scalar(
                    select(User).join(ApiToken).where(ApiToken.token_hash == hash_token(token))
                )
                if user is not None:
                    _, opened[role] = sessions.start(
                        session, user, persistent=True, lifetime=timedelta(days=1)
                    )
            session.commit()
    finally:
        engine.dispose()
    return opened


def forget_submissions(kind: str, url: str) -> None:
    """Delete what the submission scenario wrote (its updates, their events, the keys), so
    that the scenarios after it, and the next run, read the seeded data and no more."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            mine = "SELECT id FROM partner_update WHERE narrative = :mark"
            theirs = f"SELECT id FROM event WHERE update_id IN ({mine})"
            connection.execute(  # the deadline burst's webhooks
                text(f"DELETE FROM webhook_delivery WHERE event_id IN ({theirs})"),
                {"mark": SUBMISSION},
            )
            connection.execute(
                text(f"DELETE FROM event WHERE update_id IN ({mine})"), {"mark": SUBMISSION}
            )
            connection.execute(
                text("DELETE FROM partner_update WHERE narrative = :mark"), {"mark": SUBMISSION}
            )
            connection.execute(text("DELETE FROM idempotency_key"))
        if kind == "postgres":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE partner_update, event, idempotency_key"))
    finally:
        engine.dispose()


def _summary(runs: list[dict[str, Any]], key: str) -> dict[str, float] | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    scales = [10, 100] if args.quick else [10, 100, 1000]
    scaled = not args.only or args.scaling  # the scaling table wants every scale
    if not scaled:
        scales = scales[-1:]
    main_scale = scales[-1]
    outcome: dict[str, Any] = {"scenarios": {}, "scaling": {}}
    for situations in scales:
        url, info = database(kind, situations, situations * 1000, args.reseed)
        info["web_sessions"] = open_web_sessions(url, info)
        with (
            serve("service", "app.main:create_app", url, args.workers, "/healthz") as app_server,
            serve(
                "baseline", "bench.baseline:create_app", url, args.workers, "/bench/healthz"
            ) as baseline,
        ):
            if situations == main_scale:
                for scenario in chosen(args.only):
                    print(f"  {kind}: {scenario.name}", file=sys.stderr, flush=True)
                    results: dict[str, list[dict[str, Any]]] = {"service": [], "baseline": []}
                    worker: dict[str, Any] = {}  # what a worker beside it sent
                    for _ in range(args.runs):
                        for target, server, build in (
                            ("service", app_server, scenario.app),
                            ("baseline", baseline, scenario.baseline),
                        ):
                            spec = {
                                "requests": build(info),
                                "clients": scenario.clients,
                                "duration": args.duration,
                                "warmup": 1.0,
                                "mode": scenario.mode,
                            }
                            beside = (
                                scenario.beside(server.url, url, info, worker)
                                if scenario.beside is not None and target == "service"
                                else contextlib.nullcontext()
                            )
                            with beside:
                                results[target].append(measure(server, spec))
                    if scenario.writes:
                        forget_submissions(kind, url)
                    outcome["scenarios"][scenario.name] = {
                        target: {
                            key: _summary(runs, key)
                            for key in (
                                "rps",
                                "p50",
                                "p99",
                                "cpu_ms_per_request",
                                "peak_rss_mb",
                                "rss_growth_mb",
                                "ttfb",
                                "total",
                            )
                        }
                        | {"statuses": _merge(runs)}
                        for target, runs in results.items()
                    }
                    if worker:
                        outcome["scenarios"][scenario.name]["worker"] = worker
            for scenario in [s for s in SCENARIOS if s.name in SCALED] if scaled else ():
                spec = {
                    "requests": scenario.app(info),
                    "clients": 1,
                    "duration": max(2.0, args.duration / 2),
                    "warmup": 0.5,
                    "mode": "load",
                }
                outcome["scaling"].setdefault(scenario.name, {})[situations] = measure(
                    app_server, spec
                )["p50"]
    return outcome


def _merge(runs: list[dict[str, Any]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for run in runs:
        for status, count in run.get("statuses", {}).items():
            merged[status] = merged.get(status, 0) + count
    return merged


FANOUT = 10_000  # deliveries per channel (bench.fanout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds recorded per run")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="10 and 100 situations only, for a smoke run"
    )
    parser.add_argument(
        "--only",
        help="comma-separated words: run the scenarios whose names contain one (e.g. 'summary,roll-up'), "
        "at the largest scale, without the scaling table (unless --scaling)",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="with --only: measure the scaling table too (one client at every scale)",
    )
    parser.add_argument("--reseed", action="store_true", help="regenerate the databases")
    args = parser.parse_args(argv)
    kinds = args.db.split(",")
    results: dict[str, Any] = {
        kind: run_database(kind, args) for kind in kinds if chosen(args.only)
    }
    text_report = report(results, args)
    if not args.only or "fan-out" in args.only:
        fanned = {
            kind: {c.name: fanout.run_channel(kind, c, FANOUT) for c in fanout.channels()}
            for kind in kinds
        }
        results["fan-out"] = fanned
        text_report += "\n" + fanout.report(fanned, FANOUT)
    if not args.only or "funding" in args.only:
        results["funding"] = funding.run(kinds, runs=30)
        text_report += "\n" + funding.report(results["funding"])
    if not args.only or "progress" in args.only:
        results["progress"] = progress.run(kinds, runs=10)
        text_report += "\n" + progress.report_text(results["progress"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    (RESULTS / f"{stamp}.md").write_text(text_report)
    print(text_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
