"""Signed letters end to end over real servers: Dovecot holds the complaint mailbox, aiosmtpd is
the Internet, LibreOffice makes the letters, pyHanko signs them (mailflow.demo's runner, played
with a script of its own).

Two complaints about street lights both reach step 8 at the Kepala Dishub. He returns a wrongly
signed letter for each, ten minutes apart (issue 11, point 12): each gets its own explanation
naming its case, and `mailflow case` shows the refusal at step 8 of both. Then he returns the
first letter signed rightly, but with an update appended after signing that points its metadata
at the other case (point 14): it finishes the first case, and what the complainant receives with
the final answer is the signed revision, byte for byte, without the update.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mailflow.adapters.db.models import Case, Document
from mailflow.demo import people
from mailflow.demo.mailserver import Received
from mailflow.demo.pki import sign_pdf
from mailflow.demo.runner import DemoRunner
from mailflow.demo.scenario import Answer, Complaint
from mailflow.domain.documents import DocumentKind
from tests.fixtures.dovecot import PASSWORD, DovecotServer
from tests.fixtures.mail_servers import unique_address
from tests.signatures import pdfs

pytestmark = [pytest.mark.imap, pytest.mark.libreoffice, pytest.mark.slow]
WITA = ZoneInfo("Asia/Makassar")
HEAD = "kadis.dishub@bontangkota.go.id"
SITI, RUDI = "siti.rahma@gmail.com", "rudi.h@yahoo.co.id"
REFUSED_SUBJECT = "PDF bertanda tangan belum dapat diterima"


@dataclass
class DovecotMailbox:
    """The complaint mailbox on the session's Dovecot, as the demo runner wants it."""

    dovecot: DovecotServer
    user: str
    password: str = PASSWORD

    @property
    def port(self) -> int:
        return self.dovecot.port

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def append(self, raw: bytes, when: Any, folder: str = "INBOX") -> None:
        self.dovecot.append(self.user, raw, folder=folder, when=when)


@pytest.fixture
def runner(dovecot: DovecotServer, tmp_path: Path) -> Iterator[DemoRunner]:
    mailbox = DovecotMailbox(dovecot, dovecot.add_user(unique_address("lapor")))
    # Monday 2 November 2026: Dovecot files a message dated ahead of its clock under "now"
    played = DemoRunner(tmp_path / "site", imap=mailbox, convert=True, shift=-timedelta(weeks=4))
    played.start()
    try:
        yield played
    finally:
        played.stop()


def at(runner: DemoRunner, clock: str) -> None:
    """Move the script's clock to `clock` (HH:MM WITA) on its Monday, never backwards."""
    day = runner.clock.now().astimezone(WITA).date()
    hour, minute = map(int, clock.split(":"))
    runner.clock.set(
        max(runner.clock.now(), datetime(day.year, day.month, day.day, hour, minute, tzinfo=WITA))
    )


def to_step8(runner: DemoRunner, key: str, name: str, address: str, street: str) -> str:
    """A complaint through steps 1-7 by mail, as the officials answer; returns its number."""
    runner.complain(
        Complaint(key, "", name, address, f"Lampu jalan mati di {street}", f"Lampu di {street} mati.", "open")
    )
    runner.pump()
    for step, person, body in (
        (2, "kabid_ikp", "VALID DISHUB"),
        (4, "kadis_kominfo", "SETUJU"),
        (5, "sekretaris_dishub", "TERIMA"),
        (6, "kadis_dishub", "DISPOSISI PJU: mohon segera dicek"),
        (7, "kabid_pju_dishub", f"TANGGAPAN\nLampu di {street} sudah diganti."),
    ):
        runner.clock.set(runner.clock.now() + timedelta(minutes=5))
        runner.answer(Answer("", key, step, person, body, opd="DISHUB" if 5 <= step <= 7 else None))
        runner.pump()
    return runner.outcome.numbers[key]


def step_mail(runner: DemoRunner, number: str, step: int, address: str) -> Received:
    assert runner.smtp is not None
    (mail,) = [
        r
        for r in runner.smtp.inbox(address)
        if r.message["X-Mailflow-Case"] == number and r.message["X-Mailflow-Step"] == str(step)
    ]
    return mail


def letter_pdf(mail: Received) -> bytes:
    (pdf,) = [p for p in mail.message.iter_attachments() if (p.get_filename() or "").endswith(".pdf")]
    return bytes(pdf.get_payload(decode=True) or b"")


def return_signed(runner: DemoRunner, mail: Received, data: bytes, filename: str) -> None:
    """The head answers the step-8 mail from Gmail with the signed PDF attached."""
    reply = people.reply(
        mail,
        name="Drs. Hendra Gunawan, M.Si.",
        address=HEAD,
        style="gmail",
        when=runner.clock.now(),
        zone=WITA,
        body="Terlampir surat tanggapan yang sudah saya tandatangani.",
        attachments=(people.Attachment(filename, "application/pdf", data),),
    )
    runner.post.send(reply)
    runner.pump()


