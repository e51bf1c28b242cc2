"""Hostile characters in names, subjects and file names are shown, not obeyed."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from mailflow.domain.safe_text import escape, has_unsafe, is_unsafe_char, strip_unsafe


def test_bidi_override_is_shown_as_an_escape() -> None:
    assert escape("evil\u202egpj.exe") == "evil\\u202egpj.exe"


def test_newlines_cannot_forge_a_log_line() -> None:
    assert escape("Budi\n2026-11-30 INFO sent outbox 1") == "Budi\\n2026-11-30 INFO sent outbox 1"
    assert escape("a\r\nb", keep_newlines=True) == "a\\r\nb"


def test_terminal_escape_sequences_are_neutralised() -> None:
    assert escape("\x1b[31mred") == "\\u001b[31mred"


def test_ordinary_indonesian_and_emoji_text_is_unchanged() -> None:
    text = "Siti Rahma — Jl. Ahmad Yani, Api-Api 👨\u200d👩\u200d👧 café"
    assert escape(text) == text
    assert not has_unsafe(text)


def test_strip_unsafe_keeps_one_clean_line() -> None:
    assert strip_unsafe("Ir.\u202e Budi\r\n  Santoso\u200b") == "Ir. Budi Santoso"


def test_limit_cuts_with_an_ellipsis() -> None:
    assert escape("x" * 10, limit=5) == "xxxx…"


@given(st.text())
def test_escaped_text_never_contains_an_unsafe_character(text: str) -> None:
    assert not has_unsafe(escape(text))
    assert not has_unsafe(strip_unsafe(text))


def test_every_unsafe_character_is_unprintable() -> None:
    """has_unsafe, escape and strip_unsafe answer a printable text (str.isprintable, in C) at
    once: that is exact only while no unsafe character is printable. Every code point checked."""
    assert [
        hex(c) for c in range(sys.maxunicode + 1) if is_unsafe_char(chr(c)) and chr(c).isprintable()
    ] == []
