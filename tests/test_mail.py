"""E-mail: what is queued, to whom, in which language, and what a real SMTP server receives.

Everything here runs on the test's connection (rolled back at the end): the API's sessions
and the worker's (``run_once`` with a factory of sessions on that connection) see the same
transaction. A real SMTP server (aiosmtpd on 127.0.0.1) receives the messages.
"""

import ssl
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.base import frozen_now, utcnow
from app.core.vocab import EmailKind, EmailState, SituationRole
from app.events.service import SYSTEM, Actor, record
from app.i18n import catalogs
from app.models import OutboundEmail, User
from app.notify.config import SmtpTarget, session_info
from app.notify.delivery import send_due_emails
from app.updates import service as updates_service
from app.worker import run_once
from tests.conftest import app_on_connection
from tests.factories import World, add_member, make_user
from tests.helpers import assert_problem, state_fingerprint
from tests.live import free_port
from tests.smtp_sink import Logins, SmtpSink, smtp_sink, text_and_html
from tests.test_dashboard import assert_page, csrf_of, sign_in

SENDER = "CRRF Case Manager <crrf@example.org>"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


def with_mail(settings: Settings, smtp_url: str) -> Settings:
    return settings.model_copy(update={"smtp_url": SecretStr(smtp_url), "mail_from": SENDER})


@pytest.fixture
def mail_settings(settings: Settings, sink: SmtpSink) -> Settings:
    return with_mail(settings, sink.url)


@pytest.fixture
def mail_client(
    mail_settings: Settings, engine: Engine, connection: Connection
) -> Iterator[TestClient]:
    with TestClient(app_on_connection(mail_settings, engine, connection)) as client:
        yield client


@pytest.fixture
def mail_db(db: Session, mail_settings: Settings) -> Iterator[Session]:
    """The test's session, carrying the mail settings as the app's sessions do."""
    catalogs.load()
    db.info.update(session_info(mail_settings))
    yield db
    db.info.clear()


SessionFactory = Callable[[], Session]


@pytest.fixture
def sessions(connection: Connection, mail_settings: Settings) -> SessionFactory:
    """The worker's sessions, on the test's connection."""
    info = session_info(mail_settings)
    return lambda: Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, info=info
    )


def outbox(db: Session) -> list[OutboundEmail]:
    db.expire_all()
    return list(db.scalars(select(OutboundEmail).order_by(OutboundEmail.created_at)))


def set_language(db: Session, user: User, language: str) -> None:
    user.language = language
    db.flush()


def return_update(client: TestClient, world: World, comment: str, which: str = "own") -> None:
    response = client.post(
        f"/api/v1/updates/{world.updates[which].id}/review",
        json={"decision": "return", "comment": comment},
        headers=world.headers("coordinator"),
    )
    assert response.status_code == 200, response.text


