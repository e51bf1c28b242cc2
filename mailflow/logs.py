"""Logging setup: readable lines on stderr, and a rotating file under the data dir once it is known."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

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


class _ConsoleFormatter(logging.Formatter):
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
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return path
