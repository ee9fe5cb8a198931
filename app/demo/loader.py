"""Load the demo data set through the services, back-dated over the last ten months.

Every change goes through the same service functions as the API, inside ``frozen_now`` so
that events, versions and timestamps tell a story over time: item histories, summaries as
of a past day, stale and overdue flags, and reports still waiting for review. A fixed seed
makes the data set the same on every run, relative to the day it is loaded.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random

from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.policies import situation_permissions
from app.checklist import service as checklist
from app.checklist.schemas import ItemCreate, ItemPatch, OwnerIn, OwnersIn
from app.core.base import frozen_now
from app.core.vocab import ItemStatus, OwnerRole, ReviewPolicy, SituationRole, UpdateState
from app.demo import stories
from app.demo.content import Person
from app.demo.plans import ItemPlan, SituationPlan, population
from app.events.service import Actor
from app.frameworks import service as frameworks
from app.models import Organisation, Situation, Update, User
from app.situations import service as situations
from app.situations.schemas import SituationCreate, SituationUpdate
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from app.updates.schemas import UpdateIn

ROUNDS = 10  # monthly reporting rounds, the last one being last month
PROGRESS = (ItemStatus.NOT_STARTED, ItemStatus.PLANNED, ItemStatus.IN_PROGRESS, ItemStatus.IN_PLACE)
REPORTING_ORDER = (OwnerRole.LEAD, OwnerRole.IMPLEMENTING, OwnerRole.SUPPORT, OwnerRole.FUNDING)
MINUTE = timedelta(minutes=1)


def month_start(day: date, months: int = 0) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


@dataclass(frozen=True)
class Calendar:
    """The demo's time line: ten monthly reporting periods ending last month."""

    now: datetime

    def period(self, round_: int) -> tuple[date, date]:
        start = month_start(self.now.date(), round_ - ROUNDS)
        return start, month_start(start, 1) - timedelta(days=1)

    @property
    def opened(self) -> datetime:
        """When the first situation was opened: twelve days before the first period."""
        return datetime.combine(self.period(0)[0] - timedelta(days=12), time(9), tzinfo=UTC)

    def at(self, day: date, rng: Random) -> datetime:
        """A moment in office hours on ``day``."""
        return datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)), tzinfo=UTC)

    def later(self, moment: datetime, days: int, rng: Random) -> datetime:
        """A moment in office hours ``days`` days after ``moment``."""
        return self.at(moment.date() + timedelta(days=days), rng)

    def clamp(self, moment: datetime, after: datetime) -> datetime:
        """``moment``, but after ``after`` and before now."""
        return max(min(moment, self.now - timedelta(minutes=15)), after + MINUTE)


@dataclass
class Cast:
    """The organisations and users made so far, by key."""

    organisations: dict[str, Organisation]
    people: dict[str, tuple[Person, User]]

    def members(self, situation_key: str, role: SituationRole) -> list[User]:
        return [
            user for person, user in self.people.values() if person.roles.get(situation_key) == role
        ]