class TestReturnedUpdate:
    def test_the_submitter_gets_one_message_in_their_language_text_and_html(
        self,
        mail_client: TestClient,
        mail_db: Session,
        world: World,
        sink: SmtpSink,
        sessions: SessionFactory,
    ) -> None:
        partner = world.users["partner_a"]
        set_language(mail_db, partner, "fr")
        return_update(mail_client, world, "Ajoutez la liste <b>des postes</b>, s'il vous plaît")

        assert send_due_emails(sessions, utcnow()) == 1
        assert send_due_emails(sessions, utcnow()) == 0
        assert send_due_emails(sessions, utcnow() + timedelta(days=2)) == 0
        [message] = sink.received()
        assert message["To"] == partner.email
        assert message["From"] == SENDER
        assert message["Subject"] == "Votre rapport sur 5a vous a été renvoyé"
        assert message["Content-Language"] == "fr"
        text, html = text_and_html(message)
        assert "Bonjour" in text and "avec ce commentaire" in text
        assert "> Ajoutez la liste <b>des postes</b>, s'il vous plaît" in text
        assert '<html lang="fr" dir="ltr">' in html
        assert "&lt;b&gt;des postes&lt;/b&gt;" in html and "<b>des" not in html
        resubmit = f"/situations/{world.s1.id}/items/5a?resubmit={world.updates['own'].id}#report"
        assert f"http://127.0.0.1:8000{resubmit}" in text
        [row] = outbox(mail_db)
        assert row.kind is EmailKind.UPDATE_RETURNED
        assert row.state is EmailState.SENT and row.attempts == 1 and row.sent_at is not None
        assert message["Message-ID"] == f"<{row.id}@example.org>"

    def test_arabic_reads_right_to_left(
        self,
        mail_client: TestClient,
        mail_db: Session,
        world: World,
        sink: SmtpSink,
        sessions: SessionFactory,
    ) -> None:
        set_language(mail_db, world.users["partner_a"], "ar")
        return_update(mail_client, world, "Please add the list")
        send_due_emails(sessions, utcnow())
        [message] = sink.received()
        assert message["Subject"] == "أُعيد إليك تقريرك عن 5a"
        _, html = text_and_html(message)
        assert '<html lang="ar" dir="rtl">' in html

    def test_a_rolled_back_change_sends_nothing(
        self, mail_db: Session, world: World, sink: SmtpSink, sessions: SessionFactory
    ) -> None:
        coordinator = world.users["coordinator"]
        savepoint = mail_db.begin_nested()
        updates_service.review(
            mail_db, world.updates["own"].id, "return", "Not yet", Actor.of(coordinator)
        )
        assert len(outbox(mail_db)) == 1  # queued with the change...
        savepoint.rollback()
        assert outbox(mail_db) == []  # ...and gone with it
        assert send_due_emails(sessions, utcnow()) == 0
        assert sink.received() == []

    def test_a_kind_turned_off_is_not_queued_and_others_still_are(
        self, mail_client: TestClient, mail_db: Session, world: World
    ) -> None:
        partner = world.users["partner_a"]
        response = mail_client.patch(
            f"/api/v1/users/{partner.id}",
            json={"email_opt_out": ["update_returned"]},
            headers=world.headers("partner_a"),
        )
        assert response.status_code == 200
        assert response.json()["email_opt_out"] == ["update_returned"]
        return_update(mail_client, world, "Please add the list")
        assert outbox(mail_db) == []
        invited = mail_client.post(
            f"/api/v1/users/{partner.id}/invitations", headers=world.headers("admin")
        )
        assert invited.json()["emailed"] is True
        assert [row.kind for row in outbox(mail_db)] == [EmailKind.INVITATION]

    def test_inactive_users_get_nothing(
        self, mail_client: TestClient, mail_db: Session, world: World
    ) -> None:
        world.users["partner_a"].is_active = False
        mail_db.flush()
        return_update(mail_client, world, "Please add the list")
        assert outbox(mail_db) == []


def invite_newcomer_on_the_members_page(
    client: TestClient, db: Session, world: World
) -> tuple[User, str]:
    """A coordinator invites a new partner from the members page and asks for the link."""
    newcomer, _ = make_user(db, world.orgs["ngo_a"], name="newcomer")
    db.flush()
    sign_in(client, world, "coordinator")
    response = client.post(
        f"/situations/{world.s1.id}/members",
        data={
            "csrf_token": csrf_of(client),
            "email": newcomer.email,
            "role": "partner",
            "link": "yes",
        },
    )
    return newcomer, assert_page(response, 200)


