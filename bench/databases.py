"""The seeded databases of the in-process benchmarks: made once, reused after.

``seeded(kind, name, fill)`` gives the URL of the database ``name`` on SQLite (a file under
``var/bench``) or PostgreSQL (``CRRF_BENCH_POSTGRES_URL``'s server), migrated; the first time
(or with ``reseed``), it is made empty and ``fill(url)`` seeds it, and a marker file beside it
keeps what was seeded.
"""

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.config import PROJECT_ROOT
from app.ops import migrations

VAR = PROJECT_ROOT / "var" / "bench"
POSTGRES = os.environ.get(
    "CRRF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _analyze(kind: str, url: str) -> None:
    if kind == "postgres":
        engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        engine = create_engine(url, poolclass=NullPool)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()


def seeded(
    kind: str, name: str, fill: Callable[[str], dict[str, Any]], *, reseed: bool = False
) -> str:
    """The URL of the seeded database ``name`` on ``kind`` (``sqlite`` or ``postgres``)."""
    VAR.mkdir(parents=True, exist_ok=True)
    marker = VAR / f"{kind}-{name}.json"
    fresh = reseed or not marker.exists()
    if kind == "sqlite":
        url = f"sqlite:///{VAR / f'{name}.sqlite3'}"
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                VAR.joinpath(f"{name}.sqlite3{suffix}").unlink(missing_ok=True)
    else:
        base = make_url(POSTGRES)
        url = base.set(database=name).render_as_string(hide_password=False)
        if fresh:
            admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
    migrations.upgrade(url)
    if not fresh:
        return url
    print(f"  seeding {kind}: {name} ...", file=sys.stderr)
    started = time.monotonic()
    counts = fill(url)
    _analyze(kind, url)
    seconds = round(time.monotonic() - started, 1)
    marker.write_text(json.dumps({**counts, "seconds": seconds}))
    return url
