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
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.config import PROJECT_ROOT

VAR = PROJECT_ROOT / "var" / "bench"
RESULTS = PROJECT_ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
POSTGRES = os.environ.get(
    "CRRF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
    name = f"crrf_bench_{situations}_{updates}"
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


def forget_submissions(kind: str, url: str) -> None:
    """Delete what the submission scenario wrote (its updates, their events, the keys), so
    that the scenarios after it, and the next run, read the seeded data and no more."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            mine = "SELECT id FROM partner_update WHERE narrative = :mark"
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


# --- scenarios ---------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    clients: int
    app: Callable[[dict[str, Any]], list[dict[str, Any]]]
    baseline: Callable[[dict[str, Any]], list[dict[str, Any]]]
    mode: str = "load"
    writes: bool = False  # what it writes is deleted after it (forget_submissions)


def _auth(info: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {info['tokens'][who]}"}


AS_OF = (date.today() - timedelta(days=365)).isoformat()
# The submission scenario's narrative (the seed's updates have another): what it wrote is
# deleted after it (``forget_submissions``).
SUBMISSION = "Benchmark submission"
REPORT = {"narrative": SUBMISSION, "proposed_status": "in_progress"}
# The situations read by the other scenarios; submissions go to items of other situations.
READ = 50


def _submit_targets(info: dict[str, Any]) -> list[list[str]]:
    read = set(info["situations"][:READ])
    return [target for target in info["partner_items"] if target[0] not in read][:200]


SCENARIOS = [
    Scenario(
        "submit update",
        32,
        lambda i: [
            {
                "method": "POST",
                "path": f"/api/v1/situations/{s}/items/{c}/updates",
                "json": REPORT,
                "headers": {**_auth(i, "partner"), "Idempotency-Key": "{uuid}"},
            }
            for s, c, _ in _submit_targets(i)
        ],
        lambda i: [
            {"method": "POST", "path": f"/bench/items/{item}/updates"}
            for _, _, item in _submit_targets(i)
        ],
        writes=True,
    ),
    Scenario(
        "list 43 items",
        16,
        lambda i: [
            {"path": f"/api/v1/situations/{s}/items?limit=50", "headers": _auth(i, "coordinator")}
            for s in i["situations"][:READ]
        ],
        lambda i: [{"path": f"/bench/situations/{s}/items"} for s in i["situations"][:READ]],
    ),
    Scenario(
        "situation summary",
        1,
        lambda i: [
            {"path": f"/api/v1/situations/{s}/summary", "headers": _auth(i, "coordinator")}
            for s in i["situations"][:READ]
        ],
        lambda i: [{"path": f"/bench/situations/{s}/summary"} for s in i["situations"][:READ]],
    ),
    Scenario(
        "summary as_of",
        1,
        lambda i: [
            {
                "path": f"/api/v1/situations/{s}/summary?as_of={AS_OF}",
                "headers": _auth(i, "coordinator"),
            }
            for s in i["situations"][:READ]
        ],
        lambda i: [
            {"path": f"/bench/situations/{s}/summary?as_of={AS_OF}"} for s in i["situations"][:READ]
        ],
    ),
    Scenario(
        "roll-up",
        1,
        lambda i: [{"path": "/api/v1/summary", "headers": _auth(i, "admin")}],
        lambda i: [{"path": "/bench/rollup"}],
    ),
    Scenario(
        "roll-up CSV export",
        1,
        lambda i: [{"path": "/api/v1/summary/export?format=csv", "headers": _auth(i, "admin")}],
        lambda i: [{"path": "/bench/rollup/export"}],
        mode="stream",
    ),
]


def chosen(only: str | None) -> list[Scenario]:
    """The scenarios whose names contain one of the comma-separated words of ``only``."""
    if not only:
        return SCENARIOS
    words = [w.strip() for w in only.split(",") if w.strip()]
    return [s for s in SCENARIOS if any(w in s.name for w in words)]


def _summary(runs: list[dict[str, Any]], key: str) -> dict[str, float] | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    scales = [10, 100] if args.quick else [10, 100, 1000]
    if args.only:
        scales = scales[-1:]
    main_scale = scales[-1]
    outcome: dict[str, Any] = {"scenarios": {}, "scaling": {}}
    for situations in scales:
        url, info = database(kind, situations, situations * 1000, args.reseed)
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
            for scenario in SCENARIOS[1:5] if not args.only else ():
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


# --- report ------------------------------------------------------------------------------


def _ms(value: dict[str, float] | None) -> str:
    if value is None:
        return "-"
    return f"{value['median'] * 1000:.1f} ({value['min'] * 1000:.1f}-{value['max'] * 1000:.1f})"


def _num(value: dict[str, float] | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value['median']:.{digits}f} ({value['min']:.{digits}f}-{value['max']:.{digits}f})"


def _ratio(a: dict[str, float] | None, b: dict[str, float] | None) -> float | None:
    if not a or not b or not b["median"]:
        return None
    return a["median"] / b["median"]


def _x(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.1f}x"


def goals(name: str, service: dict[str, Any], baseline: dict[str, Any]) -> list[tuple[str, bool]]:
    """The issue's goals for one scenario, each with whether it was met."""
    rps, p99 = _ratio(service["rps"], baseline["rps"]), _ratio(service["p99"], baseline["p99"])
    errors = sum(n for s, n in service["statuses"].items() if int(s) >= 400)
    cpu = _ratio(service.get("cpu_ms_per_request"), baseline.get("cpu_ms_per_request"))
    if name == "submit update":
        return [
            ("throughput >= 50% of baseline", bool(rps and rps >= 0.5)),
            ("p99 <= 2x baseline", bool(p99 and p99 <= 2)),
            ("zero errors", errors == 0),
            (f"CPU per request <= 2.5x baseline ({_x(cpu)})", bool(cpu and cpu <= 2.5)),
        ]
    if name == "list 43 items":
        return [("throughput >= 50% of baseline", bool(rps and rps >= 0.5))]
    if name == "situation summary":
        return [
            ("p50 <= 5 ms, one client", bool(service["p50"] and service["p50"]["median"] <= 0.005))
        ]
    if name == "roll-up":
        ratio = _ratio(service["p50"], baseline["p50"])
        return [
            ("<= 1.5x its raw SQL", bool(ratio and ratio <= 1.5)),
            ("<= 200 ms", bool(service["p50"] and service["p50"]["median"] <= 0.2)),
        ]
    if name == "roll-up CSV export":
        total = _ratio(service["total"], baseline["total"])
        return [
            ("first byte <= 200 ms", bool(service["ttfb"] and service["ttfb"]["median"] <= 0.2)),
            (f"total time <= 2x baseline ({_x(total)})", bool(total and total <= 2)),
            (f"CPU <= 2x baseline ({_x(cpu)})", bool(cpu and cpu <= 2)),
            (
                "memory grows < 50 MB",
                bool(service["rss_growth_mb"] and service["rss_growth_mb"]["max"] < 50),
            ),
        ]
    return []


def machine_speed() -> float:
    """Seconds a pure-Python loop of 10 million additions takes: to compare machines."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"10^7 Python additions in {machine_speed():.2f} s; "
        f"{args.runs} runs of {args.duration:g} s per scenario; uvicorn with {args.workers} worker(s); "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
    ]
    for kind, outcome in results.items():
        lines += [
            f"### {kind}",
            "",
            "| scenario | clients | target | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MB | vs baseline |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        checks: list[str] = []
        for scenario in SCENARIOS:
            data = outcome["scenarios"].get(scenario.name)
            if not data:
                continue
            for target in ("service", "baseline"):
                d = data[target]
                if scenario.mode == "stream":
                    speed = f"first byte {_ms(d['ttfb'])} ms, total {_ms(d['total'])} ms"
                    lines.append(
                        f"| {scenario.name} | 1 | {target} | {speed} | | | {_num(d['cpu_ms_per_request'], 0)} "
                        f"| {_num(d['peak_rss_mb'])} (+{_num(d['rss_growth_mb'])}) | |"
                    )
                    continue
                vs = ""
                if target == "service":
                    rps, p99 = (
                        _ratio(d["rps"], data["baseline"]["rps"]),
                        _ratio(d["p99"], data["baseline"]["p99"]),
                    )
                    vs = f"{rps:.0%} of req/s, p99 x{p99:.2f}" if rps and p99 else ""
                lines.append(
                    f"| {scenario.name} | {scenario.clients} | {target} | {_num(d['rps'])} | {_ms(d['p50'])} "
                    f"| {_ms(d['p99'])} | {_num(d['cpu_ms_per_request'], 2)} | {_num(d['peak_rss_mb'])} | {vs} |"
                )
            for goal, met in goals(scenario.name, data["service"], data["baseline"]):
                checks.append(f"- {'met' if met else 'MISSED'}: {scenario.name}: {goal}")
        lines += ["", "Goals:", *checks, ""]
        if outcome["scaling"]:
            scales = next(iter(outcome["scaling"].values()))
            lines += [
                "Scaling (p50 ms, one client, 1,000 updates per situation):",
                "",
                "| endpoint | " + " | ".join(f"{n} situations" for n in scales) + " |",
                "| --- |" + " --- |" * len(scales),
            ]
            for endpoint, by_scale in outcome["scaling"].items():
                lines.append(
                    f"| {endpoint} | "
                    + " | ".join(f"{v * 1000:.1f}" for v in by_scale.values())
                    + " |"
                )
            lines.append("")
    return "\n".join(lines)


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
        "at the largest scale, without the scaling table",
    )
    parser.add_argument("--reseed", action="store_true", help="regenerate the databases")
    args = parser.parse_args(argv)
    results = {kind: run_database(kind, args) for kind in args.db.split(",")}
    text_report = report(results, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    (RESULTS / f"{stamp}.md").write_text(text_report)
    print(text_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
