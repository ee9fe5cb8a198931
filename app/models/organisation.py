"""Organisations: every actor that can own a checklist item."""

from sqlalchemy import String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.base import Base, Timestamps, UUIDPrimaryKey, str_enum
from app.core.vocab import OrganisationType


class Organisation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "organisation"

    name: Mapped[str] = mapped_column(String(200))
    # The name case-folded and NFKC-normalised: names are unique ignoring case, in any script.
    name_key: Mapped[str] = mapped_column(String(600), unique=True)
    acronym: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[OrganisationType] = mapped_column(str_enum(OrganisationType, "organisation_type"))
    country: Mapped[str | None] = mapped_column(String(3))
    # Moved by every change (``app.organisations.service.update``): what shows an
    # organisation's name elsewhere can tell that it changed (``app.checklist.list_cache``).
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
