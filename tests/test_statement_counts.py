"""No N+1: the number of SQL statements an endpoint issues does not grow with the data."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.core.vocab import OwnerRole, SituationRole
from app.events.service import SYSTEM
from app.funding import requirements
from app.funding import service as funding
from app.funding.schemas import FlowCreate, RequirementIn
from app.idempotency import service as idempotency_service
from app.templates.registry import TemplateRegistry
from tests.factories import (
    World,
    add_member,
    make_organisation,
    make_situation,
    set_owners,
    submit_update,
)
from tests.helpers import with_etag

Call = Callable[[TestClient, World], Any]

REPORT = {"narrative": "Counting", "proposed_status": "planned"}

CALLS: dict[str, Call] = {
    "list situations": lambda c, w: c.get("/api/v1/situations", headers=w.headers("coordinator")),
    "list items": lambda c, w: c.get(w.url("/items?limit=200"), headers=w.headers("coordinator")),
    "read item": lambda c, w: c.get(w.url("/items/5a"), headers=w.headers("coordinator")),
    "item history": lambda c, w: c.get(w.url("/items/5a/history"), headers=w.headers("partner_b")),
    "list updates": lambda c, w: c.get(w.url("/updates"), headers=w.headers("coordinator")),
    "summary": lambda c, w: c.get(w.url("/summary"), headers=w.headers("viewer")),
    "summary as_of": lambda c, w: c.get(
        w.url("/summary?as_of=2026-01-01"), headers=w.headers("viewer")
    ),
    "roll-up": lambda c, w: c.get("/api/v1/summary", headers=w.headers("coordinator")),
    "situation export": lambda c, w: c.get(
        w.url("/export?format=csv"), headers=w.headers("coordinator")
    ),
    "roll-up export": lambda c, w: c.get(
        "/api/v1/summary/export", headers=w.headers("coordinator")
    ),
    "submit update": lambda c, w: c.post(
        w.url("/items/5a/updates"),
        json=REPORT,
        headers={**w.headers("partner_a"), "Idempotency-Key": "count"},
    ),
    "batch of 3": lambda c, w: c.post(
        w.url("/updates:batch"),
        json={"updates": [{**REPORT, "code": "5a", "client_ref": str(i)} for i in range(3)]},
        headers=w.headers("partner_a"),
    ),
    "review": lambda c, w: c.post(
        f"/api/v1/updates/{w.updates['own'].id}/review",
        json={"decision": "accept"},
        headers=w.headers("coordinator"),
    ),
    "patch item": lambda c, w: c.patch(
        w.url("/items/7a"),
        json={"status": "planned"},
        headers={**w.headers("coordinator"), "If-Match": '"v1"'},
    ),
    "set owners": lambda c, w: c.put(
        w.url("/items/7b/owners"),
        json={"owners": [{"organisation_id": str(w.orgs["gov"].id), "role": "lead"}]},
        # The GET for the ETag is counted too, with little data and with more alike.
        headers=with_etag(c, w.url("/items/7b"), w.headers("coordinator")),
    ),
}


@pytest.fixture
def count_statements(engine: Engine) -> Iterator[Callable[[Call, TestClient, World], int]]:
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)

    def count(call: Call, client: TestClient, world: World) -> int:
        seen.clear()
        response = call(client, world)
        assert response.status_code < 400, response.text
        return len(seen)

    yield count
    event.remove(engine, "before_cursor_execute", listener)


def grow(db: Session, registry: TemplateRegistry, world: World) -> None:
    """Three more situations, many more owners, updates, events, requirements and flows."""
    extra = [make_organisation(db) for _ in range(5)]
    for _ in range(3):
        situation = make_situation(db, registry)
        add_member(db, situation, world.users["coordinator"], SituationRole.COORDINATOR)
        for code in ("5a", "5b", "6a", "8a"):
            set_owners(
                db, situation, code, (extra[0], OwnerRole.LEAD), (extra[1], OwnerRole.SUPPORT)
            )
    for code in ("5b", "5c", "5d", "6b", "7c", "8a", "11a"):
        set_owners(
            db,
            world.s1,
            code,
            (extra[2], OwnerRole.LEAD),
            (extra[3], OwnerRole.FUNDING),
            (extra[4], OwnerRole.SUPPORT),
        )
    for _ in range(6):
        submit_update(db, world.s1, world.users["partner_a"], "5a", proposed_status="in_progress")
        submit_update(db, world.s1, world.users["coordinator"], "5c")
    for year in (2024, 2025, 2026):
        amount = RequirementIn.model_validate({"amount_usd": "1000.00"})
        requirements.put(db, world.s1.id, "5a", year, amount, None, SYSTEM)
    for status in ("pledge", "commitment", "paid"):
        data = {
            "status": status,
            "source_organisation_id": world.orgs["unhcr"].id,
            "items": ["5a", "5b"],
            "amount": "100.00",
            "currency": "USD",
            "date": "2024-05-01",
            "budget_year": 2024,
        }
        funding.insert(db, world.s1.id, FlowCreate.model_validate(data), SYSTEM)
    db.commit()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_statements_do_not_grow_with_the_data(
    name: str,
    client: TestClient,
    world: World,
    db: Session,
    registry: TemplateRegistry,
    connection: Any,
    count_statements: Callable[[Call, TestClient, World], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expired idempotency keys are swept on 1 % of requests: not here, counts must be exact.
    monkeypatch.setattr(idempotency_service, "SWEEP_CHANCE", 0.0)
    call = CALLS[name]
    savepoint = connection.begin_nested()
    small = count_statements(call, client, world)
    savepoint.rollback()
    grow(db, registry, world)
    large = count_statements(call, client, world)
    assert large == small, f"{name}: {small} statements with little data, {large} with more"
