"""The authorization matrix: every route x every kind of caller x every kind of object.

Callers: ``admin``, ``coordinator`` (of s1), ``partner_a`` and ``partner_b`` (partners of s1
for NGO A and NGO B), ``viewer`` (of s1), ``outsider`` (coordinator of s2 only) and
``anonymous`` (no token). Objects: ``own`` (in s1, belonging to NGO A: item 5a, NGO A's
update, partner_a's membership), ``other_org`` (in s1, belonging to NGO B: item 6a, NGO B's
update, partner_b's membership) and ``other_situation`` (the same kind of object in s2).

Each cell states the status the caller must get: 404 where the caller may not see the object,
403 where they may see it but not change it. For lists, ``HIDDEN`` means the call succeeds
but the object is not among the results. Every denied call must leave the database exactly as
it was. The test walks the application's routes, so a route without a case fails it.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.vocab import OwnerRole
from app.models import (
    ApiToken,
    Base,
    ChecklistItem,
    Event,
    FundingFlow,
    FundingFlowItem,
    FundingRequirement,
    ItemOwner,
    Obligation,
    Situation,
    SituationFramework,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.factories import World, make_pledge, open_cycle
from tests.test_routes import api_routes

ACTORS = ("admin", "coordinator", "partner_a", "partner_b", "viewer", "outsider", "anonymous")
VARIANTS = ("own", "other_org", "other_situation")
HIDDEN = "hidden"
Expected = int | str

REPORT = {"narrative": "Monthly report", "proposed_status": "in_progress"}


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    headers: dict[str, str] | None = None
    find: str | None = None  # for lists: the id whose presence is checked
    list_key: str = "items"
    id_key: str = "id"
    inner: bool = False  # for batches: the status of the first result counts


Build = Callable[[World, str, Connection, str], Call]


def row(
    admin: Expected,
    coordinator: Expected,
    partner_a: Expected,
    partner_b: Expected,
    viewer: Expected,
    outsider: Expected,
) -> dict[str, Expected]:
    return {
        "admin": admin,
        "coordinator": coordinator,
        "partner_a": partner_a,
        "partner_b": partner_b,
        "viewer": viewer,
        "outsider": outsider,
        "anonymous": 401,
    }


def everywhere(cells: dict[str, Expected]) -> dict[str, dict[str, Expected]]:
    """The same expectations whatever the object."""
    return dict.fromkeys(VARIANTS, cells)


def in_situation(
    own: dict[str, Expected], other_org: dict[str, Expected] | None = None
) -> dict[str, dict[str, Expected]]:
    """Situation-scoped: in s2 the outsider is its coordinator, s1's members see nothing."""
    other_situation = dict.fromkeys(ACTORS, 404)
    other_situation.update(admin=own["admin"], outsider=own["coordinator"], anonymous=401)
    return {"own": own, "other_org": other_org or own, "other_situation": other_situation}


# --- objects by variant --------------------------------------------------------------------


def situation(world: World, variant: str) -> Any:
    return world.s2 if variant == "other_situation" else world.s1


def item_code(variant: str) -> str:
    return "6a" if variant == "other_org" else "5a"


def update_id(world: World, variant: str) -> str:
    return str(world.updates[variant].id)


def member(world: World, variant: str) -> Any:
    return {"own": world.users["partner_a"], "other_org": world.users["partner_b"]}.get(
        variant, world.users["outsider"]
    )


def org(world: World, variant: str) -> Any:
    return world.orgs["ngo_b"] if variant == "other_org" else world.orgs["ngo_a"]


def knowable_stranger(connection: Connection, world: World, variant: str) -> Any:
    """The stranger, whose organisation (the RLO) now supports an item of the situation.

    A coordinator may add only users they have a way to know (``knowable_users``).
    """
    item_id = connection.scalar(
        select(ChecklistItem.id).where(
            ChecklistItem.situation_id == situation(world, variant).id, ChecklistItem.code == "5b"
        )
    )
    connection.execute(
        insert(ItemOwner).values(
            item_id=item_id, organisation_id=world.orgs["rlo"].id, role=OwnerRole.SUPPORT
        )
    )
    return world.users["stranger"]


def sit_url(world: World, variant: str, path: str = "") -> str:
    return f"/api/v1/situations/{situation(world, variant).id}{path}"


def situation_version(connection: Connection, world: World, variant: str) -> int:
    return connection.execute(
        select(Situation.version).where(Situation.id == situation(world, variant).id)
    ).scalar_one()


def item_version(connection: Connection, world: World, variant: str) -> int:
    return connection.execute(
        select(ChecklistItem.version).where(
            ChecklistItem.situation_id == situation(world, variant).id,
            ChecklistItem.code == item_code(variant),
        )
    ).scalar_one()


