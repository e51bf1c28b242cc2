"""The demo's end checks: every scripted case reached its expected state, its branches happened,
photos reached the officials, and a rahasia complainant's identity never left Diskominfo."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseAnswer, CaseRoute, Complainant, Document
from mailflow.adapters.pdf_text import pdf_text
from mailflow.bootstrap import App
from mailflow.demo.mailserver import SmtpServer
from mailflow.demo.photos import identifying_exif
from mailflow.demo.plain_pdf import docx_lines
from mailflow.demo.scenario import COMPLAINTS, Complaint
from mailflow.i18n import translate


class DemoChecks:
    """`scratch` is a folder for the attached letters whose text is read."""

    def __init__(self, app: App, smtp: SmtpServer, scratch: Path, *, scripted: bool) -> None:
        self.app = app
        self.smtp = smtp
        self.scratch = scratch
        self.scripted = scripted

    def run(self, numbers: dict[str, str], played: set[str]) -> list[str]:
        """The problems found in the cases of the scenario keys `played` (numbers: key -> case)."""
        problems: list[str] = []
        with self.app.database.reader() as session:
            for complaint in (c for c in COMPLAINTS if c.key in played):
                number = numbers.get(complaint.key)
                case = session.execute(select(Case).where(Case.number == number)).scalar_one_or_none()
                if case is None:
                    problems.append(f"{complaint.key}: no case registered")
                    continue
                if case.status != complaint.expect:
                    problems.append(f"{number}: status {case.status}, expected {complaint.expect}")
                if case.track != complaint.expect_track:
                    problems.append(f"{number}: track {case.track}, expected {complaint.expect_track}")
                if complaint.confidential:
                    self._check_redacted(case, complaint, problems)
                if case.language != complaint.language:
                    problems.append(f"{number}: language {case.language}, expected {complaint.language}")
                if complaint.photos:
                    self._check_photos(case, complaint, problems)
                if self.scripted:  # the scripted scenes; auto officials never branch
                    self._check_branches(session, case, complaint, problems)
        return problems

    def _check_branches(
        self, session: Session, case: Case, complaint: Complaint, problems: list[str]
    ) -> None:
        """The branches the script plays happened (issue 13): declined routes, revisions, answers."""
        returned = tuple(
            session.execute(
                select(CaseRoute.opd_code).where(CaseRoute.case_id == case.id, CaseRoute.status == "returned")
            ).scalars()
        )
        if returned != complaint.expect_returned:
            problems.append(
                f"{case.number}: returned routes {returned}, expected {complaint.expect_returned}"
            )
        revisions = session.execute(
            select(Document.id).where(
                Document.case_id == case.id, Document.kind == "surat_tanggapan", Document.revision > 0
            )
        ).all()
        if len(revisions) != complaint.expect_revisions:
            problems.append(
                f"{case.number}: {len(revisions)} revised letters, expected {complaint.expect_revisions}"
            )
        answers = dict(
            session.execute(
                select(CaseAnswer.question, CaseAnswer.verb).where(CaseAnswer.case_id == case.id)
            ).all()
        )
        expected = {
            question: verb
            for question, verb in (
                ("satisfaction", complaint.expect_satisfaction),
                ("resolved", complaint.expect_resolved),
            )
            if verb is not None
        }
        if answers != expected:
            problems.append(f"{case.number}: answers {answers}, expected {expected}")

    def _check_photos(self, case: Case, complaint: Complaint, problems: list[str]) -> None:
        """The complainant's photos reached the Kabid IKP (step 2) and the OPD (step 5) attached
        (issue 14); for a confidential case _check_redacted scans their metadata too."""
        for step, role in ((2, "the Kabid IKP"), (5, "the OPD")):
            mails = [
                r
                for r in self.smtp.all_received()
                if r.message["X-Mailflow-Case"] == case.number and r.message["X-Mailflow-Step"] == str(step)
            ]
            images = [
                p for r in mails for p in r.message.iter_attachments() if p.get_content_maintype() == "image"
            ]
            if len(images) < len(complaint.photos):
                problems.append(f"{case.number}: {role} got {len(images)} photo(s) at step {step}")
        if complaint.language != "id":
            answers = [
                r
                for r in self.smtp.inbox(complaint.address)
                if case.number in str(r.message["Subject"])
                and translate("engine.subject.answer", complaint.language) in str(r.message["Subject"])
            ]
            if not answers:
                problems.append(f"{case.number}: no answer in {complaint.language} to {complaint.address}")

    def _check_redacted(self, case: Case, complaint: Complaint, problems: list[str]) -> None:
        """What reached anyone outside Diskominfo, decoded (bodies, letters), holds no identity."""
        with self.app.database.reader() as session:
            person = session.get(Complainant, case.complainant_id) if case.complainant_id else None
            confidentiality = person.confidentiality if person else None
        if confidentiality != "rahasia":
            problems.append(f"{case.number}: not registered as rahasia")
            return
        kominfo = self.app.directory.diskominfo
        internal = {
            self.app.directory.person(p).email for p in (*kominfo.admin, kominfo.ikp, kominfo.pimpinan)
        }
        secrets = (complaint.name, complaint.address, "0813-5566-7788", "Hartanto")
        checked = 0
        for received in self.smtp.all_received():
            if received.to in internal or received.to == complaint.address:
                continue
            if received.message["X-Mailflow-Case"] != case.number:
                continue
            checked += 1
            text = visible_text(received.message, self.scratch)
            problems.extend(f"{case.number}: {s!r} reached {received.to}" for s in secrets if s in text)
            # issue 14: the photos' own metadata and names are checked too (EXIF owner, GPS)
            for part in received.message.iter_attachments():
                if part.get_content_maintype() != "image":
                    continue
                name = str(part.get_filename() or "")
                problems.extend(
                    f"{case.number}: {s!r} in the name of a file sent to {received.to}"
                    for s in (*secrets, *complaint.name.split())
                    if s.lower() in name.lower()
                )
                found = identifying_exif(bytes(part.get_payload(decode=True) or b""))
                problems.extend(f"{case.number}: {f} in a photo sent to {received.to}" for f in found)
        if checked == 0:
            problems.append(f"{case.number}: no OPD mail to check for redaction")


def visible_text(message: EmailMessage, scratch: Path) -> str:
    """Headers, every decoded text part and the text of attached letters (DOCX, PDF)."""
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        payload = bytes(part.get_payload(decode=True) or b"")
        if name.endswith((".docx", ".pdf")):
            scratch.mkdir(parents=True, exist_ok=True)
            path = scratch / f"check{Path(name).suffix}"
            path.write_bytes(payload)
            parts.append(" ".join(docx_lines(path)) if name.endswith(".docx") else pdf_text(path))
        elif part.get_content_maintype() == "text":
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)
