"""The report: the tables, the goals and whether each was met, the scaling table."""

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

from bench.scenarios import SCENARIOS


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
    if name == "deadline burst":
        return [
            ("throughput >= 50% of baseline, the worker running", bool(rps and rps >= 0.5)),
            ("p99 <= 2x baseline", bool(p99 and p99 <= 2)),
            ("zero errors", errors == 0),
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
    if name == "situation page":
        return [("throughput >= 30% of baseline", bool(rps and rps >= 0.3))]
    if name == "situation page, one client":
        return [
            ("p50 <= 25 ms, one client", bool(service["p50"] and service["p50"]["median"] <= 0.025))
        ]
    return []


def scaling_goals(scaling: dict[str, dict[int, float]]) -> list[str]:
    """The situation page's p50 must not grow from the smallest scale to the largest."""
    by_scale = scaling.get("situation page, one client")
    if not by_scale or len(by_scale) < 2:
        return []
    sizes = sorted(by_scale)
    growth = by_scale[sizes[-1]] / by_scale[sizes[0]]
    met = growth <= 1.5  # within noise: the page reads one situation, whatever their number
    return [
        f"- {'met' if met else 'MISSED'}: situation page: no growth from {sizes[0]:,} to "
        f"{sizes[-1]:,} situations (p50 x{growth:.2f})"
    ]


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
            if data.get("worker"):
                w = data["worker"]
                checks.append(
                    f"- {scenario.name}: the worker beside it sent {w['emails']:,} e-mails and "
                    f"{w['webhooks']:,} webhooks ({w['emails_duplicates']} and "
                    f"{w['webhooks_duplicates']} duplicates)"
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
            lines += ["", *scaling_goals(outcome["scaling"]), ""]
    return "\n".join(lines)
