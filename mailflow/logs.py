"""Logging setup: readable lines on stderr, and a rotating file under the data dir once it is known."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

from mailflow.domain.safe_text import escape

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_QUIET = (
    "pyhanko",
    "pyhanko_certvalidator",
    "fontTools",
    "matplotlib",
    "PIL",
    "watchdog",
    "alembic.runtime",
)


class EscapingFormatter(logging.Formatter):
    """Escapes control and bidi characters in the formatted line; a traceback keeps its line breaks.

    Log arguments are often written by strangers (a display name, a subject, an address): a
    newline in one would forge a log line of its own, an ANSI sequence would repaint the admin's
    terminal and U+202E would reverse what they read. Each line stays one line; the characters
    are shown as visible `\\n`, `\\u202e` markers. A traceback keeps its lines (they are
    Python's), but the exception text in it may quote mail, so its other such characters are
    escaped too.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the traceback text unescaped on the record.
        cached = record.exc_text
        if cached:
            record.exc_text = escape(cached, keep_newlines=True)
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return escape(super().formatException(ei), keep_newlines=True)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return escape(super().formatStack(stack_info), keep_newlines=True)


class _ConsoleFormatter(EscapingFormatter):
    """One line per record on the terminal; tracebacks only with -vv (they stay in the log file)."""

    def __init__(self, show_traces: bool) -> None:
        super().__init__(FORMAT)
        self.show_traces = show_traces

    def format(self, record: logging.LogRecord) -> str:
        if self.show_traces or not record.exc_info:
            return super().format(record)
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text = saved


def configure(verbose: int = 0) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    root.setLevel(min(level, logging.INFO))
    if not any(getattr(h, "_mailflow_console", False) for h in root.handlers):
        console = logging.StreamHandler()
        console._mailflow_console = True  # type: ignore[attr-defined]
        root.addHandler(console)
    for existing in root.handlers:
        if getattr(existing, "_mailflow_console", False):
            existing.setLevel(level)
            existing.setFormatter(_ConsoleFormatter(show_traces=verbose >= 2))
    # These libraries log tracebacks for conditions mailflow handles (untrusted certificates etc.).
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR if verbose < 2 else logging.DEBUG)


def add_file(directory: Path) -> Path | None:
    """Also log INFO and above to `directory/mailflow.log` (rotated); None if not writable."""
    root = logging.getLogger()
    path = directory / "mailflow.log"
    if any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        return path
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=10_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(EscapingFormatter(FORMAT))
    root.addHandler(handler)
    return path
