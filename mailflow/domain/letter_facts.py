"""The plain values a letter is made from: a case, its complainant and route, a previous letter.

The service copies them from database rows, the samples and tests write them by hand; the letter
code (mailflow.domain.letters) never sees the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ComplainantFacts:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Plain values of a case (the service copies them from the database row)."""

    number: str
    subject: str
    summary: str
    body: str
    received_at: datetime
    confidentiality: str = "biasa"  # biasa / rahasia / anonim
    channel: str = "email"
    category: str | None = None
    suggested_opds: tuple[str, ...] = ()
    route_opds: tuple[str, ...] = ()  # OPD codes the case was sent to (its routes)
    complainant: ComplainantFacts | None = None


@dataclass(frozen=True)
class RouteFacts:
    opd_code: str
    bidang_code: str | None = None
    instruction: str | None = None
    response_text: str | None = None


@dataclass(frozen=True)
class PriorLetter:
    """The letter this one follows (the nota dinas a disposition answers, the disposition a
    response letter follows): shown as "No. Surat", "Tgl. Surat", "Surat dari"."""

    number: str
    day: date
    sender: str


_LEVELS = ("biasa", "rahasia", "anonim")


def strictest(*levels: str | None) -> str:
    """The strictest confidentiality of a case and its complainant ("anonim" > "rahasia" > "biasa")."""
    known = [level for level in levels if level in _LEVELS]
    return max(known, key=_LEVELS.index) if known else "biasa"
