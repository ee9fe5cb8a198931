"""The bare baseline: a minimal FastAPI app doing the least equivalent work on the same database.

No auth, no validation beyond the path, no ORM: raw SQL through one engine. Each endpoint
is what the real one cannot do with less:

- ``POST /bench/items/{item_id}/updates``: one INSERT and one UPDATE in a transaction;
- ``GET /bench/situations/{sid}/items``: one SELECT of the situation's 43 rows;
- ``GET /bench/situations/{sid}/summary[?as_of=]``: the raw SQL of the summary aggregate;
- ``GET /bench/rollup``: the raw SQL of the roll-up aggregates;
- ``GET /bench/rollup/export``: the rows of the roll-up export, streamed as CSV.

    uvicorn bench.baseline:create_app --factory   (BENCH_DATABASE_URL names the database)
"""

import csv
import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import Engine, text

from app.config import Settings
from app.core.db import make_engine

FLAGS = """
  count(*) AS items_total,
  sum(CASE WHEN ci.status = 'not_started' THEN 1 ELSE 0 END) AS not_started,
  sum(CASE WHEN ci.status = 'planned' THEN 1 ELSE 0 END) AS planned,
  sum(CASE WHEN ci.status = 'in_progress' THEN 1 ELSE 0 END) AS in_progress,
  sum(CASE WHEN ci.status = 'in_place' THEN 1 ELSE 0 END) AS in_place,
  sum(CASE WHEN ci.status = 'not_applicable' THEN 1 ELSE 0 END) AS not_applicable,
  sum(CASE WHEN ci.status <> 'not_applicable' AND NOT ci.has_lead THEN 1 ELSE 0 END) AS lead_missing,
  sum(CASE WHEN ci.target_date IS NOT NULL AND ci.target_date < :today
        AND ci.status NOT IN ('in_place', 'not_applicable') THEN 1 ELSE 0 END) AS overdue,
  sum(CASE WHEN ci.status <> 'not_applicable'
        AND coalesce(ci.last_accepted_update_at, ci.created_at) < {threshold} THEN 1 ELSE 0 END) AS stale,
  sum(CASE WHEN ci.status <> 'not_applicable' AND ci.last_accepted_update_at IS NULL THEN 1 ELSE 0 END) AS no_data
"""


