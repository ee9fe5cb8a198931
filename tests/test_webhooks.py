"""Signed webhooks: subscriptions, the outbox, deliveries to a real receiver, retries, the log.

The receiver is a real HTTP server on 127.0.0.1 (``tests.receiver``); the worker task
``run_due`` runs here with sessions on the test's connection, and the clock is moved by
handing it a later ``now``, never by sleeping.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import standardwebhooks
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch
from app.config import Settings
from app.core.base import utcnow
from app.core.vocab import DeliveryState, ItemStatus
from app.events.service import SYSTEM
from app.models import Event, WebhookDelivery, WebhookSubscription
from app.webhooks import delivery as worker
from app.webhooks import sender
from app.webhooks.service import new_secret
from app.webhooks.targets import is_public
from tests.factories import World
from tests.helpers import assert_problem, state_fingerprint, with_etag
from tests.live import free_port
from tests.receiver import Answer, Receiver, running_receiver

ALL_TYPES = [
    "crrf.item.changed",
    "crrf.item.owners_changed",
    "crrf.update.submitted",
    "crrf.update.reviewed",
]
Worker = Callable[..., int]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def private_ok(app: FastAPI, settings: Settings) -> Settings:
    """Let the app and the worker use the receiver on 127.0.0.1, with short time-outs."""
    allowed = settings.model_copy(
        update={"webhook_allow_private": True, "webhook_timeout_seconds": 2}
    )
    app.state.settings = allowed
    return allowed


@pytest.fixture
def run(connection: Connection, private_ok: Settings) -> Worker:
    """The worker task on the test's connection: ``run(now, **settings)``."""

    def sessions() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def run_due(now: datetime | None = None, **changes: Any) -> int:
        settings = private_ok.model_copy(update=changes)
        return worker.run_due(sessions, now or utcnow(), settings)

    return run_due


