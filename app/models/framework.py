"""The context frameworks a situation has adopted beside its checklist template."""

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.base import Base, Timestamps, UUIDPrimaryKey


class SituationFramework(UUIDPrimaryKey, Timestamps, Base):
    """One context framework adopted by one situation, at the version it adopted.

    The version stays until a coordinator names another: a new version of the file changes
    nothing in a running situation by itself.
    """

    __tablename__ = "situation_framework"
    __table_args__ = (UniqueConstraint("situation_id", "template_id"),)

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(32))
