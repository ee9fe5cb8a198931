"""Statements built once (``app.core.prepared``): reused, and never holding a request's values."""

import uuid
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.auth.tokens import _by_hash, _by_hash_with_access, with_user_and_access_by_hash
from app.checklist.queries import (
    _fingerprint_statement,
    _item_ref_statement,
    _owning_statement,
    item_ref,
)
from app.core.prepared import prepared
from app.cycles.figures import _current_cycle_statement
from app.cycles.obligations import _cycles_holding, _obligations_in
from app.frameworks.service import _adoptions_statement
from app.funding.figures import _by_item_statement
from app.idempotency.service import _key_statement
from app.models import ApiToken, WebSession
from app.reporting.service import _summary_statement
from app.situations.service import _population_statement
from app.webhooks.outbox import _active_subscriptions
from tests.factories import World

BUILDERS: list[tuple[str, Any, set[str]]] = [
    ("token", lambda: _by_hash(ApiToken, "token_hash"), {"hash"}),
    (
        "token and access",
        lambda: _by_hash_with_access(ApiToken, "token_hash"),
        {"hash", "situation_id"},
    ),
    ("item", _item_ref_statement, {"situation_id", "code", "reporter_id"}),
    ("item list fingerprint", _fingerprint_statement, {"situation_id"}),
    ("funding by item", _by_item_statement, {"situation_id"}),
    ("owning organisations", _owning_statement, {"situation_id"}),
    ("population", _population_statement, {"situation_id"}),
    ("adoptions", _adoptions_statement, {"situation_id"}),
    ("idempotency key", _key_statement, {"user_id", "scope", "key"}),
    ("cycles", _cycles_holding, {"situation_id", "start", "end"}),
    ("current cycle", _current_cycle_statement, {"situation_id", "today"}),
    ("obligations", _obligations_in, {"item_id", "organisation_id", "cycle_ids"}),
    ("subscriptions", _active_subscriptions, {"situation_id"}),
    (
        "summary",
        lambda: _summary_statement(now=True, by_organisation=True),
        {"situation_id", "moment", "today", "threshold", "organisation"},
    ),
]


def test_a_statement_is_built_once_per_shape() -> None:
    built: list[str] = []

    @prepared
    def shape(kind: str) -> list[str]:
        built.append(kind)
        return [kind]

    assert shape("a") is shape("a")
    assert shape("b") is not shape("a")
    assert built == ["a", "b"]
    assert _by_hash(ApiToken, "token_hash") is _by_hash(ApiToken, "token_hash")
    assert _by_hash(WebSession, "session_hash") is not _by_hash(ApiToken, "token_hash")


@pytest.mark.parametrize(("name", "build", "names"), BUILDERS, ids=[b[0] for b in BUILDERS])
def test_every_value_a_request_brings_is_bound_when_it_runs(
    name: str, build: Any, names: set[str]
) -> None:
    """The values it asks for are parameters without a value, and no id, day or moment of
    the request that built it stayed in it."""
    binds = build().compile().binds
    required = {key for key, bind in binds.items() if bind.required}
    assert names <= required, name
    kept = [bind.value for bind in binds.values() if not bind.required]
    assert not [v for v in kept if isinstance(v, uuid.UUID | date | datetime)], name


def test_two_callers_get_their_own_rows(db: Session, world: World) -> None:
    for who in ("coordinator", "partner_a", "viewer"):
        row = with_user_and_access_by_hash(
            db, ApiToken, ApiToken.token_hash, world.tokens[who], world.s1.id
        )
        assert row is not None
        assert row[1].id == world.users[who].id
        assert row[2] is not None and row[2].id == world.s1.id
    outsider = with_user_and_access_by_hash(
        db, ApiToken, ApiToken.token_hash, world.tokens["outsider"], world.s1.id
    )
    assert outsider is not None and outsider[3] is None  # not a member of s1


def test_an_item_is_read_with_its_own_reporter(db: Session, world: World) -> None:
    ngo_a, ngo_b = world.orgs["ngo_a"], world.orgs["ngo_b"]
    first = item_ref(db, world.s1.id, "5a", ngo_a.id)
    second = item_ref(db, world.s1.id, "6a", ngo_b.id)
    nobody = item_ref(db, world.s2.id, "5a", None)
    assert (first.code, first.reporter) == ("5a", ngo_a)
    assert (second.code, second.reporter) == ("6a", ngo_b)
    assert nobody.reporter is None and nobody.situation_id == world.s2.id