def subscribe(
    client: TestClient, world: World, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    response = client.post(
        world.url("/webhooks"),
        json={"url": url, "event_types": types or ["crrf.item.changed"]},
        headers=world.headers("coordinator"),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def patch_5a(client: TestClient, world: World, status: str = "planned") -> None:
    headers = with_etag(client, world.url("/items/5a"), world.headers("coordinator"))
    response = client.patch(world.url("/items/5a"), json={"status": status}, headers=headers)
    assert response.status_code == 200, response.text


def deliveries(db: Session) -> list[WebhookDelivery]:
    db.expire_all()
    return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def log(client: TestClient, world: World, wid: str, query: str = "") -> list[dict[str, Any]]:
    response = client.get(
        world.url(f"/webhooks/{wid}/deliveries{query}"), headers=world.headers("coordinator")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestSubscriptions:
    def test_the_secret_is_shown_once(
        self, client: TestClient, world: World, private_ok: Settings, receiver: Receiver
    ) -> None:
        created = subscribe(client, world, receiver.url)
        assert created["secret"].startswith("whsec_")
        standardwebhooks.Webhook(created["secret"])  # a secret the library reads
        assert created["active"] is True and created["event_types"] == ["crrf.item.changed"]
        headers = world.headers("coordinator")
        listed = client.get(world.url("/webhooks"), headers=headers)
        one = client.get(world.url(f"/webhooks/{created['id']}"), headers=headers)
        for response in (listed, one):
            assert response.status_code == 200
            assert created["secret"] not in response.text and "secret" not in response.text
        assert [w["id"] for w in listed.json()["items"]] == [created["id"]]

    @pytest.mark.parametrize(
        "types", [[], ["crrf.item.deleted"], ["item.updated"]], ids=["none", "unknown", "action"]
    )
    def test_event_types_are_validated(
        self, client: TestClient, world: World, connection: Connection, types: list[str]
    ) -> None:
        before = state_fingerprint(connection)
        response = client.post(
            world.url("/webhooks"),
            json={"url": "https://93.184.215.14/hooks", "event_types": types},
            headers=world.headers("coordinator"),
        )
        assert_problem(response, 422)
        assert state_fingerprint(connection) == before

    def test_a_webhook_of_another_situation_is_not_found(
        self, client: TestClient, world: World
    ) -> None:
        other = client.post(
            world.url("/webhooks", world.s2),
            json={"url": "https://93.184.215.14/s2", "event_types": ["crrf.item.changed"]},
            headers=world.headers("outsider"),
        ).json()
        # The admin sees both situations: s2's webhook is still not one of s1's.
        response = client.get(world.url(f"/webhooks/{other['id']}"), headers=world.headers("admin"))
        assert_problem(response, 404)

    def test_a_deleted_webhook_is_sent_nothing_more(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        patch_5a(client, world)
        headers = world.headers("coordinator")
        assert (
            client.delete(world.url(f"/webhooks/{created['id']}"), headers=headers).status_code
            == 204
        )
        assert_problem(client.get(world.url(f"/webhooks/{created['id']}"), headers=headers), 404)
        patch_5a(client, world, "in_progress")
        assert deliveries(db) == []
        assert run() == 0 and receiver.requests == []


class TestTargets:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.1.1/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/hook",
            "http://224.0.0.1/hook",
            "http://239.1.1.1/hook",
            "http://0.0.0.0/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[fe80::1]/hook",
            "ftp://93.184.215.14/hook",
            "https://user:password@93.184.215.14/hook",
        ],
    )
    def test_private_and_odd_targets_are_refused(
        self, client: TestClient, world: World, connection: Connection, url: str
    ) -> None:
        before = state_fingerprint(connection)
        response = client.post(
            world.url("/webhooks"),
            json={"url": url, "event_types": ["crrf.item.changed"]},
            headers=world.headers("coordinator"),
        )
        body = assert_problem(response, 422)
        assert url not in response.text
        assert body["errors"][0]["loc"][-1] == "url"
        assert state_fingerprint(connection) == before

    def test_the_setting_allows_private_targets(
        self, client: TestClient, world: World, private_ok: Settings, receiver: Receiver
    ) -> None:
        assert subscribe(client, world, receiver.url)["url"] == receiver.url

    def test_public_addresses_are_public(self) -> None:
        assert is_public("93.184.215.14") and is_public("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
        assert not is_public("127.0.0.1") and not is_public("::ffff:10.0.0.1")

    def test_a_host_name_is_sent_to_the_address_it_was_checked_at(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        port = receiver.server.server_address[1]
        subscribe(client, world, f"http://localhost:{port}/hook")
        patch_5a(client, world)
        assert run() == 1
        [request] = receiver.requests
        assert request.headers["host"] == f"localhost:{port}"
        assert deliveries(db)[0].state is DeliveryState.DELIVERED

    def test_a_target_is_checked_again_when_sent(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        patch_5a(client, world)
        assert run(webhook_allow_private=False) == 1
        assert receiver.requests == []
        [sent] = deliveries(db)
        assert sent.state is DeliveryState.PENDING
        assert sent.last_error is not None and sent.last_error.startswith("Not sent: ")
        assert sent.last_status is None


class TestDelivery:
    def test_a_delivery_is_a_signed_cloud_event(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        patch_5a(client, world)
        assert run() == 1
        [request] = receiver.requests
        payload = standardwebhooks.Webhook(created["secret"]).verify(request.body, request.headers)
        assert request.headers["content-type"] == "application/cloudevents+json"
        event = db.scalars(
            select(Event).where(Event.situation_id == world.s1.id, Event.action == "item.updated")
        ).one()
        assert request.headers["webhook-id"] == f"msg_{event.id.hex}"
        assert payload["specversion"] == "1.0"
        assert payload["id"] == str(event.id)
        assert payload["source"] == f"/api/v1/situations/{world.s1.id}"
        assert payload["type"] == "crrf.item.changed"
        assert payload["subject"] == "items/5a"
        assert payload["datacontenttype"] == "application/json"
        assert datetime.fromisoformat(payload["time"]) == event.at
        assert payload["data"]["after"] == {"status": "planned"}
        assert payload["data"]["item"]["status"] == "planned"
        assert payload["data"]["actor_user_id"] == str(world.users["coordinator"].id)
        [sent] = deliveries(db)
        assert (sent.state, sent.attempts, sent.last_status) == (DeliveryState.DELIVERED, 1, 204)
        assert run() == 0

    def test_each_change_is_sent_as_its_type(
        self, client: TestClient, world: World, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url, ALL_TYPES)
        headers = with_etag(client, world.url("/items/6a"), world.headers("coordinator"))
        owners = {"owners": [{"organisation_id": str(world.orgs["ngo_b"].id), "role": "support"}]}
        assert (
            client.put(world.url("/items/6a/owners"), json=owners, headers=headers).status_code
            == 200
        )
        report = {"narrative": "Monthly report", "proposed_status": "in_progress"}
        submitted = client.post(
            world.url("/items/5a/updates"), json=report, headers=world.headers("partner_a")
        ).json()
        review = {"decision": "return", "comment": "Add the figures"}
        client.post(
            f"/api/v1/updates/{submitted['id']}/review",
            json=review,
            headers=world.headers("coordinator"),
        )
        assert run() == 3
        sent = sorted((json.loads(r.body) for r in receiver.requests), key=lambda p: p["time"])
        assert [p["type"] for p in sent] == [
            "crrf.item.owners_changed",
            "crrf.update.submitted",
            "crrf.update.reviewed",
        ]
        assert sent[1]["data"]["update_id"] == submitted["id"]
        assert sent[2]["data"]["after"]["review_comment"] == "Add the figures"
        assert {p["subject"] for p in sent[1:]} == {"items/5a"}

    def test_only_the_wanted_types_are_queued(
        self,
        client: TestClient,
        world: World,
        db: Session,
        receiver: Receiver,
        private_ok: Settings,
    ) -> None:
        subscribe(client, world, receiver.url, ["crrf.item.owners_changed"])
        patch_5a(client, world)
        assert deliveries(db) == []

    def test_a_failing_receiver_gets_the_event_until_it_answers_with_one_webhook_id(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        receiver.answer(Answer(500), Answer(503), Answer(429))
        patch_5a(client, world)
        now, waits = utcnow(), []
        for _ in range(4):
            assert run(now) == 1
            [sent] = deliveries(db)
            if sent.next_attempt_at is None:
                break
            waits.append(sent.next_attempt_at - now)
            assert run(sent.next_attempt_at - timedelta(seconds=1)) == 0  # not due yet
            now = sent.next_attempt_at
        assert waits == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2)]
        assert len(receiver.requests) == 4
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
        assert len({r.body for r in receiver.requests}) == 1
        secret = standardwebhooks.Webhook(created["secret"])
        for request in receiver.requests:
            secret.verify(request.body, request.headers)
        assert (sent.state, sent.attempts, sent.last_error) == (DeliveryState.DELIVERED, 4, None)
        subscription = db.get(WebhookSubscription, sent.subscription_id)
        assert subscription is not None and subscription.failure_count == 0

    def test_a_rolled_back_change_delivers_nothing(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        receiver: Receiver,
        run: Worker,
    ) -> None:
        subscribe(client, world, receiver.url)
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            item = checklist.get_item(session, world.s1.id, "5a")
            checklist.patch_item(session, item, ItemPatch(status=ItemStatus.PLANNED), SYSTEM)
            assert session.scalars(select(WebhookDelivery)).all() != []  # queued with it
            session.rollback()
        assert run() == 0
        assert receiver.requests == []

    def test_redirects_are_not_followed(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        receiver.answer(Answer(302, headers={"Location": "/elsewhere"}))
        patch_5a(client, world)
        assert run() == 1
        assert [r.path for r in receiver.requests] == ["/hook"]
        [sent] = deliveries(db)
        assert (sent.state, sent.last_status) == (DeliveryState.PENDING, 302)
        assert sent.last_error == "HTTP 302: a redirect, not followed."

    def test_a_slow_receiver_times_out(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        receiver.answer(Answer(204, delay=2))
        patch_5a(client, world)
        assert run(webhook_timeout_seconds=0.2) == 1
        [sent] = deliveries(db)
        assert sent.state is DeliveryState.PENDING and sent.last_status is None
        assert sent.last_error == "No complete answer within 0.2 s."

    def test_a_receiver_that_is_down_is_a_failure(
        self, client: TestClient, world: World, db: Session, private_ok: Settings, run: Worker
    ) -> None:
        subscribe(client, world, f"http://127.0.0.1:{free_port()}/hook")
        patch_5a(client, world)
        assert run() == 1
        [sent] = deliveries(db)
        assert sent.state is DeliveryState.PENDING
        assert sent.last_error is not None and sent.last_error.startswith("Could not deliver: ")

    def test_only_the_start_of_the_answer_is_kept(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        receiver.answer(Answer(500, b"\x00oops" + b"x" * 5000))
        patch_5a(client, world)
        assert run() == 1
        [sent] = deliveries(db)
        assert sent.response_excerpt is not None and len(sent.response_excerpt) == 1024
        assert sent.response_excerpt.startswith("\ufffdoops")

    def test_the_lease_of_a_worker_that_died_runs_out(
        self,
        client: TestClient,
        world: World,
        db: Session,
        receiver: Receiver,
        run: Worker,
        connection: Connection,
        private_ok: Settings,
    ) -> None:
        subscribe(client, world, receiver.url)
        patch_5a(client, world)
        now = utcnow()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        [claimed] = worker.claim(lambda: session, now, private_ok)  # then the worker died
        assert run(now) == 0
        assert run(claimed.lease) == 1
        [sent] = deliveries(db)
        assert (sent.state, sent.attempts) == (DeliveryState.DELIVERED, 2)
        assert len(receiver.requests) == 1

    def test_a_lease_runs_from_the_claim_not_from_the_start_of_the_pass(
        self,
        client: TestClient,
        world: World,
        db: Session,
        receiver: Receiver,
        run: Worker,
        connection: Connection,
        private_ok: Settings,
    ) -> None:
        subscribe(client, world, receiver.url)
        patch_5a(client, world)
        # The pass began half an hour ago (its e-mails took that long); the delivery was due.
        began = utcnow() - timedelta(minutes=30)
        db.execute(update(WebhookDelivery).values(next_attempt_at=began))
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        claiming = utcnow()
        [claimed] = worker.claim(lambda: session, began, private_ok)
        assert claimed.lease >= claiming + worker.lease_length(private_ok)
        assert run(utcnow()) == 0  # still leased: no other worker sends it meanwhile
        assert receiver.requests == []


class TestSendAll:
    def attempts(self, url: str, count: int) -> list[sender.Attempt]:
        lease = utcnow()
        return [
            sender.Attempt(uuid.uuid4(), url, new_secret(), f"msg_{n}", b"{}", lease)
            for n in range(count)
        ]

    def test_lanes_reuse_their_connections_and_keep_the_order(self, private_ok: Settings) -> None:
        with running_receiver(keep_alive=True) as receiver:
            attempts = self.attempts(receiver.url, 40)
            outcomes = asyncio.run(sender.send_all(attempts, private_ok, concurrency=4))
        assert [o.delivery_id for o in outcomes] == [a.delivery_id for a in attempts]
        assert all(o.ok for o in outcomes)
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(
            a.webhook_id for a in attempts
        )
        # One kept-alive connection per lane, not one per attempt.
        assert len({r.peer for r in receiver.requests}) <= 4

    def test_lanes_send_at_once(self, private_ok: Settings) -> None:
        with running_receiver(keep_alive=True) as receiver:
            receiver.otherwise = Answer(delay=0.3)
            started = time.perf_counter()
            outcomes = asyncio.run(
                sender.send_all(self.attempts(receiver.url, 8), private_ok, concurrency=8)
            )
            elapsed = time.perf_counter() - started
        assert all(o.ok for o in outcomes)
        assert elapsed < 8 * 0.3 / 2  # eight slow answers awaited together, not in turn


class TestDeliveryLog:
    def test_the_log_shows_status_attempts_last_error_and_next_attempt(
        self, client: TestClient, world: World, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        receiver.answer(Answer(500, b"database down"))
        patch_5a(client, world)
        patch_5a(client, world, "in_progress")
        now = utcnow()
        assert run(now) == 2
        entries = log(client, world, created["id"])
        assert len(entries) == 2
        assert entries[0]["created_at"] >= entries[1]["created_at"]  # newest first
        [failed] = log(client, world, created["id"], "?state=pending")
        assert failed["attempts"] == 1 and failed["last_status"] == 500
        assert failed["last_error"] == "HTTP 500."
        assert failed["response_excerpt"] == "database down"
        assert datetime.fromisoformat(failed["next_attempt_at"]) == now + timedelta(seconds=30)
        assert failed["webhook_id"].startswith("msg_")
        assert failed["payload"]["type"] == "crrf.item.changed"
        [done] = log(client, world, created["id"], "?state=delivered")
        assert done["next_attempt_at"] is None and done["delivered_at"] is not None


class TestRedeliver:
    def test_a_delivered_event_is_sent_again_with_its_webhook_id(
        self, client: TestClient, world: World, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        patch_5a(client, world)
        assert run() == 1
        [entry] = log(client, world, created["id"])
        url = world.url(f"/webhooks/{created['id']}/deliveries/{entry['id']}:redeliver")
        response = client.post(url, headers=world.headers("coordinator"))
        assert response.status_code == 202, response.text
        assert response.json()["state"] == "pending"
        assert run() == 1
        assert [r.headers["webhook-id"] for r in receiver.requests] == [entry["webhook_id"]] * 2
        [entry] = log(client, world, created["id"])
        assert (entry["state"], entry["attempts"]) == ("delivered", 2)

    def test_an_unknown_delivery_is_not_found(
        self, client: TestClient, world: World, receiver: Receiver, private_ok: Settings
    ) -> None:
        created = subscribe(client, world, receiver.url)
        url = world.url(f"/webhooks/{created['id']}/deliveries/{world.s1.id}:redeliver")
        assert_problem(client.post(url, headers=world.headers("coordinator")), 404)


class TestDisable:
    def test_a_webhook_that_fails_for_a_whole_day_is_disabled_and_the_situation_told(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        created = subscribe(client, world, receiver.url)
        receiver.otherwise = Answer(500)
        patch_5a(client, world)
        now = first = utcnow()
        while run(now):
            [sent] = deliveries(db)
            if sent.next_attempt_at is None:
                break
            now = sent.next_attempt_at
        assert sent.state is DeliveryState.FAILED
        # 30 s, 1, 2, 4 … 64 min, then every 2 h, and a last attempt 24 h after the first.
        assert now == first + timedelta(hours=24)
        assert sent.attempts == len(receiver.requests) == 20
        subscription = db.get(WebhookSubscription, sent.subscription_id)
        assert subscription is not None and not subscription.active
        assert subscription.disabled_reason == (
            "Every delivery attempt failed for 24 hours (the last: HTTP 500)."
        )
        told = db.scalars(select(Event).where(Event.action == "webhook.disabled")).one()
        assert told.situation_id == world.s1.id and told.after is not None
        assert told.after["webhook_id"] == created["id"]
        shown = client.get(
            world.url(f"/webhooks/{created['id']}"), headers=world.headers("coordinator")
        )
        assert shown.json()["active"] is False and shown.json()["disabled_at"] is not None
        # Nothing more is queued for it, and it cannot be redelivered.
        patch_5a(client, world, "in_progress")
        assert len(deliveries(db)) == 1
        url = world.url(f"/webhooks/{created['id']}/deliveries/{sent.id}:redeliver")
        assert_problem(client.post(url, headers=world.headers("coordinator")), 409)

    def test_its_waiting_deliveries_are_given_up(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        receiver.otherwise = Answer(500)
        patch_5a(client, world)
        start = utcnow()
        assert run(start) == 1
        patch_5a(client, world, "in_progress")  # queued after the first attempt
        # A day later the first delivery's last attempt fails, and the receiver has answered
        # nothing since it was first tried: the second delivery is given up with it.
        assert run(start + timedelta(hours=24)) == 2
        first, second = deliveries(db)
        assert (first.state, first.attempts) == (DeliveryState.FAILED, 2)
        assert (second.state, second.attempts) == (DeliveryState.FAILED, 1)
        assert second.last_error == "Given up: the webhook was disabled."
        subscription = db.get(WebhookSubscription, first.subscription_id)
        assert subscription is not None and subscription.failure_count == 3

    def test_a_webhook_that_answers_sometimes_stays_active(
        self, client: TestClient, world: World, db: Session, receiver: Receiver, run: Worker
    ) -> None:
        subscribe(client, world, receiver.url)
        receiver.answer(Answer(500))
        patch_5a(client, world)
        start = utcnow()
        assert run(start) == 1
        receiver.answer(Answer(204), Answer(500))
        patch_5a(client, world, "in_progress")
        later = start + timedelta(seconds=10)
        assert run(later) == 1  # the second delivery: delivered
        assert run(start + timedelta(hours=24)) == 1  # the first one's last attempt fails
        first, second = deliveries(db)
        assert (first.state, second.state) == (DeliveryState.FAILED, DeliveryState.DELIVERED)
        subscription = db.get(WebhookSubscription, first.subscription_id)
        assert subscription is not None and subscription.active


class TestMetrics:
    def test_the_queue_and_failures_are_counted(
        self, client: TestClient, world: World, receiver: Receiver, run: Worker
    ) -> None:
        from tests.test_ops import _sample

        subscribe(client, world, receiver.url)
        receiver.answer(Answer(500))
        before = client.get("/metrics").text
        patch_5a(client, world)
        assert _sample(client.get("/metrics").text, "crrf_webhook_queue_depth") == 1
        assert run() == 1
        after = client.get("/metrics").text
        failures = "crrf_webhook_delivery_failures_total"
        assert (
            _sample(after, failures, reason="status")
            == _sample(before, failures, reason="status") + 1
        )
        assert _sample(after, "crrf_webhook_delivery_seconds_count", outcome="failed") >= 1
        assert _sample(after, "crrf_webhook_queue_depth") == 1  # waiting for its retry