def cycle_url(connection: Connection, world: World, variant: str, path: str = "") -> str:
    """A new cycle of the variant's situation: its obligations are the leads' of 5a and 6a."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        cycle = open_cycle(session, situation(world, variant))
        session.commit()
        return sit_url(world, variant, f"/cycles/{cycle.id}{path}")
    finally:
        session.close()


def obligation_id(connection: Connection, cycle_url: str, variant: str) -> str:
    """The obligation of the variant's organisation (on its item) in the cycle at ``cycle_url``."""
    cycle_id = uuid.UUID(cycle_url.split("/cycles/")[1].split("/")[0])
    return str(
        connection.execute(
            select(Obligation.id).where(
                Obligation.cycle_id == cycle_id, Obligation.item_code == item_code(variant)
            )
        ).scalar_one()
    )


def waive_call(connection: Connection, world: World, variant: str) -> "Call":
    url = cycle_url(connection, world, variant)
    oid = obligation_id(connection, url, variant)
    return Call("POST", f"{url}/obligations/{oid}:waive", {"reason": "Office closed"})


def owed_call(connection: Connection, world: World, variant: str) -> "Call":
    url = cycle_url(connection, world, variant)
    return Call("GET", "/api/v1/users/me/obligations", find=obligation_id(connection, url, variant))


def obligations_call(connection: Connection, world: World, variant: str) -> "Call":
    url = cycle_url(connection, world, variant)
    oid = obligation_id(connection, url, variant)
    return Call("GET", f"{url}/obligations?limit=200", find=oid)


def webhook(connection: Connection, world: World, variant: str) -> str:
    """A webhook subscription of the variant's situation."""
    wid = uuid.uuid4()
    connection.execute(
        insert(WebhookSubscription).values(
            id=wid,
            situation_id=situation(world, variant).id,
            url="https://93.184.215.14/hooks",
            event_types=["crrf.item.changed"],
            secret="whsec_" + "A" * 43 + "=",
            active=True,
            failure_count=0,
            created_at=utcnow(),
        )
    )
    return str(wid)


def delivery(connection: Connection, world: World, variant: str) -> tuple[str, str]:
    """A webhook of the variant's situation with one failed delivery: (webhook, delivery)."""
    wid, event_id, did = webhook(connection, world, variant), uuid.uuid4(), uuid.uuid4()
    sid = situation(world, variant).id
    connection.execute(
        insert(Event).values(id=event_id, situation_id=sid, at=utcnow(), action="item.updated")
    )
    connection.execute(
        insert(WebhookDelivery).values(
            id=did,
            subscription_id=uuid.UUID(wid),
            event_id=event_id,
            webhook_id=f"msg_{event_id.hex}",
            event_type="crrf.item.changed",
            payload={"specversion": "1.0", "id": str(event_id)},
            state="failed",
            attempts=3,
            created_at=utcnow(),
        )
    )
    return wid, str(did)


