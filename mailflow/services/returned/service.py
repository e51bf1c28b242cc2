"""Signed response letters coming back (SOP steps 8 and 9): one path for mail and folder.

    service = ReturnedLetterService(engine)
    service.from_reply(session, message, inbound, event, now)   # the reply processor, step 8
    service.from_file(session, path, now)                        # a file in a watched folder

Each file: content hash -> `returned_files` row (unique hash: a file is decided once; the same
bytes again get the first answer) -> the letter it names (document id from the signed revision or
the page, see services.returned.inspection) -> pyHanko's verdict and the expected signer
(domain.signatures) -> accepted: the signed revision (the file as its last signer signed it,
without anything appended later) stored beside the case as a `surat_tanggapan_ttd` document, and
the engine finishes steps 8 and 9 and notifies the next actor; refused: nothing advances, a
quarantine row, an audit entry, the row names its case and route (so `mailflow case` shows the
refusal at step 8), and an explanation naming the case and each refused file
(services.returned.notices, bounded per address and hour): by mail to the sender, per reply; from a
watched folder to the head who must sign, while the letter still waits. A refused reply is
reported to the reply processor as "quarantined" with the reason, whatever the reason.
Everything happens in the caller's transaction, so the decision and its effects commit together.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import (
    Case,
    Document,
    Message,
    QuarantineItem,
    ReturnedFile,
    StepEvent,
)
from mailflow.adapters.durable import SyncRound
from mailflow.adapters.letter_store import LetterStore, safe_component
from mailflow.adapters.pdf_signatures import TrustStore
from mailflow.config.model import Settings
from mailflow.domain import signatures as sig
from mailflow.domain.directory import Directory
from mailflow.domain.documents import ID_SPACE, DocumentKind, DocumentStatus, make_doc_id
from mailflow.domain.inbound import AttachmentInfo, InboundMail
from mailflow.domain.safe_text import escape
from mailflow.domain.sop import Sop
from mailflow.domain.workflow import Refusal, Transition
from mailflow.i18n import translate
from mailflow.services.audit import audit
from mailflow.services.conversation.answers import ReplyOutcome
from mailflow.services.conversation.mails import ConversationMails
from mailflow.services.returned.finder import EMPTY_VALUES, LetterFinder, LetterMatch, signature_detail
from mailflow.services.returned.inspection import Inspection, inspect_path, inspect_pdf
from mailflow.services.returned.notices import RefusalNotices
from mailflow.services.returned.outcome import ReturnedOutcome

log = logging.getLogger("mailflow.returned")
# folder refusals the head is not told about: the letter no longer waits for this file
_NOT_TOLD = frozenset({sig.NOT_WAITING, sig.SUPERSEDED, sig.DUPLICATE})


@dataclass(frozen=True)
class Source:
    """Where a returned file came from."""

    kind: str  # "mail" / "folder"
    path: Path | None  # None: an attachment refused before it was stored (too large)
    original_name: str | None = None
    sender: str | None = None  # the mail's From (mail only)
    message_id: int | None = None
    route_id: int | None = None  # mail: the route whose step 8 the reply answers
    case_id: int | None = None  # mail: that route's case

    @property
    def name(self) -> str:
        return self.original_name or (self.path.name if self.path else "-")


def trust_store(settings: Settings) -> TrustStore:
    """The configured trust roots; relative paths are relative to the config file."""
    section = settings.signatures

    def absolute(paths: Sequence[Path]) -> list[Path]:
        return [p if p.is_absolute() else settings.base_dir / p for p in paths]

    return TrustStore.from_files(
        absolute(section.trust_roots), absolute(section.intermediates), allow_fetching=section.allow_fetching
    )


class SignedLetters(Protocol):
    """The conversation engine as this service uses it: a signed letter came back."""

    def letter_signed(
        self,
        session: Session,
        letter: Document,
        signer: str,
        now: datetime,
        *,
        by: str,
        signed_document_id: int | None = None,
        message_id: int | None = None,
        locked_case: Case | None = None,
    ) -> Transition | Refusal: ...


class ReturnedLetterService:
    def __init__(
        self,
        *,
        settings: Settings,
        directory: Directory,
        sop: Sop,
        engine: SignedLetters,
        mails: ConversationMails,
        trust: TrustStore | None = None,
        random_below: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.directory = directory
        self.trust = trust if trust is not None else trust_store(settings)
        self.notices = RefusalNotices(
            mails=mails, directory=directory, sop=sop, per_hour=settings.signatures.max_explanations_per_hour
        )
        self.policy = sig.Policy(self.settings.signatures.policy)
        self.store = LetterStore(self.settings.paths.letters)
        self.zone = ZoneInfo(self.settings.general.timezone)
        self.lang = self.settings.general.language
        self.max_bytes = int(self.settings.limits.max_attachment_mb * 1024 * 1024)
        self.letters = LetterFinder(
            self.directory,
            accept_delegates=self.settings.signatures.accept_delegates,
            signature_steps=tuple(s.number for s in sop.signature_steps()),
        )
        self._random_below = random_below

    # --- entry points ------------------------------------------------------------------------

    def inspect(self, data: bytes) -> Inspection:
        """Read a file's signatures and document id; no database (run it outside transactions)."""
        return inspect_pdf(data, self.trust, max_bytes=self.max_bytes)

    def inspector(self) -> Callable[[tuple[str, str]], Inspection | None]:
        """`inspect` of a file named by its path and hash, as a picklable function for worker
        processes (services.returned.inspection.inspect_path)."""
        return partial(inspect_path, trust=self.trust, max_bytes=self.max_bytes)

    def from_file(
        self,
        session: Session,
        path: Path,
        now: datetime,
        *,
        data: bytes | None = None,
        inspection: Inspection | None = None,
    ) -> ReturnedOutcome:
        """A file from a watched folder (the watcher moves it afterwards, by the outcome)."""
        data = path.read_bytes() if data is None else data
        inspection = inspection or self.inspect(data)
        return self.record(session, Source("folder", path, path.name), inspection, data, now)

    def from_reply(
        self, session: Session, message: Message, inbound: InboundMail, event: StepEvent, now: datetime
    ) -> ReplyOutcome:
        """An authorised reply at a signature step with PDF attachments (the reply processor's
        ReturnedLetters)."""
        sender = (inbound.from_addr or "").strip().lower() or None
        outcomes: list[ReturnedOutcome] = []
        for attachment in (a for a in inbound.attachments if _is_pdf(a)):
            outcome = self._attachment(session, message, attachment, sender, event, now)
            if outcome.accepted and outcome.status == "accepted":
                return ReplyOutcome("applied", outcome.code, outcome.note)
            outcomes.append(outcome)
        refused = [o for o in outcomes if not o.accepted]
        if not refused:  # only copies of a file accepted before: nothing refused, nothing to do twice
            if not outcomes:
                outcomes = [self._outcome_only(sig.UNSIGNED, event.case_id)]
                refused = outcomes
            else:
                self.notices.explain(session, message, sender, event, outcomes, now)
                return ReplyOutcome("answered", outcomes[0].code, outcomes[0].note)
        self.notices.explain(session, message, sender, event, refused, now)
        best = next((o for o in refused if o.letter_id is not None), refused[0])
        return ReplyOutcome("quarantined", best.code, best.note)

    def _attachment(
        self,
        session: Session,
        message: Message,
        attachment: AttachmentInfo,
        sender: str | None,
        event: StepEvent,
        now: datetime,
    ) -> ReturnedOutcome:
        path = Path(attachment.stored_path) if attachment.stored_path else None
        source = Source(
            "mail", path, attachment.original_name, sender, message.id, event.route_id, event.case_id
        )
        if path is None:  # refused by the MIME layer for its size: recorded all the same
            detail = attachment.refused_reason or "-"
            digest = attachment.sha256 or _marker(f"unstored:{message.id}:{attachment.position}")
            refused = Inspection(digest, attachment.size, error_code=sig.TOO_LARGE, error=detail)
            return self.record(session, source, refused, b"", now)
        data = path.read_bytes()
        return self.record(session, source, self.inspect(data), data, now)

    # --- the one path ------------------------------------------------------------------------

    def record(
        self,
        session: Session,
        source: Source,
        inspection: Inspection,
        data: bytes,
        now: datetime,
        round_: SyncRound | None = None,
        *,
        unknown: bool = False,
    ) -> ReturnedOutcome:
        """Decide about one inspected file and carry the decision out, in `session` (`round_`: the
        signed copy is made durable by that round, which the caller runs before committing).
        `unknown`: the caller found no row of this hash in this transaction (a burst looks its
        hashes up in one query); a row inserted by another process since still meets the unique
        hash, and the caller's transaction fails instead of deciding the file twice."""
        if not unknown:
            prior = session.execute(
                select(ReturnedFile).where(ReturnedFile.sha256 == inspection.sha256)
            ).scalar_one_or_none()
            if prior is not None:
                return self.duplicate(prior, source)
        row = ReturnedFile(
            sha256=inspection.sha256,
            source=source.kind,
            original_name=source.name[:500],
            stored_path=str(source.path) if source.path else None,
            sender=source.sender,
            message_id=source.message_id,
            case_id=source.case_id,
            route_id=source.route_id,
            status="received",
            created_at=now,
        )
        session.add(row)
        session.flush()
        if inspection.error_code:
            verdict = sig.Verdict(False, inspection.error_code, detail=inspection.error)
            return self._refuse(session, row, source, verdict, None, now)
        letter, found, how = self.letters.find(session, inspection)
        verdict = sig.decide(
            self._facts(inspection, letter, found, how),
            letter.expected if letter else (),
            self.policy,
            sender=source.sender if source.kind == "mail" else None,
            scan_senders=letter.scan_senders if letter else (),
        )
        if not verdict.accepted:
            return self._refuse(session, row, source, verdict, letter, now)
        assert letter is not None
        problem = self.letters.problem(session, letter, source.route_id)
        if problem is not None:
            return self._refuse(session, row, source, sig.Verdict(False, problem), letter, now)
        matched = replace(inspection, matched_by=how)
        return self._accept(session, row, source, matched, data, letter, verdict, now, round_)

    def _facts(self, inspection: Inspection, letter: LetterMatch | None, found: int, how: str) -> sig.Facts:
        missing: tuple[str, ...] = ()
        if letter is not None and inspection.signed and not sig.is_scan_like(inspection.text):
            # a signed scan has no text to compare: its QR code in the signed bytes names it
            missing = sig.missing_in_text(inspection.text, (letter.document.number or "", letter.case.number))
        return sig.Facts(
            signatures=inspection.signatures,
            letter_found=letter is not None,
            ambiguous=found > 1,
            matched_by=how,
            missing_in_text=missing,
            scan_like=inspection.scan_like,
        )

    # --- effects -------------------------------------------------------------------------------

    def _accept(
        self,
        session: Session,
        row: ReturnedFile,
        source: Source,
        inspection: Inspection,
        data: bytes,
        letter: LetterMatch,
        verdict: sig.Verdict,
        now: datetime,
        round_: SyncRound | None = None,
    ) -> ReturnedOutcome:
        doc_uid = self._new_doc_id(session)
        year = letter.case.received_at.astimezone(self.zone).year
        number = safe_component(letter.document.number or "")
        name = f"{DocumentKind.SIGNED_RESPONSE.value}_{number}_{doc_uid}.pdf"
        kept = inspection.kept(data)
        stored = self.store.write(self.store.folder(year, letter.case.number) / name, kept, round_)
        signer_person = verdict.signer
        sender_person = self.directory.person_by_email(source.sender) if source.sender else None
        if verdict.code == "scan":
            label = f"{sender_person.name if sender_person else source.sender} <{source.sender}> (scan)"
            by = source.sender or "system"
            signed_at = now
        else:
            assert signer_person is not None and verdict.signature is not None
            label = sig.signer_label(verdict)
            by = signer_person.addresses[0]
            signed_at = verdict.signature.signed_at or now
        document = Document(
            doc_uid=doc_uid,
            case_id=letter.case.id,
            route_id=letter.route.id,
            parent_id=letter.document.id,
            kind=DocumentKind.SIGNED_RESPONSE.value,
            audience=letter.document.audience,
            number=letter.document.number,
            unit=letter.document.unit,
            pdf_path=str(stored.path),
            pdf_sha256=stored.sha256,
            status=DocumentStatus.SIGNED.value,
            signature_status="valid" if verdict.code == "signed" else "scan",
            signer=label,
            signed_at=signed_at,
            signature_detail=json.dumps(
                {
                    **signature_detail(inspection, verdict, row.id, source.kind, source.sender),
                    "received_sha256": inspection.sha256,
                    "removed_after_signing": len(data) - len(kept),
                },
                ensure_ascii=False,
                default=str,
            ),
            source_message_id=source.message_id,
            created_at=now,
        )
        session.add(document)
        session.flush()
        result = self.engine.letter_signed(
            session,
            letter.document,
            label,
            now,
            by=by,
            signed_document_id=document.id,
            message_id=source.message_id,
            locked_case=letter.case,  # locked by the finder (LetterFinder._match)
        )
        if isinstance(result, Refusal):  # the checks above make this a race lost to another worker
            session.delete(document)
            session.flush()
            if round_ is not None:
                round_.forget(stored.path)
            stored.path.unlink(missing_ok=True)
            return self._refuse(session, row, source, sig.Verdict(False, result.code), letter, now)
        letter.document.signature_status = "signed"
        row.status, row.document_id, row.processed_at = "accepted", document.id, now
        row.case_id, row.route_id = letter.case.id, letter.route.id
        row.stored_path, row.reason = str(stored.path), None
        values = self.letters.values(letter, verdict, source.sender)
        note = translate("signatures.accepted", self.lang, **values)
        self._audit(session, now, by, "signature.accepted", letter, source, document.id, {"signer": label})
        log.info("returned file %s accepted: %s", row.id, note)
        return ReturnedOutcome(
            "accepted",
            verdict.code,
            True,
            note,
            row.id,
            letter.document.id,
            document.id,
            letter.case.id,
            values=values,
            file_name=source.name,
        )

    def _refuse(
        self,
        session: Session,
        row: ReturnedFile,
        source: Source,
        verdict: sig.Verdict,
        letter: LetterMatch | None,
        now: datetime,
    ) -> ReturnedOutcome:
        values = self.letters.values(letter, verdict, source.sender)
        reason = translate(f"signatures.reason.{verdict.code}", self.lang, **values)
        row.status, row.processed_at = "rejected", now
        row.reason = f"{verdict.code}: {reason}"
        row.document_id = letter.document.id if letter else None
        if row.case_id is None and letter is not None:  # a reply keeps the case it answered
            row.case_id, row.route_id = letter.case.id, letter.route.id
        session.add(
            QuarantineItem(
                kind="file",
                message_id=source.message_id,
                returned_file_id=row.id,
                path=str(source.path) if source.path else None,
                reason_code=verdict.code[:40],
                reason=f"{reason}\n{verdict.detail}".strip(),
                created_at=now,
                retries=0,
            )
        )
        detail = {"code": verdict.code, "detail": verdict.detail, "returned_file": row.id}
        actor = source.sender or source.kind
        self._audit(session, now, actor, "signature.refused", letter, source, None, detail, row.case_id)
        log.warning(
            "returned file %s (%s) refused: %s %s",
            row.id,
            escape(source.name, limit=120),
            verdict.code,
            escape(verdict.detail, limit=300),
        )
        note = (
            translate("signatures.rejected", self.lang, reason=reason)
            + f"\n\n[{verdict.code}] sha256={row.sha256}"
        )
        outcome = ReturnedOutcome(
            "rejected",
            verdict.code,
            False,
            note,
            row.id,
            letter.document.id if letter else None,
            None,
            row.case_id,
            security=verdict.security,
            values=values,
            file_name=source.name,
        )
        if source.kind == "folder" and letter is not None and verdict.code not in _NOT_TOLD:
            self.notices.tell_signer(session, letter, outcome, now)  # nobody sent it: the head is told
        return outcome

    def duplicate(self, prior: ReturnedFile, source: Source | None = None) -> ReturnedOutcome:
        """The same bytes again: the first decision stands (nothing is decided or done twice)."""
        earlier = prior.reason or prior.status
        values = {**EMPTY_VALUES, "detail": earlier}
        note = translate("signatures.reason.duplicate", self.lang, **values)
        accepted = prior.status == "accepted"
        name = source.name if source else prior.original_name
        return ReturnedOutcome(
            "duplicate", sig.DUPLICATE, accepted, note, prior.id, values=values, file_name=name
        )

    def _outcome_only(self, code: str, case_id: int | None, *, detail: str = "") -> ReturnedOutcome:
        """A refusal with no file to record (e.g. the attachment was refused for its size)."""
        values = {**EMPTY_VALUES, "detail": detail}
        note = translate(f"signatures.reason.{code}", self.lang, **values)
        return ReturnedOutcome("rejected", code, False, note, case_id=case_id, values=values)

    # --- helpers ---------------------------------------------------------------------------------

    def _new_doc_id(self, session: Session) -> str:
        for _ in range(8):
            candidate = make_doc_id(self._random_below(ID_SPACE))
            if session.execute(select(Document.id).where(Document.doc_uid == candidate)).first() is None:
                return candidate
        raise RuntimeError("no free document id after 8 draws: the random source is broken")

    def _audit(
        self,
        session: Session,
        now: datetime,
        actor: str,
        action: str,
        letter: LetterMatch | None,
        source: Source,
        document_id: int | None,
        detail: dict[str, Any],
        case_id: int | None = None,
    ) -> None:
        audit(
            session,
            now,
            actor[:320],
            action,
            case_id=case_id or (letter.case.id if letter else None),
            message_id=source.message_id,
            document_id=document_id or (letter.document.id if letter else None),
            detail={"source": source.kind, **detail},
        )


def _is_pdf(attachment: AttachmentInfo) -> bool:
    return attachment.content_type == "application/pdf" or attachment.extension == "pdf"


def _marker(text: str) -> str:
    """A stand-in content hash for a file whose bytes were never stored."""
    return hashlib.sha256(text.encode()).hexdigest()
