"""An ingest environment per test: a config (written by the starter, then pointed at the real
Dovecot and aiosmtpd of the session), its own IMAP user, a database, and helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from mailflow.bootstrap import App
from mailflow.bootstrap import ingest as ingest_app
from mailflow.clock import Clock, ManualClock
from mailflow.config.loader import load_config
from mailflow.services.ingest.poller import MailboxPoller, PollStats, PollTuning
from mailflow.services.ingest.service import DefaultHooks, IngestHooks
from mailflow.services.operations.starter import write_starter
from tests.conftest import new_pg_database
from tests.fixtures.dovecot import PASSWORD, DovecotServer
from tests.fixtures.mail_servers import unique_address
from tests.fixtures.smtp import SmtpServer


def write_config(
    root: Path,
    *,
    user: str,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    database_url: str | None = None,
    mark_processed: str = "move",
    security: str = "plain",
    imap_port: int | None = None,
    poll_interval: int = 60,
    batch_size: int = 200,
    folder: str = "INBOX",
    limits: str = "",
    sending: str = "",
) -> Path:
    write_starter(root, force=True)
    url = database_url or f"sqlite:///{root / 'var' / 'mailflow.sqlite3'}"
    text = f"""
[general]
data_dir = "var"

[database]
url = "{url}"

[[mailboxes]]
name = "diskominfo"
host = "127.0.0.1"
port = {imap_port or dovecot.port}
security = "{security}"
user = "{user}"
password = "{PASSWORD}"
folder = "{folder}"
mark_processed = "{mark_processed}"
poll_interval_seconds = {poll_interval}
batch_size = {batch_size}

[smtp]
host = "127.0.0.1"
port = {smtp.port}
security = "plain"
from_address = "lapor@diskominfo.bontangkota.go.id"
from_name = "LAPOR Bontang"
timeout_seconds = 10

[tokens]
secret = "uji-rahasia-token"
reply_address = "lapor@diskominfo.bontangkota.go.id"

[limits]
{limits}

[sending]
retry_base_seconds = 1
retry_max_seconds = 2
{sending}
"""
    config = root / "mailflow.toml"
    config.write_text(text, encoding="utf-8")
    return config


@dataclass
class IngestEnv:
    root: Path
    config: Path
    user: str
    dovecot: DovecotServer
    smtp: SmtpServer
    app: App

    @property
    def db(self) -> Database:
        return self.app.database

    def append(self, raw: bytes, when: datetime | None = None, folder: str = "INBOX") -> int:
        return self.dovecot.append(self.user, raw, folder=folder, when=when)

    # These tests look at the ingest side alone, so the engine is left out (DefaultHooks) unless a
    # test passes hooks; the CLI tests and tests/integration run with the engine plugged in.
    def poll_once(self, hooks: IngestHooks | None = None) -> PollStats:
        return ingest_app.poll_once(self.app, hooks=hooks or DefaultHooks())["diskominfo"]

    def poller(self, hooks: IngestHooks | None = None, tuning: PollTuning | None = None) -> MailboxPoller:
        ingest = ingest_app.build_ingest(self.app, hooks or DefaultHooks())
        return ingest_app.pollers(self.app, ingest, tuning=tuning)[0]

    def count(self, model: Any, *where: Any) -> int:
        with self.db.reader() as session:
            return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())

    def rows(self, model: Any, *where: Any) -> list[Any]:
        with self.db.reader() as session:
            found = list(session.execute(select(model).where(*where).order_by(model.id)).scalars())
            session.expunge_all()  # keep loaded values readable after the reader rolls back
            return found

    def reload(self, clock: Clock | None = None) -> None:
        self.app.close()
        self.app = App(settings=load_config(self.config), clock=clock or self.app.clock)


def make_env(
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: Clock,
    database_url: str | None = None,
    **options: Any,
) -> IngestEnv:
    user = dovecot.add_user(unique_address())
    config = write_config(
        tmp_path, user=user, dovecot=dovecot, smtp=smtp, database_url=database_url, **options
    )
    app = App(settings=load_config(config), clock=clock)
    upgrade(app.database)
    return IngestEnv(tmp_path, config, user, dovecot, smtp, app)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def env_on_backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: Clock,
    **options: Any,
) -> Iterator[IngestEnv]:
    """An ingest environment on the backend a fixture parametrised with BACKENDS names."""
    url = None
    if request.param == "postgres":
        url = new_pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    environment = make_env(tmp_path, dovecot, smtp, clock, database_url=url, **options)
    try:
        yield environment
    finally:
        environment.app.close()


@pytest.fixture
def env(tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer, clock: ManualClock) -> Iterator[IngestEnv]:
    environment = make_env(tmp_path, dovecot, smtp, clock)
    try:
        yield environment
    finally:
        environment.app.close()


@pytest.fixture
def pg_url(pg_cluster: Any, pg_template: str) -> str:
    return new_pg_database(pg_cluster, pg_template)
