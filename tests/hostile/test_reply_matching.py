"""Issue 11, points 3 and 15 on the engine harness (SQLite and PostgreSQL): what a reply claims
decides how it is matched, a claimed token is never replaced by a weaker match, and every
refused reply ends quarantined while STATUS and BANTUAN answers end processed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailflow.adapters.db.engine import Database
from mailflow.adapters.db.models import Message, OutboxMail, QuarantineItem
from mailflow.domain.inbound import InboundMail
from mailflow.services.conversation.hooks import EngineHooks
from tests.engine.harness import Harness, make_harness

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 30, 8, 5, tzinfo=WITA)
IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
DOMAIN = "diskominfo.bontangkota.go.id"


@pytest.fixture
def h(database: Database, tmp_path: Path) -> Harness:
    return make_harness(database, tmp_path, START)


def action_to(h: Harness, to: str) -> OutboxMail:
    (mail,) = [m for m in h.mails(kind="action") if m.to_addr == to]
    return mail


def gmail_reply(mail: OutboxMail, body: str, **changes: object) -> InboundMail:
    quoted = "\n".join("> " + line for line in mail.text_body.splitlines())
    base = InboundMail(
        message_id=f"<r{abs(hash((body, tuple(changes))))}@mail.gmail.com>",
        subject=f"Re: {mail.subject}",
        from_addr=mail.to_addr,
        from_name="Muhammad Ridwan",
        to=(mail.reply_to or "",),
        in_reply_to=(mail.message_id,),
        references=(mail.message_id,),
        text=f"{body}\n\nPada tanggal Sen, 30 Nov 2026 pukul 08.40 LAPOR Bontang <lapor@{DOMAIN}>\nmenulis:\n{quoted}\n",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def open_steps(h: Harness, number: str) -> list[int]:
    return [e.step for e in h.events(number) if e.finished_at is None]


def quarantine_codes(h: Harness) -> list[str]:
    with h.database.reader() as session:
        return list(session.execute(select(QuarantineItem.reason_code).order_by(QuarantineItem.id)).scalars())


def test_a_claimed_token_that_fails_never_falls_back_to_the_thread_or_the_subject(h: Harness) -> None:
    number = h.register()
    action = action_to(h, IKP)
    for claim in ("lapor+garbage", "lapor+", "lapor+TOLAK", "lapor+" + "a" * 44):
        outcome = h.deliver(gmail_reply(action, "TOLAK bukan kewenangan", to=(f"{claim}@{DOMAIN}",)))
        assert (outcome.status, outcome.code) == ("quarantined", "forged"), claim
    # a forged claim next to the genuine one: the mail claims both, one is forged
    assert action.reply_to is not None
    both = gmail_reply(action, "TOLAK bukan kewenangan", cc=(f"lapor+palsu@{DOMAIN}",))
    assert h.deliver(both).code == "forged"
    # a token-shaped Message-ID of ours that fails, with no plus-address: forged as well
    token = action.reply_to.split("+", 1)[1].split("@")[0]
    wrong = "bb" if token.endswith("aa") else "aa"  # never the genuine token (1 in 1,024 before)
    bad_thread = f"<{token[:-2]}{wrong}.0011223344556677@{DOMAIN}>"
    threaded = gmail_reply(
        action, "TOLAK x", to=(f"lapor@{DOMAIN}",), in_reply_to=(bad_thread,), references=()
    )
    assert h.deliver(threaded).code == "forged"
    assert open_steps(h, number) == [2] and h.case(number).status == "open"
    assert [m.kind for m in h.mails(to="siti.rahma@gmail.com", new=False)] == []


def test_an_expired_or_replayed_token_is_refused_even_with_the_case_tag(h: Harness) -> None:
    number = h.register()
    action = action_to(h, IKP)
    assert h.deliver(gmail_reply(action, "VALID DISHUB")).status == "applied"
    replay = h.deliver(gmail_reply(action, "TOLAK ganti keputusan", subject=f"Re: [{number}]"))
    assert (replay.status, replay.code) == ("quarantined", "already_done")
    to_kadis = action_to(h, KADIS)
    h.clock.advance(timedelta(days=h.settings.tokens.validity_days + 2))
    expired = h.deliver(gmail_reply(to_kadis, "SETUJU", subject=f"Re: [{number}] Mohon arahan"))
    assert (expired.status, expired.code) == ("quarantined", "expired")
    assert open_steps(h, number) == [4]


def test_a_from_that_is_not_an_address_is_a_stranger(h: Harness) -> None:
    number = h.register()
    action = action_to(h, IKP)
    for sender in ("Big Bug bb@bug.com", f"{IKP}\u202e", f"<{IKP}>", "", None):
        outcome = h.deliver(gmail_reply(action, "VALID DISHUB", from_addr=sender))
        assert (outcome.status, outcome.code) == ("quarantined", "unknown_sender"), sender
    assert open_steps(h, number) == [2]
    with h.database.reader() as session:
        recipients = set(session.execute(select(OutboxMail.to_addr)).scalars())
    assert all("bug.com" not in r and "\u202e" not in r and "<" not in r for r in recipients)
    # a display name that reads like an official's address identifies nobody either
    disguised = gmail_reply(
        action, "VALID DISHUB", from_addr="attacker@gmail.com", from_name=f"Kabid IKP <{IKP}>"
    )
    assert h.deliver(disguised).code == "unknown_sender"


def test_status_by_the_subject_tag_is_answered_and_processed(h: Harness, database: Database) -> None:
    number = h.register()
    action = action_to(h, IKP)
    hooks = EngineHooks(h.engine, h.replies)
    asked = gmail_reply(
        action, "Status?", to=(f"lapor@{DOMAIN}",), in_reply_to=(), references=(), subject=f"[{number}]"
    )
    refused = gmail_reply(action, "Valid?")
    forged = gmail_reply(action, "VALID", to=(f"lapor+x@{DOMAIN}",))
    statuses = {}
    for name, inbound in (("status", asked), ("question", refused), ("forged", forged)):
        with database.transaction() as session:
            row = Message(
                account="diskominfo", folder="INBOX", uidvalidity=1, uid=hash(name) % 10**6,
                message_id=inbound.message_id, sha256=name.ljust(64, "0"), raw_path="-", size=1,
                from_addr=inbound.from_addr, subject=inbound.subject, received_at=h.now, kind="reply",
                status="received",
            )  # fmt: skip
            session.add(row)
            session.flush()
            hooks.handle_reply(session, row, inbound, h.now)
            statuses[name] = (
                row.status,
                row.server_state,
                hooks.last_outcome.code if hooks.last_outcome else "",
            )
    assert statuses["status"][0] == "processed" and statuses["status"][2] == "STATUS"
    assert statuses["question"] == ("quarantined", "pending", "question")
    assert statuses["forged"] == ("quarantined", "pending", "forged")
    assert quarantine_codes(h) == ["question", "forged"]
    assert open_steps(h, number) == [2]
    (told,) = h.mails(to=IKP, kind="info")
    assert f"Status aduan {number}" in told.subject


def test_the_case_tag_from_an_official_without_a_step_is_stored_and_acts_on_nothing(h: Harness) -> None:
    number = h.register()
    action = action_to(h, IKP)
    other = "kadis.dishub@bontangkota.go.id"
    outcome = h.deliver(
        gmail_reply(
            action, "TOLAK saja", from_addr=other, to=(f"lapor@{DOMAIN}",), in_reply_to=(), references=()
        )
    )
    assert (outcome.status, outcome.code) == ("quarantined", "subject_only")
    (told,) = h.mails(to=other, kind="explain")
    assert "Tidak ada langkah aduan ini yang sedang menunggu tindakan Anda" in told.text_body
    assert told.reply_to is None and "mailto:" not in (told.html_body or "")
    assert open_steps(h, number) == [2]
