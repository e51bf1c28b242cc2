"""Which errors a long-running loop waits out, and what to call them in the log.

A database that is away for a while (a locked SQLite, a PostgreSQL restart, a dropped
connection) is like a mail server that is down: the loop logs it (once per minute while it
lasts, mailflow.logs.Outage), waits, and tries again; work in flight stays where it was and is
picked up again, never lost and never done twice.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from mailflow.adapters.imap import ImapError
from mailflow.adapters.smtp import SmtpTransientError
from mailflow.errors import StorageError, TransientError

DATABASE_ERRORS: tuple[type[Exception], ...] = (StorageError, DBAPIError, PoolTimeoutError)
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (TransientError, OSError, *DATABASE_ERRORS)


def failure_kind(exc: BaseException) -> str:
    """ "database", "imap", "smtp" or "other" (the keys of mailflow.logs.Outage)."""
    if isinstance(exc, DATABASE_ERRORS):
        return "database"
    if isinstance(exc, ImapError):
        return "imap"
    if isinstance(exc, SmtpTransientError):
        return "smtp"
    if exc.__cause__ is not None:  # e.g. the sender's "unreachable" wraps the SMTP error
        return failure_kind(exc.__cause__)
    return "other"


def short(exc: BaseException) -> str:
    """One line for the log: a database error without SQLAlchemy's SQL and background link."""
    if isinstance(exc, DBAPIError):
        text = str(exc.orig) if exc.orig is not None else type(exc).__name__
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:300]
