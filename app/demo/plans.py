"""How a demo situation is described: its figures, and a one-line plan per item.

An item's plan is a line of tokens:

- ``L:org`` / ``S:org`` / ``F:org`` / ``I:org``: a lead, support, funding or implementing
  owner (an organisation key of ``content.ORGANISATIONS``); ``L:org^5`` joins at round 5;
- ``@-40``: a target date 40 days before (or ``@+90`` after) the day the demo is loaded;
- ``=in_place``: the status the coordinator records when the situation is set up;
- ``>in_place``: the status the reports work towards, one step at a time;
- ``!quiet``: reports stop after a few months (the item goes stale);
- ``!silent``: the owners never report (no data).

Items left out have no owners: ownership gaps.
"""

from dataclasses import dataclass, field
from datetime import date

from app.core.vocab import ItemStatus, OwnerRole, Phase, ReviewPolicy
from app.situations.schemas import PopulationFigureIn

AGE_BANDS = ("0-4", "5-11", "12-17", "18-59", "60+")
ROLE_CODES = {
    "L": OwnerRole.LEAD,
    "S": OwnerRole.SUPPORT,
    "F": OwnerRole.FUNDING,
    "I": OwnerRole.IMPLEMENTING,
}

# The share of women, and the shares of UNHCR age bands (0-4, 5-11, 12-17, 18-59, 60+).
Profile = tuple[float, tuple[float, float, float, float, float]]


@dataclass(frozen=True)
class Figure:
    """A population figure; its date is set by the story."""

    population_type: str
    total: int
    profile: Profile | None = None


@dataclass(frozen=True)
class CustomItem:
    """A context-specific item (Annex I ¶3) and its plan line."""

    code: str
    title: str
    text: str
    plan: str


@dataclass(frozen=True)
class SituationPlan:
    """A situation as it is opened, its later figures, and a plan line per item."""

    key: str
    name: str
    host_country: str
    origin_countries: list[str]
    start_date: date
    phase: Phase
    description: str
    population: list[Figure]
    population_later: list[Figure]
    items: dict[str, str]
    not_applicable: dict[str, str] = field(default_factory=dict)
    custom: list[CustomItem] = field(default_factory=list)
    review_policy: ReviewPolicy = ReviewPolicy.REVIEW
    stale_after_days: int = 90
    opened_days_late: int = 0
    report_odds: float = 0.4  # how likely an item's reporter reports in a given month
    frameworks: tuple[str, ...] = ()  # context frameworks a coordinator adopts in the first days


@dataclass
class ItemPlan:
    """An item's plan, parsed from its line in ``app.demo.situations``."""

    owners: list[tuple[str, OwnerRole, int]] = field(default_factory=list)
    target_days: int | None = None
    baseline: ItemStatus | None = None
    goal: ItemStatus | None = None
    quiet: bool = False
    silent: bool = False

    @classmethod
    def parse(cls, line: str) -> "ItemPlan":
        plan = cls()
        for token in line.split():
            if token[:2] in {f"{code}:" for code in ROLE_CODES}:
                key, _, joins = token[2:].partition("^")
                plan.owners.append((key, ROLE_CODES[token[0]], int(joins) if joins else -1))
            elif token[0] == "@":
                plan.target_days = int(token[1:])
            elif token[0] == "=":
                plan.baseline = ItemStatus(token[1:])
            elif token[0] == ">":
                plan.goal = ItemStatus(token[1:])
            elif token in ("!quiet", "!silent"):
                setattr(plan, token[1:], True)
            else:
                raise ValueError(f"unknown demo plan token {token!r}")
        return plan

    def owners_at(self, round_: int) -> list[tuple[str, OwnerRole]]:
        return [(key, role) for key, role, joins in self.owners if joins <= round_]


def population(figures: list[Figure], day: date) -> list[PopulationFigureIn]:
    """Figures on ``day``, split by sex and age band where the profile is known."""
    result = []
    for figure in figures:
        breakdown: dict[str, dict[str, int]] = {}
        if figure.profile is not None:
            female_share, shares = figure.profile
            for sex, share in (("female", female_share), ("male", 1 - female_share)):
                breakdown[sex] = {
                    band: round(figure.total * share * band_share)
                    for band, band_share in zip(AGE_BANDS, shares, strict=True)
                }
            counted = sum(sum(bands.values()) for bands in breakdown.values())
            breakdown["male"]["18-59"] += figure.total - counted  # rounding, kept exact
        result.append(
            PopulationFigureIn.model_validate(
                {
                    "population_type": figure.population_type,
                    "date": day,
                    "total": figure.total,
                    **breakdown,
                }
            )
        )
    return result
