"""The scenarios: what each drives on the service, and the bare baseline's equivalent."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.dashboard.deps import SESSION_COOKIE
from bench import burst


@dataclass
class Scenario:
    name: str
    clients: int
    app: Callable[[dict[str, Any]], list[dict[str, Any]]]
    baseline: Callable[[dict[str, Any]], list[dict[str, Any]]]
    mode: str = "load"
    writes: bool = False  # what it writes is deleted after it (forget_submissions)
    # What runs beside each of the service's runs (not the baseline's):
    # (service url, database url, info, report) -> a context; it may add to report.
    beside: (
        Callable[[str, str, dict[str, Any], dict[str, Any]], AbstractContextManager[None]] | None
    ) = None


def auth(info: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {info['tokens'][who]}"}


def page_session(info: dict[str, Any], who: str) -> dict[str, str]:
    """The cookie of a dashboard session opened for ``who`` (``run.open_web_sessions``)."""
    return {"Cookie": f"{SESSION_COOKIE}={info['web_sessions'][who]}"}


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


def _burst_targets(info: dict[str, Any]) -> list[list[str]]:
    return burst.targets(info, set(info["situations"][:READ]))


def _worker_beside(
    service: str, url: str, info: dict[str, Any], report: dict[str, Any]
) -> AbstractContextManager[None]:
    return burst.worker_running(service, url, info, set(info["situations"][:READ]), report)


def _situation_pages(info: dict[str, Any]) -> list[dict[str, Any]]:
    headers = page_session(info, "coordinator")
    return [{"path": f"/situations/{s}", "headers": headers} for s in info["situations"][:READ]]


def _bare_item_lists(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"path": f"/bench/situations/{s}/items"} for s in info["situations"][:READ]]


SCENARIOS = [
    Scenario(
        "submit update",
        32,
        lambda i: [
            {
                "method": "POST",
                "path": f"/api/v1/situations/{s}/items/{c}/updates",
                "json": REPORT,
                "headers": {**auth(i, "partner"), "Idempotency-Key": "{uuid}"},
            }
            for s, c, _ in _submit_targets(i)
        ],
        lambda i: [
            {"method": "POST", "path": f"/bench/items/{item}/updates"}
            for _, _, item in _submit_targets(i)
        ],
        writes=True,
    ),
    # bench/burst.py: the same submissions, into 50 situations due today, the worker running.
    Scenario(
        "deadline burst",
        burst.CLIENTS,
        lambda i: [
            {
                "method": "POST",
                "path": f"/api/v1/situations/{s}/items/{c}/updates",
                "json": REPORT,
                "headers": {**auth(i, "partner"), "Idempotency-Key": "{uuid}"},
            }
            for s, c, _ in _burst_targets(i)
        ],
        lambda i: [
            {"method": "POST", "path": f"/bench/items/{item}/updates"}
            for _, _, item in _burst_targets(i)
        ],
        writes=True,
        beside=_worker_beside,
    ),
    Scenario(
        "list 43 items",
        16,
        lambda i: [
            {"path": f"/api/v1/situations/{s}/items?limit=50", "headers": auth(i, "coordinator")}
            for s in i["situations"][:READ]
        ],
        _bare_item_lists,
    ),
    Scenario(
        "situation summary",
        1,
        lambda i: [
            {"path": f"/api/v1/situations/{s}/summary", "headers": auth(i, "coordinator")}
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
                "headers": auth(i, "coordinator"),
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
        lambda i: [{"path": "/api/v1/summary", "headers": auth(i, "admin")}],
        lambda i: [{"path": "/bench/rollup"}],
    ),
    Scenario(
        "roll-up CSV export",
        1,
        lambda i: [{"path": "/api/v1/summary/export?format=csv", "headers": auth(i, "admin")}],
        lambda i: [{"path": "/bench/rollup/export"}],
        mode="stream",
    ),
    # The dashboard's situation page, beside the bare SELECT of the situation's items.
    Scenario("situation page", 16, _situation_pages, _bare_item_lists),
    Scenario("situation page, one client", 1, _situation_pages, _bare_item_lists),
]


# The scenarios measured at every scale, one client, for the scaling table.
SCALED = (
    "list 43 items",
    "situation summary",
    "summary as_of",
    "roll-up",
    "situation page, one client",
)


def chosen(only: str | None) -> list[Scenario]:
    """The scenarios whose names contain one of the comma-separated words of ``only``."""
    if not only:
        return SCENARIOS
    words = [w.strip() for w in only.split(",") if w.strip()]
    return [s for s in SCENARIOS if any(w in s.name for w in words)]