class TestMailOff:
    def test_nothing_is_queued_and_the_invitation_says_so(
        self, client: TestClient, db: Session, world: World
    ) -> None:
        return_update(client, world, "Please add the list")
        invited = client.post(
            f"/api/v1/users/{world.users['viewer'].id}/invitations",
            headers=world.headers("admin"),
        )
        assert invited.status_code == 201
        assert invited.json()["emailed"] is False
        assert outbox(db) == []

    def test_the_members_page_says_to_copy_the_link(
        self, client: TestClient, db: Session, world: World
    ) -> None:
        _, html = invite_newcomer_on_the_members_page(client, db, world)
        assert "Mail is off on this service: copy the link" in html

    def test_the_members_page_says_the_link_went_by_mail_when_it_did(
        self, mail_client: TestClient, db: Session, world: World
    ) -> None:
        newcomer, html = invite_newcomer_on_the_members_page(mail_client, db, world)
        assert "The link is on its way to them by e-mail too." in html
        assert [row.to_address for row in outbox(db)] == [newcomer.email]

    def test_readiness_does_not_depend_on_the_smtp_server(
        self, settings: Settings, engine: Engine, connection: Connection
    ) -> None:
        nobody_listens = with_mail(settings, f"smtp://127.0.0.1:{free_port()}")
        with TestClient(app_on_connection(nobody_listens, engine, connection)) as client:
            assert client.get("/readyz").status_code == 200


class TestObligationReminders:
    def obligation(self, world: World, due: date) -> dict[str, str]:
        return {
            "obligation_id": str(uuid.uuid4()),
            "organisation_id": str(world.orgs["ngo_a"].id),
            "code": "5a",
            "due_date": due.isoformat(),
            "cycle_id": str(uuid.uuid4()),
        }

    def test_each_reminder_reaches_the_organisations_reporting_members_once(
        self, mail_db: Session, world: World, sink: SmtpSink, sessions: SessionFactory
    ) -> None:
        partner = world.users["partner_a"]
        set_language(mail_db, partner, "es")
        # NGO A's viewer and an inactive partner hear nothing; nor do other organisations.
        watcher, _ = make_user(mail_db, world.orgs["ngo_a"], name="watcher")
        add_member(mail_db, world.s1, watcher, SituationRole.VIEWER)
        gone, _ = make_user(mail_db, world.orgs["ngo_a"], name="gone")
        add_member(mail_db, world.s1, gone, SituationRole.PARTNER)
        gone.is_active = False
        due = date(2027, 3, 31)
        after = self.obligation(world, due)
        for action in (
            "obligation.due_soon",
            "obligation.due_soon",  # recorded twice: still one message
            "obligation.due_today",
            "obligation.overdue",
        ):
            record(mail_db, SYSTEM, situation_id=world.s1.id, action=action, after=after)
        mail_db.flush()

        assert send_due_emails(sessions, utcnow()) == 3
        received = sink.received()
        assert {m["To"] for m in received} == {partner.email}
        assert sorted(m["Subject"] for m in received) == [
            "Informe atrasado sobre 5a",
            "Informe sobre 5a para el 31 mar 2027",
            "Informe sobre 5a para hoy",
        ]
        text, _ = text_and_html(next(m for m in received if "atrasado" in m["Subject"]))
        assert world.orgs["ngo_a"].name in text and "no ha llegado" in text
        assert f"/situations/{world.s1.id}/items/5a" in text

    def test_a_transactions_reminders_load_their_situation_once(
        self,
        mail_db: Session,
        world: World,
        statements: list[str],
        sink: SmtpSink,
        sessions: SessionFactory,
    ) -> None:
        partner = world.users["partner_a"]
        due = date(2027, 3, 31)
        codes = ["5a", "5b", "5c", "6a"]
        statements.clear()
        for code in codes:
            after = {**self.obligation(world, due), "code": code}
            record(
                mail_db, SYSTEM, situation_id=world.s1.id, action="obligation.overdue", after=after
            )
        mail_db.flush()
        loads = [
            sql
            for sql in statements
            if sql.lstrip().startswith("SELECT")
            and ("FROM checklist_item" in sql or "JOIN membership" in sql)
        ]
        assert len(loads) == 2  # the titles and the members, for the four reminders
        assert send_due_emails(sessions, utcnow()) == 4
        assert {m["To"] for m in sink.received()} == {partner.email}
        assert sorted(m["Subject"] for m in sink.received()) == sorted(
            f"A report on {code} is overdue" for code in codes
        )

    def test_an_event_it_cannot_read_queues_nothing(self, mail_db: Session, world: World) -> None:
        record(
            mail_db,
            SYSTEM,
            situation_id=world.s1.id,
            action="obligation.overdue",
            after={"obligation_id": "not an id"},
        )
        mail_db.flush()
        assert outbox(mail_db) == []


