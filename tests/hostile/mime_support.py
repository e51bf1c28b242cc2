"""Shared pieces of the MIME hostile tests: an ingest environment on SQLite and PostgreSQL (real
Dovecot and aiosmtpd of the session), the hostile corpus, and log checks.

Test modules import the fixture function (`from tests.hostile.mime_support import mime_env_fixture`)
and ask for `mime_env`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailflow.clock import ManualClock
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.ingest.conftest import BACKENDS, IngestEnv, env_on_backend

MAILS = Path(__file__).parent / "mails"
REPLY_ADDRESS = "lapor@diskominfo.bontangkota.go.id"


def mail(name: str) -> bytes:
    return (MAILS / name).read_bytes()


def corpus() -> dict[str, dict[str, Any]]:
    """The corpus index: file name -> what must become of it (see mails/index.yaml)."""
    with (MAILS / "index.yaml").open(encoding="utf-8") as handle:
        index: dict[str, dict[str, Any]] = yaml.safe_load(handle)
    return index


@pytest.fixture(name="mime_env", params=BACKENDS)
def mime_env_fixture(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
) -> Iterator[IngestEnv]:
    """An ingest environment (starter config and rules) on each database backend."""
    with env_on_backend(request, tmp_path, dovecot, smtp, clock) as environment:
        yield environment


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """Log records that carry a traceback or say something failed unexpectedly."""
    return [
        f"{r.name}: {r.getMessage()}" for r in records if r.exc_info is not None or r.levelno >= logging.ERROR
    ]
