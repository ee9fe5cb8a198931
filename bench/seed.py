"""Generate a benchmark database: N situations, organisations, owners, M updates over years.

Rows go in with bulk inserts (the services would take hours for a million updates), but
they keep every invariant the service keeps: one event per item version carrying the
item's state, an event for every submitted, accepted and returned update, the item's
status and last accepted update matching its accepted updates.

    python -m bench.seed --url sqlite:///var/bench.sqlite3 --situations 1000 --updates 1000000

It prints the tokens of the users the scenarios use, as JSON, last.
"""

import argparse
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert, inspect

from app.auth.tokens import display_prefix, hash_token
from app.config import PROJECT_ROOT, Settings
from app.core.db import make_engine
from app.core.vocab import (
    ItemStatus,
    OrganisationType,
    OwnerRole,
    Phase,
    SituationRole,
    UpdateState,
)
from app.models import (
    ApiToken,
    ChecklistItem,
    Event,
    ItemOwner,
    Membership,
    Organisation,
    PopulationFigure,
    Situation,
    Update,
    User,
)
from app.ops import migrations
from app.organisations.service import name_key
from app.templates.registry import cached_registry

BATCH = 5000
COUNTRIES = [
    "UGA",
    "KEN",
    "ETH",
    "TCD",
    "SDN",
    "COL",
    "PER",
    "BGD",
    "TUR",
    "JOR",
    "LBN",
    "PAK",
    "DEU",
    "COD",
    "CMR",
]
ORIGINS = ["SSD", "SOM", "SDN", "VEN", "MMR", "SYR", "AFG", "COD", "CAF", "ERI", "UKR"]
PROGRESS = [ItemStatus.PLANNED, ItemStatus.IN_PROGRESS, ItemStatus.IN_PLACE]