def adopted_framework(connection: Connection, world: World, variant: str) -> str:
    """The variant's situation's URL of its adopted Ugandan framework."""
    connection.execute(
        insert(SituationFramework).values(
            id=uuid.uuid4(),
            situation_id=situation(world, variant).id,
            template_id="uga-crrf",
            template_version="2018.1",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    return sit_url(world, variant, "/frameworks/uga-crrf")


def redeliver_url(connection: Connection, world: World, variant: str) -> str:
    wid, did = delivery(connection, world, variant)
    return sit_url(world, variant, f"/webhooks/{wid}/deliveries/{did}:redeliver")


def _item_id(connection: Connection, world: World, variant: str) -> Any:
    return connection.scalar(
        select(ChecklistItem.id).where(
            ChecklistItem.situation_id == situation(world, variant).id,
            ChecklistItem.code == item_code(variant),
        )
    )


def requirement_url(connection: Connection, world: World, variant: str) -> str:
    """The variant's item's requirement for 2024, set."""
    now = utcnow()
    connection.execute(
        insert(FundingRequirement).values(
            id=uuid.uuid4(),
            situation_id=situation(world, variant).id,
            item_id=_item_id(connection, world, variant),
            element_code=item_code(variant),
            year=2024,
            amount_usd_cents=100_000,
            budget_status="indicative",
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    return sit_url(world, variant, f"/items/{item_code(variant)}/requirements/2024")


def funding_flow(connection: Connection, world: World, variant: str) -> str:
    """A commitment from the variant's organisation to the variant's item."""
    fid, now, sid = uuid.uuid4(), utcnow(), situation(world, variant).id
    connection.execute(
        insert(FundingFlow).values(
            id=fid,
            situation_id=sid,
            status="commitment",
            source_organisation_id=org(world, variant).id,
            amount=Decimal(1000),
            currency="USD",
            exchange_rate=Decimal(1),
            amount_usd_cents=100_000,
            date=now.date(),
            budget_year=2024,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )
    connection.execute(
        insert(FundingFlowItem).values(
            flow_id=fid,
            item_id=_item_id(connection, world, variant),
            situation_id=sid,
            code=item_code(variant),
            element_code=item_code(variant),
            position=0,
            status="commitment",
            amount_usd_cents=100_000,
        )
    )
    return str(fid)


def flow_url(connection: Connection, world: World, variant: str) -> str:
    return sit_url(world, variant, f"/funding/{funding_flow(connection, world, variant)}")


def flow_body(world: World, variant: str) -> dict[str, Any]:
    return {
        "status": "pledge",
        "source_organisation_id": str(org(world, variant).id),
        "items": [item_code(variant)],
        "amount": "250.00",
        "currency": "USD",
        "date": "2024-06-01",
        "budget_year": 2024,
    }


# Partners record, change and delete the flows of their own organisation only.
BY_SOURCE = in_situation(row(201, 201, 201, 403, 403, 404), row(201, 201, 403, 201, 403, 404))
CHANGED_BY_SOURCE = in_situation(
    row(200, 200, 200, 403, 403, 404), row(200, 200, 403, 200, 403, 404)
)
DELETED_BY_SOURCE = in_situation(
    row(204, 204, 204, 403, 403, 404), row(204, 204, 403, 204, 403, 404)
)


def pledge_url(connection: Connection, world: World, variant: str, path: str = "") -> str:
    """A pledge of the variant's organisation, serving its item in its situation."""
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        pledge = make_pledge(
            session, world.users["admin"], org(world, variant), situation(world, variant)
        )
        session.commit()
        return f"/api/v1/pledges/{pledge.id}{path}"
    finally:
        session.close()


def pledge_body(world: World, variant: str) -> dict[str, Any]:
    """A new pledge of the variant's organisation, on its item in its situation."""
    return {
        "title": "Reception centres",
        "type": "material",
        "gcr_objectives": [1],
        "forum": "GRF 2023",
        "parties": [{"organisation_id": str(org(world, variant).id), "role": "submitter"}],
        "links": [{"situation_id": str(situation(world, variant).id), "code": item_code(variant)}],
    }


def token_id(connection: Connection, user_id: uuid.UUID) -> str:
    return str(
        connection.execute(select(ApiToken.id).where(ApiToken.user_id == user_id)).scalars().first()
    )


# --- the cases ------------------------------------------------------------------------------

CASES: dict[tuple[str, str], tuple[Build, dict[str, dict[str, Expected]]]] = {
    ("GET", "/api/v1/templates"): (
        lambda w, v, c, u: Call("GET", "/api/v1/templates"),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("GET", "/api/v1/templates/{template_id}"): (
        lambda w, v, c, u: Call("GET", "/api/v1/templates/crrf-annex-i"),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("GET", "/api/v1/organisations"): (
        lambda w, v, c, u: Call("GET", "/api/v1/organisations?limit=200", find=str(org(w, v).id)),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("POST", "/api/v1/organisations"): (
        lambda w, v, c, u: Call(
            "POST", "/api/v1/organisations", {"name": f"New {u}", "type": "media"}
        ),
        everywhere(row(201, 403, 403, 403, 403, 403)),
    ),
    ("GET", "/api/v1/organisations/{organisation_id}"): (
        lambda w, v, c, u: Call("GET", f"/api/v1/organisations/{org(w, v).id}"),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("PATCH", "/api/v1/organisations/{organisation_id}"): (
        lambda w, v, c, u: Call("PATCH", f"/api/v1/organisations/{org(w, v).id}", {"acronym": "X"}),
        everywhere(row(200, 403, 403, 403, 403, 403)),
    ),
    ("GET", "/api/v1/users"): (
        lambda w, v, c, u: Call("GET", "/api/v1/users?limit=200"),
        everywhere(row(200, 403, 403, 403, 403, 403)),
    ),
    ("POST", "/api/v1/users"): (
        lambda w, v, c, u: Call(
            "POST", "/api/v1/users", {"email": f"{u}@example.org", "name": "N"}
        ),
        everywhere(row(201, 403, 403, 403, 403, 403)),
    ),
    ("GET", "/api/v1/users/me"): (
        lambda w, v, c, u: Call("GET", "/api/v1/users/me"),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("GET", "/api/v1/users/{user_id}"): (
        lambda w, v, c, u: Call("GET", f"/api/v1/users/{member(w, v).id}"),
        {
            "own": row(200, 404, 200, 404, 404, 404),
            "other_org": row(200, 404, 404, 200, 404, 404),
            "other_situation": row(200, 404, 404, 404, 404, 200),
        },
    ),
    ("PATCH", "/api/v1/users/{user_id}"): (
        lambda w, v, c, u: Call("PATCH", f"/api/v1/users/{member(w, v).id}", {"name": "Renamed"}),
        {
            "own": row(200, 404, 403, 404, 404, 404),
            "other_org": row(200, 404, 404, 403, 404, 404),
            "other_situation": row(200, 404, 404, 404, 404, 403),
        },
    ),
    ("GET", "/api/v1/users/{user_id}/tokens"): (
        lambda w, v, c, u: Call("GET", f"/api/v1/users/{member(w, v).id}/tokens"),
        {
            "own": row(200, 404, 200, 404, 404, 404),
            "other_org": row(200, 404, 404, 200, 404, 404),
            "other_situation": row(200, 404, 404, 404, 404, 200),
        },
    ),
    ("POST", "/api/v1/users/{user_id}/tokens"): (
        lambda w, v, c, u: Call("POST", f"/api/v1/users/{member(w, v).id}/tokens", {"name": "t"}),
        {
            "own": row(201, 404, 201, 404, 404, 404),
            "other_org": row(201, 404, 404, 201, 404, 404),
            "other_situation": row(201, 404, 404, 404, 404, 201),
        },
    ),
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"): (
        lambda w, v, c, u: Call(
            "DELETE", f"/api/v1/users/{member(w, v).id}/tokens/{token_id(c, member(w, v).id)}"
        ),
        {
            "own": row(204, 404, 204, 404, 404, 404),
            "other_org": row(204, 404, 404, 204, 404, 404),
            "other_situation": row(204, 404, 404, 404, 404, 204),
        },
    ),
    # Coordinators invite their situations' members; never an admin, nor a coordinator
    # of a situation they do not coordinate (the link takes the account over).
    ("POST", "/api/v1/users/{user_id}/invitations"): (
        lambda w, v, c, u: Call("POST", f"/api/v1/users/{member(w, v).id}/invitations"),
        {
            "own": row(201, 201, 403, 404, 404, 404),
            "other_org": row(201, 201, 404, 403, 404, 404),
            "other_situation": row(201, 404, 404, 404, 404, 201),
        },
    ),
    ("POST", "/api/v1/situations"): (
        lambda w, v, c, u: Call(
            "POST",
            "/api/v1/situations",
            {"name": f"S {u}", "host_country": "ETH", "start_date": "2020-01-01"},
        ),
        everywhere(row(201, 403, 403, 403, 403, 403)),
    ),
    ("GET", "/api/v1/situations"): (
        lambda w, v, c, u: Call(
            "GET", "/api/v1/situations?limit=200", find=str(situation(w, v).id)
        ),
        {
            "own": row(200, 200, 200, 200, 200, HIDDEN),
            "other_org": row(200, 200, 200, 200, 200, HIDDEN),
            "other_situation": row(200, HIDDEN, HIDDEN, HIDDEN, HIDDEN, 200),
        },
    ),
    ("GET", "/api/v1/situations/{sid}"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v)),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PATCH", "/api/v1/situations/{sid}"): (
        lambda w, v, c, u: Call(
            "PATCH",
            sit_url(w, v),
            {"phase": "solutions"},
            {"If-Match": f'"v{situation_version(c, w, v)}"'},
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/members"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/members")),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/members/{user_id}"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, f"/members/{member(w, v).id}")),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("PUT", "/api/v1/situations/{sid}/members/{user_id}"): (
        lambda w, v, c, u: Call(
            "PUT", sit_url(w, v, f"/members/{knowable_stranger(c, w, v).id}"), {"role": "viewer"}
        ),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("DELETE", "/api/v1/situations/{sid}/members/{user_id}"): (
        lambda w, v, c, u: Call("DELETE", sit_url(w, v, f"/members/{member(w, v).id}")),
        in_situation(row(204, 204, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/items"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/items?limit=200")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/items"): (
        lambda w, v, c, u: Call(
            "POST", sit_url(w, v, "/items"), {"code": "5d.local", "title": "Local"}
        ),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/items/{code}"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, f"/items/{item_code(v)}")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PATCH", "/api/v1/situations/{sid}/items/{code}"): (
        lambda w, v, c, u: Call(
            "PATCH",
            sit_url(w, v, f"/items/{item_code(v)}"),
            {"status": "planned"},
            {"If-Match": f'"v{item_version(c, w, v)}"'},
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("PUT", "/api/v1/situations/{sid}/items/{code}/owners"): (
        lambda w, v, c, u: Call(
            "PUT",
            sit_url(w, v, f"/items/{item_code(v)}/owners"),
            {"owners": []},
            {"If-Match": f'"v{item_version(c, w, v)}"'},
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/items/{code}/history"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, f"/items/{item_code(v)}/history")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/items/{code}/updates"): (
        lambda w, v, c, u: Call("POST", sit_url(w, v, f"/items/{item_code(v)}/updates"), REPORT),
        in_situation(row(201, 201, 201, 403, 403, 404), row(201, 201, 403, 201, 403, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/updates:batch"): (
        lambda w, v, c, u: Call(
            "POST",
            sit_url(w, v, "/updates:batch"),
            {"updates": [{**REPORT, "code": item_code(v), "client_ref": "1"}]},
            inner=True,
        ),
        in_situation(row(201, 201, 201, 403, 403, 404), row(201, 201, 403, 201, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/updates"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/updates?limit=200"), find=update_id(w, v)),
        in_situation(
            row(200, 200, 200, HIDDEN, HIDDEN, 404), row(200, 200, HIDDEN, 200, HIDDEN, 404)
        ),
    ),
    ("POST", "/api/v1/situations/{sid}/updates:review"): (
        lambda w, v, c, u: Call(
            "POST",
            sit_url(w, v, "/updates:review"),
            {"update_ids": [update_id(w, v)], "decision": "accept"},
            inner=True,
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/summary"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/summary")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/report"): (
        lambda w, v, c, u: Call(
            "GET", sit_url(w, v, f"/report?from=2026-01-01&to={utcnow().date().isoformat()}")
        ),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("GET", "/api/v1/summary"): (
        lambda w, v, c, u: Call(
            "GET",
            "/api/v1/summary",
            find=str(situation(w, v).id),
            list_key="situations",
            id_key="situation_id",
        ),
        {
            "own": row(200, 200, 200, 200, 200, HIDDEN),
            "other_org": row(200, 200, 200, 200, 200, HIDDEN),
            "other_situation": row(200, HIDDEN, HIDDEN, HIDDEN, HIDDEN, 200),
        },
    ),
    ("GET", "/api/v1/situations/{sid}/export"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/export")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("GET", "/api/v1/summary/export"): (
        lambda w, v, c, u: Call("GET", "/api/v1/summary/export"),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("GET", "/api/v1/situations/{sid}/cycles"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/cycles")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/cycles"): (
        lambda w, v, c, u: Call(
            "POST",
            sit_url(w, v, "/cycles"),
            {
                "name": f"Round {u}",
                "period_start": "2030-01-01",
                "period_end": "2030-03-31",
                "due_date": "2030-04-15",
                "closes_on": "2030-04-30",
            },
        ),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/cycles/{cid}"): (
        lambda w, v, c, u: Call("GET", cycle_url(c, w, v)),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PATCH", "/api/v1/situations/{sid}/cycles/{cid}"): (
        lambda w, v, c, u: Call(
            "PATCH", cycle_url(c, w, v), {"state": "closed"}, {"If-Match": '"v1"'}
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    # Coordinators see every organisation's obligations, partners their own, viewers none.
    ("GET", "/api/v1/situations/{sid}/cycles/{cid}/obligations"): (
        lambda w, v, c, u: obligations_call(c, w, v),
        in_situation(row(200, 200, 200, HIDDEN, 403, 404), row(200, 200, HIDDEN, 200, 403, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/cycles/{cid}/obligations/{oid}:waive"): (
        lambda w, v, c, u: waive_call(c, w, v),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    # What the caller's organisation owes: NGO A's (partner_a), NGO B's (partner_b), and in
    # s2 the refugee-led organisation's (the outsider's); UNHCR and admins owe nothing here.
    ("GET", "/api/v1/users/me/obligations"): (
        lambda w, v, c, u: owed_call(c, w, v),
        {
            "own": row(HIDDEN, HIDDEN, 200, HIDDEN, HIDDEN, HIDDEN),
            "other_org": row(HIDDEN, HIDDEN, HIDDEN, 200, HIDDEN, HIDDEN),
            "other_situation": row(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, 200),
        },
    ),
    ("GET", "/api/v1/situations/{sid}/webhooks"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/webhooks"), find=webhook(c, w, v)),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/webhooks"): (
        lambda w, v, c, u: Call(
            "POST",
            sit_url(w, v, "/webhooks"),
            {"url": f"https://93.184.215.14/{u}", "event_types": ["crrf.item.changed"]},
        ),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/webhooks/{wid}"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, f"/webhooks/{webhook(c, w, v)}")),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/frameworks"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/frameworks")),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PUT", "/api/v1/situations/{sid}/frameworks/{template_id}"): (
        lambda w, v, c, u: Call("PUT", sit_url(w, v, "/frameworks/gcr-objectives"), {}),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("DELETE", "/api/v1/situations/{sid}/frameworks/{template_id}"): (
        lambda w, v, c, u: Call("DELETE", adopted_framework(c, w, v)),
        in_situation(row(204, 204, 403, 403, 403, 404)),
    ),
    ("DELETE", "/api/v1/situations/{sid}/webhooks/{wid}"): (
        lambda w, v, c, u: Call("DELETE", sit_url(w, v, f"/webhooks/{webhook(c, w, v)}")),
        in_situation(row(204, 204, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/webhooks/{wid}/deliveries"): (
        lambda w, v, c, u: Call(
            "GET", sit_url(w, v, f"/webhooks/{delivery(c, w, v)[0]}/deliveries")
        ),
        in_situation(row(200, 200, 403, 403, 403, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/webhooks/{wid}/deliveries/{did}:redeliver"): (
        lambda w, v, c, u: Call("POST", redeliver_url(c, w, v)),
        in_situation(row(202, 202, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/items/{code}/requirements"): (
        lambda w, v, c, u: Call(
            "GET",
            requirement_url(c, w, v).removesuffix("/2024"),
            find="2024",
            id_key="year",
        ),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/items/{code}/requirements/{year}"): (
        lambda w, v, c, u: Call("GET", requirement_url(c, w, v)),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PUT", "/api/v1/situations/{sid}/items/{code}/requirements/{year}"): (
        lambda w, v, c, u: Call(
            "PUT",
            sit_url(w, v, f"/items/{item_code(v)}/requirements/2031"),
            {"amount_usd": "5000.00"},
        ),
        in_situation(row(201, 201, 403, 403, 403, 404)),
    ),
    ("DELETE", "/api/v1/situations/{sid}/items/{code}/requirements/{year}"): (
        lambda w, v, c, u: Call("DELETE", requirement_url(c, w, v)),
        in_situation(row(204, 204, 403, 403, 403, 404)),
    ),
    ("GET", "/api/v1/situations/{sid}/funding"): (
        lambda w, v, c, u: Call("GET", sit_url(w, v, "/funding"), find=funding_flow(c, w, v)),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("POST", "/api/v1/situations/{sid}/funding"): (
        lambda w, v, c, u: Call("POST", sit_url(w, v, "/funding"), flow_body(w, v)),
        BY_SOURCE,
    ),
    ("GET", "/api/v1/situations/{sid}/funding/{fid}"): (
        lambda w, v, c, u: Call("GET", flow_url(c, w, v)),
        in_situation(row(200, 200, 200, 200, 200, 404)),
    ),
    ("PATCH", "/api/v1/situations/{sid}/funding/{fid}"): (
        lambda w, v, c, u: Call(
            "PATCH", flow_url(c, w, v), {"status": "paid"}, {"If-Match": '"v1"'}
        ),
        CHANGED_BY_SOURCE,
    ),
    ("DELETE", "/api/v1/situations/{sid}/funding/{fid}"): (
        lambda w, v, c, u: Call("DELETE", flow_url(c, w, v)),
        DELETED_BY_SOURCE,
    ),
    # Pledges are public; their parties' users (and admins) change them and report on them.
    # A non-admin names only their own organisation, and links only where they are a
    # partner or a coordinator (s2 is unknown to partner_a: 422, as a situation that is not).
    ("GET", "/api/v1/pledges"): (
        lambda w, v, c, u: Call(
            "GET", "/api/v1/pledges?limit=200", find=pledge_url(c, w, v).rsplit("/", 1)[1]
        ),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("POST", "/api/v1/pledges"): (
        lambda w, v, c, u: Call("POST", "/api/v1/pledges", pledge_body(w, v)),
        {
            "own": row(201, 403, 201, 403, 403, 403),
            "other_org": row(201, 403, 403, 201, 403, 403),
            "other_situation": row(201, 403, 422, 403, 403, 403),
        },
    ),
    ("GET", "/api/v1/pledges/{pid}"): (
        lambda w, v, c, u: Call("GET", pledge_url(c, w, v)),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("PATCH", "/api/v1/pledges/{pid}"): (
        lambda w, v, c, u: Call(
            "PATCH", pledge_url(c, w, v), {"title": "Renamed"}, {"If-Match": '"v1"'}
        ),
        {
            "own": row(200, 403, 200, 403, 403, 403),
            "other_org": row(200, 403, 403, 200, 403, 403),
            "other_situation": row(200, 403, 200, 403, 403, 403),
        },
    ),
    ("GET", "/api/v1/pledges/{pid}/progress"): (
        lambda w, v, c, u: Call("GET", pledge_url(c, w, v, "/progress")),
        everywhere(row(200, 200, 200, 200, 200, 200)),
    ),
    ("POST", "/api/v1/pledges/{pid}/progress"): (
        lambda w, v, c, u: Call(
            "POST", pledge_url(c, w, v, "/progress"), {"year": 2024, "narrative": "On track"}
        ),
        {
            "own": row(201, 403, 201, 403, 403, 403),
            "other_org": row(201, 403, 403, 201, 403, 403),
            "other_situation": row(201, 403, 201, 403, 403, 403),
        },
    ),
    ("GET", "/api/v1/updates/{uid}"): (
        lambda w, v, c, u: Call("GET", f"/api/v1/updates/{update_id(w, v)}"),
        in_situation(row(200, 200, 200, 404, 404, 404), row(200, 200, 404, 200, 404, 404)),
    ),
    ("POST", "/api/v1/updates/{uid}/review"): (
        lambda w, v, c, u: Call(
            "POST",
            f"/api/v1/updates/{update_id(w, v)}/review",
            {"decision": "return", "comment": "c"},
        ),
        in_situation(row(200, 200, 403, 404, 404, 404), row(200, 200, 404, 403, 404, 404)),
    ),
}


def database_state(connection: Connection) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a denied call changed nothing."""
    state = {}
    for table in Base.metadata.sorted_tables:
        rows = connection.execute(table.select()).all()
        state[table.name] = sorted(tuple(str(value) for value in r) for r in rows)
    return state


def _effective(response: httpx.Response, call: Call) -> Expected:
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.status_code
    if call.inner:
        return int(response.json()["results"][0]["status"])
    if call.find is not None:
        ids = {str(obj[call.id_key]) for obj in response.json()[call.list_key]}
        return response.status_code if call.find in ids else HIDDEN
    return response.status_code


def test_every_route_has_a_case(app: FastAPI) -> None:
    routes = {
        (method, path)
        for path, methods, _ in api_routes(app)
        if path.startswith("/api/")
        for method in methods
        if method != "HEAD"
    }
    assert routes - set(CASES) == set(), "add these routes to the authorization matrix"
    assert set(CASES) - routes == set(), "these cases name routes that no longer exist"


@pytest.mark.parametrize(
    ("method", "path"), sorted(CASES), ids=[f"{m} {p}" for m, p in sorted(CASES)]
)
def test_authorization_matrix(
    client: TestClient, world: World, connection: Connection, method: str, path: str
) -> None:
    build, expected = CASES[(method, path)]
    mismatches = []
    for actor in ACTORS:
        for variant in VARIANTS:
            savepoint = connection.begin_nested()
            try:
                call = build(world, variant, connection, uuid.uuid4().hex[:10])
                headers = dict(call.headers or {})
                if actor != "anonymous":
                    headers.update(world.headers(actor))
                wanted = expected[variant][actor]
                before = database_state(connection)
                response = client.request(call.method, call.url, json=call.json, headers=headers)
                got = _effective(response, call)
                if got != wanted:
                    mismatches.append(f"{actor:>11} x {variant:<15} expected {wanted}, got {got}")
                elif isinstance(got, int) and got >= 400 and database_state(connection) != before:
                    mismatches.append(f"{actor:>11} x {variant:<15} was denied but changed data")
            finally:
                savepoint.rollback()
    assert mismatches == [], f"{method} {path}\n" + "\n".join(mismatches)


# --- dashboard pages: the cookie's user, the same permissions (signed out: 303 to sign in) ---

PAGE_ACTORS = ACTORS
MEMBERS_OF_S1 = {"admin": 200, "coordinator": 200, "partner_a": 200, "partner_b": 200}
IN_S1 = {**MEMBERS_OF_S1, "viewer": 200, "outsider": 404, "anonymous": 303}
IN_S2 = {**dict.fromkeys(ACTORS, 404), "admin": 200, "outsider": 200, "anonymous": 303}
EVERY_USER = {**dict.fromkeys(ACTORS, 200), "anonymous": 303}
ADMINS_ONLY = {**dict.fromkeys(ACTORS, 403), "admin": 200, "anonymous": 303}
ADMIN_CREATES = {**ADMINS_ONLY, "admin": 303}
PAGE_FORMS = {
    "/admin/situations": {
        "name": "Opened by {actor}",
        "host_country": "TZA",
        "start_date": "2015-05-01",
    },
    "/admin/organisations": {"name": "Registered by {actor}", "type": "other"},
    "/admin/users": {"email": "{actor}@created.example.org", "name": "Created"},
    "/situations/{sid}/items/5a/updates": {"narrative": "Sent by {actor}", "form_key": "{actor}"},
    # A stale ETag: who may edit meets the conflict page (409), and nothing changes.
    "/situations/{sid}/items/5a/edit": {"etag": '"0"', "status": "planned"},
    "/situations/{sid}/items/5a/owners": {"etag": '"0"'},
    "/situations/{sid}/items/5a/requirements": {"year": "2031", "amount_usd": "10.00"},
    # UNHCR's money: partners are refused (403), as by the API.
    "/situations/{sid}/items/5a/funding": {
        "flow_key": "{actor}",
        "status": "pledge",
        "source_organisation_id": "{unhcr}",
        "amount": "10.00",
        "currency": "USD",
        "date": "2024-05-01",
        "budget_year": "2024",
    },
    "/situations/{sid}/members/{member}/role": {"role": "viewer"},
    "/situations/{sid}/members/{member}/remove": {},
    "/situations/{sid}/review": {"decision": "accept", "update_ids": "{update}"},
    "/situations/{sid}/frameworks": {"framework": "uga-crrf"},
    "/situations/{sid}/frameworks/uga-crrf/drop": {},
}
# 5a of s1 is NGO A's (partner_a); in s2, the refugee-led organisation's.
REPORTS_ON_5A = {**IN_S1, "admin": 303, "coordinator": 303, "partner_a": 303, "partner_b": 403}
REPORTS_ON_5A["viewer"] = 403
REPORTS_IN_S2 = {**IN_S2, "admin": 303, "outsider": 303}
COORDINATES_S1 = {**IN_S1, "partner_a": 403, "partner_b": 403, "viewer": 403}
COORDINATES_S2 = IN_S2
CONFLICT_S1 = {**COORDINATES_S1, "admin": 409, "coordinator": 409}
CONFLICT_S2 = {**COORDINATES_S2, "admin": 409, "outsider": 409}
CHANGED_S1 = {**COORDINATES_S1, "admin": 303, "coordinator": 303}
CHANGED_S2 = {**COORDINATES_S2, "admin": 303, "outsider": 303}
PAGE_CASES: dict[tuple[str, str], dict[str, dict[str, Expected]]] = {
    ("GET", "/situations/{sid}/trend"): {"own": IN_S1, "other_situation": IN_S2},
    ("GET", "/situations/{sid}/export"): {"own": IN_S1, "other_situation": IN_S2},
    ("GET", "/rollup"): {"own": EVERY_USER},
    ("GET", "/pledges"): {"own": EVERY_USER},
    ("GET", "/organisation"): {"own": EVERY_USER},
    ("GET", "/situations"): {"own": EVERY_USER},
    ("GET", "/situations/{sid}/items/5a"): {"own": IN_S1, "other_situation": IN_S2},
    ("GET", "/situations/{sid}/items/5a/edit"): {"own": COORDINATES_S1, "other_situation": IN_S2},
    ("GET", "/situations/{sid}/items/5a/owners"): {"own": COORDINATES_S1, "other_situation": IN_S2},
    ("GET", "/situations/{sid}/members"): {"own": COORDINATES_S1, "other_situation": IN_S2},
    ("GET", "/situations/{sid}/review"): {"own": COORDINATES_S1, "other_situation": IN_S2},
    ("POST", "/situations/{sid}/items/5a/edit"): {
        "own": CONFLICT_S1,
        "other_situation": CONFLICT_S2,
    },
    ("POST", "/situations/{sid}/items/5a/owners"): {
        "own": CONFLICT_S1,
        "other_situation": CONFLICT_S2,
    },
    ("POST", "/situations/{sid}/members/{member}/role"): {
        "own": CHANGED_S1,
        "other_situation": CHANGED_S2,
    },
    ("POST", "/situations/{sid}/members/{member}/remove"): {
        "own": CHANGED_S1,
        "other_situation": CHANGED_S2,
    },
    ("POST", "/situations/{sid}/review"): {"own": CHANGED_S1, "other_situation": CHANGED_S2},
    ("POST", "/situations/{sid}/items/5a/requirements"): {
        "own": CHANGED_S1,
        "other_situation": CHANGED_S2,
    },
    ("POST", "/situations/{sid}/items/5a/funding"): {
        "own": CHANGED_S1,
        "other_situation": CHANGED_S2,
    },
    ("POST", "/situations/{sid}/frameworks"): {"own": CHANGED_S1, "other_situation": CHANGED_S2},
    # Nothing adopted: who may drop one is told so (404); the others are refused first.
    ("POST", "/situations/{sid}/frameworks/uga-crrf/drop"): {
        "own": {**COORDINATES_S1, "admin": 404, "coordinator": 404},
        "other_situation": {**COORDINATES_S2, "admin": 404, "outsider": 404},
    },
    ("POST", "/situations/{sid}/items/5a/updates"): {
        "own": REPORTS_ON_5A,
        "other_situation": REPORTS_IN_S2,
    },
    ("GET", "/rollup/export"): {"own": EVERY_USER},
    ("GET", "/admin"): {"own": ADMINS_ONLY},
    ("GET", "/admin/situations/new"): {"own": ADMINS_ONLY},
    ("GET", "/admin/organisations/new"): {"own": ADMINS_ONLY},
    ("GET", "/admin/users/new"): {"own": {**ADMINS_ONLY}},
    ("POST", "/admin/situations"): {"own": ADMIN_CREATES},
    ("POST", "/admin/organisations"): {"own": ADMIN_CREATES},
    ("POST", "/admin/users"): {"own": ADMINS_ONLY},  # 200: the link is shown, not redirected
}


@pytest.mark.parametrize(
    ("method", "path"), sorted(PAGE_CASES), ids=[f"{m} {p}" for m, p in sorted(PAGE_CASES)]
)
def test_page_authorization_matrix(
    client: TestClient, world: World, connection: Connection, method: str, path: str
) -> None:
    from app.dashboard.deps import SESSION_COOKIE
    from tests.test_dashboard import csrf_of

    mismatches = []
    for variant, expected in PAGE_CASES[(method, path)].items():
        situation = world.s1 if variant == "own" else world.s2
        # A member of the situation, and an update of it waiting for review.
        member = world.users["viewer" if variant == "own" else "stranger"].id
        waiting = world.updates["own" if variant == "own" else "other_situation"].id
        url = path.replace("{sid}", str(situation.id)).replace("{member}", str(member))
        url += "?format=csv" if "export" in path else ""
        for actor in PAGE_ACTORS:
            savepoint = connection.begin_nested()
            try:
                client.cookies.clear()
                data = None
                if actor != "anonymous":
                    client.cookies.set(SESSION_COOKIE, world.cookies[actor])
                if method == "POST":
                    fields = PAGE_FORMS[path]  # the path as written, before {sid} is filled
                    data = {
                        k: v.format(actor=actor, update=waiting, unhcr=world.orgs["unhcr"].id)
                        for k, v in fields.items()
                    }
                    if actor != "anonymous":
                        data["csrf_token"] = csrf_of(client)
                before = database_state(connection)
                response = client.request(method, url, data=data, follow_redirects=False)
                got = response.status_code
                if got != expected[actor]:
                    mismatches.append(
                        f"{actor:>11} x {variant:<15} expected {expected[actor]}, got {got}"
                    )
                elif (got >= 400 or actor == "anonymous") and database_state(connection) != before:
                    mismatches.append(f"{actor:>11} x {variant:<15} was denied but changed data")
            finally:
                savepoint.rollback()
    assert mismatches == [], f"{method} {path}\n" + "\n".join(mismatches)
