"""What the demo's partners write and what its coordinators answer (all invented)."""

from datetime import date
from random import Random

from app.core.vocab import ItemStatus

PLACES: dict[str, tuple[str, ...]] = {
    "uga": ("Adjumani", "Bidibidi", "Palorinya", "Rhino Camp", "Imvepi", "Kiryandongo"),
    "ken": ("Dadaab", "Hagadera", "Ifo", "Dagahaley", "Garissa town", "Fafi sub-county"),
    "tcd": ("Adré", "Farchana", "Metché", "Arkoum", "Aboutengué", "Iriba"),
    "col": ("Cúcuta", "Riohacha", "Bogotá", "Medellín", "Ipiales", "Arauca"),
}

# Results by element tag: a sentence, the range of its count {n} and of its figure {p}.
RESULTS: dict[str, tuple[str, tuple[int, int], tuple[int, int]]] = {
    "reception": (
        "{n:,} new arrivals received at border entry points and transit centres",
        (300, 6000),
        (0, 0),
    ),
    "registration": ("{n:,} people registered or verified biometrically", (500, 12000), (0, 0)),
    "specific_needs": (
        "{n:,} people with specific needs identified and referred to services",
        (50, 900),
        (0, 0),
    ),
    "child_protection": (
        "{n:,} unaccompanied and separated children placed in case management",
        (20, 400),
        (0, 0),
    ),
    "sgbv": ("{n} survivors of gender-based violence supported", (10, 250), (0, 0)),
    "gender": (
        "{n} women's groups consulted; {p}% of refugee leadership seats held by women",
        (3, 25),
        (30, 52),
    ),
    "women_and_girls": (
        "{n} safe spaces for women and girls running; {p}% of their staff are women",
        (2, 18),
        (60, 95),
    ),
    "food": ("{n:,} people received food or cash for food", (20000, 250000), (0, 0)),
    "wash": (
        "{n} water points rehabilitated; {p} litres per person per day on average",
        (3, 40),
        (12, 20),
    ),
    "civil_documentation": (
        "{n:,} birth certificates issued to refugee children",
        (100, 2500),
        (0, 0),
    ),
    "security": ("{n} community policing dialogues with refugee and host leaders", (2, 15), (0, 0)),
    "civilian_character": (
        "{n} screening missions at entry points; no armed elements reported",
        (1, 8),
        (0, 0),
    ),
    "asylum": (
        "{n:,} asylum claims decided; average processing time {p} days",
        (200, 3000),
        (30, 180),
    ),
    "financing": (
        "US$ {n} million pledged or disbursed; the response plan is {p}% funded",
        (2, 45),
        (18, 64),
    ),
    "development": ("{n} local development plans now cover refugee-hosting areas", (1, 6), (0, 0)),
    "environment": (
        "{n:,} tree seedlings planted; {p} schools and health centres use clean cooking",
        (5000, 80000),
        (3, 30),
    ),
    "cash": ("{n:,} households received multipurpose cash by mobile money", (2000, 40000), (0, 0)),
    "humanitarian_access": (
        "{n} inter-agency missions completed without access restrictions",
        (2, 20),
        (0, 0),
    ),
    "service_delivery": (
        "{n} health and education facilities now run by local authorities",
        (2, 30),
        (0, 0),
    ),
    "participation": (
        "{n} refugee and host community committees met; {p}% of participants were women",
        (4, 40),
        (35, 60),
    ),
    "localisation": (
        "{n} local organisations received capacity-strengthening grants",
        (2, 15),
        (0, 0),
    ),
    "planning": ("joint planning with {n} partners and local authorities", (8, 40), (0, 0)),
    "assessment": ("impact assessment data collected in {n} districts", (2, 9), (0, 0)),
    "return": (
        "an intention survey of {n:,} households: {p}% do not plan to return within a year",
        (800, 4000),
        (55, 90),
    ),
    "reintegration": (
        "{n} information sessions on conditions in areas of return",
        (2, 12),
        (0, 0),
    ),
    "reconciliation": ("{n} dialogues between community leaders", (2, 15), (0, 0)),
    "peacebuilding": (
        "{n} refugee representatives, {p}% of them women, took part in peace dialogues",
        (10, 80),
        (30, 55),
    ),
    "legal_status": ("{n:,} refugee identity documents issued or renewed", (500, 20000), (0, 0)),
    "self_reliance": (
        "{n:,} households supported with farm inputs, savings groups or jobs",
        (300, 8000),
        (0, 0),
    ),
    "education": ("{n:,} refugee children enrolled in national schools", (1000, 30000), (0, 0)),
    "skills": ("{n} refugees completed certified vocational training", (40, 600), (0, 0)),
    "resettlement": ("{n} refugees submitted for resettlement", (20, 400), (0, 0)),
    "complementary_pathways": (
        "{n} refugees applied for labour mobility or study pathways",
        (5, 120),
        (0, 0),
    ),
    "information": ("information sessions held in {n} locations", (3, 25), (0, 0)),
}
DEFAULT_RESULT = ("{n} planned activities completed", (2, 12), (0, 0))


