"""Factories for test data, built through the services (never raw inserts)."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import invitations, sessions
from app.auth.access import SituationAccess
from app.auth.policies import situation_permissions
from app.checklist import service as checklist
from app.checklist.schemas import OwnerIn, OwnersIn
from app.config import Settings
from app.core.base import utcnow
from app.core.db import make_engine
from app.core.vocab import EmailKind, OrganisationType, OwnerRole, SituationRole
from app.cycles import service as cycles
from app.cycles.schemas import CycleCreate
from app.events.service import SYSTEM
from app.models import (
    Membership,
    Organisation,
    Pledge,
    ReportingCycle,
    Situation,
    Update,
    User,
)
from app.notify import outbox
from app.notify.messages import Rendered
from app.ops import migrations
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate
from app.pledges import service as pledges
from app.pledges.schemas import PledgeCreate
from app.situations import service as situations
from app.situations.schemas import SituationCreate
from app.templates.registry import TemplateRegistry, cached_registry
from app.updates import service as updates_service
from app.updates.schemas import UpdateIn
from app.users import service as users
from app.users.schemas import UserCreate


def make_organisation(
    db: Session,
    name: str | None = None,
    type_: OrganisationType = OrganisationType.NATIONAL_NGO,
    **extra: Any,
) -> Organisation:
    data = OrganisationCreate(
        name=name or f"Organisation {uuid.uuid4().hex[:8]}", type=type_, **extra
    )
    return organisations.create(db, data)


def make_user(
    db: Session,
    organisation: Organisation | None = None,
    *,
    admin: bool = False,
    name: str | None = None,
) -> tuple[User, str]:
    """A user and a fresh token for them."""
    tag = uuid.uuid4().hex[:8]
    user = users.create(
        db,
        UserCreate(
            email=f"{name or 'user'}-{tag}@example.org",
            name=name or f"User {tag}",
            organisation_id=organisation.id if organisation else None,
            is_admin=admin,
        ),
    )
    _, token = users.issue_token(db, user)
    return user, token


def give_password(db: Session, user: User, password: str) -> None:
    """Set ``user``'s password as they would: through an invitation link."""
    _, token = invitations.issue(db, user, lifetime=timedelta(hours=1), by=None)
    invitations.accept(db, token, password, min_length=10)


def make_situation(
    db: Session, registry: TemplateRegistry, *, name: str | None = None, **fields: Any
) -> Situation:
    data: dict[str, Any] = {
        "name": name or f"Situation {uuid.uuid4().hex[:8]}",
        "host_country": "UGA",
        "origin_countries": ["SSD"],
        "start_date": date(2016, 7, 1),
        "phase": "protracted",
    }
    data.update(fields)
    return situations.create(db, registry, SituationCreate.model_validate(data), SYSTEM)


def add_member(db: Session, situation: Situation, user: User, role: SituationRole) -> None:
    situations.set_member(db, situation, user.id, role, SYSTEM)


def set_owners(
    db: Session, situation: Situation, code: str, *pairs: tuple[Organisation, OwnerRole]
) -> None:
    item = checklist.get_item(db, situation.id, code)
    data = OwnersIn(owners=[OwnerIn(organisation_id=o.id, role=r) for o, r in pairs])
    checklist.set_owners(db, item, data, SYSTEM)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """A small response: two situations, five organisations, users in every role.

    In ``s1`` (Uganda): ``coordinator`` (UNHCR), ``partner_a`` (NGO A, lead of 5a),
    ``partner_b`` (NGO B, lead of 6a), ``viewer`` (government). ``outsider`` coordinates
    ``s2`` (Kenya) only; ``stranger`` belongs nowhere; ``admin`` is a global admin.
    Three submitted updates: ``own`` (partner_a on s1/5a), ``other_org`` (partner_b on
    s1/6a), ``other_situation`` (outsider on s2/5a).
    """

    s1: Situation
    s2: Situation
    orgs: dict[str, Organisation]
    users: dict[str, User]
    tokens: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)  # a dashboard session id each
    updates: dict[str, Update] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return auth(self.tokens[who])

    def url(self, path: str = "", situation: Situation | None = None) -> str:
        return f"/api/v1/situations/{(situation or self.s1).id}{path}"


