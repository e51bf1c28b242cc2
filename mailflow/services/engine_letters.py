"""The engine's letters: which letter a step makes, with what the letters service needs, and
which letters a step's mail carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.models import Case, CaseRoute, Document
from mailflow.domain.documents import DocumentKind
from mailflow.domain.mail import AttachmentRef
from mailflow.domain.sop import Track
from mailflow.domain.workflow import (
    MakeLetter,
)
from mailflow.services.engine_state import Act, EngineState, route_row


class EngineLetters(EngineState):
    def _letter(
        self,
        session: Session,
        case: Case,
        letter: MakeLetter,
        routes: Mapping[str, CaseRoute],
        now: datetime,
    ) -> Document | None:
        if self.letters is None:
            return None
        route = route_row(letter.route, routes, session)
        extra = self._letter_extra(case, letter.kind, route, routes, now)
        document = self.letters.create(session, letter.kind, case, route, letter.audience, now, extra)
        self._audit(
            session,
            now,
            Act(),
            "letter.created",
            case.id,
            {"kind": letter.kind.value, "number": document.number, "doc": document.doc_uid},
        )
        return document

    def _letter_extra(
        self,
        case: Case,
        kind: DocumentKind,
        route: CaseRoute | None,
        routes: Mapping[str, CaseRoute],
        now: datetime,
    ) -> dict[str, Any]:
        """What the letters service needs from the step (see mailflow.services.letters)."""
        track = Track(case.track)

        def deadline(step: int) -> datetime:
            # the letter states the deadline of the step it starts
            return self.calendar.add(now, self.sop.step(step).limit_for(track))

        if kind is DocumentKind.NOTA_DINAS:
            codes = [c for c in (case.suggested_opds or "").split(",") if c]
            return {"opd_usulan": codes, "batas_waktu": deadline(4)}
        if kind is DocumentKind.LEMBAR_DISPOSISI and route is None:
            return {
                "step": 4,
                "diteruskan_kepada": list(routes),
                "waktu_disposisi": now,
                "batas_waktu": deadline(5),
            }
        if kind is DocumentKind.LEMBAR_DISPOSISI and route is not None:
            return {
                "step": 6,
                "diteruskan_kepada": [route.bidang_code] if route.bidang_code else [],
                "arahan": route.instruction or "",
                "waktu_disposisi": now,
                "batas_waktu": deadline(7),
            }
        if kind is DocumentKind.SURAT_TANGGAPAN and route is not None:
            return {"isi_tanggapan": route.response_text or "", "batas_waktu": deadline(8)}
        return {}

    def _attachments(
        self, session: Session, case: Case, route: CaseRoute | None, kinds: Sequence[DocumentKind]
    ) -> tuple[list[AttachmentRef], list[str]]:
        refs: list[AttachmentRef] = []
        names: list[str] = []
        for kind in kinds:
            for document in self._documents(session, case, route, kind):
                variant = "pdf" if kind is DocumentKind.SIGNED_RESPONSE else "both"
                refs.append(AttachmentRef(document_id=document.id, variant=variant))
                label = document.number or document.doc_uid
                names.append(f"{_kind_label(kind)} {label}")
        return refs, names

    def _documents(
        self, session: Session, case: Case, route: CaseRoute | None, kind: DocumentKind
    ) -> list[Document]:
        query = select(Document).where(Document.case_id == case.id, Document.kind == kind.value)
        if kind is DocumentKind.SIGNED_RESPONSE:
            return list(session.execute(query.order_by(Document.id)).scalars())
        rows = list(session.execute(query.order_by(Document.id.desc())).scalars())
        if route is not None:
            for row in rows:
                if row.route_id == route.id:
                    return [row]
        for row in rows:
            if row.route_id is None:
                return [row]
        return []

    # --- mails ------------------------------------------------------------------------------------


def _kind_label(kind: DocumentKind) -> str:
    return {
        DocumentKind.NOTA_DINAS: "Nota dinas",
        DocumentKind.LEMBAR_DISPOSISI: "Lembar disposisi",
        DocumentKind.SURAT_TANGGAPAN: "Konsep surat tanggapan",
        DocumentKind.SIGNED_RESPONSE: "Surat tanggapan (ditandatangani)",
    }.get(kind, kind.value)
