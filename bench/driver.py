"""The load driver: its own process, closed-loop clients on keep-alive connections.

Each of ``clients`` loops: take the next request, send it, wait for the whole response,
record the latency from the moment the client was ready to send (its intended send time)
to the last byte. A run is ``warmup`` seconds unrecorded, then ``duration`` seconds recorded.

    python -m bench.driver '<json spec>'      prints one JSON result line

Spec: {"base": url, "requests": [{"method", "path", "headers", "json"}], "clients": n,
"duration": s, "warmup": s, "mode": "load" | "stream"}. The text ``{uuid}`` anywhere in a
request is replaced by a fresh UUID each time (idempotency keys). Mode ``stream`` sends one
request and reports time to first byte, total time and size.
"""

import asyncio
import itertools
import json
import sys
import time
import uuid
from typing import Any

import httpx


def _fresh(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("{uuid}", uuid.uuid4().hex) if "{uuid}" in value else value
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


async def load(spec: dict[str, Any]) -> dict[str, Any]:
    requests = itertools.cycle(spec["requests"])
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    limits = httpx.Limits(
        max_connections=spec["clients"], max_keepalive_connections=spec["clients"]
    )
    started = time.perf_counter()
    record_from = started + spec.get("warmup", 1.0)
    stop_at = record_from + spec["duration"]

    async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal sent
            while True:
                intended = time.perf_counter()
                if intended >= stop_at:
                    return
                request = _fresh(next(requests))
                response = await client.request(
                    request.get("method", "GET"),
                    request["path"],
                    headers=request.get("headers"),
                    json=request.get("json"),
                )
                done = time.perf_counter()
                sent += 1
                if intended >= record_from:
                    latencies.append(done - intended)
                    key = str(response.status_code)
                    statuses[key] = statuses.get(key, 0) + 1

        await asyncio.gather(*(worker() for _ in range(spec["clients"])))
    elapsed = time.perf_counter() - record_from
    latencies.sort()
    return {
        "requests": len(latencies),
        "sent": sent,
        "rps": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "statuses": statuses,
    }


async def stream(spec: dict[str, Any]) -> dict[str, Any]:
    request = _fresh(spec["requests"][0])
    async with httpx.AsyncClient(base_url=spec["base"], timeout=600) as client:
        started = time.perf_counter()
        first = None
        size = 0
        async with client.stream(
            request.get("method", "GET"), request["path"], headers=request.get("headers")
        ) as r:
            async for chunk in r.aiter_raw():
                if first is None and chunk:
                    first = time.perf_counter() - started
                size += len(chunk)
            status = r.status_code
        total = time.perf_counter() - started
    return {"ttfb": first, "total": total, "bytes": size, "statuses": {str(status): 1}, "sent": 1}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    spec = json.loads(sys.argv[1])
    result = asyncio.run(stream(spec) if spec.get("mode") == "stream" else load(spec))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
