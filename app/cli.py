"""The ``crrf`` command: thin wrappers over the services."""

import argparse
import os
import signal
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app import demo
from app.accounts import invitations
from app.config import Settings, get_settings
from app.core.base import utcnow
from app.core.db import make_engine, make_sessionmakers
from app.core.errors import AppError
from app.funding import fts_import
from app.i18n import catalogs
from app.models import User
from app.notify.config import session_info
from app.ops import backup, migrations
from app.ops.logs import configure_logging
from app.pledges.importer import import_pledges
from app.progress import commands as progress
from app.templates import commands as templates
from app.templates.registry import cached_registry
from app.users import service as users
from app.users.schemas import UserCreate


class DatabaseUnreachable(Exception):
    """The database named by ``CRRF_DATABASE_URL`` could not be connected to."""


def _check_database(database_url: str) -> None:
    """Connect once, so that a database out of reach is one clear line rather than a traceback."""
    where = make_url(database_url).render_as_string(hide_password=True)
    try:
        engine = make_engine(database_url, get_settings())
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
    except OperationalError as exc:
        raise DatabaseUnreachable(f"{where}: {_first_line(exc.orig)}") from exc
    except OSError as exc:  # SQLite: its folder cannot be made or read
        raise DatabaseUnreachable(f"{where}: {exc.strerror or exc}") from exc


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


@contextmanager
def _session(*, mail: bool = True) -> Iterator[Session]:
    """A writing session, committed at the end; with ``mail``, it queues e-mails when mail is on."""
    settings = get_settings()
    engine = make_engine(settings.database_url, settings)
    catalogs.load()
    _, writer = make_sessionmakers(engine, info=session_info(settings) if mail else None)
    try:
        with writer() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def _db_upgrade(args: argparse.Namespace) -> int:
    migrations.upgrade(get_settings().database_url, args.revision)
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    migrations.downgrade(get_settings().database_url, args.revision)
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    workers = args.workers or settings.workers
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker keeps its metrics in files here; /metrics adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="crrf-metrics-")
    # Imported once the metrics' folder is known: the worker's metrics are counted there too.
    from app.worker import BackgroundWorker

    background = BackgroundWorker(settings) if settings.worker_in_process else None
    if background is not None:
        background.start()

        def stop(*_: object) -> None:
            background.stopping.set()
            raise SystemExit(0)

        # Once serving, uvicorn takes SIGTERM, shuts down, then raises it again: here. Before
        # (while it starts), SIGTERM comes here directly. Either way the worker stops too.
        signal.signal(signal.SIGTERM, stop)
    try:
        _run_uvicorn(args, settings, workers)
    finally:
        if background is not None:
            background.stop()
    return 0


def _run_uvicorn(args: argparse.Namespace, settings: Settings, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_config=None,  # configure_logging (above, and in each worker's app) instead
        access_log=False,  # the app logs one line per request
        proxy_headers=True,
        http="app.ops.server:DeadlineHttpToolsProtocol",
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_connections or None,
    )


def _worker(args: argparse.Namespace) -> int:
    from app.worker import run_forever, run_once, worker_sessions

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    catalogs.load()
    engine, sessions = worker_sessions(settings)
    try:
        if args.once:
            print(run_once(sessions, utcnow()))
            return 0
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        run_forever(sessions, stop, poll_seconds=settings.worker_poll_seconds)
    finally:
        engine.dispose()
    return 0


def _users_create(args: argparse.Namespace) -> int:
    organisation = uuid.UUID(args.organisation) if args.organisation else None
    data = UserCreate(
        email=args.email, name=args.name, organisation_id=organisation, is_admin=args.admin
    )
    with _session() as session:
        user = users.create(session, data)
        _, secret = users.issue_token(session, user, "cli")
        print(f"created user {user.id} <{user.email}>{' (admin)' if user.is_admin else ''}")
        print(secret)
    return 0


