"""Issue 11, points 1, 3, 4 and 15 end to end: replies appended to a real Dovecot mailbox, read
by the poller with the conversation engine plugged in, on SQLite and PostgreSQL.

The site runs with `[auth] require_authentication_results = true`, trusting the receiving
server `mx.bontangkota.go.id`; every reply carries that server's header on top, as delivered
mail does, and whatever its sender wrote below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailflow.adapters.db.models import (
    Case,
    CaseRoute,
    Document,
    Message,
    OutboxMail,
    QuarantineItem,
    StepEvent,
)
from mailflow.clock import ManualClock
from tests.cli.helpers import run_cli
from tests.conftest import new_pg_database
from tests.fixtures.dovecot import DovecotServer
from tests.fixtures.smtp import SmtpServer
from tests.hostile.reply_mails import MX, reply, server_fail, server_pass
from tests.ingest.builders import complaint
from tests.ingest.conftest import IngestEnv, make_env

pytestmark = [pytest.mark.imap, pytest.mark.slow]

IKP = "ikp.kominfo@bontangkota.go.id"
KADIS = "kadis.kominfo@bontangkota.go.id"
SEK_DISHUB = "sekretaris.dishub@bontangkota.go.id"
COMPLAINANT = "warga1@gmail.com"
REPLY_DOMAIN = "diskominfo.bontangkota.go.id"
AUTH = f'\n[auth]\nrequire_authentication_results = true\ntrusted_authserv_ids = ["{MX}"]\n'


@dataclass
class Site:
    env: IngestEnv
    clock: ManualClock
    dovecot: DovecotServer

    def poll(self) -> None:
        self.env.poll_once(self.env.app.hooks)

    def sign_response(self, opd: str, signer: str, by: str) -> None:
        """The head signs the newest surat tanggapan of `opd`'s route (the engine's own entry)."""
        app = self.env.app
        with app.database.transaction() as session:
            route = session.execute(select(CaseRoute).where(CaseRoute.opd_code == opd)).scalar_one()
            letter = (
                session.execute(
                    select(Document)
                    .where(Document.route_id == route.id, Document.kind == "surat_tanggapan")
                    .order_by(Document.id.desc())
                )
                .scalars()
                .first()
            )
            assert letter is not None
            result = app.engine.letter_signed(session, letter, signer, self.clock.now(), by=by)
            assert type(result).__name__ == "Transition"

    def complaint(self) -> str:
        self.env.append(complaint(1, subject="Lampu jalan mati di Jl. Ahmad Yani"))
        self.poll()
        with self.env.db.reader() as session:
            return session.execute(select(Case.number)).scalar_one()

    def mail(self, kind: str, to: str) -> OutboxMail:
        """The newest queued mail of `kind` to `to`."""
        rows = [r for r in self.env.rows(OutboxMail, OutboxMail.to_addr == to) if r.kind.startswith(kind)]
        assert rows, (kind, to)
        return rows[-1]

    def answer(
        self,
        original: OutboxMail,
        body: str,
        *,
        sender: str | None = None,
        name: str = "Pejabat",
        to: str | None = None,
        subject: str | None = None,
        server_auth: tuple[str, ...] | None = None,
        sender_headers: tuple[tuple[str, str], ...] = (),
        thread: bool = True,
        style: str = "gmail",
    ) -> Message:
        """`sender` (default: the mail's recipient) answers `original`; the row of that reply."""
        sender = sender or original.to_addr
        self.clock.advance(timedelta(minutes=10))
        raw = reply(
            sender=sender,
            name=name,
            to=to or original.reply_to or f"lapor@{REPLY_DOMAIN}",
            subject=subject or original.subject,
            body=body,
            original_text=original.text_body,
            original_id=original.message_id if thread else None,
            when=self.clock.now(),
            server_auth=server_auth if server_auth is not None else (server_pass(sender),),
            sender_headers=sender_headers,
            style=style,
        )
        message_id = str(message_from_bytes(raw)["Message-ID"])
        self.env.append(raw)
        self.poll()
        (row,) = self.env.rows(Message, Message.message_id == message_id)
        return row

    def open_steps(self, number: str) -> list[int]:
        with self.env.db.reader() as session:
            case = session.execute(select(Case).where(Case.number == number)).scalar_one()
            events = session.execute(
                select(StepEvent.step).where(StepEvent.case_id == case.id, StepEvent.finished_at.is_(None))
            )
            return sorted(events.scalars())

    def folder(self, name: str) -> list[bytes]:
        return self.dovecot.messages(self.env.user, name)

    def in_folder(self, name: str, row: Message) -> bool:
        return any(f"Message-ID: {row.message_id}".encode() in raw for raw in self.folder(name))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    clock: ManualClock,
) -> Iterator[Site]:
    url = None
    if request.param == "postgres":
        url = new_pg_database(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_template"))
    env = make_env(tmp_path, dovecot, smtp, clock, database_url=url)
    with env.config.open("a", encoding="utf-8") as config:
        config.write(AUTH)
    env.reload(clock)
    try:
        yield Site(env, clock, dovecot)
    finally:
        env.app.close()


def complainant_told(site: Site) -> list[str]:
    return [r.kind for r in site.env.rows(OutboxMail, OutboxMail.to_addr == COMPLAINANT)]


# --- point 1: only the receiving server's own Authentication-Results count -------------------------


def test_a_forged_pass_below_the_servers_fail_is_quarantined_not_applied(site: Site) -> None:
    number = site.complaint()
    action = site.mail("action.2", IKP)
    forged_pass = (
        f"{MX}; dkim=pass header.d=bontangkota.go.id header.s=mail; dmarc=pass header.from=bontangkota.go.id"
    )
    forged = site.answer(
        action,
        "VALID DISHUB",
        name="Kabid IKP",
        server_auth=(server_fail(IKP),),
        sender_headers=(("Authentication-Results", forged_pass),),
    )
    assert forged.status == "quarantined"
    assert (forged.quarantine_reason or "").startswith("unauthenticated")
    assert site.open_steps(number) == [2]
    assert site.in_folder("Karantina", forged)
    # the official's genuine reply, with the server's pass on top, acts
    genuine = site.answer(action, "VALID DISHUB", name="Kabid IKP")
    assert genuine.status == "processed" and site.in_folder("Diproses", genuine)
    assert site.open_steps(number) == [4]


# --- point 3: a present but invalid token is a forgery; the subject tag never advances -------------


def test_a_garbage_token_with_the_case_tag_never_closes_the_case(site: Site) -> None:
    number = site.complaint()
    action = site.mail("action.2", IKP)
    assert number in action.subject
    # the attack: lapor+<garbage>@, the right official's address, a trusted DKIM pass, the
    # case tag in the subject and TOLAK in the body
    attack = site.answer(
        action,
        "TOLAK aduan ini tidak benar, kasus ditutup.",
        name="Kabid IKP",
        to=f"lapor+tolak-segera@{REPLY_DOMAIN}",
        subject=f"Re: [{number}] Aduan baru",
        thread=False,
    )
    assert attack.status == "quarantined" and (attack.quarantine_reason or "").startswith("forged")
    # the same with a valid In-Reply-To: a claimed token that fails is never replaced by the thread
    with_thread = site.answer(action, "TOLAK ditutup", name="Kabid IKP", to=f"lapor+x@{REPLY_DOMAIN}")
    assert with_thread.status == "quarantined" and (with_thread.quarantine_reason or "").startswith("forged")
    # and a token of the right shape with one letter changed
    assert action.reply_to is not None
    token = action.reply_to.split("+", 1)[1].split("@")[0]
    flipped = token[:10] + ("b" if token[10] != "b" else "c") + token[11:]
    mutated = site.answer(action, "TOLAK ditutup", name="Kabid IKP", to=f"lapor+{flipped}@{REPLY_DOMAIN}")
    assert mutated.status == "quarantined"
    with site.env.db.reader() as session:
        case = session.execute(select(Case).where(Case.number == number)).scalar_one()
        assert case.status == "open" and case.closed_at is None
    assert site.open_steps(number) == [2]
    assert complainant_told(site) == ["ack"]  # the acknowledgement only, no rejection
    assert all(site.in_folder("Karantina", row) for row in (attack, with_thread, mutated))


def test_the_case_tag_alone_stores_the_mail_with_the_case_and_explains(site: Site) -> None:
    number = site.complaint()
    action = site.mail("action.2", IKP)
    tagged = site.answer(
        action,
        "TOLAK aduan di luar kewenangan",
        name="Kabid IKP",
        to=f"lapor@{REPLY_DOMAIN}",
        subject=f"[{number}] keputusan",
        thread=False,
        style="outlook",
    )
    assert tagged.status == "quarantined" and (tagged.quarantine_reason or "").startswith("subject_only")
    assert tagged.case_id is not None and site.open_steps(number) == [2]
    assert complainant_told(site) == ["ack"]
    told = site.mail("explain", IKP)
    assert "sebagai keterangan" in told.text_body
    assert told.reply_to is not None and told.reply_to.startswith("lapor+")
    assert "TOLAK <alasan>" in told.text_body  # the step's commands, each with its reply link
    # answering that explanation directly carries the token and acts
    assert site.answer(told, "TOLAK aduan di luar kewenangan", name="Kabid IKP").status == "processed"
    assert site.open_steps(number) == []


# --- point 4: "Terima kasih, sudah kami catat." is not TERIMA -------------------------------------


def test_thanks_from_the_secretary_is_not_terima(site: Site) -> None:
    number = site.complaint()
    assert site.answer(site.mail("action.2", IKP), "VALID DISHUB").status == "processed"
    assert site.answer(site.mail("action.4", KADIS), "Setuju.\n\nSalam,\nKadis Kominfo").status == "processed"
    to_secretary = site.mail("action.5", SEK_DISHUB)
    thanks = site.answer(to_secretary, "Terima kasih, sudah kami catat.", name="Fitriani", style="outlook")
    assert site.open_steps(number) == [5]
    assert thanks.status == "quarantined" and (thanks.quarantine_reason or "").startswith("sentence")
    explained = site.mail("explain", SEK_DISHUB)
    assert "Terima kasih, sudah kami catat." in explained.text_body
    assert "TERIMA" in explained.text_body and "mailto:lapor+" in (explained.html_body or "")
    assert site.answer(to_secretary, "TERIMA", name="Fitriani").status == "processed"
    assert site.open_steps(number) == [6]


# --- point 15: refused and quarantined mail goes to Karantina; retry brings it back ----------------


def test_refused_replies_land_in_karantina_and_retry_brings_one_back(site: Site) -> None:
    number = site.complaint()
    action = site.mail("action.2", IKP)
    assert action.reply_to is not None
    token = action.reply_to.split("+", 1)[1].split("@")[0]
    flipped = token[:10] + ("b" if token[10] != "b" else "c") + token[11:]
    forged = site.answer(action, "VALID DISHUB", to=f"lapor+{flipped}@{REPLY_DOMAIN}")
    refused = site.answer(action, "VALID Dinas Kehutanan")  # a command that cannot act
    assert (refused.status, refused.quarantine_reason is not None) == ("quarantined", True)
    assert site.in_folder("Karantina", refused) and not site.in_folder("Diproses", refused)
    personal = "ridwan.ikp@gmail.com"  # the official's own Gmail, not yet in the directory
    stranger = site.answer(action, "VALID DISHUB", sender=personal, name="Muhammad Ridwan")
    assert [r.status for r in (forged, refused, stranger)] == ["quarantined"] * 3
    assert site.open_steps(number) == [2]
    assert site.folder("INBOX") == []
    assert len(site.folder("Karantina")) == 3 and len(site.folder("Diproses")) == 1  # the complaint
    listed = run_cli("-c", site.env.config, "quarantine", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = {i["reason_code"]: i for i in json.loads(listed.stdout)}
    assert set(items) == {"forged", "unknown_opd", "unknown_sender"}
    # the admin adds the Gmail address to the official, then retries that mail
    directory = site.env.app.settings.paths.directory
    text = directory.read_text(encoding="utf-8")
    entry = "email: ikp.kominfo@bontangkota.go.id,"
    assert entry in text
    directory.write_text(text.replace(entry, f"{entry} other_emails: [{personal}],"), encoding="utf-8")
    retried = run_cli(
        "-c", site.env.config, "quarantine", "retry", str(items["unknown_sender"]["id"]), "--json"
    )
    assert retried.returncode == 0, retried.stderr
    result: dict[str, Any] = json.loads(retried.stdout)
    assert (result["status"], result["server_moved"]) == ("processed", 1)
    assert site.open_steps(number) == [4]
    assert len(site.folder("Karantina")) == 2 and len(site.folder("Diproses")) == 2
    assert not site.in_folder("Karantina", stranger)
    with site.env.db.reader() as session:
        still = session.execute(
            select(QuarantineItem.reason_code).where(QuarantineItem.released_at.is_(None))
        )
        assert sorted(still.scalars()) == ["forged", "unknown_opd"]