class TestInvitations:
    def test_the_link_goes_by_mail_and_leaves_no_secret_behind(
        self,
        mail_client: TestClient,
        mail_db: Session,
        world: World,
        sink: SmtpSink,
        sessions: SessionFactory,
    ) -> None:
        viewer = world.users["viewer"]
        response = mail_client.post(
            f"/api/v1/users/{viewer.id}/invitations", headers=world.headers("admin")
        )
        assert response.status_code == 201
        assert response.json()["emailed"] is True
        send_due_emails(sessions, utcnow())
        [message] = sink.to(viewer.email)
        text, html = text_and_html(message)
        assert response.json()["url"] in text and response.json()["url"] in html
        assert world.users["admin"].name in text  # who invited them
        [row] = outbox(mail_db)
        assert row.state is EmailState.SENT
        assert row.text_body == "" and row.html_body == ""  # the link lived only until sent

    def test_a_new_invitation_replaces_the_unsent_one(
        self, mail_client: TestClient, world: World, sink: SmtpSink, sessions: SessionFactory
    ) -> None:
        viewer = world.users["viewer"]
        urls = [
            mail_client.post(
                f"/api/v1/users/{viewer.id}/invitations", headers=world.headers("admin")
            ).json()["url"]
            for _ in range(2)
        ]
        send_due_emails(sessions, utcnow())
        [message] = sink.to(viewer.email)
        text, _ = text_and_html(message)
        assert urls[1] in text and urls[0] not in text


class TestDailyDigest:
    def test_once_a_day_to_each_coordinator_with_reviews_waiting(
        self, mail_db: Session, world: World, sink: SmtpSink, sessions: SessionFactory
    ) -> None:
        set_language(mail_db, world.users["coordinator"], "fr")
        day = datetime(2027, 5, 3, tzinfo=UTC)
        # Before the digest hour (06:00 UTC) nothing; then one each, and no second that day.
        assert run_once(sessions, day.replace(hour=5)) == 0
        with frozen_now(day.replace(hour=7)):
            run_once(sessions, day.replace(hour=7))
        with frozen_now(day.replace(hour=12)):
            run_once(sessions, day.replace(hour=12))
        first = sink.received()
        assert sorted(m["To"] for m in first) == sorted(
            [world.users["coordinator"].email, world.users["outsider"].email]
        )
        [french] = sink.to(world.users["coordinator"].email)
        assert french["Subject"] == "2 mises à jour attendent votre examen"
        text, html = text_and_html(french)
        assert f"{world.s1.name} : 2 mises à jour" in text
        assert f"/situations/{world.s1.id}/review" in html
        # The next day, another.
        with frozen_now(day + timedelta(days=1, hours=7)):
            run_once(sessions, day + timedelta(days=1, hours=7))
        assert len(sink.received()) == 4

    def test_a_coordinator_with_nothing_waiting_gets_none(
        self, mail_db: Session, world: World, sessions: SessionFactory
    ) -> None:
        for which in ("own", "other_org"):
            updates_service.review(
                mail_db,
                world.updates[which].id,
                "accept",
                None,
                Actor.of(world.users["coordinator"]),
            )
        mail_db.flush()
        day = datetime(2027, 5, 3, 8, tzinfo=UTC)
        with frozen_now(day):
            run_once(sessions, day)
        recipients = {row.recipient_user_id for row in outbox(mail_db)}
        assert recipients == {world.users["outsider"].id}


