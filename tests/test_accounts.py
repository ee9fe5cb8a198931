"""Signing in as people: invitations, passwords, sessions, lockouts (``app.accounts``)."""

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.accounts import lockout, passwords
from app.core.base import frozen_now, utcnow
from app.core.vocab import SituationRole
from app.dashboard.deps import SESSION_COOKIE
from app.models import Invitation, User, WebSession
from tests.factories import World, add_member, give_password
from tests.helpers import assert_problem, state_fingerprint
from tests.test_dashboard import assert_page, csrf_of, find, sign_in

PASSWORD = "correct horse battery staple"


def invite(client: TestClient, world: World, who: str, by: str = "admin") -> str:
    """Invite ``who`` through the API; return the invitation's path."""
    response = client.post(
        f"/api/v1/users/{world.users[who].id}/invitations", headers=world.headers(by)
    )
    assert response.status_code == 201, response.text
    url: str = response.json()["url"]
    return url.removeprefix("http://127.0.0.1:8000")


def set_password(client: TestClient, path: str, password: str = PASSWORD, **extra: str) -> Any:
    data = {"password": password, "confirm": password} | extra
    return client.post(path, data=data, follow_redirects=False)


def sign_in_with(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> Any:
    data = {"email": email, "password": password} | extra
    return client.post("/signin", data=data, follow_redirects=False)


def cookie_flags(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.headers["set-cookie"].split(";")}


@pytest.fixture
def viewer(db: Session, world: World) -> User:
    """The world's viewer, with a password."""
    give_password(db, world.users["viewer"], PASSWORD)
    db.flush()
    return world.users["viewer"]


class TestInvite:
    def test_answers_a_one_time_link_kept_only_as_a_hash(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        before = utcnow()
        response = client.post(
            f"/api/v1/users/{world.users['viewer'].id}/invitations", headers=world.headers("admin")
        )
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"url", "expires_at", "emailed"}
        assert body["emailed"] is False  # mail is off
        match = re.fullmatch(
            r"http://127\.0\.0\.1:8000/invitations/([A-Za-z0-9_-]{43})", body["url"]
        )
        assert match
        [stored] = db.scalars(
            select(Invitation).where(Invitation.user_id == world.users["viewer"].id)
        ).all()
        assert stored.token_hash == hashlib.sha256(match[1].encode()).hexdigest()
        assert stored.used_at is None
        hours = (stored.expires_at - before).total_seconds() / 3600
        assert 71.9 < hours <= 72.1

    def test_the_link_uses_the_public_url(
        self, app: FastAPI, client: TestClient, world: World
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"public_url": "https://crrf.example.org/"}
        )
        response = client.post(
            f"/api/v1/users/{world.users['viewer'].id}/invitations", headers=world.headers("admin")
        )
        assert response.json()["url"].startswith("https://crrf.example.org/invitations/")

    def test_a_new_invitation_ends_the_unused_ones(self, client: TestClient, world: World) -> None:
        first = invite(client, world, "viewer")
        second = invite(client, world, "viewer")
        assert_page(client.get(first), 404)
        assert_page(client.get(second), 200)

    def test_an_unknown_user_is_a_404_problem(self, client: TestClient, world: World) -> None:
        response = client.post(
            "/api/v1/users/00000000-0000-4000-8000-000000000000/invitations",
            headers=world.headers("admin"),
        )
        assert_problem(response, 404)

    def test_coordinators_may_not_invite_admins(
        self, client: TestClient, world: World, db: Session, connection: Connection
    ) -> None:
        add_member(db, world.s1, world.users["admin"], SituationRole.VIEWER)
        db.flush()
        before = state_fingerprint(connection)
        response = client.post(
            f"/api/v1/users/{world.users['admin'].id}/invitations",
            headers=world.headers("coordinator"),
        )
        assert_problem(response, 403)
        assert state_fingerprint(connection) == before

    def test_nor_coordinators_of_other_situations(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        add_member(db, world.s2, world.users["partner_a"], SituationRole.COORDINATOR)
        db.flush()
        response = client.post(
            f"/api/v1/users/{world.users['partner_a'].id}/invitations",
            headers=world.headers("coordinator"),
        )
        assert_problem(response, 403)


class TestInvitationPage:
    def test_shows_a_labelled_form_for_the_invited_person(
        self, client: TestClient, world: World
    ) -> None:
        html = assert_page(client.get(invite(client, world, "viewer")), 200)
        assert world.users["viewer"].email in html
        assert find(html, "label", for_="password") and find(html, "label", for_="confirm")
        assert find(html, "input", id="password", autocomplete="new-password")

    def test_sets_the_password_once(self, client: TestClient, world: World) -> None:
        path = invite(client, world, "viewer")
        response = set_password(client, path)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?done=password"
        assert "password is set" in assert_page(client.get("/signin?done=password"), 200)
        assert sign_in_with(client, world.users["viewer"].email).status_code == 303
        assert_page(set_password(client, path, "another long passphrase"), 404)
        assert_page(client.get(path), 404)
        assert sign_in_with(client, world.users["viewer"].email).status_code == 303

    def test_an_expired_link_is_refused(self, client: TestClient, world: World) -> None:
        path = invite(client, world, "viewer")
        with frozen_now(utcnow() + timedelta(hours=72, seconds=1)):
            assert "expired" in assert_page(client.get(path), 404)
            assert_page(set_password(client, path), 404)

    @pytest.mark.parametrize(
        ("password", "message"),
        [
            ("short1!", "at least 10 characters"),
            ("password123", "too common"),
            ("Qwertyuiop1", "too common"),
            ("aaaaaaaaaaaa", "too common"),
            ("xyzxyzxyzxyz", "different characters"),
        ],
    )
    def test_weak_passwords_are_refused(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        password: str,
        message: str,
    ) -> None:
        path = invite(client, world, "viewer")
        before = state_fingerprint(connection)
        html = assert_page(set_password(client, path, password), 422)
        assert message in html and find(html, "div", role="alert")
        assert password not in html
        assert state_fingerprint(connection) == before
        assert_page(client.get(path), 200)

    def test_the_two_passwords_must_match(self, client: TestClient, world: World) -> None:
        path = invite(client, world, "viewer")
        html = assert_page(set_password(client, path, confirm="something else entirely"), 422)
        assert "not the same" in html

    def test_a_new_password_ends_every_session(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        assert_page(client.get("/"), 200)
        set_password(client, invite(client, world, "viewer"))
        client.cookies.set(SESSION_COOKIE, world.cookies["viewer"])
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"

    def test_the_password_is_stored_with_argon2(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        set_password(client, invite(client, world, "viewer"))
        stored = db.scalar(select(User.password_hash).where(User.id == world.users["viewer"].id))
        assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


class TestSignIn:
    def test_the_form_asks_for_email_and_password(self, client: TestClient) -> None:
        html = assert_page(client.get("/signin"), 200)
        assert find(html, "input", id="email", type="email", autocomplete="username")
        assert find(html, "input", id="password", type="password")
        assert find(html, "input", id="keep", type="checkbox")
        assert find(html, "label", for_="keep")

    def test_starts_a_session_in_an_httponly_strict_cookie(
        self, client: TestClient, world: World, viewer: User, db: Session
    ) -> None:
        response = sign_in_with(client, viewer.email.upper())
        assert response.status_code == 303 and response.headers["location"] == "/"
        flags = cookie_flags(response)
        assert {"httponly", "samesite=strict", "path=/"} <= flags
        assert "secure" not in flags and not any(f.startswith("max-age") for f in flags)
        secret = client.cookies[SESSION_COOKIE]
        assert secret not in world.tokens.values()
        stored = db.scalars(select(WebSession).where(WebSession.user_id == viewer.id)).all()
        assert hashlib.sha256(secret.encode()).hexdigest() in {s.session_hash for s in stored}
        assert world.s1.name in assert_page(client.get("/"), 200)

    def test_keep_me_signed_in_lasts_30_days(
        self, client: TestClient, viewer: User, db: Session
    ) -> None:
        response = sign_in_with(client, viewer.email, keep="yes")
        assert f"max-age={30 * 24 * 3600}" in cookie_flags(response)
        secret = client.cookies[SESSION_COOKIE]
        with frozen_now(utcnow() + timedelta(days=29)):
            assert_page(client.get("/"), 200)
        with frozen_now(utcnow() + timedelta(days=30, seconds=1)):
            assert client.get("/", follow_redirects=False).status_code == 303
        assert secret

    def test_a_default_session_ends_after_12_hours(self, client: TestClient, viewer: User) -> None:
        sign_in_with(client, viewer.email)
        with frozen_now(utcnow() + timedelta(hours=11)):
            assert_page(client.get("/"), 200)
        with frozen_now(utcnow() + timedelta(hours=12, seconds=1)):
            assert client.get("/", follow_redirects=False).headers["location"] == "/signin"

    def test_the_cookie_is_secure_over_https(self, app: FastAPI, viewer: User) -> None:
        with TestClient(app, base_url="https://testserver") as secure_client:
            response = sign_in_with(secure_client, viewer.email)
        assert {"secure", "httponly", "samesite=strict"} <= cookie_flags(response)

    def test_a_new_session_id_at_every_sign_in(
        self, client: TestClient, world: World, viewer: User
    ) -> None:
        planted = world.cookies["viewer"]
        client.cookies.set(SESSION_COOKIE, planted)
        response = sign_in_with(client, viewer.email)
        assert response.cookies[SESSION_COOKIE] != planted
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, planted)
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"

    @pytest.mark.parametrize(
        ("email", "password"),
        [
            ("viewer", "wrong password, surely"),
            ("nobody@example.org", PASSWORD),
            ("", ""),
            ("viewer", "x" * 1000),
        ],
    )
    def test_wrong_credentials_say_the_same_thing(
        self, client: TestClient, viewer: User, email: str, password: str
    ) -> None:
        response = sign_in_with(client, viewer.email if email == "viewer" else email, password)
        html = assert_page(response, 400)
        assert "set-cookie" not in response.headers
        assert "do not match an account" in html and find(html, "div", role="alert")
        assert password not in html or not password

    def test_users_without_a_password_cannot_sign_in(
        self, client: TestClient, world: World
    ) -> None:
        assert_page(sign_in_with(client, world.users["partner_a"].email), 400)

    def test_deactivating_a_user_ends_their_sessions(
        self, client: TestClient, world: World, viewer: User, db: Session
    ) -> None:
        sign_in_with(client, viewer.email)
        response = client.patch(
            f"/api/v1/users/{viewer.id}", json={"is_active": False}, headers=world.headers("admin")
        )
        assert response.status_code == 200
        assert db.scalars(select(WebSession).where(WebSession.user_id == viewer.id)).all() == []
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"
        assert_page(sign_in_with(client, viewer.email), 400)

    @pytest.mark.parametrize(
        ("target", "expected"),
        [
            ("/situations/abc?gap=stale", "/situations/abc?gap=stale"),
            ("//evil.example/x", "/"),
            ("https://evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("/\t/evil.example", "/"),
        ],
    )
    def test_goes_back_only_within_the_site(
        self, client: TestClient, viewer: User, target: str, expected: str
    ) -> None:
        response = sign_in_with(client, viewer.email, next=target)
        assert response.headers["location"] == expected

    def test_sign_in_from_another_site_is_refused(self, client: TestClient, viewer: User) -> None:
        response = client.post(
            "/signin",
            data={"email": viewer.email, "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert_page(response, 403)
        assert "set-cookie" not in response.headers

    def test_api_tokens_still_work(self, client: TestClient, world: World, viewer: User) -> None:
        response = client.get("/api/v1/users/me", headers=world.headers("viewer"))
        assert response.status_code == 200 and response.json()["email"] == viewer.email


class TestSignOut:
    def test_ends_the_session(self, client: TestClient, world: World, viewer: User) -> None:
        sign_in_with(client, viewer.email)
        old = client.cookies[SESSION_COOKIE]
        response = client.post(
            "/signout", data={"csrf_token": csrf_of(client)}, follow_redirects=False
        )
        assert response.status_code == 303 and response.headers["location"] == "/signin"
        cookie = response.headers["set-cookie"].lower()
        assert "max-age=0" in cookie and "httponly" in cookie
        assert SESSION_COOKIE not in client.cookies
        client.cookies.set(SESSION_COOKIE, old)
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"

    def test_needs_the_sessions_token(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        assert_page(client.post("/signout", follow_redirects=False), 403)
        assert_page(client.get("/"), 200)

    def test_while_signed_out_goes_to_sign_in(self, client: TestClient) -> None:
        response = client.post("/signout", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/signin"


@pytest.fixture
def few_failures(app: FastAPI) -> Iterator[None]:
    """Lock an account after 3 failures, an address after 6 (the defaults are 5 and 20)."""
    original = app.state.settings
    app.state.settings = original.model_copy(
        update={"signin_account_failures": 3, "signin_address_failures": 6}
    )
    yield
    app.state.settings = original


class TestLockout:
    def fail(self, client: TestClient, email: str, status: int = 400) -> Any:
        response = sign_in_with(client, email, "not the password at all")
        assert response.status_code == status, response.text
        return response

    @pytest.mark.usefixtures("few_failures")
    def test_an_account_is_slowed_then_locked(self, client: TestClient, viewer: User) -> None:
        start = utcnow()
        with frozen_now(start):
            self.fail(client, viewer.email)
            self.fail(client, viewer.email)  # the second of 3: slowed, 1 s
            slowed = self.fail(client, viewer.email, 429)
            assert slowed.headers["retry-after"] == "1"
        with frozen_now(start + timedelta(seconds=2)):
            self.fail(client, viewer.email)
            locked = sign_in_with(client, viewer.email)  # even the right password
            html = assert_page(locked, 429)
            assert locked.headers["retry-after"] == str(15 * 60)
            assert "Too many failed sign-ins" in html and "set-cookie" not in locked.headers
        with frozen_now(start + timedelta(minutes=15, seconds=3)):
            assert sign_in_with(client, viewer.email).status_code == 303

    @pytest.mark.usefixtures("few_failures")
    def test_an_unknown_address_is_locked_the_same_way(self, client: TestClient) -> None:
        start = utcnow()
        for seconds in (0, 0, 2):
            with frozen_now(start + timedelta(seconds=seconds)):
                self.fail(client, "nobody@example.org")
        with frozen_now(start + timedelta(seconds=3)):
            locked = self.fail(client, "nobody@example.org", 429)
            assert locked.headers["retry-after"] == str(15 * 60 - 1)

    @pytest.mark.usefixtures("few_failures")
    def test_a_client_address_is_locked_across_accounts(
        self, client: TestClient, viewer: User
    ) -> None:
        start = utcnow()
        for n in range(6):
            with frozen_now(start + timedelta(seconds=40 * n)):
                self.fail(client, f"guess-{n}@example.org")
        with frozen_now(start + timedelta(seconds=40 * 6)):
            assert_page(sign_in_with(client, viewer.email), 429)

    def test_a_success_forgets_the_accounts_failures(
        self, client: TestClient, viewer: User, db: Session
    ) -> None:
        self.fail(client, viewer.email)
        assert sign_in_with(client, viewer.email).status_code == 303
        keys = {lockout.ACCOUNT: viewer.email, lockout.ADDRESS: "elsewhere"}
        settings = client.app.state.settings  # type: ignore[attr-defined]
        assert lockout.retry_after(db, keys, settings, utcnow()) == 0


class TestBlockedUntil:
    limit = lockout.Limit(5, timedelta(minutes=15), timedelta(minutes=15))

    def times(self, *seconds: int) -> list[Any]:
        start = utcnow()
        return [start + timedelta(seconds=s) for s in seconds]

    def test_nothing_below_half_the_limit(self) -> None:
        assert lockout.blocked_until(self.times(0, 1), self.limit) is None

    def test_slowed_by_doubling_waits(self) -> None:
        three, four = self.times(0, 1, 2), self.times(0, 1, 2, 5)
        assert lockout.blocked_until(three, self.limit) == three[-1] + timedelta(seconds=1)
        assert lockout.blocked_until(four, self.limit) == four[-1] + timedelta(seconds=2)

    def test_locked_at_the_limit_within_the_window(self) -> None:
        times = self.times(0, 10, 20, 30, 40)
        assert lockout.blocked_until(times, self.limit) == times[-1] + timedelta(minutes=15)

    def test_failures_outside_the_window_do_not_count(self) -> None:
        times = self.times(0, 10, 20, 30, 40 + 15 * 60)
        assert lockout.blocked_until(times, self.limit) is None


class TestPasswords:
    def test_the_list_of_common_passwords_ships_with_the_package(self) -> None:
        common = passwords.common_passwords()
        assert len(common) > 5000 and "password123" in common
        assert all(entry == entry.lower() for entry in common)

    @pytest.mark.parametrize(
        ("password", "problem"),
        [
            ("a quiet river at dawn", False),
            ("viewer@example.org", True),
            ("Welcome2024", True),
            ("x" * 300, True),
        ],
    )
    def test_problems(self, password: str, problem: bool) -> None:
        found = passwords.password_problems(password, min_length=10, email="viewer@example.org")
        assert bool(found) is problem

    def test_verify_without_a_hash_is_false(self) -> None:
        assert passwords.verify_password(None, "a password no account has") is False
