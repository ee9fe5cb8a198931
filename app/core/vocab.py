"""The fixed vocabularies of the public contract. Renaming a value breaks partners."""

from enum import StrEnum


class PillarCode(StrEnum):
    RECEPTION = "reception"
    IMMEDIATE_NEEDS = "immediate_needs"
    HOST_SUPPORT = "host_support"
    DURABLE_SOLUTIONS = "durable_solutions"


class OrganisationType(StrEnum):
    GOVERNMENT = "government"
    UN_AGENCY = "un_agency"
    INTERNATIONAL_NGO = "international_ngo"
    NATIONAL_NGO = "national_ngo"
    FAITH_BASED = "faith_based"
    REFUGEE_LED = "refugee_led"
    IFI = "ifi"
    REGIONAL_ORGANISATION = "regional_organisation"
    PRIVATE_SECTOR = "private_sector"
    ACADEMIA = "academia"
    MEDIA = "media"
    DONOR = "donor"
    RED_CROSS_RED_CRESCENT = "red_cross_red_crescent"
    OTHER = "other"


# IATI OrganisationType codelist (https://iatistandard.org/en/iati-standard/203/codelists/organisationtype/).
# IATI has no code for faith-based, refugee-led, media or Red Cross/Red Crescent bodies:
# they take the nearest civil-society code, and media falls to "Other".
IATI_ORGANISATION_TYPE: dict[OrganisationType, str] = {
    OrganisationType.GOVERNMENT: "10",
    OrganisationType.UN_AGENCY: "40",
    OrganisationType.INTERNATIONAL_NGO: "21",
    OrganisationType.NATIONAL_NGO: "22",
    OrganisationType.FAITH_BASED: "22",
    OrganisationType.REFUGEE_LED: "22",
    OrganisationType.IFI: "40",
    OrganisationType.REGIONAL_ORGANISATION: "40",
    OrganisationType.PRIVATE_SECTOR: "70",
    OrganisationType.ACADEMIA: "80",
    OrganisationType.MEDIA: "90",
    OrganisationType.DONOR: "10",
    OrganisationType.RED_CROSS_RED_CRESCENT: "21",
    OrganisationType.OTHER: "90",
}


class OwnerRole(StrEnum):
    LEAD = "lead"
    SUPPORT = "support"
    FUNDING = "funding"
    IMPLEMENTING = "implementing"


# IATI OrganisationRole codelist (https://iatistandard.org/en/iati-standard/203/codelists/organisationrole/):
# 1 Funding, 2 Accountable, 3 Extending, 4 Implementing. A supporting organisation has no IATI
# role (3 Extending manages funds on the funder's behalf), so `support` is left out.
IATI_ORGANISATION_ROLE: dict[OwnerRole, str] = {
    OwnerRole.LEAD: "2",
    OwnerRole.FUNDING: "1",
    OwnerRole.IMPLEMENTING: "4",
}


class ItemStatus(StrEnum):
    NOT_STARTED = "not_started"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    IN_PLACE = "in_place"
    NOT_APPLICABLE = "not_applicable"


class SituationRole(StrEnum):
    COORDINATOR = "coordinator"
    PARTNER = "partner"
    VIEWER = "viewer"


class Phase(StrEnum):
    PREPAREDNESS = "preparedness"
    EMERGENCY = "emergency"
    STABILISATION = "stabilisation"
    PROTRACTED = "protracted"
    SOLUTIONS = "solutions"


class ReviewPolicy(StrEnum):
    REVIEW = "review"
    AUTO_ACCEPT = "auto_accept"


class PopulationType(StrEnum):
    """UNHCR population types."""

    REF = "REF"
    ASY = "ASY"
    ROC = "ROC"
    OIP = "OIP"
    IDP = "IDP"
    STA = "STA"
    OOC = "OOC"
    HST = "HST"
    # Durable solutions count returns: refugees and IDPs who went home, and others of concern.
    RET = "RET"
    RDP = "RDP"
    IOC = "IOC"


class UpdateState(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class CycleState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ObligationState(StrEnum):
    """``overdue`` is derived when read (``app.cycles.rules``), never stored."""

    DUE = "due"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    OVERDUE = "overdue"
    WAIVED = "waived"


class EmailKind(StrEnum):
    """What an e-mail is about; each kind can be turned off by its recipient."""

    INVITATION = "invitation"
    UPDATE_RETURNED = "update_returned"
    OBLIGATION_DUE_SOON = "obligation_due_soon"
    OBLIGATION_DUE_TODAY = "obligation_due_today"
    OBLIGATION_OVERDUE = "obligation_overdue"
    REVIEW_DIGEST = "review_digest"


class EmailState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class WebhookEventType(StrEnum):
    """What a webhook subscription may ask for: CloudEvents ``type`` values."""

    ITEM_CHANGED = "crrf.item.changed"
    ITEM_OWNERS_CHANGED = "crrf.item.owners_changed"
    UPDATE_SUBMITTED = "crrf.update.submitted"
    UPDATE_REVIEWED = "crrf.update.reviewed"
    CYCLE_OPENED = "crrf.cycle.opened"
    OBLIGATION_DUE_SOON = "crrf.obligation.due_soon"
    OBLIGATION_OVERDUE = "crrf.obligation.overdue"
    ITEM_STALE = "crrf.item.stale"


class DeliveryState(StrEnum):
    """A webhook delivery: waiting (``pending``), in flight, done, or given up on."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class FlowStatus(StrEnum):
    """A funding flow's status, as in OCHA FTS; it only moves forward, in this order."""

    PLEDGE = "pledge"
    COMMITMENT = "commitment"
    PAID = "paid"


FLOW_STATUS_ORDER: dict[FlowStatus, int] = {status: n for n, status in enumerate(FlowStatus)}


class BudgetStatus(StrEnum):
    INDICATIVE = "indicative"
    COMMITTED = "committed"


class PledgeType(StrEnum):
    FINANCIAL = "financial"
    MATERIAL = "material"
    TECHNICAL = "technical"
    RESETTLEMENT = "resettlement"
    COMPLEMENTARY_PATHWAYS = "complementary_pathways"
    POLICY = "policy"


class PledgeStatus(StrEnum):
    PLANNING = "planning"
    IN_PROGRESS = "in_progress"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"


class PartyRole(StrEnum):
    SUBMITTER = "submitter"
    CO_PLEDGER = "co_pledger"
    MATCHER = "matcher"


# The Global Compact on Refugees' four objectives (A/73/12 (Part II), ¶7): ease pressures on
# host countries, enhance refugee self-reliance, expand access to third-country solutions,
# support conditions in countries of origin for return in safety and dignity.
GCR_OBJECTIVES = (1, 2, 3, 4)
