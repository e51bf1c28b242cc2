"""`mailflow run` as an operator runs it: a real subprocess against its own Dovecot, aiosmtpd and
(where the test stops it) its own PostgreSQL cluster, so stopping a server never disturbs the
session's shared ones. Helpers to start it, read its log and wait for conditions."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.migrate import upgrade
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.mail_servers import unique_address
from tests.fixtures.ports import free_port, wait_for_port
from tests.fixtures.smtp import SmtpServer, _authenticator
from tests.ingest.conftest import write_config


class RestartableSmtp(SmtpServer):
    """aiosmtpd that can go away and come back on the same port, keeping what it received."""

    def __init__(self) -> None:
        super().__init__(tls=None)
        self.controller.loop.close()  # replaced by a fresh controller at each start

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname=self.host, port=self.port, authenticator=_authenticator,
            auth_require_tls=False, data_size_limit=64 * 1024 * 1024,
        )  # fmt: skip
        self.controller.start()
        wait_for_port(self.port)


@pytest.fixture
def own_smtp() -> Iterator[RestartableSmtp]:
    server = RestartableSmtp()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):  # already stopped by the test
            server.stop()


@pytest.fixture
def own_dovecot() -> Iterator[DovecotServer]:
    server = DovecotServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


def write_site(
    root: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    *,
    database_url: str | None = None,
    extra: str = "",
    poll_interval: int = 2,
) -> tuple[Path, str]:
    """A site for `mailflow run`: the starter, pointed at these servers, LibreOffice off,
    quick restarts; returns (config, the complaint mailbox's IMAP user). These tests count every
    step-2 mail as a mail of its own, so the IKP head's are not grouped here (grouping under
    kill -9 and several senders: tests/ingest/test_exactly_once.py, tests/intake/test_grouping.py)."""
    user = dovecot.add_user(unique_address())
    config = write_config(
        root, user=user, dovecot=dovecot, smtp=smtp, database_url=database_url, poll_interval=poll_interval,
        limits="max_mails_per_address_per_day = 1000\nmax_attempts = 50", sending="group_minutes = 0",
    )  # fmt: skip
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            "\n[converter]\nenabled = false\n\n"
            "[run]\nrestart_backoff_seconds = 0.2\nrestart_backoff_max_seconds = 1\n" + extra
        )
    return config, user


def migrated(config_root: Path, url: str | None = None) -> Database:
    db = Database(url or f"sqlite:///{config_root / 'var' / 'mailflow.sqlite3'}")
    upgrade(db)
    return db


class RunProcess:
    """`mailflow -c CONFIG run ...` in a subprocess; stdout/stderr into files."""

    def __init__(self, config: Path, *args: str) -> None:
        self.config = config
        self.out = config.parent / "run.stdout"
        self.err = config.parent / "run.stderr"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
        environ.update({"COLUMNS": "200", "NO_COLOR": "1"})
        with self.out.open("wb") as out, self.err.open("wb") as err:  # the child keeps its copies
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailflow", "-c", str(config), "run", *args],
                stdout=out, stderr=err, env=environ,
            )  # fmt: skip

    @property
    def log_file(self) -> Path:
        return self.config.parent / "var" / "logs" / "mailflow.log"

    def log_lines(self) -> list[str]:
        return self.log_file.read_text(encoding="utf-8").splitlines() if self.log_file.exists() else []

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


@pytest.fixture
def runs() -> Iterator[list[RunProcess]]:
    """Every `mailflow run` a test starts is stopped at its end, whatever happens."""
    started: list[RunProcess] = []
    try:
        yield started
    finally:
        for run in started:
            run.stop()


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # e.g. the database is still down
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def count(db: Database, model: Any, *where: Any) -> int:
    with db.reader() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def metrics_port() -> int:
    return free_port()
