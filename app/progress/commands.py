"""``crrf report``: a situation's progress report for a period, written to a file."""

import argparse
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.policies import situation_permissions
from app.config import get_settings
from app.core.base import utcnow
from app.core.errors import NotFound
from app.i18n import LANGUAGES
from app.models import Membership, Situation, User
from app.progress import period as periods
from app.progress import render, report
from app.templates.registry import cached_registry

Sessions = Callable[[], AbstractContextManager[Session]]


def _reader(session: Session, situation: Situation, email: str | None) -> SituationAccess:
    """As whom the report is made: the user ``email`` in their role, else an administrator."""
    if email is None:
        operator = User(name="crrf report", email="crrf-report@localhost", is_admin=True)
        return SituationAccess(situation, operator, None, situation_permissions(operator, None))
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise NotFound(f"No user with the e-mail {email}.")
    role = session.scalar(
        select(Membership.role).where(
            Membership.situation_id == situation.id, Membership.user_id == user.id
        )
    )
    if role is None and not user.is_admin:
        raise NotFound(f"{email} is not a member of situation {situation.id}.")
    return SituationAccess(situation, user, role, situation_permissions(user, role))


def reporter(sessions: Sessions) -> Callable[[argparse.Namespace], int]:
    """The ``report`` command, on sessions from ``sessions``."""

    def run(args: argparse.Namespace) -> int:
        now = utcnow()
        found = periods.problem(args.start, args.end, now.date())
        if found is not None:
            raise ValueError(f"--{found[0]}: {found[1]}")
        registry = cached_registry(Path(get_settings().templates_dir).resolve())
        with sessions() as session:
            situation = session.get(Situation, args.sid)
            if situation is None:
                raise NotFound(f"No situation {args.sid}.")
            access = _reader(session, situation, args.reader)
            built = report.build(
                session,
                access,
                registry,
                period=periods.Period(args.start, args.end),
                language=args.lang,
                now=now,
            )
            drawn = render.draw(built, args.format)
        Path(args.out).write_bytes(drawn.content)
        print(f"wrote {args.out} ({len(drawn.content)} bytes, {args.format}, {args.lang})")
        return 0

    return run


def register(
    commands: Any, add: Callable[..., argparse.ArgumentParser], sessions: Sessions
) -> None:
    """Add ``crrf report SID --from --to [--format] [--lang] [--as] --out`` to the command line."""
    command = add(
        commands,
        "report",
        reporter(sessions),
        "write a situation's progress report for a period (HTML or PDF)",
    )
    command.add_argument("sid", type=uuid.UUID, help="the situation's id")
    command.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    command.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    command.add_argument("--format", choices=["html", "pdf"], default="pdf")
    command.add_argument("--lang", choices=list(LANGUAGES), default="en")
    command.add_argument(
        "--as",
        dest="reader",
        metavar="EMAIL",
        help="show what this member may see (default: an administrator's view)",
    )
    command.add_argument("--out", required=True, help="the file to write")
