"""Partner updates: submit, review, list, history, idempotent retries, batches."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.vocab import OwnerRole, ReviewPolicy, SituationRole
from app.idempotency.service import KEY_TTL
from app.models import Event, IdempotencyKey, Update
from app.templates.registry import TemplateRegistry
from tests.factories import World, add_member, make_situation, set_owners
from tests.helpers import assert_problem, state_fingerprint

REPORT: dict[str, Any] = {
    "proposed_status": "in_progress",
    "narrative": "Screening desks staffed at Elegu and Kiryandongo.",
    "evidence": [{"title": "Weekly report", "url": "https://example.org/reports/w12.pdf"}],
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
}


def _submit(
    client: TestClient,
    world: World,
    who: str,
    code: str,
    body: dict[str, Any] | None = None,
    **headers: str,
) -> Any:
    return client.post(
        world.url(f"/items/{code}/updates"),
        json=body or REPORT,
        headers={**world.headers(who), **headers},
    )


def _review(
    client: TestClient,
    world: World,
    who: str,
    update_id: Any,
    decision: str,
    comment: str | None = None,
) -> Any:
    body: dict[str, Any] = {"decision": decision}
    if comment is not None:
        body["comment"] = comment
    return client.post(f"/api/v1/updates/{update_id}/review", json=body, headers=world.headers(who))


def _count_updates(db: Session, item_code: str | None = None) -> int:
    stmt = select(func.count()).select_from(Update)
    if item_code is not None:
        stmt = stmt.where(Update.item_code == item_code)
    return db.scalar(stmt) or 0


class TestSubmit:
    def test_partner_of_the_lead_organisation_submits(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        response = _submit(client, world, "partner_a", "5a")
        assert response.status_code == 201, response.text
        update = response.json()
        assert response.headers["location"] == f"/api/v1/updates/{update['id']}"
        assert update["state"] == "submitted"
        assert update["organisation"]["id"] == str(world.orgs["ngo_a"].id)
        assert update["base_version"] == 2 and update["evidence"] == REPORT["evidence"]
        event = db.scalars(select(Event).where(Event.update_id == uuid.UUID(update["id"]))).one()
        assert (event.action, event.item_version) == ("update.submitted", None)

    def test_partner_in_any_owner_role_submits(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        set_owners(db, world.s1, "7d", (world.orgs["ngo_b"], OwnerRole.IMPLEMENTING))
        db.commit()
        assert _submit(client, world, "partner_b", "7d").status_code == 201

    def test_coordinator_submits_on_any_item(self, client: TestClient, world: World) -> None:
        assert _submit(client, world, "coordinator", "16").status_code == 201

    @pytest.mark.parametrize(
        ("who", "status"),
        [("partner_b", 403), ("viewer", 403), ("outsider", 404), ("stranger", 404)],
    )
    def test_others_cannot_submit(
        self, client: TestClient, world: World, connection: Connection, who: str, status: int
    ) -> None:
        before = state_fingerprint(connection)
        assert_problem(_submit(client, world, who, "5a"), status)
        assert state_fingerprint(connection) == before

    @pytest.mark.parametrize(
        "change",
        [
            {"evidence": [{"title": "x", "url": "javascript:alert(1)"}]},
            {"evidence": [{"title": "x", "url": "ftp://example.org/file"}]},
            {"evidence": [{"title": "x", "url": "https://example.org/a"}] * 11},
            {"period_start": "2026-11-01", "period_end": "2026-10-01"},
            {"proposed_status": "not_applicable"},
            {"proposed_status": "finished"},
            {"narrative": ""},
            {"narrative": "x" * 8001},
        ],
    )
    def test_invalid_reports_are_422(
        self, client: TestClient, world: World, change: dict[str, Any]
    ) -> None:
        assert_problem(_submit(client, world, "partner_a", "5a", {**REPORT, **change}), 422)

    def test_unknown_item_is_404(self, client: TestClient, world: World) -> None:
        assert_problem(_submit(client, world, "partner_a", "5z"), 404)

    def test_auto_accept_situation_accepts_on_arrival(
        self, client: TestClient, world: World, db: Session, registry: TemplateRegistry
    ) -> None:
        situation = make_situation(db, registry, review_policy=ReviewPolicy.AUTO_ACCEPT)

        add_member(db, situation, world.users["partner_a"], SituationRole.PARTNER)
        set_owners(db, situation, "5c", (world.orgs["ngo_a"], OwnerRole.LEAD))
        db.commit()
        response = client.post(
            f"/api/v1/situations/{situation.id}/items/5c/updates",
            json=REPORT,
            headers=world.headers("partner_a"),
        )
        assert response.status_code == 201
        assert response.json()["state"] == "accepted"
        item = client.get(
            f"/api/v1/situations/{situation.id}/items/5c", headers=world.headers("partner_a")
        ).json()
        assert item["status"] == "in_progress" and item["version"] == 3


class TestReview:
    def test_accepting_applies_the_status_as_a_new_version(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        update = _submit(client, world, "partner_a", "5a").json()
        response = _review(client, world, "coordinator", update["id"], "accept", "Thanks")
        assert response.status_code == 200
        reviewed = response.json()
        assert reviewed["state"] == "accepted" and reviewed["review_comment"] == "Thanks"
        item = client.get(world.url("/items/5a"), headers=world.headers("viewer"))
        assert item.headers["etag"] == '"v3"'
        assert item.json()["status"] == "in_progress"
        assert item.json()["flags"]["no_data"] is False
        assert item.json()["last_accepted_update_at"] == reviewed["reviewed_at"]
        event = db.scalars(
            select(Event).where(
                Event.update_id == uuid.UUID(update["id"]), Event.action == "update.accepted"
            )
        ).one()
        assert (event.item_version, event.item_status.value if event.item_status else None) == (
            3,
            "in_progress",
        )
        assert event.actor_user_id == world.users["coordinator"].id

    def test_returning_needs_a_comment_and_the_partner_sees_it(
        self, client: TestClient, world: World
    ) -> None:
        update_id = world.updates["own"].id
        assert_problem(_review(client, world, "coordinator", update_id, "return"), 422)
        returned = _review(
            client, world, "coordinator", update_id, "return", "Add the figures for Elegu"
        ).json()
        assert returned["state"] == "returned"
        seen = client.get(f"/api/v1/updates/{update_id}", headers=world.headers("partner_a")).json()
        assert seen["review_comment"] == "Add the figures for Elegu"
        item = client.get(world.url("/items/5a"), headers=world.headers("viewer")).json()
        assert item["version"] == 2 and item["status"] == "not_started"
        assert _submit(client, world, "partner_a", "5a").status_code == 201

    def test_an_update_is_reviewed_once(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        update_id = world.updates["own"].id
        assert _review(client, world, "coordinator", update_id, "accept").status_code == 200
        before = state_fingerprint(connection)
        assert_problem(_review(client, world, "coordinator", update_id, "accept"), 409)
        assert_problem(_review(client, world, "coordinator", update_id, "return", "no"), 409)
        assert state_fingerprint(connection) == before

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("partner_a", 403),
            ("partner_b", 404),
            ("viewer", 404),
            ("outsider", 404),
            ("stranger", 404),
        ],
    )
    def test_only_coordinators_review(
        self, client: TestClient, world: World, connection: Connection, who: str, status: int
    ) -> None:
        before = state_fingerprint(connection)
        assert_problem(_review(client, world, who, world.updates["own"].id, "accept"), status)
        assert state_fingerprint(connection) == before

    def test_bulk_review_answers_each_update(self, client: TestClient, world: World) -> None:
        first = _submit(client, world, "partner_a", "5a").json()["id"]
        _review(client, world, "coordinator", first, "accept")
        ids = [
            str(world.updates["own"].id),
            str(world.updates["other_org"].id),
            first,
            str(world.updates["other_situation"].id),
        ]
        response = client.post(
            world.url("/updates:review"),
            json={"update_ids": ids, "decision": "return", "comment": "Please add sources"},
            headers=world.headers("coordinator"),
        )
        assert response.status_code == 200
        assert [r["status"] for r in response.json()["results"]] == [200, 200, 409, 404]
        assert {r["update"]["state"] for r in response.json()["results"][:2]} == {"returned"}


class TestList:
    def _ids(self, client: TestClient, world: World, who: str, query: str = "") -> set[str]:
        response = client.get(world.url(f"/updates?{query}"), headers=world.headers(who))
        assert response.status_code == 200, response.text
        return {u["id"] for u in response.json()["items"]}

    def test_each_role_sees_its_share(self, client: TestClient, world: World) -> None:
        own, other = str(world.updates["own"].id), str(world.updates["other_org"].id)
        assert self._ids(client, world, "coordinator") == {own, other}
        assert self._ids(client, world, "partner_a") == {own}
        assert self._ids(client, world, "partner_b") == {other}
        assert self._ids(client, world, "viewer") == set()
        _review(client, world, "coordinator", own, "accept")
        assert self._ids(client, world, "viewer") == {own}
        assert self._ids(client, world, "partner_b") == {other}

    def test_filters(self, client: TestClient, world: World) -> None:
        own, other = str(world.updates["own"].id), str(world.updates["other_org"].id)
        _review(client, world, "coordinator", own, "return", "more")
        assert self._ids(client, world, "coordinator", "state=returned") == {own}
        assert self._ids(client, world, "coordinator", "item=6a") == {other}
        assert self._ids(
            client, world, "coordinator", f"organisation_id={world.orgs['ngo_b'].id}"
        ) == {other}
        dated = _submit(client, world, "partner_a", "5a").json()["id"]
        assert self._ids(
            client, world, "coordinator", "period_from=2026-10-15&period_to=2026-10-20"
        ) == {dated}
        assert self._ids(client, world, "coordinator", "period_from=2027-01-01") == set()

    def test_newest_first_with_a_cursor(self, client: TestClient, world: World) -> None:
        made = [_submit(client, world, "partner_a", "5a").json()["id"] for _ in range(3)]
        first = client.get(world.url("/updates?limit=2"), headers=world.headers("partner_a")).json()
        rest = client.get(
            world.url(f"/updates?limit=2&cursor={first['next_cursor']}"),
            headers=world.headers("partner_a"),
        ).json()
        ids = [u["id"] for u in first["items"] + rest["items"]]
        assert ids == [*reversed(made), str(world.updates["own"].id)]
        assert rest["next_cursor"] is None

    def test_reading_one_follows_the_same_rules(self, client: TestClient, world: World) -> None:
        url = f"/api/v1/updates/{world.updates['own'].id}"
        assert client.get(url, headers=world.headers("partner_a")).status_code == 200
        assert client.get(url, headers=world.headers("coordinator")).status_code == 200
        for who in ("partner_b", "viewer", "outsider", "stranger"):
            assert_problem(client.get(url, headers=world.headers(who)), 404)


class TestHistory:
    def _actions(self, client: TestClient, world: World, who: str) -> list[str]:
        page = client.get(world.url("/items/5a/history"), headers=world.headers(who)).json()
        return [e["action"] for e in page["items"]]

    def test_reviews_appear_in_the_item_history(self, client: TestClient, world: World) -> None:
        _review(client, world, "coordinator", world.updates["own"].id, "return", "more detail")
        again = _submit(client, world, "partner_a", "5a").json()["id"]
        _review(client, world, "coordinator", again, "accept")
        assert self._actions(client, world, "coordinator")[:5] == [
            "update.accepted",
            "update.submitted",
            "update.returned",
            "update.submitted",
            "item.owners_set",
        ]
        assert (
            self._actions(client, world, "partner_a")[:4]
            == self._actions(client, world, "coordinator")[:4]
        )

    def test_other_organisations_see_only_accepted_updates(
        self, client: TestClient, world: World
    ) -> None:
        _review(client, world, "coordinator", world.updates["own"].id, "return", "more detail")
        for who in ("partner_b", "viewer"):
            assert self._actions(client, world, who) == ["item.owners_set", "item.created"]
        accepted = _submit(client, world, "partner_a", "5a").json()["id"]
        _review(client, world, "coordinator", accepted, "accept")
        assert self._actions(client, world, "viewer")[0] == "update.accepted"


class TestIdempotency:
    def test_a_retry_returns_the_stored_response(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        before = _count_updates(db)
        first = _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "report-2026-10"})
        retry = _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "report-2026-10"})
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.headers["location"] == first.headers["location"]
        assert "idempotent-replayed" not in first.headers
        assert _count_updates(db) == before + 1

    def test_an_expired_key_stops_replaying(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        """After its 72 hours the key is forgotten: the same request makes a new update."""
        key = {"Idempotency-Key": "report-2026-11"}
        before = _count_updates(db)
        first = _submit(client, world, "partner_a", "5a", **key)
        assert first.status_code == 201, first.text

        def age_key(expires_in: timedelta) -> None:
            now = utcnow()
            stored = select(IdempotencyKey).where(IdempotencyKey.key == key["Idempotency-Key"])
            for row in db.scalars(stored):
                row.created_at, row.expires_at = now + expires_in - KEY_TTL, now + expires_in
            db.commit()

        age_key(timedelta(minutes=1))
        almost = _submit(client, world, "partner_a", "5a", **key)
        assert almost.headers["idempotent-replayed"] == "true"
        assert almost.json()["id"] == first.json()["id"]

        age_key(timedelta(seconds=-1))
        after = _submit(client, world, "partner_a", "5a", **key)
        assert after.status_code == 201, after.text
        assert "idempotent-replayed" not in after.headers
        assert after.json()["id"] != first.json()["id"]
        assert _count_updates(db) == before + 2
        # The key now stands for the new update, for another 72 hours.
        again = _submit(client, world, "partner_a", "5a", **key)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == after.json()["id"]
        assert _count_updates(db) == before + 2

    def test_same_key_with_another_body_is_422(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "k1"})
        before = state_fingerprint(connection)
        assert_problem(
            _submit(
                client,
                world,
                "partner_a",
                "5a",
                {**REPORT, "narrative": "other"},
                **{"Idempotency-Key": "k1"},
            ),
            422,
        )
        assert state_fingerprint(connection) == before

    def test_keys_are_scoped_to_user_and_route(
        self, client: TestClient, world: World, db: Session, connection: Connection
    ) -> None:
        set_owners(
            db,
            world.s1,
            "5b",
            (world.orgs["ngo_a"], OwnerRole.SUPPORT),
            (world.orgs["ngo_b"], OwnerRole.LEAD),
        )
        db.commit()
        before = _count_updates(db)
        a = _submit(client, world, "partner_a", "5b", **{"Idempotency-Key": "same"}).json()["id"]
        b = _submit(client, world, "partner_b", "5b", **{"Idempotency-Key": "same"}).json()["id"]
        c = _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "same"}).json()["id"]
        assert len({a, b, c}) == 3
        assert _count_updates(db) == before + 3

    def test_malformed_key_is_422(self, client: TestClient, world: World) -> None:
        assert_problem(
            _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "x" * 256}), 422
        )
        assert_problem(
            _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "has space"}), 422
        )

    def test_a_failed_request_keeps_no_key(self, client: TestClient, world: World) -> None:
        assert_problem(
            _submit(client, world, "partner_b", "5a", **{"Idempotency-Key": "retry-me"}), 403
        )
        assert (
            _submit(client, world, "partner_a", "5a", **{"Idempotency-Key": "retry-me"}).status_code
            == 201
        )

    def test_the_retention_is_documented(self, client: TestClient) -> None:
        schema = client.get("/openapi.json").json()
        post = schema["paths"]["/api/v1/situations/{sid}/items/{code}/updates"]["post"]
        [header] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
        assert "72 hours" in header["description"]


class TestBatch:
    def test_each_update_gets_its_own_result(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        before = _count_updates(db)
        entries = [
            {**REPORT, "code": "5a", "client_ref": "ok"},
            {**REPORT, "code": "6a", "client_ref": "not-ours"},
            {**REPORT, "code": "5a", "client_ref": "bad", "proposed_status": "finished"},
            {**REPORT, "code": "5z", "client_ref": "unknown"},
            {**REPORT, "code": "5a", "client_ref": "ok"},
            {**REPORT, "code": "5a", "client_ref": "nul", "narrative": "a\u0000b"},
        ]
        response = client.post(
            world.url("/updates:batch"),
            json={"updates": entries},
            headers=world.headers("partner_a"),
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [(r["client_ref"], r["status"]) for r in results] == [
            ("ok", 201),
            ("not-ours", 403),
            ("bad", 422),
            ("unknown", 404),
            ("ok", 422),
            ("nul", 422),
        ]
        assert results[0]["update"]["item_code"] == "5a"
        assert results[2]["problem"]["errors"][0]["loc"] == [
            "body",
            "updates",
            2,
            "proposed_status",
        ]
        assert _count_updates(db) == before + 1

    def test_batches_are_capped_at_100(self, client: TestClient, world: World) -> None:
        entries = [{**REPORT, "code": "5a", "client_ref": str(i)} for i in range(101)]
        assert_problem(
            client.post(
                world.url("/updates:batch"),
                json={"updates": entries},
                headers=world.headers("partner_a"),
            ),
            422,
        )

    def test_a_batch_retry_is_replayed(self, client: TestClient, world: World, db: Session) -> None:
        body = {
            "updates": [
                {**REPORT, "code": "5a", "client_ref": "r1"},
                {**REPORT, "code": "5a", "client_ref": "r2"},
            ]
        }
        headers = {**world.headers("partner_a"), "Idempotency-Key": "batch-1"}
        before = _count_updates(db)
        first = client.post(world.url("/updates:batch"), json=body, headers=headers)
        retry = client.post(world.url("/updates:batch"), json=body, headers=headers)
        assert first.json() == retry.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert _count_updates(db) == before + 2

    def test_viewers_cannot_submit_batches(self, client: TestClient, world: World) -> None:
        body = {"updates": [{**REPORT, "code": "5a", "client_ref": "r1"}]}
        assert_problem(
            client.post(world.url("/updates:batch"), json=body, headers=world.headers("viewer")),
            403,
        )
