"""Logging setup: readable lines on stderr, and a rotating file under the data dir once it is known.

Also: JSON lines for log collectors (`use_format("json")`), and `Outage`, which turns a failure
that repeats (an SMTP server that is down, an IMAP server restarting) into one line when it starts,
one line with a count per window while it lasts, and one line when the connection is back.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailflow.domain.safe_text import escape
from mailflow.i18n import translate

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_QUIET = (
    "pyhanko",
    "pyhanko_certvalidator",
    "fontTools",
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


# --- JSON lines (`mailflow run --log-format json`) ------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    traceback when there is one; json.dumps escapes newlines, so a record is always one line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        part = getattr(record, "part", None)
        if part is not None:
            data["part"] = part
        return json.dumps(data, ensure_ascii=False)


LOG_FORMATS = ("text", "json")


def use_format(name: str) -> None:
    """Switch mailflow's console and file handlers to `name` ("text" or "json")."""
    if name not in LOG_FORMATS:
        raise ValueError(f"unknown log format {name!r}")
    if name == "text":
        return  # configure() and add_file() already installed the text formatters
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_mailflow_console", False) or isinstance(handler, logging.FileHandler):
            handler.setFormatter(JsonFormatter())


# --- repeated failures ------------------------------------------------------------------------


class Outage:
    """What one part (a poller, the sender) logs while something it needs is failing.

    `failed(kind, error)` at each failure: the first is logged at once; later ones are counted
    and logged as one line with the count once per `window` seconds ("sender: SMTP tidak dapat
    dihubungi (12x dalam 60 detik): ..."). `recovered()` after the next success logs how long it
    lasted ("koneksi IMAP pulih setelah 20 detik") and starts over. Kinds: "smtp", "imap",
    "database" or "other". Not thread-safe: each part owns its own.
    """

    def __init__(
        self,
        logger: logging.Logger,
        part: str,
        *,
        lang: str = "id",
        window: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.part = part
        self.lang = lang
        self.window = window
        self._now = monotonic
        self._since: float | None = None
        self._kinds: list[str] = []
        self._total = 0
        self._line_at = 0.0
        self._unreported = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, kind: str, error: object, *, level: int = logging.WARNING) -> None:
        now = self._now()
        what = translate(f"ops.down.{kind}", self.lang)
        extra = {"part": self.part}
        if kind not in self._kinds:
            self._kinds.append(kind)
        self._total += 1
        if self._since is None:
            self._since, self._line_at, self._unreported = now, now, 0
            text = translate("ops.failed", self.lang, part=self.part, what=what, error=error)
            self.logger.log(level, "%s", text, extra=extra)
            return
        self._unreported += 1
        if now - self._line_at >= self.window:
            text = translate(
                "ops.repeated", self.lang, part=self.part, what=what, count=self._unreported,
                seconds=round(now - self._line_at), error=error,
            )  # fmt: skip
            self.logger.log(level, "%s", text, extra=extra)
            self._line_at, self._unreported = now, 0

    def recovered(self) -> None:
        if self._since is None:
            return
        kinds = ", ".join(k for k in (translate(f"ops.kind.{k}", self.lang) for k in self._kinds) if k)
        text = translate(
            "ops.recovered", self.lang, part=self.part, kind=kinds or "-",
            seconds=round(self._now() - self._since), count=self._total,
        )  # fmt: skip
        # WARNING like the failure lines, so the journal (console: warnings and up) shows both
        self.logger.warning("%s", text, extra={"part": self.part})
        self._since, self._kinds, self._total, self._unreported = None, [], 0, 0