def create_app() -> FastAPI:
    url = os.environ["BENCH_DATABASE_URL"]
    engine = make_engine(url, Settings(database_url=url))
    sqlite = engine.dialect.name == "sqlite"
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def key(value: str) -> Any:
        return uuid.UUID(value).hex if sqlite else value

    def day(value: date) -> Any:
        return value.isoformat() if sqlite else value

    def moment(value: datetime) -> Any:
        return value.replace(tzinfo=None).isoformat(sep=" ") if sqlite else value

    @app.get("/bench/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bench/items/{item_id}/updates", status_code=201)
    def submit(item_id: str) -> dict[str, str]:
        now = datetime.now(UTC)
        update_id = uuid.uuid4()
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO partner_update (id, situation_id, item_id, item_code, organisation_id, "
                    "submitted_by_id, state, proposed_status, status_note, narrative, evidence, period_start, "
                    "period_end, base_version, submitted_at, reviewed_at, reviewed_by_id, review_comment) "
                    "SELECT :id, situation_id, id, code, NULL, NULL, 'submitted', 'in_progress', NULL, "
                    ":narrative, :evidence, NULL, NULL, version, :now, NULL, NULL, NULL "
                    "FROM checklist_item WHERE id = :item"
                ),
                {
                    "id": key(str(update_id)),
                    "item": key(item_id),
                    "narrative": "Benchmark submission",
                    "evidence": "[]",
                    "now": moment(now),
                },
            )
            connection.execute(
                text("UPDATE checklist_item SET updated_at = :now WHERE id = :item"),
                {"now": moment(now), "item": key(item_id)},
            )
        return {"id": str(update_id)}

    @app.get("/bench/situations/{sid}/items")
    def items(sid: str) -> JSONResponse:
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    text(
                        "SELECT id, code, title, text, status, status_note, target_date, version, updated_at "
                        "FROM checklist_item WHERE situation_id = :sid ORDER BY sort_order"
                    ),
                    {"sid": key(sid)},
                )
                .mappings()
                .all()
            )
        return JSONResponse({"items": [{k: _json(v) for k, v in row.items()} for row in rows]})

    @app.get("/bench/situations/{sid}/summary")
    def summary(sid: str, as_of: date | None = None) -> JSONResponse:
        now = datetime.now(UTC)
        end = (
            datetime.combine(as_of + timedelta(days=1), datetime.min.time(), UTC) if as_of else now
        )
        params = {
            "sid": key(sid),
            "today": day(as_of or now.date()),
            "threshold": moment(end - timedelta(days=90)),
            "now": moment(end),
        }
        if as_of is None:
            source = "checklist_item ci WHERE ci.situation_id = :sid"
        else:
            source = (
                "(SELECT i.id, i.pillar, i.created_at, e.item_status AS status, e.item_target_date AS target_date, "
                "e.item_has_lead AS has_lead, "
                "a.last_accepted_update_at FROM checklist_item i "
                "JOIN (SELECT item_id, max(item_version) AS v FROM event WHERE situation_id = :sid "
                "AND item_version IS NOT NULL AND at < :now GROUP BY item_id) lv ON lv.item_id = i.id "
                "JOIN event e ON e.item_id = i.id AND e.item_version = lv.v "
                "LEFT JOIN (SELECT item_id, max(at) AS last_accepted_update_at FROM event WHERE situation_id = :sid "
                "AND action = 'update.accepted' AND at < :now GROUP BY item_id) a ON a.item_id = i.id "
                "WHERE i.situation_id = :sid) ci"
            )
        with engine.connect() as connection:
            pillars = (
                connection.execute(
                    text(
                        f"SELECT ci.pillar, {FLAGS.format(threshold=':threshold')} FROM {source} GROUP BY ci.pillar"
                    ),
                    params,
                )
                .mappings()
                .all()
            )
            pending = connection.execute(
                text(
                    "SELECT ci.pillar, count(*) AS n FROM partner_update u JOIN checklist_item ci ON ci.id = u.item_id "
                    "WHERE u.situation_id = :sid AND u.submitted_at < :now "
                    "AND (u.reviewed_at IS NULL OR u.reviewed_at >= :now) GROUP BY ci.pillar"
                ),
                params,
            ).all()
        return JSONResponse(
            {"pillars": [dict(row) for row in pillars], "pending": [list(r) for r in pending]}
        )

    @app.get("/bench/rollup")
    def rollup() -> JSONResponse:
        now = datetime.now(UTC)
        params: dict[str, Any] = {"today": day(now.date())}
        with engine.connect() as connection:
            # Each situation's stale threshold, from the few stale_after_days in use.
            days = connection.execute(text("SELECT DISTINCT stale_after_days FROM situation"))
            whens = []
            for (n,) in days:
                params[f"t{n}"] = moment(now - timedelta(days=n))
                whens.append(f"WHEN {int(n)} THEN :t{n}")
            flags = FLAGS.format(threshold=f"CASE s.stale_after_days {' '.join(whens)} END")
            situations = (
                connection.execute(
                    text(
                        f"SELECT s.id, s.name, s.host_country, s.phase, {flags} FROM situation s "
                        "JOIN checklist_item ci ON ci.situation_id = s.id "
                        "GROUP BY s.id, s.name, s.host_country, s.phase ORDER BY s.name, s.id"
                    ),
                    params,
                )
                .mappings()
                .all()
            )
            pending = connection.execute(
                text(
                    "SELECT situation_id, count(*) FROM partner_update WHERE state = 'submitted' GROUP BY situation_id"
                )
            ).all()
            elements = connection.execute(
                text(
                    "SELECT element_code, pillar, status, min(sort_order), max(title), count(*) FROM checklist_item "
                    "WHERE is_custom = :false GROUP BY element_code, pillar, status"
                ),
                {"false": False},
            ).all()
        return JSONResponse(
            {
                "situations": [{k: _json(v) for k, v in row.items()} for row in situations],
                "pending": len(pending),
                "elements": [[_json(v) for v in row] for row in elements],
            }
        )

    @app.get("/bench/rollup/export")
    def export() -> StreamingResponse:
        return StreamingResponse(_export_rows(engine), media_type="text/csv")

    return app


def _export_rows(engine: Engine) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=500).execute(
            text(
                "SELECT s.id, s.name, s.host_country, ci.code, ci.pillar, ci.title, ci.status, ci.status_note, "
                "ci.target_date, o.name, ci.last_accepted_update_at FROM checklist_item ci "
                "JOIN situation s ON s.id = ci.situation_id "
                "LEFT JOIN item_owner io ON io.item_id = ci.id AND io.role = 'lead' "
                "LEFT JOIN organisation o ON o.id = io.organisation_id ORDER BY s.name, s.id, ci.sort_order"
            )
        )
        for count, row in enumerate(result, start=1):
            writer.writerow(row)
            if count % 200 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