def build_world(db: Session, registry: TemplateRegistry) -> World:
    tag = uuid.uuid4().hex[:6]
    orgs = {
        "gov": make_organisation(
            db, f"Office of the Prime Minister {tag}", OrganisationType.GOVERNMENT, country="UGA"
        ),
        "unhcr": make_organisation(db, f"UNHCR {tag}", OrganisationType.UN_AGENCY, acronym="UNHCR"),
        "ngo_a": make_organisation(
            db, f"NGO A {tag}", OrganisationType.NATIONAL_NGO, country="UGA"
        ),
        "ngo_b": make_organisation(db, f"NGO B {tag}", OrganisationType.INTERNATIONAL_NGO),
        "rlo": make_organisation(
            db, f"Refugee-led {tag}", OrganisationType.REFUGEE_LED, country="KEN"
        ),
    }
    people = {
        "admin": (None, True),
        "coordinator": ("unhcr", False),
        "partner_a": ("ngo_a", False),
        "partner_b": ("ngo_b", False),
        "viewer": ("gov", False),
        "outsider": ("rlo", False),
        "stranger": ("rlo", False),
    }
    world_users: dict[str, User] = {}
    tokens: dict[str, str] = {}
    for who, (org, admin) in people.items():
        world_users[who], tokens[who] = make_user(
            db, orgs[org] if org else None, admin=admin, name=who
        )
    s1 = make_situation(db, registry, name=f"South Sudanese refugees in Uganda {tag}")
    s2 = make_situation(
        db,
        registry,
        name=f"Somali refugees in Kenya {tag}",
        host_country="KEN",
        origin_countries=["SOM"],
    )
    add_member(db, s1, world_users["coordinator"], SituationRole.COORDINATOR)
    add_member(db, s1, world_users["partner_a"], SituationRole.PARTNER)
    add_member(db, s1, world_users["partner_b"], SituationRole.PARTNER)
    add_member(db, s1, world_users["viewer"], SituationRole.VIEWER)
    add_member(db, s2, world_users["outsider"], SituationRole.COORDINATOR)
    set_owners(db, s1, "5a", (orgs["ngo_a"], OwnerRole.LEAD), (orgs["unhcr"], OwnerRole.FUNDING))
    set_owners(db, s1, "6a", (orgs["ngo_b"], OwnerRole.LEAD))
    set_owners(db, s2, "5a", (orgs["rlo"], OwnerRole.LEAD))
    updates = {
        "own": submit_update(
            db, s1, world_users["partner_a"], "5a", narrative="Screening at two border points"
        ),
        "other_org": submit_update(
            db, s1, world_users["partner_b"], "6a", narrative="Pledging conference held"
        ),
        "other_situation": submit_update(
            db, s2, world_users["outsider"], "5a", narrative="Reception centre open"
        ),
    }
    cookies = {
        who: sessions.start(db, user, persistent=False, lifetime=timedelta(hours=12))[1]
        for who, user in world_users.items()
    }
    db.commit()
    return World(
        s1=s1,
        s2=s2,
        orgs=orgs,
        users=world_users,
        tokens=tokens,
        cookies=cookies,
        updates=updates,
    )


def migrated_world(url: str) -> World:
    """Migrate the empty database at ``url`` and build a world in it (for live servers)."""
    migrations.upgrade(url)
    settings = Settings(database_url=url)
    engine = make_engine(url, settings)
    try:
        with Session(engine, expire_on_commit=False) as db:
            return build_world(db, cached_registry(Path(settings.templates_dir).resolve()))
    finally:
        engine.dispose()


def access_for(db: Session, situation: Situation, user: User) -> SituationAccess:
    role = db.scalar(
        select(Membership.role).where(
            Membership.situation_id == situation.id, Membership.user_id == user.id
        )
    )
    return SituationAccess(situation, user, role, situation_permissions(user, role))


def submit_update(
    db: Session, situation: Situation, user: User, code: str, **fields: Any
) -> Update:
    """Submit an update as ``user`` (who must be allowed to)."""
    item = checklist.item_ref(db, situation.id, code)
    data = UpdateIn.model_validate({"narrative": "Progress report", **fields})
    return updates_service.submit(db, access_for(db, situation, user), item, data)


def open_cycle(db: Session, situation: Situation, **fields: Any) -> ReportingCycle:
    """Open a reporting cycle (its obligations made from the owners), as the system."""
    data: dict[str, Any] = {
        "name": f"Cycle {uuid.uuid4().hex[:6]}",
        "period_start": "2030-01-01",
        "period_end": "2030-03-31",
        "due_date": "2030-04-15",
        "closes_on": "2030-04-30",
    }
    data.update(fields)
    return cycles.create(db, situation.id, CycleCreate.model_validate(data), SYSTEM)


def make_pledge(
    db: Session,
    by: User,
    submitter: Organisation,
    situation: Situation,
    codes: tuple[str, ...] = ("5a",),
    **fields: Any,
) -> Pledge:
    """A pledge made by ``submitter``, serving ``codes`` of ``situation``, recorded by ``by``."""
    data: dict[str, Any] = {
        "title": f"Pledge {uuid.uuid4().hex[:6]}",
        "type": "financial",
        "gcr_objectives": [1],
        "forum": "GRF 2023",
        "parties": [{"organisation_id": submitter.id, "role": "submitter"}],
        "links": [{"situation_id": situation.id, "code": code} for code in codes],
    }
    data.update(fields)
    return pledges.create(db, by, PledgeCreate.model_validate(data))


def queue_emails(session: Session, user: User, count: int) -> None:
    """Put ``count`` messages to ``user`` in the outbox (subjects ``Message 0``, …)."""
    for number in range(count):
        outbox.queue(
            session,
            kind=EmailKind.UPDATE_RETURNED,
            user=user,
            language="en",
            message=Rendered(f"Message {number}", f"Text {number}", f"<p>HTML {number}</p>"),
            dedupe_key=f"test:{uuid.uuid4()}",
            now=utcnow(),
        )
