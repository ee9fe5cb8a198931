"""The ``crrf`` command: its version, a database out of reach, the list of users."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.cli import main
from app.config import Settings, get_settings
from app.core.base import utcnow
from app.core.db import make_engine
from tests.databases import fresh_database
from tests.factories import make_organisation, make_user
from tests.live import free_port


def crrf(
    url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "CRRF_DATABASE_URL": url, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own (on the test server when there is one), migrated by the CLI."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        upgraded = crrf(url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        yield url


class TestVersion:
    def test_prints_the_package_version(self, tmp_path: Path) -> None:
        result = crrf(f"sqlite:///{tmp_path / 'unused.sqlite3'}", "--version")
        assert result.returncode == 0
        assert result.stdout.strip() == f"crrf {version('crrf-case-manager')}"


# A port nothing listens on; a SQLite file whose folder cannot be made (its parent is a file:
# permissions would not stop the root user these tests may run as).
def _unreachable(tmp_path: Path) -> list[str]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return [
        f"postgresql+psycopg://crrf:s3cret-pw@127.0.0.1:{free_port()}/crrf",
        f"sqlite:///{blocker / 'missing' / 'crrf.sqlite3'}",
    ]


DATABASE_COMMANDS = [
    ("db", "upgrade"),
    ("db", "downgrade", "base"),
    ("db", "backup", "{tmp}/backup.bin"),
    ("db", "restore", "{tmp}/a-file"),
    ("users", "list"),
    ("users", "create", "--email", "a@example.org", "--name", "A"),
    ("tokens", "create", "--email", "a@example.org"),
    ("demo",),
]


@pytest.fixture
def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str]]]:
    """Run ``main()`` in this process against a database URL; return its code and stderr."""

    def run(url: str, *args: str) -> tuple[int, str]:
        monkeypatch.setenv("CRRF_DATABASE_URL", url)
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(args))
        return code, capsys.readouterr().err

    yield run
    get_settings.cache_clear()


class TestUnreachableDatabase:
    @pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
    def test_is_one_clear_line_and_a_failure(
        self, tmp_path: Path, run_main: Callable[..., tuple[int, str]], command: tuple[str]
    ) -> None:
        for url in _unreachable(tmp_path):
            code, stderr = run_main(url, *(arg.format(tmp=tmp_path) for arg in command))
            assert code == 1
            lines = stderr.strip().splitlines()
            assert len(lines) == 1, stderr
            assert lines[0].startswith("error: cannot reach the database ")
            assert "s3cret-pw" not in stderr

    def test_says_why_without_a_traceback(self, tmp_path: Path) -> None:
        postgres, sqlite = _unreachable(tmp_path)
        for url, why in ((postgres, "Connection refused"), (sqlite, "Not a directory")):
            result = crrf(url, "users", "list")
            assert result.returncode == 1
            assert result.stdout == ""
            assert why in result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr

    def test_a_database_reached_but_not_migrated_is_one_line_too(
        self, tmp_path: Path, run_main: Callable[..., tuple[int, str]]
    ) -> None:
        code, stderr = run_main(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "users", "list")
        assert code == 1
        assert stderr.startswith("error: the database failed: ")
        assert len(stderr.strip().splitlines()) == 1


class TestUsersList:
    def test_lists_every_user_with_their_role_organisation_and_state(
        self, migrated_url: str
    ) -> None:
        engine = make_engine(migrated_url, Settings(database_url=migrated_url))
        try:
            with Session(engine) as db, db.begin():
                org = make_organisation(db, "Office of the Prime Minister", acronym="OPM")
                admin, _ = make_user(db, admin=True, name="admin")
                partner, _ = make_user(db, org, name="partner")
                partner.is_active = False
                admin_row = [str(admin.id), admin.email, "admin", "admin", "-", "yes"]
                partner_row = [str(partner.id), partner.email, "partner", "user", "OPM", "no"]
        finally:
            engine.dispose()
        result = crrf(migrated_url, "users", "list")
        assert result.returncode == 0, result.stderr
        header, *rows = [line.split() for line in result.stdout.strip().splitlines()]
        assert header == ["ID", "EMAIL", "NAME", "ROLE", "ORGANISATION", "ACTIVE"]
        assert sorted(rows, key=lambda row: row[1]) == [admin_row, partner_row]

    def test_an_empty_database_prints_the_header(self, migrated_url: str) -> None:
        result = crrf(migrated_url, "users", "list")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["ID", "EMAIL", "NAME", "ROLE", "ORGANISATION", "ACTIVE"]


class TestUsersInvite:
    def test_prints_a_working_link_last(self, migrated_url: str) -> None:
        created = crrf(
            migrated_url, "users", "create", "--email", "first@example.org", "--name", "F"
        )
        assert created.returncode == 0, created.stderr
        env = {"CRRF_PUBLIC_URL": "https://crrf.example.org"}
        result = crrf(migrated_url, "users", "invite", "--email", "First@example.org", env=env)
        assert result.returncode == 0, result.stderr
        link = result.stdout.strip().splitlines()[-1]
        assert link.startswith("https://crrf.example.org/invitations/")
        token = link.rsplit("/", 1)[1]
        engine = make_engine(migrated_url, Settings(database_url=migrated_url))
        try:
            with Session(engine) as db:
                invitation, user = invitations.find_open(db, token, utcnow())
                assert user.email == "first@example.org" and invitation.created_by_id is None
        finally:
            engine.dispose()

    def test_an_unknown_email_is_an_error(self, migrated_url: str) -> None:
        result = crrf(migrated_url, "users", "invite", "--email", "nobody@example.org")
        assert result.returncode == 1
        assert "no user" in result.stderr and result.stdout == ""