def _users_list(args: argparse.Namespace) -> int:
    with _session() as session:
        found = session.scalars(users.search(None, None).order_by(User.email)).all()
        rows = [
            (
                str(user.id),
                user.email,
                user.name,
                "admin" if user.is_admin else "user",
                (user.organisation.acronym or user.organisation.name) if user.organisation else "-",
                "yes" if user.is_active else "no",
            )
            for user in found
        ]
    header = ("ID", "EMAIL", "NAME", "ROLE", "ORGANISATION", "ACTIVE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _user_by_email(session: Session, email: str) -> User | None:
    user = users.get_by_email(session, email)
    if user is None:
        print(f"no user with e-mail {email}", file=sys.stderr)
    return user


def _users_invite(args: argparse.Namespace) -> int:
    settings = get_settings()
    with _session() as session:
        user = _user_by_email(session, args.email)
        if user is None:
            return 1
        invitation, token = invitations.issue(
            session, user, lifetime=timedelta(hours=settings.invitation_ttl_hours), by=None
        )
        print(
            f"invitation for <{user.email}>, valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC"
        )
        print(invitations.url(settings.base_url(), token))
    return 0


def _tokens_create(args: argparse.Namespace) -> int:
    with _session() as session:
        user = _user_by_email(session, args.email)
        if user is None:
            return 1
        _, secret = users.issue_token(session, user, args.name)
        print(secret)
    return 0


def _db_backup(args: argparse.Namespace) -> int:
    target = Path(args.path)
    backup.backup(get_settings().database_url, target)
    print(f"backed up to {target}")
    return 0


def _db_restore(args: argparse.Namespace) -> int:
    backup.restore(get_settings().database_url, Path(args.path), force=args.force)
    print(f"restored from {args.path}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    # Back-dated demo data (returned updates among it) sends no e-mail.
    with _session(mail=False) as session:
        report = demo.load(
            session,
            cached_registry(Path(settings.templates_dir).resolve()),
            invitation_lifetime=timedelta(hours=settings.invitation_ttl_hours),
        )
    print(demo.describe(report, settings.base_url() + "/"))
    return 0


def _funding_import(args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8-sig")
    with _session(mail=False) as session:
        report = fts_import.run(session, text, situation_id=args.situation, dry_run=args.dry_run)
    for line in report.lines():
        print(line, file=sys.stderr if line.startswith("line ") else sys.stdout)
    return 2 if report.errors else 1 if report.unmatched else 0


def _pledges_import(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"error: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with _session() as session:
        report = import_pledges(session, text, dry_run=args.dry_run)
    for error in report.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if report.errors:
        print(f"nothing imported: {len(report.errors)} problems", file=sys.stderr)
        return 1
    print(report.summary(dry_run=args.dry_run))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line, with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="crrf", description="CRRF Case Manager")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('crrf-case-manager')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add(
        group: "argparse._SubParsersAction[argparse.ArgumentParser]",
        name: str,
        handler: Callable[[argparse.Namespace], int],
        help_: str,
        *,
        database: bool = True,
    ) -> argparse.ArgumentParser:
        command = group.add_parser(name, help=help_, description=help_)
        command.set_defaults(handler=handler, database=database)
        return command

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    add(db, "upgrade", _db_upgrade, "migrate the database to the newest schema").add_argument(
        "--revision", default="head"
    )
    add(db, "downgrade", _db_downgrade, "migrate the database down").add_argument("revision")
    add(db, "backup", _db_backup, "write a consistent snapshot (works while serving)").add_argument(
        "path"
    )
    restore = add(db, "restore", _db_restore, "load a backup into an empty database")
    restore.add_argument("path")
    restore.add_argument("--force", action="store_true", help="replace what the database holds")

    # Serving starts without the database: /readyz says when it answers.
    serve = add(commands, "serve", _serve, "serve the API", database=False)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    worker = add(
        commands,
        "worker",
        _worker,
        "deliver e-mails and run the periodic tasks until stopped (SIGTERM, Ctrl-C)",
    )
    worker.add_argument(
        "--once", action="store_true", help="one pass over the tasks; print how much was done"
    )

    user_commands = commands.add_parser("users", help="users").add_subparsers(
        dest="users", required=True
    )
    create = add(user_commands, "create", _users_create, "create a user; prints their token last")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--admin", action="store_true")
    create.add_argument("--organisation", help="organisation id")
    add(user_commands, "list", _users_list, "list users: id, e-mail, name, role, organisation")
    invite = add(
        user_commands,
        "invite",
        _users_invite,
        "invite a user to set a password (ends their earlier links); prints the link last",
    )
    invite.add_argument("--email", required=True)

    token_commands = commands.add_parser("tokens", help="API tokens").add_subparsers(
        dest="tokens", required=True
    )
    token = add(token_commands, "create", _tokens_create, "issue a token for a user; prints it")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli")

    add(commands, "demo", _demo, "load a demo data set; prints tokens and sign-in links")

    funding = commands.add_parser("funding", help="funding flows").add_subparsers(
        dest="funding", required=True
    )
    flows = add(funding, "import", _funding_import, "import OCHA FTS flows from a CSV file")
    flows.add_argument("file")
    flows.add_argument("--situation", type=uuid.UUID, help="situation id, if no situation column")
    flows.add_argument("--dry-run", action="store_true", help="check and report; write nothing")

    pledge_commands = commands.add_parser("pledges", help="pledges").add_subparsers(
        dest="pledges", required=True
    )
    pledges_import = add(
        pledge_commands,
        "import",
        _pledges_import,
        "import a pledge list (CSV, the README's columns); re-importing updates by external_ref",
    )
    pledges_import.add_argument("file")
    pledges_import.add_argument(
        "--dry-run", action="store_true", help="check and count, change nothing"
    )

    templates.register(commands, add, _session)
    progress.register(commands, add, _session)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crrf`` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.database:
            _check_database(get_settings().database_url)
        code: int = args.handler(args)
    except DatabaseUnreachable as exc:
        print(f"error: cannot reach the database {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:  # reached, then failed (e.g. not migrated: `crrf db upgrade`)
        print(f"error: the database failed: {_first_line(exc.orig)}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            print(f"invalid {where}: {error['msg']}", file=sys.stderr)
        return 2
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except AppError as exc:
        print(f"{exc.title}: {exc.detail}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
