"""Every table, imported here so that the metadata is complete."""

from app.core.base import Base
from app.models.account import Invitation, SignInFailure, WebSession
from app.models.checklist import ChecklistItem, ItemOwner
from app.models.cycle import Obligation, ReportingCycle
from app.models.event import Event
from app.models.framework import SituationFramework
from app.models.funding import FundingFlow, FundingFlowItem, FundingRequirement, ItemFunding
from app.models.organisation import Organisation
from app.models.outbox import OutboundEmail
from app.models.pledge import Pledge, PledgeLink, PledgeObjective, PledgeParty, PledgeProgress
from app.models.situation import Membership, PopulationFigure, Situation
from app.models.update import IdempotencyKey, Update
from app.models.user import ApiToken, User
from app.models.webhook import WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiToken",
    "Base",
    "ChecklistItem",
    "Event",
    "FundingFlow",
    "FundingFlowItem",
    "FundingRequirement",
    "IdempotencyKey",
    "Invitation",
    "ItemFunding",
    "ItemOwner",
    "Membership",
    "Obligation",
    "Organisation",
    "OutboundEmail",
    "Pledge",
    "PledgeLink",
    "PledgeObjective",
    "PledgeParty",
    "PledgeProgress",
    "PopulationFigure",
    "ReportingCycle",
    "SignInFailure",
    "Situation",
    "SituationFramework",
    "Update",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookSubscription",
]
