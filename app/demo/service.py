"""Load the demo data set once, and say how to sign in to it."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.core.base import frozen_now, utcnow
from app.core.errors import Conflict
from app.core.vocab import UpdateState
from app.demo import pledges as demo_pledges
from app.demo.content import ADMIN_EMAIL, ORGANISATIONS, PEOPLE, SIGN_INS
from app.demo.loader import Calendar, Cast, SituationStory
from app.demo.situations import SITUATIONS
from app.models import Update
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate
from app.templates.registry import TemplateRegistry
from app.users import service as users
from app.users.schemas import UserCreate

SEED = 2016  # the year of the New York Declaration


@dataclass(frozen=True)
class SignIn:
    label: str
    email: str
    token: str
    invitation: str  # the token of a one-time link that sets a password for the dashboard


@dataclass(frozen=True)
class DemoReport:
    """What was loaded, and a fresh token and invitation for each of the people to try it as."""

    situations: list[str]
    organisations: int
    users: int
    updates: dict[UpdateState, int]
    sign_ins: list[SignIn]
    other_emails: list[str]
    pledges: int = 0


def load(
    session: Session,
    registry: TemplateRegistry,
    *,
    now: datetime | None = None,
    seed: int = SEED,
    invitation_lifetime: timedelta = timedelta(hours=72),
) -> DemoReport:
    """Load the demo data set, back-dated over the ten months before ``now``; once only."""
    if users.get_by_email(session, ADMIN_EMAIL) is not None:
        raise Conflict(
            f"The demo data set is loaded in this database already ({ADMIN_EMAIL} exists). "
            "Use an empty database, or issue a new token with "
            f"`crrf tokens create --email {ADMIN_EMAIL}`."
        )
    calendar = Calendar(now or utcnow())
    rng = Random(seed)  # noqa: S311 - reproducible demo content, not security
    with frozen_now(calendar.opened - timedelta(days=30)):
        cast = Cast(
            organisations={
                key: organisations.create(
                    session,
                    OrganisationCreate(
                        name=org.name, acronym=org.acronym, type=org.type, country=org.country
                    ),
                )
                for key, org in ORGANISATIONS.items()
            },
            people={},
        )
        for person in PEOPLE:
            organisation = cast.organisations[person.organisation] if person.organisation else None
            user = users.create(
                session,
                UserCreate(
                    email=person.email,
                    name=person.name,
                    organisation_id=organisation.id if organisation else None,
                    is_admin=person.admin,
                ),
            )
            cast.people[person.local] = (person, user)
    played = {
        plan.key: SituationStory(session, registry, rng, calendar, cast, plan).play()
        for plan in SITUATIONS
    }
    names = [situation.name for situation in played.values()]
    pledge_count = demo_pledges.load(session, cast, played)
    states = Counter(
        dict(session.execute(select(Update.state, func.count()).group_by(Update.state)).all())
    )
    sign_ins = []
    for local in SIGN_INS:
        person, user = cast.people[local]
        _, token = users.issue_token(session, user, "demo")
        _, link = invitations.issue(session, user, lifetime=invitation_lifetime, by=None)
        sign_ins.append(SignIn(local, person.email, token, link))
    return DemoReport(
        situations=names,
        organisations=len(cast.organisations),
        users=len(cast.people),
        updates={state: states.get(state, 0) for state in UpdateState},
        sign_ins=sign_ins,
        other_emails=[p.email for p in PEOPLE if p.local not in SIGN_INS],
        pledges=pledge_count,
    )


def describe(report: DemoReport, base_url: str) -> str:
    """The lines ``crrf demo`` prints: what was loaded and how to sign in."""
    counts = report.updates
    lines = [
        f"Loaded the demo data set: {len(report.situations)} situations, "
        f"{report.organisations} organisations, {report.users} users, "
        f"{sum(counts.values())} updates ({counts[UpdateState.ACCEPTED]} accepted, "
        f"{counts[UpdateState.RETURNED]} returned, "
        f"{counts[UpdateState.SUBMITTED]} waiting for review), {report.pledges} pledges.",
        *(f"  - {name}" for name in report.situations),
        "",
        "Sign-in tokens (shown once; `crrf tokens create --email E` issues more):",
    ]
    label_width = max(len(s.label) for s in report.sign_ins)
    email_width = max(len(s.email) for s in report.sign_ins)
    lines += [
        f"  {s.label:<{label_width}}  {s.email:<{email_width}}  {s.token}" for s in report.sign_ins
    ]
    lines += [
        f"  and {len(report.other_emails)} more users (such as {report.other_emails[0]}): "
        "`crrf tokens create --email E` signs any of them in.",
        "",
        "Dashboard: run `crrf serve`, open a link below to choose a password (each works once), "
        f"then sign in at {base_url}signin with the e-mail address and that password",
        "(`crrf users invite --email E` makes a new link):",
    ]
    lines += [
        f"  {s.label:<{label_width}}  {invitations.url(base_url, s.invitation)}"
        for s in report.sign_ins
    ]
    lines += ["", f"API documentation: {base_url}docs"]
    return "\n".join(lines)
