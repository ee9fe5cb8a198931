"""A model of the whole API, checked by Hypothesis against the real service.

Two partner organisations, a coordinator and a viewer set owners, submit updates (with and
without Idempotency-Key, retried), review them, and patch items with fresh and stale ETags,
in any order Hypothesis finds. After every step each user's view must equal the model's,
every status code must be the expected one, versions grow by exactly one per change, and the
events count exactly the changes.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.vocab import ItemStatus, OrganisationType, SituationRole
from app.models import ChecklistItem, Event, Organisation, User
from app.templates.registry import TemplateRegistry
from tests.factories import add_member, auth, make_organisation, make_situation, make_user

pytestmark = pytest.mark.slow

CODES = ("5a", "5b", "6a")
USERS = ("coordinator", "partner_a", "partner_b", "viewer")
ORG_OF = {"partner_a": "a", "partner_b": "b", "coordinator": "c", "viewer": "v"}
STATUSES = [s.value for s in ItemStatus if s is not ItemStatus.NOT_APPLICABLE]


@dataclass
class ModelItem:
    status: str = "not_started"
    note: str | None = None
    version: int = 1
    owners: frozenset[tuple[str, str]] = frozenset()


@dataclass
class ModelUpdate:
    code: str
    org: str
    state: str
    proposed: str | None


@dataclass
class Model:
    items: dict[str, ModelItem] = field(default_factory=lambda: {c: ModelItem() for c in CODES})
    updates: dict[str, ModelUpdate] = field(default_factory=dict)
    keys: dict[tuple[str, str, str], tuple[dict[str, Any], str]] = field(default_factory=dict)

    def visible_updates(self, who: str) -> set[str]:
        if who == "coordinator":
            return set(self.updates)
        if who == "viewer":
            return {u for u, m in self.updates.items() if m.state == "accepted"}
        return {u for u, m in self.updates.items() if m.org == ORG_OF[who]}


class ApiMachine(RuleBasedStateMachine):
    """Drive the API; compare every view with the model."""

    client: TestClient
    db: Session
    registry: TemplateRegistry

    updates = Bundle("updates")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        tag = uuid.uuid4().hex[:8]
        self.orgs: dict[str, Organisation] = {
            key: make_organisation(self.db, f"Org {key} {tag}", OrganisationType.NATIONAL_NGO)
            for key in ("a", "b", "c", "v")
        }
        self.situation = make_situation(self.db, self.registry, name=f"Model {tag}")
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        roles = {"coordinator": SituationRole.COORDINATOR, "viewer": SituationRole.VIEWER}
        for who in USERS:
            self.users[who], self.tokens[who] = make_user(self.db, self.orgs[ORG_OF[who]], name=who)
            add_member(
                self.db, self.situation, self.users[who], roles.get(who, SituationRole.PARTNER)
            )
        self.db.commit()

    # --- helpers -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"/api/v1/situations/{self.situation.id}{path}"

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**auth(self.tokens[who]), **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def owner_orgs(self, code: str) -> set[str]:
        return {org for org, _ in self.model.items[code].owners}

    # --- rules -------------------------------------------------------------------------------

    @rule(
        code=st.sampled_from(CODES),
        lead=st.sampled_from(["a", "b", None]),
        supports=st.sets(st.sampled_from(["a", "b"])),
    )
    def set_owners(self, code: str, lead: str | None, supports: set[str]) -> None:
        owners = {(org, "support") for org in supports} | ({(lead, "lead")} if lead else set())
        body = {
            "owners": [
                {"organisation_id": str(self.orgs[o].id), "role": r} for o, r in sorted(owners)
            ]
        }
        item = self.model.items[code]
        # The model's version is the ETag: a wrong one would answer 412.
        response = self.call(
            "coordinator",
            "PUT",
            self.url(f"/items/{code}/owners"),
            json=body,
            headers={"If-Match": f'"v{item.version}"'},
        )
        assert response.status_code == 200, response.text
        if frozenset(owners) != item.owners:
            item.owners = frozenset(owners)
            item.version += 1

    @rule(
        target=updates,
        who=st.sampled_from(USERS),
        code=st.sampled_from(CODES),
        proposed=st.sampled_from([*STATUSES, None]),
        key=st.sampled_from([None, "k1", "k2"]),
        narrative=st.sampled_from(["first", "second"]),
    )
    def submit(
        self, who: str, code: str, proposed: str | None, key: str | None, narrative: str
    ) -> str:
        body: dict[str, Any] = {"narrative": narrative, "proposed_status": proposed}
        path = self.url(f"/items/{code}/updates")
        response = self.call(
            who, "POST", path, json=body, headers={"Idempotency-Key": key} if key else {}
        )
        allowed = who == "coordinator" or (who != "viewer" and ORG_OF[who] in self.owner_orgs(code))
        if not allowed:
            assert response.status_code == 403, response.text
            return "none"
        stored = self.model.keys.get((who, path, key)) if key else None
        if stored is not None:
            stored_body, stored_id = stored
            if stored_body == body:
                assert (
                    response.status_code == 201
                    and response.headers["idempotent-replayed"] == "true"
                )
                assert response.json()["id"] == stored_id
            else:
                assert response.status_code == 422, response.text
            return stored_id
        assert response.status_code == 201, response.text
        update_id: str = response.json()["id"]
        self.model.updates[update_id] = ModelUpdate(code, ORG_OF[who], "submitted", proposed)
        if key:
            self.model.keys[(who, path, key)] = (body, update_id)
        return update_id

    @rule(
        update_id=updates,
        who=st.sampled_from(USERS),
        decision=st.sampled_from(["accept", "return"]),
    )
    def review(self, update_id: str, who: str, decision: str) -> None:
        if update_id == "none":
            return
        update = self.model.updates[update_id]
        response = self.call(
            who,
            "POST",
            f"/api/v1/updates/{update_id}/review",
            json={"decision": decision, "comment": "noted"},
        )
        if update_id not in self.model.visible_updates(who):
            assert response.status_code == 404, response.text
            return
        if who != "coordinator":
            assert response.status_code == 403, response.text
            return
        if update.state != "submitted":
            assert response.status_code == 409, response.text
            return
        assert response.status_code == 200, response.text
        update.state = "accepted" if decision == "accept" else "returned"
        if decision == "accept":
            item = self.model.items[update.code]
            item.version += 1
            if update.proposed is not None:
                item.status = update.proposed

    @rule(code=st.sampled_from(CODES), status=st.sampled_from(STATUSES), fresh=st.booleans())
    def patch(self, code: str, status: str, fresh: bool) -> None:
        item = self.model.items[code]
        etag = f'"v{item.version}"' if fresh else f'"v{item.version + 7}"'
        response = self.call(
            "coordinator",
            "PATCH",
            self.url(f"/items/{code}"),
            json={"status": status},
            headers={"If-Match": etag},
        )
        if not fresh:
            assert response.status_code == 412, response.text
            return
        assert response.status_code == 200, response.text
        if status != item.status:
            item.status = status
            item.version += 1
        assert response.headers["etag"] == f'"v{item.version}"'

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def every_user_sees_the_model(self) -> None:
        for who in USERS:
            listed = self.call(who, "GET", self.url("/items?limit=200")).json()["items"]
            by_code = {i["code"]: i for i in listed}
            for code, item in self.model.items.items():
                seen = by_code[code]
                assert (seen["status"], seen["version"]) == (item.status, item.version), (who, code)
                assert {(o["organisation_id"], o["role"]) for o in seen["owners"]} == {
                    (str(self.orgs[org].id), role) for org, role in item.owners
                }
            updates = self.call(who, "GET", self.url("/updates?limit=200")).json()["items"]
            assert {u["id"] for u in updates} == self.model.visible_updates(who), who
            for update in updates:
                assert update["state"] == self.model.updates[update["id"]].state

    @invariant()
    def events_count_the_changes(self) -> None:
        rows = self.db.execute(
            select(ChecklistItem.code, func.count(Event.id))
            .join(Event, Event.item_id == ChecklistItem.id)
            .where(ChecklistItem.situation_id == self.situation.id, Event.item_version.is_not(None))
            .group_by(ChecklistItem.code)
        ).all()
        counts = dict(rows)
        for code, item in self.model.items.items():
            assert counts[code] == item.version, code


def test_the_api_behaves_like_its_model(
    client: TestClient, db: Session, registry: TemplateRegistry
) -> None:
    ApiMachine.client = client
    ApiMachine.db = db
    ApiMachine.registry = registry
    run_state_machine_as_test(
        ApiMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