class SituationStory:
    """One situation, played through the services from its opening to today."""

    def __init__(
        self,
        session: Session,
        registry: TemplateRegistry,
        rng: Random,
        calendar: Calendar,
        cast: Cast,
        plan: SituationPlan,
    ) -> None:
        self.session, self.registry, self.rng = session, registry, rng
        self.calendar, self.cast, self.plan = calendar, cast, plan
        self.opened = calendar.opened + timedelta(days=plan.opened_days_late)
        self.coordinators = cast.members(plan.key, SituationRole.COORDINATOR)
        self.partners = {
            user.organisation_id: user for user in cast.members(plan.key, SituationRole.PARTNER)
        }
        self.roles = {
            user.id: person.roles[plan.key]
            for person, user in cast.people.values()
            if plan.key in person.roles
        }
        # the first population figures are those of the month before the opening
        self.counted_on = month_start(self.opened.date()) - timedelta(days=1)
        self.situation: Situation

    # --- set-up ---------------------------------------------------------------------------

    def play(self) -> Situation:
        """Open the situation, adopt its frameworks, then play each item's plan; return it."""
        admin = Actor.of(self.cast.people["admin"][1])
        with frozen_now(self.opened):
            self.situation = situations.create(
                self.session,
                self.registry,
                SituationCreate(
                    name=self.plan.name,
                    host_country=self.plan.host_country,
                    origin_countries=self.plan.origin_countries,
                    start_date=self.plan.start_date,
                    phase=self.plan.phase,
                    description=self.plan.description,
                    population=population(self.plan.population, self.counted_on),
                    review_policy=self.plan.review_policy,
                    stale_after_days=self.plan.stale_after_days,
                ),
                admin,
            )
        with frozen_now(self.opened + timedelta(hours=2)):
            for person, user in self.cast.people.values():
                role = person.roles.get(self.plan.key)
                if role is not None:
                    situations.set_member(self.session, self.situation, user.id, role, admin)
        # The first coordinator adopts them: no draw from the seed, so the rest of the
        # story stays the same.
        adopter = Actor.of(self.coordinators[0])
        with frozen_now(self.opened + timedelta(hours=3)):
            for template_id in self.plan.frameworks:
                frameworks.adopt(
                    self.session, self.situation, self.registry, template_id, None, adopter
                )
        lines = dict(self.plan.items)
        with frozen_now(self.opened + timedelta(days=1)):
            for custom in self.plan.custom:
                checklist.create_item(
                    self.session,
                    self.situation,
                    self.registry,
                    ItemCreate(code=custom.code, title=custom.title, text=custom.text),
                    self._coordinator(),
                )
                lines[custom.code] = custom.plan
        for code, justification in self.plan.not_applicable.items():
            when = self.opened + timedelta(days=self.rng.randint(2, 15), hours=3)
            patch = ItemPatch(status=ItemStatus.NOT_APPLICABLE, status_note=justification)
            with frozen_now(when):
                self._patch(code, patch)
        for code, line in lines.items():
            self._play_item(code, ItemPlan.parse(line))
        self._recount_population()
        return self.situation

    def _recount_population(self) -> None:
        """Six months in, the coordinator adds the latest population figures."""
        start, _ = self.calendar.period(6)
        _, last_end = self.calendar.period(5)
        figures = population(self.plan.population, self.counted_on)
        figures += population(self.plan.population_later, last_end)
        with frozen_now(self.calendar.at(start + timedelta(days=9), self.rng)):
            situations.update(
                self.session,
                self.situation,
                SituationUpdate(population=figures),
                self._coordinator(),
            )

    # --- one item ---------------------------------------------------------------------------

    def _play_item(self, code: str, plan: ItemPlan) -> None:
        """Owners and targets in the first weeks, then ten months of reports."""
        rng = self.rng
        cursor = self.opened + timedelta(days=rng.randint(2, 20), hours=rng.randint(1, 7))
        if plan.owners_at(-1):
            with frozen_now(cursor):
                self._set_owners(code, plan.owners_at(-1))
        if plan.baseline is not None or plan.target_days is not None:
            cursor += timedelta(minutes=rng.randint(5, 90))
            fields: dict[str, object] = {}
            if plan.baseline is not None:
                fields["status"] = plan.baseline
            if plan.target_days is not None:
                fields["target_date"] = self.calendar.now.date() + timedelta(days=plan.target_days)
            with frozen_now(cursor):
                self._patch(code, ItemPatch.model_validate(fields))
        self._report(code, plan, cursor)

    def _report(self, code: str, plan: ItemPlan, cursor: datetime) -> None:
        rng, calendar = self.rng, self.calendar
        """Month by month: late owners join, the reporter reports, coordinators review."""
        accepted = PROGRESS.index(plan.baseline) if plan.baseline in PROGRESS else 0
        goal = PROGRESS.index(plan.goal) if plan.goal in PROGRESS else accepted
        first, last = rng.randint(0, 2), (rng.randint(3, 4) if plan.quiet else ROUNDS - 1)
        rounds = [
            r
            for r in range(first, last + 1)
            if not plan.silent and rng.random() < self.plan.report_odds
        ]
        # the rounds in which the reporter proposes the next status towards the goal
        advances = set(rng.sample(rounds, min(max(goal - accepted, 0), len(rounds))))
        wanted = accepted
        for round_ in range(ROUNDS):
            start, end = calendar.period(round_)
            if any(joins == round_ for _, _, joins in plan.owners):
                cursor = calendar.clamp(calendar.at(start + timedelta(days=4), rng), cursor)
                with frozen_now(cursor):
                    self._set_owners(code, plan.owners_at(round_))
            if round_ not in rounds:
                continue
            reporter = self._reporter(plan.owners_at(round_))
            if reporter is None:
                continue
            if round_ in advances:
                wanted += 1
            proposed = PROGRESS[wanted] if wanted > accepted else None
            ideal = calendar.at(end + timedelta(days=rng.randint(3, 12)), rng)
            cursor = calendar.clamp(ideal, cursor)
            last_round = round_ == ROUNDS - 1
            outcome, cursor = self._submit_and_review(
                code, reporter, proposed, (start, end), cursor, hold=last_round
            )
            if outcome is UpdateState.ACCEPTED and proposed is not None:
                accepted = wanted

    def _submit_and_review(
        self,
        code: str,
        reporter: User,
        proposed: ItemStatus | None,
        period: tuple[date, date],
        cursor: datetime,
        *,
        hold: bool,
    ) -> tuple[UpdateState, datetime]:
        """Submit a report; review it (returned ones may come back once); say how it ended."""
        rng, calendar = self.rng, self.calendar
        auto = self.plan.review_policy is ReviewPolicy.AUTO_ACCEPT
        for attempt in range(2):
            update = self._submit(
                code, reporter, proposed, period, cursor, resubmission=attempt > 0
            )
            if auto:
                return update.state, cursor
            review_at = calendar.later(cursor, rng.randint(1, 9), rng)
            held = rng.random() < 0.45 and hold  # some of last month's reports wait
            if review_at > calendar.now - timedelta(minutes=30) or held:
                return UpdateState.SUBMITTED, cursor
            cursor = review_at
            odds = 0.35 if proposed is ItemStatus.IN_PLACE else 0.12
            returned = attempt == 0 and rng.random() < odds
            decision, comment = (
                ("return", stories.return_comment(rng, proposed))
                if returned
                else ("accept", stories.accept_comment(rng))
            )
            with frozen_now(cursor):
                reviewer = self._coordinator(avoid=reporter)
                updates.review(self.session, update.id, decision, comment, reviewer)
            if not returned:
                return UpdateState.ACCEPTED, cursor
            resubmit_at = calendar.later(cursor, rng.randint(2, 6), rng)
            if rng.random() > 0.7 or resubmit_at > calendar.now - timedelta(hours=1):
                return UpdateState.RETURNED, cursor
            cursor = resubmit_at
        return UpdateState.ACCEPTED, cursor

    def _submit(
        self,
        code: str,
        reporter: User,
        proposed: ItemStatus | None,
        period: tuple[date, date],
        moment: datetime,
        *,
        resubmission: bool,
    ) -> Update:
        rng, key = self.rng, self.plan.key
        item = checklist.get_item(self.session, self.situation.id, code)
        entry = self.registry.element(
            self.situation.template_id, self.situation.template_version, item.element_code
        )
        tags = list(entry.element.tags) if entry else []
        data = UpdateIn.model_validate(
            {
                "proposed_status": proposed,
                "status_note": stories.status_note(rng, proposed, period[1]),
                "narrative": stories.narrative(rng, key, tags, proposed, resubmission=resubmission),
                "evidence": stories.evidence(rng, key, code, period[1]),
                "period_start": period[0],
                "period_end": period[1],
            }
        )
        ref = checklist.item_ref(self.session, self.situation.id, code, reporter.organisation_id)
        with frozen_now(moment):
            return updates.submit(self.session, self._access(reporter), ref, data)

    # --- helpers ----------------------------------------------------------------------------

    def _reporter(self, owners: list[tuple[str, OwnerRole]]) -> User | None:
        """Who reports: a partner of an owner (lead first), else a coordinator of an owner."""
        for role in REPORTING_ORDER:
            for key, owner_role in owners:
                organisation_id = self.cast.organisations[key].id
                if owner_role is role and organisation_id in self.partners:
                    return self.partners[organisation_id]
        owning = {self.cast.organisations[key].id for key, _ in owners}
        return next((c for c in self.coordinators if c.organisation_id in owning), None)

    def _coordinator(self, avoid: User | None = None) -> Actor:
        choices = [c for c in self.coordinators if c is not avoid] or self.coordinators
        return Actor.of(self.rng.choice(choices))

    def _access(self, user: User) -> SituationAccess:
        role = self.roles[user.id]
        return SituationAccess(self.situation, user, role, situation_permissions(user, role))

    def _set_owners(self, code: str, owners: list[tuple[str, OwnerRole]]) -> None:
        item = checklist.get_item(self.session, self.situation.id, code)
        data = OwnersIn(
            owners=[
                OwnerIn(organisation_id=self.cast.organisations[key].id, role=role)
                for key, role in owners
            ]
        )
        checklist.set_owners(self.session, item, data, self._coordinator())

    def _patch(self, code: str, patch: ItemPatch) -> None:
        item = checklist.get_item(self.session, self.situation.id, code)
        checklist.patch_item(self.session, item, patch, self._coordinator())
