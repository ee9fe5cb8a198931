"""Settings, read once from the environment (prefix ``CRRF_``)."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the service; the README lists them."""

    model_config = SettingsConfigDict(env_prefix="CRRF_", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'crrf.sqlite3'}"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "info"
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="Log lines as JSON (one object a line) or human-readable (console).",
    )
    templates_dir: Path = PROJECT_ROOT / "crrf_templates"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    docs_enabled: bool = True
    db_pool_size: int = Field(default=20, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_wait_seconds: float = Field(
        default=10,
        gt=0,
        le=600,
        description="How long a request waits for a database connection, or for its turn, "
        "before it gets 503.",
    )
    db_concurrency: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        le=400,
        description="Requests of a process that hold a database session at once; the others "
        "wait their turn, in order (at most the pool's size plus its overflow). Default: 2 "
        "per CPU core; raise it when the database is across a network.",
    )
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    item_list_cache_pages: int = Field(
        default=128,
        ge=0,
        le=100_000,
        description="Rendered item-list pages a process keeps, checked against the database "
        "on every read (0: none).",
    )
    page_table_cache_size: int = Field(
        default=128,
        ge=0,
        le=100_000,
        description="Rendered items tables of the dashboard's situation page a process keeps, "
        "keyed by everything they show (0: none).",
    )
    retry_after_seconds: int = Field(default=2, ge=1, le=3600)
    rate_limit_per_minute: int = Field(default=1200, ge=0, le=1_000_000)
    rate_limit_burst: int = Field(default=300, ge=1, le=1_000_000)
    auth_failures_per_minute: int = Field(
        default=6,
        ge=0,
        le=1_000_000,
        description="Failed authentications (401, bad sign-ins) an address may add a minute "
        "once its burst is spent; past that it gets 429 (0: no limit).",
    )
    auth_failure_burst: int = Field(default=20, ge=1, le=1_000_000)
    request_read_timeout_seconds: float = Field(
        default=20,
        ge=0,
        le=3600,
        description="`crrf serve`: a request's headers and body must arrive within this, "
        "from its first byte (or the connection's opening); else 408 and the connection "
        "closes (0: no deadline).",
    )
    keep_alive_seconds: int = Field(default=5, ge=1, le=600)
    max_connections: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description="`crrf serve`: connections and requests a process takes at once; "
        "beyond, 503 (0: no limit).",
    )
    cors_origins: list[str] = Field(default_factory=list)
    public_url: str | None = Field(
        default=None,
        max_length=2000,
        description="The address people open the service at, for the links it hands out "
        "(invitations). Default: http://127.0.0.1:$CRRF_PORT.",
    )
    invitation_ttl_hours: int = Field(default=72, ge=1, le=24 * 90)
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="How long a dashboard sign-in lasts."
    )
    persistent_session_days: int = Field(
        default=30, ge=1, le=365, description='How long "keep me signed in" lasts.'
    )
    password_min_length: int = Field(default=10, ge=8, le=128)
    signin_account_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed sign-ins for one e-mail address, within the window, that lock it.",
    )
    signin_address_failures: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Failed sign-ins from one client address, within the window, that lock it.",
    )
    signin_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    signin_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    smtp_url: SecretStr | None = Field(
        default=None,
        description="Where mail goes: smtp://user:password@host:port (add ?starttls=true to "
        "upgrade the connection), or smtps://… for TLS from the start. Unset: mail is off.",
    )
    mail_from: str | None = Field(
        default=None,
        max_length=320,
        description="The From of every message, e.g. 'CRRF Case Manager <crrf@example.org>'; "
        "needed with CRRF_SMTP_URL.",
    )
    smtp_timeout: float = Field(
        default=10, gt=0, le=120, description="Seconds an SMTP connection or reply may take."
    )
    mail_lease_seconds: float = Field(
        default=600,
        gt=0,
        le=86_400,
        description="How long a worker holds the e-mails it claimed: a worker killed while "
        "sending leaves them to another after this. Keep it longer than a batch can take "
        "(20 messages, each within CRRF_SMTP_TIMEOUT).",
    )
    digest_hour: int = Field(
        default=6,
        ge=0,
        le=23,
        description="The hour (UTC) from which each day's digest of pending reviews is sent.",
    )
    worker_in_process: bool = Field(
        default=True,
        description="`crrf serve` runs a worker in a background thread (false: run "
        "`crrf worker` separately).",
    )
    worker_poll_seconds: float = Field(
        default=2, gt=0, le=300, description="How long an idle worker waits before looking again."
    )

    @field_validator("smtp_url", mode="before")
    @classmethod
    def _smtp_scheme(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value in ("", None):
            return None  # an empty CRRF_SMTP_URL= turns mail off too
        if not isinstance(value, str) or not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @model_validator(mode="after")
    def _sender_with_server(self) -> "Settings":
        if self.smtp_url is not None and not self.mail_from:
            raise ValueError("CRRF_MAIL_FROM is needed with CRRF_SMTP_URL")
        return self

    webhook_allow_private: bool = Field(
        default=False,
        description="Let webhooks target private, loopback, link-local and reserved "
        "addresses (for development and tests; never in production).",
    )
    webhook_connect_timeout_seconds: float = Field(default=3, gt=0, le=60)
    webhook_timeout_seconds: float = Field(
        default=10,
        gt=0,
        le=120,
        description="A webhook delivery attempt, from resolving the host to the end of the "
        "response, must finish within this; else it failed.",
    )
    webhook_retry_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 7,
        description="How long a failing delivery is retried, from its first attempt.",
    )

    def base_url(self) -> str:
        """The public address of the service, without a trailing slash."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
