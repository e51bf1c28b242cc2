"""Which letter a returned file is, who must sign it, and whether it may be signed now.

The letter is a `surat_tanggapan` row whose document id the file carries. Its signers: the head
(KEPALA_OPD) of its OPD from the directory, the person the signature step's mail went to if the directory
changed since, and (signatures.accept_delegates) their delegates, e.g. the Sekretaris signing
"a.n." the head. A scan is accepted from their addresses or the OPD's own mailbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Document, StepEvent
from mailflow.domain import signatures as sig
from mailflow.domain.directory import Directory, Person
from mailflow.domain.documents import DocumentKind
from mailflow.services.conversation.records import CaseRecords
from mailflow.services.returned.inspection import Inspection

log = logging.getLogger("mailflow.returned")
EMPTY_VALUES = {"number": "-", "case": "-", "signer": "-", "expected": "-", "detail": "-", "sender": "-"}


@dataclass(frozen=True)
class LetterMatch:
    document: Document
    case: Case
    route: CaseRoute
    expected: tuple[sig.ExpectedSigner, ...]
    scan_senders: tuple[str, ...]


class LetterFinder:
    def __init__(
        self, directory: Directory, *, accept_delegates: bool, signature_steps: tuple[int, ...]
    ) -> None:
        self.directory = directory
        self.accept_delegates = accept_delegates
        self.signature_steps = signature_steps  # the SOP's steps completed by a signed letter

    def find(self, session: Session, inspection: Inspection) -> tuple[LetterMatch | None, int, str]:
        """The one letter the file names, how many distinct letters it names, and how it was
        found: by document id (text, metadata, QR), else, for a text without any id (a letter
        retyped before signing), by its number and case number among the letters waiting for a
        signature."""
        if inspection.doc_ids:
            rows = list(
                session.execute(
                    select(Document).where(
                        Document.doc_uid.in_(inspection.doc_ids),
                        Document.kind == DocumentKind.SURAT_TANGGAPAN.value,
                    )
                ).scalars()
            )
            how = inspection.matched_by
        elif inspection.text.strip():
            rows, how = self._by_number(session, inspection.text), "number"
        else:
            return None, 0, ""
        if len(rows) != 1 or rows[0].case_id is None or rows[0].route_id is None:
            return None, len(rows), how
        match = self._match(session, rows[0])
        return match, (1 if match else 0), how

    def _by_number(self, session: Session, text: str) -> list[Document]:
        waiting = session.execute(
            select(Document, Case.number)
            .join(Case, Case.id == Document.case_id)
            .join(StepEvent, StepEvent.route_id == Document.route_id)
            .where(
                Document.kind == DocumentKind.SURAT_TANGGAPAN.value,
                StepEvent.step.in_(self.signature_steps),
                StepEvent.finished_at.is_(None),
            )
        ).all()
        found = [
            document
            for document, case_number in waiting
            if document.number and not sig.missing_in_text(text, (document.number, case_number))
        ]
        return list({d.id: d for d in found}.values())

    def _match(self, session: Session, document: Document) -> LetterMatch | None:
        # locked here, before anything of the case is read, and held to the commit: `problem` and
        # the engine's transition rely on this lock instead of taking it again
        case = CaseRecords.lock_or_none(session, document.case_id)
        route = session.get(CaseRoute, document.route_id)
        if case is None or route is None:
            return None
        expected = self.expected(session, route)
        senders = [a for person in expected for a in person.addresses]
        mailbox = self.directory.opd(route.opd_code).mailbox
        if mailbox:
            senders.append(str(mailbox).lower())
        return LetterMatch(document, case, route, expected, tuple(dict.fromkeys(senders)))

    def expected(self, session: Session, route: CaseRoute) -> tuple[sig.ExpectedSigner, ...]:
        heads = [self.directory.person(self.directory.opd(route.opd_code).kepala)]
        asked = session.execute(
            select(StepEvent.actor_person)
            .where(StepEvent.route_id == route.id, StepEvent.step.in_(self.signature_steps))
            .order_by(StepEvent.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if asked and asked != heads[0].id:
            try:
                heads.append(self.directory.person(asked))
            except KeyError:
                log.warning("the signature step of route %s names unknown person %s", route.id, asked)
        people: list[tuple[Person, bool]] = [(p, False) for p in heads]
        if self.accept_delegates:
            for head in heads:
                people.extend((self.directory.person(d), True) for d in head.delegates)
        seen: dict[str, sig.ExpectedSigner] = {}
        for person, delegate in people:
            seen.setdefault(person.id, _expected_signer(person, delegate))
        return tuple(seen.values())

    def problem(self, session: Session, match: LetterMatch, route_id: int | None) -> str | None:
        """Why this letter cannot be signed now: another route than the mail asked about, a newer
        draft exists, or its signature step is not open (already signed, or the case moved on)."""
        if route_id is not None and match.route.id != route_id:
            return sig.OTHER_LETTER
        # the case row was locked by `find` (see _match): the checks below hold until the commit.
        # The newest draft is looked up by the case too: documents are indexed by case, not by
        # route (without it SQLite walks back from the newest document until it meets this route).
        latest = session.execute(
            select(func.max(Document.id)).where(
                Document.case_id == match.case.id,
                Document.route_id == match.route.id,
                Document.kind == DocumentKind.SURAT_TANGGAPAN.value,
            )
        ).scalar_one()
        if latest != match.document.id:
            return sig.SUPERSEDED
        waiting = CaseRecords.open_on_route(session, match.route.id, self.signature_steps)
        return None if waiting else sig.NOT_WAITING

    def values(self, match: LetterMatch | None, verdict: sig.Verdict, sender: str | None) -> dict[str, str]:
        """The placeholders of the signatures.* texts."""
        values = dict(EMPTY_VALUES)
        values["detail"] = verdict.detail or "-"
        values["sender"] = sender or "-"
        if verdict.signature is not None:
            values["signer"] = verdict.signature.signer.common_name or verdict.signature.signer.subject
        if verdict.signer is not None:
            values["signer"] = sig.signer_label(verdict)
        if match is not None:
            values["number"] = match.document.number or match.document.doc_uid
            values["case"] = match.case.number
            heads = [self._named(p) for p in match.expected if not p.delegate]
            values["expected"] = ", ".join(heads) or "-"
            if verdict.code == sig.SCAN_WRONG_SENDER:
                values["expected"] = ", ".join(match.scan_senders)
        return values

    def _named(self, signer: sig.ExpectedSigner) -> str:
        jabatan = self.directory.person(signer.person_id).jabatan
        return f"{signer.name} ({jabatan})" if jabatan else signer.name


def _expected_signer(person: Person, delegate: bool) -> sig.ExpectedSigner:
    return sig.ExpectedSigner(
        person_id=person.id,
        name=person.name,
        addresses=person.addresses(),
        certificate_names=person.certificate_names,
        nip=person.nip,
        delegate=delegate,
    )


def signature_detail(
    inspection: Inspection, verdict: sig.Verdict, returned_file_id: int, source: str, sender: str | None
) -> dict[str, Any]:
    """What `documents.signature_detail` keeps of a signed letter (JSON)."""
    return {
        "via": "digital" if verdict.code == "signed" else "scan",
        "matched_by": inspection.matched_by,
        "returned_file_id": returned_file_id,
        "source": source,
        "sender": sender,
        "signer_person": verdict.signer.person_id if verdict.signer else None,
        "delegate": verdict.signer.delegate if verdict.signer else False,
        "signatures": [
            {
                "field": c.field_name,
                "subject": c.signer.subject,
                "common_name": c.signer.common_name,
                "emails": list(c.signer.emails),
                "issuer": c.signer.issuer,
                "fingerprint": c.signer.fingerprint,
                "intact": c.intact,
                "valid": c.valid,
                "trusted": c.trusted,
                "bottom_line": c.bottom_line,
                "coverage": c.coverage,
                "modification_level": c.modification_level,
                "signed_at": c.signed_at,
            }
            for c in inspection.signatures
        ],
    }
