"""What every command shares: the lazily built App, output helpers, bilingual help texts."""

from __future__ import annotations

import json
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape as escape_markup

from mailflow import logs
from mailflow.bootstrap import App, build_app
from mailflow.domain.safe_text import escape, is_unsafe_char
from mailflow.i18n import language_from_env, translate

HELP_LANG = language_from_env()
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def h(indonesian: str, english: str) -> str:
    """A help text in the language of MAILFLOW_LANG (help is built before any config is read)."""
    return english if HELP_LANG == "en" else indonesian


@dataclass
class CliState:
    config: Path | None = None
    verbose: int = 0
    _app: App | None = field(default=None, repr=False)

    def app(self) -> App:
        if self._app is None:
            self._app = build_app(self.config)
            logs.add_file(self._app.settings.data_dir / "logs")
        return self._app

    def lang(self, override: str | None = None) -> str:
        if override:
            return override
        if self._app is not None:
            return self._app.lang
        return HELP_LANG

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # called without the root callback (tests of a sub-app)
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def t(key: str, lang: str, **values: Any) -> str:
    return translate(key, lang, **values)


def shown(text: object, *, limit: int | None = None, keep_newlines: bool = False) -> str:
    """Text from mail (a name, subject, file name, reason) for a Rich table or line: control and
    bidi characters shown as `\\u202e` markers, and Rich markup made inert (a subject "[/]" would
    otherwise abort the listing and "[auth]" would vanish from it)."""
    if text is None:
        return ""
    return escape_markup(escape(str(text), limit=limit, keep_newlines=keep_newlines))


def emit_json(data: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colours, no wrapping.

    The values stay exactly what is stored; control and bidi characters are written as JSON
    `\\uXXXX` escapes (json leaves U+202E and friends raw), which decode to the same text but
    cannot reorder or repaint a terminal the output is shown in."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    # json.dumps of one character with ensure_ascii gives its \\uXXXX form (a surrogate pair
    # above U+FFFF); the indentation's own newlines are left alone.
    text = "".join(json.dumps(ch)[1:-1] if ch != "\n" and is_unsafe_char(ch) else ch for ch in text)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


LangOption = typer.Option(None, "--lang", help=h("Bahasa keluaran: id atau en", "Output language: id or en"))
JsonOption = typer.Option(False, "--json", help=h("Keluaran JSON untuk skrip", "JSON output for scripts"))


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd stop) and SIGINT (Ctrl-C) end a long-running command gracefully."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