def explanations(runner: DemoRunner) -> list[EmailMessage]:
    assert runner.smtp is not None
    return [r.message for r in runner.smtp.inbox(HEAD) if REFUSED_SUBJECT in str(r.message["Subject"])]


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def mailflow_case(runner: DemoRunner, number: str, *extra: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    environ.update({"COLUMNS": "400", "NO_COLOR": "1"})  # wide enough that no cell wraps
    config = runner.folder / "mailflow.toml"
    return subprocess.run(
        [sys.executable, "-m", "mailflow", "-c", str(config), "case", number, *extra],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def doc_uid(runner: DemoRunner, number: str) -> str:
    assert runner.app is not None
    with runner.app.database.reader() as session:
        return str(
            session.execute(
                select(Document.doc_uid)
                .join(Case, Case.id == Document.case_id)
                .where(Case.number == number, Document.kind == DocumentKind.SURAT_TANGGAPAN.value)
            ).scalar_one()
        )


def test_two_refusals_the_same_hour_each_explained_then_the_signed_revision_reaches_the_complainant(
    runner: DemoRunner,
) -> None:
    assert runner.app is not None and runner.smtp is not None
    at(runner, "08:00")
    first = to_step8(runner, "A", "Siti Rahma", SITI, "Jl. Ahmad Yani")
    second = to_step8(runner, "B", "Rudi Hartono", RUDI, "Jl. Bhayangkara")
    wrong = runner.pki.person("Ir. Budi Santoso, M.T.", "budi.santoso@bontangkota.go.id")
    right = runner.pki.person("Drs. Hendra Gunawan, M.Si.", HEAD)
    mail_a, mail_b = step_mail(runner, first, 8, HEAD), step_mail(runner, second, 8, HEAD)
    pdf_a, pdf_b = letter_pdf(mail_a), letter_pdf(mail_b)

    # --- point 12: two wrongly signed letters, ten minutes apart --------------------------------------
    at(runner, "10:00")
    return_signed(runner, mail_a, sign_pdf(pdf_a, wrong), "surat_A_ttd.pdf")
    runner.clock.set(runner.clock.now() + timedelta(minutes=10))
    return_signed(runner, mail_b, sign_pdf(pdf_b, wrong), "surat_B_ttd.pdf")
    told = explanations(runner)
    assert [str(m["Subject"]).split("]")[0] + "]" for m in told] == [f"[{first}]", f"[{second}]"]
    for message, number, filename in (
        (told[0], first, "surat_A_ttd.pdf"),
        (told[1], second, "surat_B_ttd.pdf"),
    ):
        text = body(message)
        assert number in text and filename in text
        assert "Ir. Budi Santoso, M.T." in text and "Drs. Hendra Gunawan, M.Si." in text
    for number, filename, when in (
        (first, "surat_A_ttd.pdf", "Senin, 2 November 2026 pukul 10.00"),
        (second, "surat_B_ttd.pdf", "Senin, 2 November 2026 pukul 10.10"),
    ):
        shown = mailflow_case(runner, number, "--json")
        assert shown.returncode == 0, shown.stderr
        (eight,) = [s for s in json.loads(shown.stdout)["steps"] if s["step"] == 8]
        assert eight["finished"] is None
        (refusal,) = eight["refusals"]
        assert (refusal["code"], refusal["file"], refusal["source"]) == ("wrong_signer", filename, "mail")
        assert refusal["summary"].startswith("ditolak: ditandatangani orang yang tidak berwenang, ")
        table = mailflow_case(runner, number)
        assert table.returncode == 0, table.stderr
        assert f"ditolak: ditandatangani orang yang tidak berwenang, {when}, {filename}" in table.stdout

    # --- point 14: signed rightly, then metadata pointed at the other case -------------------------
    signed = sign_pdf(pdf_a, right)
    redirected = pdfs.metadata_update(
        signed, {"/MailflowDocId": doc_uid(runner, second), "/Subject": f"Tanggapan aduan {second}"}
    )
    runner.clock.set(runner.clock.now() + timedelta(minutes=10))
    return_signed(runner, mail_a, redirected, "surat_A_ttd_final.pdf")
    runner.clock.set(runner.clock.now() + timedelta(minutes=10))
    runner.answer(Answer("", "A", 10, "kabid_ikp", "SETUJU"))
    runner.pump()
    runner.clock.set(runner.clock.now() + timedelta(minutes=10))
    runner.answer(Answer("", "A", 11, "admin_lapor", "KIRIM"))
    runner.pump()
    (answer,) = [m for m in (r.message for r in runner.smtp.inbox(SITI)) if "Jawaban" in str(m["Subject"])]
    assert first in str(answer["Subject"])
    (attached,) = [bytes(p.get_payload(decode=True) or b"") for p in answer.iter_attachments()]
    assert redirected.startswith(signed) and len(redirected) > len(signed)
    assert attached == signed  # the signed revision, byte for byte: the appended update is gone
    metadata = PdfReader(io.BytesIO(attached)).metadata or {}
    assert metadata.get("/MailflowDocId") == doc_uid(runner, first)
    assert second not in str(dict(metadata)) and doc_uid(runner, second) not in str(dict(metadata))
    with runner.app.database.reader() as session:
        statuses = dict(session.execute(select(Case.number, Case.status)).all())
    assert statuses == {first: "closed", second: "open"}
