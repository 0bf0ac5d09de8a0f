"""Settings, read from KEFU_* environment variables (and a .env file if present)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    # Request bodies larger than this are refused with 413 before they are parsed.
    max_body_bytes: int = 1_000_000
    # Uploads (kefu/attachments) have their own limit per inbox; this is the hard cap above any
    # inbox's setting, per file. Upload routes alone accept bodies up to a few files of this.
    max_upload_bytes: int = 25 * 1024 * 1024
    # Where LocalStorage keeps uploaded files (default: <data_dir>/attachments).
    attachments_dir: Path | None = None
    # How long a customer's signed file link works (the widget gets fresh ones as it loads).
    attachment_link_seconds: int = 24 * 3600
    login_attempts_per_window: int = 10
    login_window_seconds: int = 300
    session_max_age_seconds: int = 14 * 24 * 3600
    # Create the demo workspace on first start with an empty database.
    demo: bool = True
    # ... with eight weeks of support history (kefu/demo_history.py) for reports.
    demo_history: bool = True
    cookie_secure: bool = False
    # Freeze start-up objects and collect less often (app.tune_garbage_collector); off in tests,
    # which start many apps in one process.
    gc_tuning: bool = True
    node_name: str = Field(default_factory=lambda: secrets.token_hex(3))
    # Background jobs (worker/): console heartbeats, presence expiry, SLA breaches, the routing
    # sweep. Every node runs them; they are safe to run concurrently.
    worker: bool = True
    worker_interval_seconds: float = 5.0
    # An agent whose last console closed goes offline after this long (a reload is not leaving).
    presence_grace_seconds: float = 120.0
    # Outgoing email (conversation transcripts): none is sent while smtp_host is empty, and the
    # widget does not offer it. smtp_tls: "starttls" (port 587), "tls" (implicit, port 465), "none".
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    # kefu's own SMTP listener for email inboxes (channels/email/listener.py): mail to an email
    # inbox's address sent here becomes a conversation. Port 0: off (25 to receive MX mail).
    email_listen_host: str = "0.0.0.0"
    email_listen_port: int = Field(default=0, ge=0, le=65535)
    email_max_bytes: int = 25 * 1024 * 1024
    # Channel inboxes (kefu.channels): provider API URLs must be public https unless this is
    # set (tests, or providers reached through an on-premises proxy).
    channel_allow_private_urls: bool = False
    # The outbox (channel sends, emails, media downloads) gives a job up after this many tries
    # (about 2 hours of backoff with the default 8) and records it as failed.
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'kefu.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"
