"""Generating official letters inside the caller's transaction (the conversation engine's).

    service = LetterService(settings, directory)
    document = service.create(session, DocumentKind.SURAT_TANGGAPAN, case, route,
                              Audience.OPD, now, {"isi_tanggapan": text})

`create` assigns the number (gapless per unit and year: the counter row is bumped in the same
transaction, so a rollback gives the number back), draws a document id, renders the DOCX with its
QR code, stores it under `<letters>/<year>/<case number>/` and inserts the `documents` row with
status `generated`. The PDF comes later from the conversion worker (services.conversion); mails
that attach the letter wait for it (services.outbox.resolve_attachments).

`extra` carries what the engine knows from the step (all optional; unknown keys are refused):
    every kind     sifat ("Sangat Segera" / "Segera" / "Rahasia" / "Biasa"), perihal (str),
                   batas_waktu (aware datetime: the deadline of the step the letter starts),
                   penandatangan (person id, e.g. a Plt. or delegate who signs instead)
    nota_dinas     lampiran (str), catatan (the IKP's note, str), opd_usulan (OPD codes or names)
    lembar_disposisi
                   level ("case" or "route"; default "route" with a route, else "case"),
                   diteruskan_kepada (OPD codes/names at case level, bidang codes/names at route
                   level; default: the case's routes / the route's bidang), arahan or catatan (the
                   instruction text; default at route level: route.instruction),
                   harap (boxes ticked among "tanggapan", "proses", "koordinasi", "tindak_lanjut",
                   "diketahui", "arsip"; default tanggapan + proses), waktu_disposisi (aware
                   datetime of the reply that disposed), rujukan (PriorLetter; default: looked up)
    surat_tanggapan
                   isi_tanggapan (the drafted response; default route.response_text), lampiran,
                   yth, alamat_tujuan, tembusan (sequence of str; default the mayor), rujukan,
                   revisi_dari (the id of the version it revises: same number, "revisi n")
The audience decides redaction: Audience.OPD and Audience.PUBLIC never see a rahasia/anonim
complainant's identity (DESIGN.md invariant 5).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.adapters.db.counters import next_value
from mailflow.adapters.db.models import Case, CaseRoute, Document
from mailflow.adapters.docx_render import DocProperties, DocxRenderer, Image, LoadedTemplate
from mailflow.adapters.letter_store import LetterStore, StoredFile, safe_component
from mailflow.adapters.letter_templates import QR_CM, TEMPLATE_FILES
from mailflow.adapters.qr import qr_png
from mailflow.config.model import Settings
from mailflow.domain.directory import Directory
from mailflow.domain.documents import ID_SPACE, Audience, DocumentKind, DocumentStatus, make_doc_id
from mailflow.domain.letter_samples import SAMPLE_CASE, SAMPLE_EXTRA, SAMPLE_ROUTE, SAMPLE_TIMES
from mailflow.domain.letters import (
    CASE_LEVEL,
    CaseFacts,
    ComplainantFacts,
    Issue,
    LetterPlan,
    PriorLetter,
    RouteFacts,
    build_context,
    plan_letter,
    prior_letter,
    sifat_code,
    strictest,
)
from mailflow.domain.numbering import format_number
from mailflow.services.audit import audit

KIND_TITLES = {
    DocumentKind.NOTA_DINAS: "Nota Dinas",
    DocumentKind.LEMBAR_DISPOSISI: "Lembar Disposisi",
    DocumentKind.SURAT_TANGGAPAN: "Surat Tanggapan",
}
LOGO_HEIGHT_MM = 20.0


class LetterService:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        *,
        renderer: DocxRenderer | None = None,
        random_below: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.renderer = renderer or DocxRenderer(settings.paths.templates)
        self.store = LetterStore(settings.paths.letters)
        self.zone = ZoneInfo(settings.general.timezone)
        self._random_below = random_below

    def create(
        self,
        session: Session,
        kind: DocumentKind,
        case: Case,
        route: CaseRoute | None,
        audience: Audience,
        now: datetime,
        extra: Mapping[str, Any] | None = None,
    ) -> Document:
        """Render, number, store and record one letter; returns the flushed `documents` row."""
        extra = dict(extra or {})
        if kind not in TEMPLATE_FILES:
            raise ValueError(f"{kind} is not a letter mailflow writes")
        facts, route_facts = case_facts(case), route_facts_of(route)
        plan = plan_letter(kind, route_facts, self.directory, extra)
        local = now.astimezone(self.zone)
        revision, number = self._revision(session, extra.get("revisi_dari"))
        if number is None:
            number = self._number(session, plan, local)
        doc_id = self._new_doc_id(session)
        prior = extra.get("rujukan") or self._prior(session, plan, case)
        issue = replace(self._issue(number, doc_id, now, prior), revision=revision)
        data, template = self.render(plan, facts, route_facts, audience, issue, extra)
        folder = self.store.folder(facts.received_at.astimezone(self.zone).year, facts.number)
        stored = self.store.write(folder / f"{kind.value}_{safe_component(number)}_{doc_id}.docx", data)
        return self._insert(session, plan, case, route, audience, issue, stored, template)

    def _insert(
        self,
        session: Session,
        plan: LetterPlan,
        case: Case,
        route: CaseRoute | None,
        audience: Audience,
        issue: Issue,
        stored: StoredFile,
        template: LoadedTemplate,
    ) -> Document:
        """The `documents` row (status generated) and its audit entry."""
        kind, number, doc_id, now = plan.kind, issue.number, issue.doc_id, issue.now
        document = Document(
            doc_uid=doc_id,
            case_id=case.id,
            route_id=route.id if route is not None else None,
            kind=kind.value,
            audience=audience.value,
            number=number,
            unit=plan.unit,
            docx_path=str(stored.path),
            docx_sha256=stored.sha256,
            template_name=template.name,
            template_version=template.version,
            status=DocumentStatus.GENERATED.value,
            created_at=now,
            revision=issue.revision,
        )
        session.add(document)
        session.flush()
        detail = {
            "kind": kind.value,
            "number": number,
            "audience": audience.value,
            "level": plan.level,
            "revision": issue.revision,
        }
        audit(
            session,
            now,
            "system",
            "letter.generated",
            case_id=case.id,
            document_id=document.id,
            detail=detail,
        )
        return document

    def render(
        self,
        plan: LetterPlan,
        facts: CaseFacts,
        route: RouteFacts | None,
        audience: Audience,
        issue: Issue,
        extra: Mapping[str, Any],
    ) -> tuple[bytes, LoadedTemplate]:
        """The DOCX of one letter from plain values (no database: also for sample letters)."""
        context = build_context(
            plan, facts, route=route, directory=self.directory, audience=audience, issue=issue, extra=extra
        )
        return self.renderer.render(
            TEMPLATE_FILES[plan.kind],
            context,
            images=self._images(plan, issue.doc_id),
            properties=self._properties(plan, facts, issue),
        )

    def sample(self, kind: DocumentKind, *, serial: int = 42) -> tuple[bytes, str, str]:
        """A sample letter of `kind` from the worked example (DOCX bytes, number, document id)."""
        route = None if kind is DocumentKind.NOTA_DINAS else SAMPLE_ROUTE
        extra = SAMPLE_EXTRA[kind]
        plan = plan_letter(kind, route, self.directory, extra)
        now = SAMPLE_TIMES[kind]
        local = now.astimezone(self.zone)
        number = self._format(plan, serial, local)
        doc_id = make_doc_id(self._random_below(ID_SPACE))
        issue = self._issue(number, doc_id, now, None)
        audience = Audience.INTERNAL if kind is DocumentKind.NOTA_DINAS else Audience.OPD
        data, _ = self.render(plan, SAMPLE_CASE, route, audience, issue, extra)
        return data, number, doc_id

    # --- parts ----------------------------------------------------------------------------

    def _issue(self, number: str, doc_id: str, now: datetime, prior: PriorLetter | None) -> Issue:
        return Issue(
            number=number,
            doc_id=doc_id,
            now=now,
            zone=self.zone,
            place=self.settings.letters.place,
            service_name=self.settings.general.instance_name,
            zone_label=self.settings.general.zone_label,
            prior=prior,
        )

    @staticmethod
    def _revision(session: Session, revises: Any) -> tuple[int, str | None]:
        """A response letter drafted again after being sent back (issue 13: `revisi_dari`, the id
        of the version it replaces) keeps that letter's number and is its next revision."""
        if revises is None:
            return 0, None
        prior = session.get(Document, int(revises))
        if prior is None or prior.number is None:
            raise ValueError(f"revisi_dari: no numbered letter {revises}")
        return (prior.revision or 0) + 1, prior.number

    def _number(self, session: Session, plan: LetterPlan, local: datetime) -> str:
        return self._format(plan, next_value(session, plan.counter_name, str(local.year)), local)

    def _format(self, plan: LetterPlan, serial: int, local: datetime) -> str:
        pattern = (
            self.settings.numbering.letter_pattern
            if plan.register == "letter"
            else self.settings.letters.agenda_pattern
        )
        return format_number(
            pattern,
            serial=serial,
            day=local.date(),
            kode_klasifikasi=self.settings.numbering.kode_klasifikasi,
            unit=plan.unit,
            sifat=sifat_code(plan.sifat),
        )

    def _new_doc_id(self, session: Session) -> str:
        """A fresh random id; `documents.doc_uid` is unique, so a (1 in 852 billion) repeat is
        drawn again rather than left to fail the caller's transaction."""
        for _ in range(8):
            candidate = make_doc_id(self._random_below(ID_SPACE))
            taken = session.execute(select(Document.id).where(Document.doc_uid == candidate)).first()
            if taken is None:
                return candidate
        raise RuntimeError("no free document id after 8 draws: the random source is broken")

    def _prior(self, session: Session, plan: LetterPlan, case: Case) -> PriorLetter | None:
        """The letter this one follows: the nota dinas (for the case-level disposition) or the
        case-level disposition (for the OPD's own disposition and its response letter)."""
        if plan.kind is DocumentKind.NOTA_DINAS:
            return None
        wanted = DocumentKind.NOTA_DINAS if plan.level == CASE_LEVEL else DocumentKind.LEMBAR_DISPOSISI
        query = select(Document).where(Document.case_id == case.id, Document.kind == wanted.value)
        if wanted is DocumentKind.LEMBAR_DISPOSISI:
            query = query.where(Document.route_id.is_(None))
        row = session.execute(query.order_by(Document.id.desc()).limit(1)).scalar_one_or_none()
        if row is None or row.number is None:
            return None
        return prior_letter(wanted, row.number, row.created_at.astimezone(self.zone).date(), self.directory)

    def _images(self, plan: LetterPlan, doc_id: str) -> dict[str, Image | None]:
        qr = Image(qr_png(doc_id), width_mm=QR_CM * 10) if self.settings.letters.qr_code else None
        logo = None
        if plan.letterhead.logo is not None:
            logo = Image(self.renderer.image(plan.letterhead.logo), height_mm=LOGO_HEIGHT_MM)
        return {"kode_qr": qr, "logo": logo}

    def _properties(self, plan: LetterPlan, facts: CaseFacts, issue: Issue) -> DocProperties:
        """Metadata holds the ids only, never the complaint's words (they may identify someone)."""
        title = f"{KIND_TITLES[plan.kind]} {issue.number}"
        return DocProperties(
            title=title,
            subject=f"Aduan {facts.number}",
            keywords=f"{issue.doc_id}; {issue.number}; {facts.number}"
            + (f"; revisi {issue.revision}" if issue.revision else ""),
            identifier=issue.doc_id,
            created=issue.now,
            author=self.settings.general.instance_name,
            category=plan.kind.value,
            comments=f"mailflow document id {issue.doc_id}",
        )


def case_facts(case: Case) -> CaseFacts:
    """Plain values of a case row (and its complainant and routes) for the pure letter code."""
    who = case.complainant
    complainant = None
    if who is not None:
        complainant = ComplainantFacts(name=who.name, email=who.email, phone=who.phone, address=who.address)
    suggested = tuple(code.strip() for code in (case.suggested_opds or "").split(",") if code.strip())
    return CaseFacts(
        number=case.number,
        subject=case.subject or "",
        summary=case.summary or "",
        body=case.body or "",
        received_at=case.received_at,
        confidentiality=strictest(case.confidentiality, who.confidentiality if who else None),
        channel=case.channel,
        category=case.category,
        suggested_opds=suggested,
        route_opds=tuple(r.opd_code for r in case.routes if r.status != "cancelled"),
        complainant=complainant,
    )


def route_facts_of(route: CaseRoute | None) -> RouteFacts | None:
    if route is None:
        return None
    return RouteFacts(
        opd_code=route.opd_code,
        bidang_code=route.bidang_code,
        instruction=route.instruction,
        response_text=route.response_text,
    )
