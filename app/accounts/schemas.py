"""What the invitation route answers."""

from datetime import datetime

from pydantic import Field

from app.core.schemas import OutputModel


class InvitationIssued(OutputModel):
    """A one-time link that lets the user set their password; shown once."""

    url: str = Field(description="Open it to set a password; it works once.")
    expires_at: datetime
    emailed: bool = Field(
        description="Whether the link is also on its way to the user by e-mail (false when "
        "mail is off, or the user turned invitation e-mails off): else, hand it to them."
    )
