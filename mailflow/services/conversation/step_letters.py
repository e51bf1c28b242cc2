"""The letters a transition makes and the letters a step's mail carries.

Which letter a step makes is the SOP file's business (a step's `letter`, made when it is completed
going forward); what goes into it beyond the case comes from the route (the head's instruction,
the drafted response) and from the step the letter starts, whose deadline it states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Document
from mailflow.domain.calendar import BusinessCalendar
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.letters import CASE_LEVEL, ROUTE_LEVEL
from mailflow.domain.mail import AttachmentRef
from mailflow.domain.sop import Sop, Track
from mailflow.domain.workflow import MakeLetter
from mailflow.services.conversation.evidence import Evidence
from mailflow.services.conversation.records import SYSTEM, CaseRecords, suggested_opds

KIND_LABELS = {
    DocumentKind.NOTA_DINAS: "Nota dinas",
    DocumentKind.LEMBAR_DISPOSISI: "Lembar disposisi",
    DocumentKind.SURAT_TANGGAPAN: "Konsep surat tanggapan",
    DocumentKind.SIGNED_RESPONSE: "Surat tanggapan (ditandatangani)",
}


class LetterMaker(Protocol):
    """The letters service (services.letters) as the conversation uses it."""

    def create(
        self,
        session: Session,
        kind: DocumentKind,
        case: Case,
        route: CaseRoute | None,
        audience: Audience,
        now: datetime,
        extra: Mapping[str, Any],
    ) -> Document: ...


class StepLetters:
    def __init__(
        self,
        sop: Sop,
        calendar: BusinessCalendar,
        records: CaseRecords,
        maker: LetterMaker | None,
        evidence: Evidence | None = None,
    ) -> None:
        self.sop = sop
        self.calendar = calendar
        self.records = records
        self.maker = maker  # None: letters are not generated (tests of the conversation alone)
        self.evidence = evidence  # the complainant's files, counted on the letter ("Lampiran")

    def make(
        self,
        session: Session,
        case: Case,
        letter: MakeLetter,
        route: CaseRoute | None,
        routes: Sequence[CaseRoute],
        now: datetime,
    ) -> Document | None:
        if self.maker is None:
            return None
        extra = self._extra(session, case, letter, route, routes, now)
        document = self.maker.create(session, letter.kind, case, route, letter.audience, now, extra)
        self.records.audit(
            session,
            now,
            SYSTEM,
            "letter.created",
            case_id=case.id,
            detail={"kind": letter.kind.value, "number": document.number, "doc": document.doc_uid},
        )
        return document

    def _extra(
        self,
        session: Session,
        case: Case,
        letter: MakeLetter,
        route: CaseRoute | None,
        routes: Sequence[CaseRoute],
        now: datetime,
    ) -> dict[str, Any]:
        """What the letters service needs beyond the case (see services.letters)."""
        extra: dict[str, Any] = {}
        if letter.next_step is not None:  # the letter states the deadline of the step it starts
            limit = self.sop.step(letter.next_step).limit_for(Track(case.track))
            extra["batas_waktu"] = self.calendar.add(now, limit)
        if letter.kind in (DocumentKind.NOTA_DINAS, DocumentKind.LEMBAR_DISPOSISI) and self.evidence:
            files = len(self.evidence.of_case(session, case).sendable)
            if files:  # the letter goes with the complainant's files: "Lampiran: 2 berkas"
                extra["lampiran"] = f"{files} berkas"
        if letter.kind is DocumentKind.NOTA_DINAS:
            extra["opd_usulan"] = list(suggested_opds(case))
        elif letter.kind is DocumentKind.LEMBAR_DISPOSISI and route is None:
            extra.update(
                level=CASE_LEVEL, diteruskan_kepada=[r.opd_code for r in routes], waktu_disposisi=now
            )
        elif letter.kind is DocumentKind.LEMBAR_DISPOSISI and route is not None:
            extra.update(
                level=ROUTE_LEVEL,
                diteruskan_kepada=[route.bidang_code] if route.bidang_code else [],
                arahan=route.instruction or "",
                waktu_disposisi=now,
            )
        elif letter.kind is DocumentKind.SURAT_TANGGAPAN and route is not None:
            extra["isi_tanggapan"] = route.response_text or ""
            if letter.revision:  # sent back and drafted again: the same letter, next revision
                earlier = self.records.letter_for(session, case, route, letter.kind)
                if earlier:
                    extra["revisi_dari"] = earlier[0].id
        return extra

    def attachments(
        self,
        session: Session,
        case: Case,
        route: CaseRoute | None,
        kinds: Sequence[DocumentKind],
        routes: Sequence[CaseRoute] | None = None,
    ) -> tuple[list[AttachmentRef], list[str]]:
        """The attachments of a step's mail (DOCX and PDF of each letter; the PDF of a signed one)
        and their names as the mail lists them. `routes`: every route of the case, when the
        caller holds them."""
        refs: list[AttachmentRef] = []
        names: list[str] = []
        for kind in kinds:
            for document in self.records.letter_for(session, case, route, kind, routes):
                variant = "pdf" if kind is DocumentKind.SIGNED_RESPONSE else "both"
                refs.append(AttachmentRef(document_id=document.id, variant=variant))
                names.append(f"{KIND_LABELS.get(kind, kind.value)} {document.number or document.doc_uid}")
        return refs, names
