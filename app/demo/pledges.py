"""The demo's pledges: Global Refugee Forum and national promises, linked to demo items."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.demo.loader import Cast
from app.models import Situation
from app.pledges import service
from app.pledges.schemas import PledgeCreate


@dataclass(frozen=True)
class DemoPledge:
    ref: str
    title: str
    type: str
    objectives: tuple[int, ...]
    forum: str
    status: str
    parties: tuple[tuple[str, str, str | None], ...]  # organisation key, role, share
    links: tuple[tuple[str, str], ...]  # situation key, item code


PLEDGES = (
    DemoPledge(
        "DEMO-GRF19-001",
        "Birth registration in every settlement",
        "technical",
        (1, 2),
        "GRF 2019",
        "in_progress",
        (("opm", "submitter", "0.6"), ("unicef", "co_pledger", "0.4")),
        (("uga", "5f"),),
    ),
    DemoPledge(
        "DEMO-GRF23-014",
        "Refugee children in national schools",
        "financial",
        (1, 2),
        "GRF 2023",
        "planning",
        (("moes", "submitter", None), ("wb", "matcher", None), ("ndc", "co_pledger", None)),
        (("uga", "7b"), ("ken", "7b")),
    ),
    DemoPledge(
        "DEMO-GRF23-031",
        "Resettlement places for the most vulnerable",
        "resettlement",
        (3,),
        "GRF 2023",
        "fulfilled",
        (("ndc", "submitter", None),),
        (("ken", "14a"),),
    ),
    DemoPledge(
        "DEMO-NAT-002",
        "Work permits for refugees",
        "policy",
        (2,),
        "national",
        "planning",
        (("migcol", "submitter", None),),
        (("col", "13c"),),
    ),
)


def load(session: Session, cast: Cast, situations: dict[str, Situation]) -> int:
    """Record the demo pledges (by the system, as an import would); return how many."""
    for pledge in PLEDGES:
        data = {
            "external_ref": pledge.ref,
            "title": pledge.title,
            "type": pledge.type,
            "gcr_objectives": list(pledge.objectives),
            "forum": pledge.forum,
            "status": pledge.status,
            "parties": [
                {"organisation_id": cast.organisations[org].id, "role": role, "share": share}
                for org, role, share in pledge.parties
            ],
            "links": [
                {"situation_id": situations[key].id, "code": code} for key, code in pledge.links
            ],
        }
        service.create(session, None, PledgeCreate.model_validate(data))
    return len(PLEDGES)