class TestPreferences:
    def url(self, user: User) -> str:
        return f"/api/v1/users/{user.id}"

    def test_a_user_turns_kinds_off_and_on_again(self, client: TestClient, world: World) -> None:
        partner = world.users["partner_a"]
        off = client.patch(
            self.url(partner),
            json={"email_opt_out": ["review_digest", "invitation", "review_digest"]},
            headers=world.headers("partner_a"),
        )
        assert off.status_code == 200
        assert off.json()["email_opt_out"] == ["invitation", "review_digest"]
        on = client.patch(
            self.url(partner), json={"email_opt_out": []}, headers=world.headers("partner_a")
        )
        assert on.json()["email_opt_out"] == []

    def test_unknown_kinds_and_null_are_refused(self, client: TestClient, world: World) -> None:
        for body in ({"email_opt_out": ["newsletters"]}, {"email_opt_out": None}):
            assert_problem(
                client.patch(
                    self.url(world.users["partner_a"]),
                    json=body,
                    headers=world.headers("partner_a"),
                ),
                422,
            )

    def test_a_user_changes_only_their_own_choices(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        partner = world.users["partner_a"]
        before = state_fingerprint(connection)
        assert_problem(
            client.patch(
                self.url(partner),
                json={"email_opt_out": [], "name": "Someone else"},
                headers=world.headers("partner_a"),
            ),
            403,
        )
        assert_problem(
            client.patch(
                self.url(world.users["partner_b"]),
                json={"email_opt_out": ["invitation"]},
                headers=world.headers("partner_a"),
            ),
            404,
        )
        assert state_fingerprint(connection) == before

    def test_admins_change_anyones(self, client: TestClient, world: World, db: Session) -> None:
        partner = world.users["partner_a"]
        response = client.patch(
            self.url(partner),
            json={"email_opt_out": ["obligation_overdue"]},
            headers=world.headers("admin"),
        )
        assert response.status_code == 200
        db.expire_all()
        assert db.get(User, partner.id).email_opt_out == ["obligation_overdue"]  # type: ignore[union-attr]


class TestSmtpUrl:
    def test_schemes_ports_tls_and_credentials(self) -> None:
        plain = SmtpTarget.from_url("smtp://mailer:p%40ss@mail.example.org", 5)
        assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == (
            "mail.example.org",
            25,
            False,
            False,
        )
        assert (plain.username, plain.password) == ("mailer", "p@ss")
        assert "p@ss" not in repr(plain)
        upgraded = SmtpTarget.from_url("smtp://mail.example.org:587?starttls=true", 5)
        assert (upgraded.port, upgraded.starttls) == (587, True)
        implicit = SmtpTarget.from_url("smtps://mail.example.org", 5)
        assert (implicit.port, implicit.implicit_tls) == (465, True)

    @pytest.mark.parametrize(
        "url",
        [
            "http://mail.example.org",
            "smtp://",
            "smtps://mail.example.org?starttls=true",
            "smtp://mail.example.org?starttls=maybe",
            "smtp://mail.example.org?tls=1",
        ],
    )
    def test_nonsense_is_refused(self, url: str) -> None:
        with pytest.raises(ValueError, match="CRRF_SMTP_URL"):
            SmtpTarget.from_url(url, 5)

    def test_a_server_needs_a_sender_and_empty_means_off(self) -> None:
        with pytest.raises(ValueError, match="CRRF_MAIL_FROM"):
            Settings(smtp_url="smtp://127.0.0.1:2525")  # type: ignore[arg-type]
        assert Settings(smtp_url="").smtp_url is None  # type: ignore[arg-type]


def test_the_outbox_counts_nothing_extra_for_unrelated_events(
    mail_db: Session, world: World
) -> None:
    record(mail_db, SYSTEM, situation_id=world.s1.id, action="situation.updated", after={})
    mail_db.flush()
    assert mail_db.scalar(select(func.count()).select_from(OutboundEmail)) == 0


class TestTls:
    """STARTTLS, TLS from the start, and a login, against servers with a test CA's certificate
    (``trustme``), which the client trusts through ``SSL_CERT_FILE`` as it would a real one."""

    @pytest.fixture
    def ca(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
        ca = trustme.CA()
        bundle = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        return ca

    def server_context(self, ca: trustme.CA) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        return context

    def send_one(
        self, db: Session, world: World, connection: Connection, settings: Settings, url: str
    ) -> int:
        mail = with_mail(settings, url)
        db.info.update(session_info(mail))
        catalogs.load()
        updates_service.review(
            db, world.updates["own"].id, "return", "Add the list", Actor.of(world.users["admin"])
        )
        db.flush()
        info = session_info(mail)
        return send_due_emails(
            lambda: Session(bind=connection, join_transaction_mode="create_savepoint", info=info),
            utcnow(),
        )

    def test_starttls_with_a_login(
        self, ca: trustme.CA, db: Session, world: World, connection: Connection, settings: Settings
    ) -> None:
        logins = Logins("mailer", "p@ss:word")
        with smtp_sink(starttls=self.server_context(ca), logins=logins) as sink:
            url = f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{sink.port}?starttls=true"
            assert self.send_one(db, world, connection, settings, url) == 1
            assert len(sink.received()) == 1
        assert logins.seen == ["mailer"]

    def test_tls_from_the_start(
        self, ca: trustme.CA, db: Session, world: World, connection: Connection, settings: Settings
    ) -> None:
        with smtp_sink(implicit_tls=self.server_context(ca)) as sink:
            url = f"smtps://127.0.0.1:{sink.port}"
            assert self.send_one(db, world, connection, settings, url) == 1
            assert len(sink.received()) == 1

    def test_an_untrusted_certificate_sends_nothing_and_keeps_the_message(
        self,
        ca: trustme.CA,
        db: Session,
        world: World,
        connection: Connection,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        with smtp_sink(implicit_tls=self.server_context(ca)) as sink:
            monkeypatch.delenv("SSL_CERT_FILE")  # the test CA is no longer trusted
            url = f"smtps://127.0.0.1:{sink.port}"
            assert self.send_one(db, world, connection, settings, url) == 0
            assert sink.received() == []
        [row] = outbox(db)
        assert row.state is EmailState.PENDING and "CERTIFICATE_VERIFY_FAILED" in (
            row.last_error or ""
        )


class TestARoundEndToEnd:
    """A coordinator opens a cycle; as its due date nears, passes and is gone, the worker's
    passes (deadlines, then e-mails) mail NGO A's partner each reminder once."""

    def test_the_reminders_of_a_cycle_arrive_once_each(
        self, mail_client: TestClient, world: World, sink: SmtpSink, sessions: SessionFactory
    ) -> None:
        def noon(day: str) -> datetime:
            return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)

        with frozen_now(noon("2030-01-10")):
            response = mail_client.post(
                world.url("/cycles"),
                json={
                    "name": "First quarter 2030",
                    "period_start": "2030-01-01",
                    "period_end": "2030-03-31",
                    "due_date": "2030-04-15",
                    "closes_on": "2030-04-30",
                },
                headers=world.headers("coordinator"),
            )
            assert response.status_code == 201, response.text
        partner = world.users["partner_a"].email
        sent_by_day = []
        for day in ("2030-04-01", "2030-04-13", "2030-04-13", "2030-04-15", "2030-04-16"):
            with frozen_now(noon(day)):
                while run_once(sessions, utcnow()):
                    pass
            sent_by_day.append(len([m for m in sink.to(partner) if "5a" in m["Subject"]]))
        # 5a is NGO A's (lead): soon (3 days before), today, overdue, once each; nothing on
        # 1 April, nothing more on the second pass of the 13th.
        assert sent_by_day == [0, 1, 1, 2, 3]
        subjects = [m["Subject"] for m in sink.to(partner) if "5a" in m["Subject"]]
        assert len(set(subjects)) == 3, subjects