def _plausible(rng: Random, low: int, high: int) -> int:
    """A count in the range, rounded as people round what they report."""
    value = rng.randint(low, high)
    for size in (1000, 100, 10):
        if value >= size * 10:
            return value // size * size
    return value


OPENINGS: dict[ItemStatus | None, tuple[str, ...]] = {
    ItemStatus.PLANNED: (
        "Work plan agreed with partners in {place}; activities budgeted for next quarter.",
        "Assessment finished in {place}; a plan with targets and a budget is now agreed.",
    ),
    ItemStatus.IN_PROGRESS: (
        "Implementation has started in {place} and {other}.",
        "Activities under way in {place}; {other} follows next month.",
    ),
    ItemStatus.IN_PLACE: (
        "Now running in every supported location, {place} and {other} included.",
        "Handed over to the responsible authority in {place} and {other}; running routinely.",
    ),
    None: (
        "Monthly progress report for {place} and {other}.",
        "Progress in {place} as planned; no change of status proposed.",
    ),
}

RETURN_COMMENTS = (
    "Please attach the monitoring report or distribution list for this period.",
    "The figures differ from last month's accepted report; please reconcile them.",
    "Please split refugee and host-community figures, as agreed at the coordination meeting.",
    "The narrative lists activities but not results; please add what changed.",
    "The reporting period overlaps your previous update; please correct the dates.",
)
RETURN_IN_PLACE = (
    "In place means it covers every location; please add the evidence or keep in progress.",
    "Please attach the handover note signed by the authority before we mark this in place.",
)
ACCEPT_COMMENTS = (
    "Thanks, noted for the steering group.",
    "Accepted; please keep the same indicators next month.",
    "Thank you. Good progress.",
)


def narrative(
    rng: Random,
    situation_key: str,
    tags: list[str],
    proposed: ItemStatus | None,
    *,
    resubmission: bool = False,
) -> str:
    """A report's narrative: an opening for the proposed status and one result."""
    place, other = rng.sample(PLACES[situation_key], 2)
    opening = rng.choice(OPENINGS[proposed]).format(place=place, other=other)
    template, counts, figures = next((RESULTS[t] for t in tags if t in RESULTS), DEFAULT_RESULT)
    result = template.format(n=_plausible(rng, *counts), p=rng.randint(*figures))
    text = f"{opening} This period: {result}."
    return f"Resubmitted with corrections. {text}" if resubmission else text


def status_note(rng: Random, proposed: ItemStatus | None, period_end: date) -> str | None:
    """Sometimes a short status note travels with the report."""
    if proposed is ItemStatus.IN_PLACE:
        return f"In place since {period_end:%B %Y}."
    if proposed is ItemStatus.IN_PROGRESS and rng.random() < 0.6:
        covered = rng.randint(2, 5)
        return f"Running in {covered} of 6 locations."
    if proposed is ItemStatus.PLANNED and rng.random() < 0.5:
        return "Plan and budget agreed; waiting for funds."
    return None


def return_comment(rng: Random, proposed: ItemStatus | None) -> str:
    """What a coordinator writes when sending a report back."""
    if proposed is ItemStatus.IN_PLACE and rng.random() < 0.7:
        return rng.choice(RETURN_IN_PLACE)
    return rng.choice(RETURN_COMMENTS)


def accept_comment(rng: Random) -> str | None:
    """Mostly nothing; sometimes a word of thanks."""
    return rng.choice(ACCEPT_COMMENTS) if rng.random() < 0.25 else None


def evidence(rng: Random, situation_key: str, code: str, period_end: date) -> list[dict[str, str]]:
    """Zero to two links to (fictional) reports."""
    links = []
    for kind in rng.sample(("monitoring report", "distribution list", "photos", "minutes"), 2):
        if rng.random() < 0.55:
            slug = kind.replace(" ", "-")
            links.append(
                {
                    "title": f"{kind.capitalize()}, {period_end:%B %Y}",
                    "url": f"https://example.org/crrf-demo/{situation_key}/{code}/"
                    f"{period_end:%Y-%m}-{slug}.pdf",
                }
            )
    return links