@dataclass
class Buffers:
    """Rows waiting for a bulk insert, flushed table by table in dependency order."""

    engine: Engine
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    order: tuple[Table, ...] = ()

    def add(self, table: Table, row: dict[str, Any]) -> None:
        self.rows.setdefault(table.name, []).append(row)
        if len(self.rows[table.name]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        with self.engine.begin() as connection:
            for table in self.order:
                pending = self.rows.pop(table.name, [])
                if pending:
                    connection.execute(insert(table), pending)
                    self.counts[table.name] = self.counts.get(table.name, 0) + len(pending)


def _tables() -> tuple[Table, ...]:
    models = (
        Organisation,
        User,
        ApiToken,
        Situation,
        PopulationFigure,
        Membership,
        ChecklistItem,
        ItemOwner,
        Update,
        Event,
    )
    return tuple(model.__table__ for model in models)


def seed(url: str, situations: int, updates: int, *, rng_seed: int = 71) -> dict[str, Any]:
    """Fill an empty, migrated database; return the users' tokens and the situations' ids."""
    rng = random.Random(rng_seed)
    engine = make_engine(url, Settings(database_url=url))
    if inspect(engine).has_table("organisation"):
        with engine.connect() as connection:
            if connection.exec_driver_sql("SELECT count(*) FROM organisation").scalar():
                raise SystemExit("the database is not empty: seed a fresh one")
    template = cached_registry((PROJECT_ROOT / "crrf_templates").resolve()).get("crrf-annex-i")
    assert template is not None
    entries = list(template.entries())
    tables = _tables()
    out = Buffers(engine, order=tables)
    t = {table.name: table for table in tables}
    now = datetime.now(UTC)
    start = now - timedelta(days=3 * 365)

    types = list(OrganisationType)
    orgs = [uuid.uuid4() for _ in range(200)]
    for i, org in enumerate(orgs):
        name = f"Bench organisation {i:03d}"
        out.add(
            t["organisation"],
            {
                "id": org,
                "name": name,
                "name_key": name_key(name),
                "acronym": f"BO{i}",
                "type": types[i % len(types)],
                "country": None,
                "created_at": start,
                "updated_at": start,
            },
        )

    tokens: dict[str, str] = {}

    def user(role: str, org: uuid.UUID | None, admin: bool = False) -> uuid.UUID:
        uid = uuid.uuid4()
        out.add(
            t["user_account"],
            {
                "id": uid,
                "email": f"{role}@bench.crrf",
                "name": role.title(),
                "organisation_id": org,
                "is_admin": admin,
                "is_active": True,
                "created_at": start,
                "updated_at": start,
            },
        )
        secret = f"crrf_bench_{role}_{uuid.uuid4().hex}"
        out.add(
            t["api_token"],
            {
                "id": uuid.uuid4(),
                "user_id": uid,
                "name": "bench",
                "token_hash": hash_token(secret),
                "prefix": display_prefix(secret),
                "created_at": start,
                "expires_at": None,
                "revoked_at": None,
            },
        )
        tokens[role] = secret
        return uid

    partner_org = orgs[0]
    admin = user("admin", None, admin=True)
    coordinator = user("coordinator", orgs[1])
    partner = user("partner", partner_org)
    viewer = user("viewer", orgs[2])
    del admin

    per_item = updates / max(1, situations * len(entries))
    situation_ids: list[str] = []
    partner_items: list[tuple[str, str, str]] = []
    for s in range(situations):
        sid = uuid.uuid4()
        situation_ids.append(str(sid))
        created = start + timedelta(days=rng.randrange(0, 30))
        out.add(
            t["situation"],
            {
                "id": sid,
                "name": f"Bench situation {s:04d}",
                "host_country": COUNTRIES[s % len(COUNTRIES)],
                "origin_countries": [ORIGINS[s % len(ORIGINS)]],
                "start_date": created.date(),
                "phase": list(Phase)[s % len(Phase)],
                "description": None,
                "template_id": template.id,
                "template_version": template.version,
                "review_policy": "review",
                "stale_after_days": 90,
                "version": 1,
                "created_at": created,
                "updated_at": created,
            },
        )
        out.add(
            t["population_figure"],
            {
                "id": uuid.uuid4(),
                "situation_id": sid,
                "population_type": "REF",
                "date": now.date(),
                "total": rng.randrange(1000, 900000),
            },
        )
        for member, role in (
            (coordinator, SituationRole.COORDINATOR),
            (partner, SituationRole.PARTNER),
            (viewer, SituationRole.VIEWER),
        ):
            out.add(
                t["membership"],
                {
                    "situation_id": sid,
                    "user_id": member,
                    "role": role,
                    "created_at": created,
                    "updated_at": created,
                },
            )
        for entry in entries:
            owners = _owners(rng, orgs, partner_org)
            item_id = uuid.uuid4()
            if partner_org in {o for o, _ in owners} and len(partner_items) < 2000:
                partner_items.append((str(sid), entry.element.code, str(item_id)))
            count = int(per_item) + (1 if rng.random() < per_item - int(per_item) else 0)
            _item(out, t, rng, sid, item_id, entry, owners, created, now, count)
    out.flush()
    engine.dispose()
    return {
        "tokens": tokens,
        "situations": situation_ids,
        "partner_items": partner_items,
        "rows": out.counts,
    }


def _owners(
    rng: random.Random, orgs: list[uuid.UUID], partner_org: uuid.UUID
) -> list[tuple[uuid.UUID, OwnerRole]]:
    owners: list[tuple[uuid.UUID, OwnerRole]] = []
    if rng.random() < 0.75:
        owners.append((partner_org if rng.random() < 0.2 else rng.choice(orgs[3:]), OwnerRole.LEAD))
    for role in (OwnerRole.SUPPORT, OwnerRole.FUNDING, OwnerRole.IMPLEMENTING):
        if rng.random() < 0.4:
            candidate = rng.choice(orgs[3:])
            if (candidate, role) not in owners:
                owners.append((candidate, role))
    return owners


def _item(
    out: Buffers,
    t: dict[str, Table],
    rng: random.Random,
    sid: uuid.UUID,
    item_id: uuid.UUID,
    entry: Any,
    owners: list[tuple[uuid.UUID, OwnerRole]],
    created: datetime,
    now: datetime,
    count: int,
) -> None:
    """One item, its owners, its updates and every event, consistent with each other.

    The rows are queued in foreign-key order (item, owners, updates, events) once complete.
    """
    local: dict[str, list[dict[str, Any]]] = {"item_owner": [], "partner_update": [], "event": []}
    has_lead = any(role is OwnerRole.LEAD for _, role in owners)
    target = (
        (created + timedelta(days=rng.randrange(90, 1400))).date() if rng.random() < 0.6 else None
    )
    version, status, last_accepted = 1, ItemStatus.NOT_STARTED, None

    def add_event(
        at: datetime,
        action: str,
        update_id: uuid.UUID | None = None,
        after: dict[str, Any] | None = None,
        *,
        new_version: bool = False,
    ) -> None:
        """An event; one that makes a new item version carries the item's state after it."""
        local["event"].append(
            {
                "id": uuid.uuid4(),
                "situation_id": sid,
                "item_id": item_id,
                "update_id": update_id,
                "actor_user_id": None,
                "actor_organisation_id": None,
                "at": at,
                "action": action,
                "before": None,
                "after": after,
                "item_version": version if new_version else None,
                "item_status": status if new_version else None,
                "item_target_date": target if new_version else None,
                "item_has_lead": (has_lead if version > 1 else False) if new_version else None,
            }
        )

    add_event(
        created,
        "item.created",
        after={"status": "not_started", "code": entry.element.code},
        new_version=True,
    )
    owned_at = created + timedelta(hours=1)
    if owners:
        version = 2
        add_event(owned_at, "item.owners_set", new_version=True)
        for org, role in owners:
            local["item_owner"].append({"item_id": item_id, "organisation_id": org, "role": role})
    span = (now - owned_at).total_seconds()
    moments = sorted(owned_at + timedelta(seconds=rng.uniform(60, span - 60)) for _ in range(count))
    for position, submitted in enumerate(moments):
        update_id = uuid.uuid4()
        recent = position >= count - 1 and (now - submitted) < timedelta(days=30)
        roll = rng.random()
        state = (
            UpdateState.SUBMITTED
            if recent and roll < 0.5
            else (UpdateState.RETURNED if roll < 0.1 else UpdateState.ACCEPTED)
        )
        proposed = rng.choice(PROGRESS) if rng.random() < 0.7 else None
        reviewed = (
            None
            if state is UpdateState.SUBMITTED
            else min(now, submitted + timedelta(hours=rng.uniform(1, 96)))
        )
        local["partner_update"].append(
            {
                "id": update_id,
                "situation_id": sid,
                "item_id": item_id,
                "item_code": entry.element.code,
                "organisation_id": owners[0][0] if owners else None,
                "submitted_by_id": None,
                "state": state,
                "proposed_status": proposed,
                "status_note": None,
                "narrative": "Benchmark report",
                "evidence": [],
                "period_start": None,
                "period_end": None,
                "base_version": version,
                "submitted_at": submitted,
                "reviewed_at": reviewed,
                "reviewed_by_id": None,
                "review_comment": "Please add figures" if state is UpdateState.RETURNED else None,
            }
        )
        add_event(submitted, "update.submitted", update_id)
        if state is UpdateState.ACCEPTED and reviewed is not None:
            version += 1
            status = proposed or status
            last_accepted = reviewed
            add_event(reviewed, "update.accepted", update_id, new_version=True)
        elif state is UpdateState.RETURNED and reviewed is not None:
            add_event(reviewed, "update.returned", update_id)
    out.add(
        t["checklist_item"],
        {
            "id": item_id,
            "situation_id": sid,
            "code": entry.element.code,
            "element_code": entry.element.code,
            "pillar": entry.pillar.code,
            "paragraph": entry.paragraph.number,
            "solution": entry.paragraph.solution,
            "sort_order": entry.order * 100,
            "title": entry.element.title["en"],
            "text": entry.element.text,
            "is_custom": False,
            "status": status,
            "status_note": None,
            "target_date": target,
            "version": version,
            "last_accepted_update_at": last_accepted,
            "has_lead": has_lead,
            "created_at": created,
            "updated_at": last_accepted or owned_at,
        },
    )
    for name in ("item_owner", "partner_update", "event"):
        for row in local[name]:
            out.add(t[name], row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--situations", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument("--output", help="also write the result JSON here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    migrations.upgrade(args.url)
    result = seed(args.url, args.situations, args.updates)
    result["seconds"] = round(time.monotonic() - started, 1)
    text = json.dumps(result)
    if args.output:
        Path(args.output).write_text(text)
    print(
        json.dumps({k: v for k, v in result.items() if k in ("rows", "seconds")}), file=sys.stderr
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
