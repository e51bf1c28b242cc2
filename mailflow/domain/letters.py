"""What goes into each official letter: the context a template is rendered with. Pure.

Three kinds (Tata Naskah Dinas, docs/RECIPES.md "Indonesian letters"):
- nota_dinas (case level): the IKP division's memo to the head of Diskominfo reporting a complaint;
- lembar_disposisi (case level: by the head of Diskominfo to the OPD(s); route level: by the OPD's head to a
  division): the disposition sheet;
- surat_tanggapan (route level): the OPD's response letter to Diskominfo.
Which SOP step makes each is the SOP file's business (its steps' `letter`), not this module's.

A context is a flat mapping of strings under Indonesian names, the names admins see in Word
(`{{ nomor_surat }}`, `{{ perihal }}`); multi-line values keep their newlines (the renderer turns
them into line breaks). The renderer adds the images named in IMAGE_FIELDS. Contexts for an OPD or
the public never carry a `rahasia`/`anonim` complainant's identity: identity fields get a neutral
label and free text is scrubbed (mailflow.domain.redaction); a last check refuses a leaking context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from mailflow.domain.calendar import format_date, format_local
from mailflow.domain.directory import Directory, Letterhead, Person
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.letter_facts import (
    CaseFacts,
    ComplainantFacts,
    PriorLetter,
    RouteFacts,
    strictest,
)
from mailflow.domain.letter_fields import (
    EXTRA_KEYS,
    FIELDS,
    FREE_TEXT_FIELDS,
    HARAP,
    SIFAT,
    checkbox,
    numbered,
)
from mailflow.domain.redaction import Identity, leaking_keys, must_redact, redact_values

__all__ = [  # the facts are defined beside, used through this module
    "CaseFacts",
    "ComplainantFacts",
    "Issue",
    "LetterPlan",
    "PriorLetter",
    "RouteFacts",
    "build_context",
    "plan_letter",
    "strictest",
]

CHANNELS = {"email": "Email", "lapor": "SP4N-LAPOR!", "web": "Situs web", "phone": "Telepon", "sms": "SMS"}
_NO_GOVERNMENT_LINE = ("bumd", "bumn", "instansi")
CASE_LEVEL, ROUTE_LEVEL = "case", "route"
DEFAULT_SIFAT = {
    DocumentKind.NOTA_DINAS: "Segera",
    DocumentKind.LEMBAR_DISPOSISI: "Segera",
    DocumentKind.SURAT_TANGGAPAN: "Biasa",
}


@dataclass(frozen=True)
class LetterPlan:
    """Who issues the letter and which number register it takes."""

    kind: DocumentKind
    level: str  # "case": issued by Diskominfo for the whole complaint; "route": by one OPD
    unit: str  # the unit code in the number, e.g. "Diskominfo", "Dishub"
    register: str  # "letter" (surat keluar) or "agenda" (disposition sheets)
    letterhead: Letterhead
    government_line: str
    signatory: Person
    sifat: str

    @property
    def counter_name(self) -> str:
        return f"{self.register}:{self.unit}"


@dataclass(frozen=True)
class Issue:
    """The values only known when the letter is issued (number, id, time, place)."""

    number: str
    doc_id: str
    now: datetime
    zone: tzinfo
    place: str
    service_name: str = "LAPOR Bontang"
    zone_label: str = "WITA"
    prior: PriorLetter | None = None
    revision: int = 0  # "revisi n": a letter sent back and drafted again keeps its number

    @property
    def shown_id(self) -> str:
        """The document id as the letter prints it: "MF-XXXX-XXXX-X revisi 1" for a revision
        (the id itself stays a plain, fresh one, so the QR code and the finder know each version)."""
        return f"{self.doc_id} revisi {self.revision}" if self.revision else self.doc_id


def sifat_code(sifat: str) -> str:
    """The {sifat} of a letter number (Permendagri 83/2022: B biasa/terbuka, R rahasia)."""
    return "R" if sifat == "Rahasia" else "B"


def prior_letter(kind: DocumentKind, number: str, day: date, directory: Directory) -> PriorLetter:
    """A previous letter of this case as the next one cites it (who sent it comes from its kind)."""
    kominfo = directory.diskominfo
    if kind is DocumentKind.NOTA_DINAS:
        sender = directory.person(kominfo.ikp).jabatan
    else:
        sender = f"{directory.person(kominfo.pimpinan).jabatan} {_region(directory)}"
    return PriorLetter(number=number, day=day, sender=sender)


def check_extra(kind: DocumentKind, extra: Mapping[str, Any]) -> None:
    """Unknown keys are a programming error in the caller: refuse them loudly."""
    unknown = sorted(set(extra) - EXTRA_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(EXTRA_KEYS[kind]))
        raise ValueError(f"unknown extra key(s) for {kind}: {', '.join(unknown)}; allowed: {allowed}")


def normalise_sifat(value: str) -> str:
    for sifat in SIFAT:
        if sifat.lower() == " ".join(value.split()).lower():
            return sifat
    raise ValueError(f"sifat must be one of {', '.join(SIFAT)}, not {value!r}")


def plan_letter(
    kind: DocumentKind,
    route: RouteFacts | None,
    directory: Directory,
    extra: Mapping[str, Any],
) -> LetterPlan:
    """Issuer, signatory, number register and sifat of a letter."""
    check_extra(kind, extra)
    level = _level(kind, route, extra)
    kominfo = directory.diskominfo
    if level == CASE_LEVEL:
        head, unit, kind_of = kominfo.letterhead, kominfo.unit, "dinas"
        signer_id = kominfo.ikp if kind is DocumentKind.NOTA_DINAS else kominfo.pimpinan
    else:
        if route is None:
            raise ValueError(f"{kind} ({level} level) needs the OPD's route")
        opd = directory.opd(route.opd_code)
        head, unit, kind_of, signer_id = opd.letterhead, opd.unit, opd.kind, opd.kepala
    signer_id = str(extra.get("penandatangan") or signer_id)
    try:
        signatory = directory.person(signer_id)
    except KeyError:
        raise ValueError(f"penandatangan: no person {signer_id!r} in the directory") from None
    return LetterPlan(
        kind=kind,
        level=level,
        unit=unit,
        register="agenda" if kind is DocumentKind.LEMBAR_DISPOSISI else "letter",
        letterhead=head,
        government_line="" if kind_of in _NO_GOVERNMENT_LINE else directory.government,
        signatory=signatory,
        sifat=normalise_sifat(str(extra.get("sifat") or DEFAULT_SIFAT[kind])),
    )


def _level(kind: DocumentKind, route: RouteFacts | None, extra: Mapping[str, Any]) -> str:
    if kind is DocumentKind.NOTA_DINAS:
        return CASE_LEVEL
    if kind is DocumentKind.SURAT_TANGGAPAN:
        return ROUTE_LEVEL
    if kind is not DocumentKind.LEMBAR_DISPOSISI:
        raise ValueError(f"no letter template for {kind}")
    level = str(extra.get("level") or (ROUTE_LEVEL if route is not None else CASE_LEVEL))
    if level not in (CASE_LEVEL, ROUTE_LEVEL):
        raise ValueError("a lembar disposisi is issued at the case or the route level")
    return level


def build_context(
    plan: LetterPlan,
    case: CaseFacts,
    *,
    route: RouteFacts | None,
    directory: Directory,
    audience: Audience,
    issue: Issue,
    extra: Mapping[str, Any],
) -> dict[str, str]:
    """The whole context of one letter for one audience (FIELDS[kind] exactly)."""
    job = _Job(plan, case, route, directory, audience, issue, extra)
    values = _common(job)
    if plan.kind is DocumentKind.NOTA_DINAS:
        values.update(_nota_dinas(job))
    elif plan.kind is DocumentKind.LEMBAR_DISPOSISI:
        values.update(_disposisi(job))
    else:
        values.update(_tanggapan(job))
    if set(values) != FIELDS[plan.kind]:
        raise AssertionError(f"context keys drifted from FIELDS: {set(values) ^ FIELDS[plan.kind]}")
    return protect(values, case, audience)


@dataclass(frozen=True)
class _Job:
    plan: LetterPlan
    case: CaseFacts
    route: RouteFacts | None
    directory: Directory
    audience: Audience
    issue: Issue
    extra: Mapping[str, Any]


def protect(values: dict[str, str], case: CaseFacts, audience: Audience) -> dict[str, str]:
    """Scrub the free text of an OPD/public context of a confidential case, then make sure."""
    if not must_redact(case.confidentiality, audience) or case.complainant is None:
        return values
    who = case.complainant
    identity = Identity(name=who.name, email=who.email, phone=who.phone, address=who.address)
    if identity.is_empty():
        return values
    free = {k: v for k, v in values.items() if k in FREE_TEXT_FIELDS}
    values = {**values, **redact_values(free, identity)}
    watched = (*FREE_TEXT_FIELDS, "pelapor", "kontak_pelapor")
    leaks = leaking_keys({k: values[k] for k in watched if k in values}, identity)
    if leaks:
        raise AssertionError(f"identity still present in {leaks}")
    return values


# --- the parts -------------------------------------------------------------------------------


def _common(job: _Job) -> dict[str, str]:
    head, issue = job.plan.letterhead, job.issue
    city_line = " ".join(p for p in (job.directory.city, head.postal_code) if p)
    phones = [f"Telepon {head.phone}" if head.phone else "", f"Faksimile {head.fax}" if head.fax else ""]
    online = [f"Pos-el {head.email}" if head.email else "", f"Laman {head.website}" if head.website else ""]
    contacts = [", ".join(p for p in phones if p), ", ".join(o for o in online if o)]
    local_day = issue.now.astimezone(issue.zone).date()
    return {
        "kop_pemerintah": job.plan.government_line.upper(),
        "kop_instansi": head.name.upper(),
        "kop_alamat": ", ".join(p for p in (head.address, city_line) if p),
        "kop_kontak": "\n".join(c for c in contacts if c),
        "id_dokumen": issue.shown_id,
        "nomor_aduan": job.case.number,
        "nama_layanan": issue.service_name,
        "tanggal_surat": format_date(local_day),
        # no closing full stop: the letters quote it mid-sentence ("tentang "...", dengan hormat")
        "ringkasan": (job.case.summary or job.case.subject).strip().rstrip(".").rstrip() or "-",
    }


def _signature(person: Person) -> dict[str, str]:
    return {
        "ttd_jabatan": person.jabatan or "-",
        "ttd_nama": person.name,
        "ttd_pangkat": person.pangkat,
        "ttd_nip": person.nip,
    }


def _pelapor(case: CaseFacts, audience: Audience) -> tuple[str, str]:
    """The complainant's label and contact as this audience may see them."""
    who = case.complainant
    if case.confidentiality == "anonim" or who is None or not (who.name or who.email or who.phone):
        return "pelapor anonim (identitas tidak dicatat)", "-"
    if must_redact(case.confidentiality, audience):
        return "pelapor dengan identitas dirahasiakan", "dirahasiakan"
    contact = ", ".join(p for p in (who.email, who.phone) if p) or "-"
    name = who.name or "-"
    if case.confidentiality == "rahasia":
        name += " (RAHASIA: identitas hanya untuk Diskominfo, jangan diteruskan ke OPD)"
    return name, contact


def _when(job: _Job, key: str, default: datetime | None = None) -> str:
    """An instant from `extra` (or `default`) in local words; "" when there is none."""
    value = job.extra.get(key, default)
    if value is None:
        return ""
    if not isinstance(value, datetime):
        raise TypeError(f"{key} must be a timezone-aware datetime")
    return format_local(value, job.issue.zone, "id", job.issue.zone_label)


def _prior(job: _Job) -> PriorLetter | None:
    prior = job.extra.get("rujukan") or job.issue.prior
    if prior is not None and not isinstance(prior, PriorLetter):
        raise TypeError("rujukan must be a PriorLetter")
    return prior


def _opd_names(codes: Sequence[str], directory: Directory) -> list[str]:
    names = []
    for code in codes:
        opd = directory.find_opd(code)
        names.append(opd.name if opd else code)
    return names


def _nota_dinas(job: _Job) -> dict[str, str]:
    case, extra, issue = job.case, job.extra, job.issue
    pelapor, kontak = _pelapor(case, job.audience)
    pimpinan = job.directory.person(job.directory.diskominfo.pimpinan)
    suggested = list(extra.get("opd_usulan") or case.suggested_opds)
    return {
        "nomor_surat": issue.number,
        "sifat": job.plan.sifat,
        "lampiran": str(extra.get("lampiran") or "-"),
        "perihal": str(extra.get("perihal") or f"Laporan Aduan {case.number}"),
        "yth": pimpinan.jabatan or "Kepala Dinas",
        "dari": job.plan.signatory.jabatan or "-",
        "tanggal_aduan": format_local(case.received_at, issue.zone, "id", issue.zone_label),
        "saluran": CHANNELS.get(case.channel, case.channel),
        "kategori": case.category or "-",
        "pelapor": pelapor,
        "kontak_pelapor": kontak,
        "isi_aduan": case.body.strip() or "-",
        "opd_usulan": ", ".join(_opd_names(suggested, job.directory)) or "-",
        "catatan": str(extra.get("catatan") or ""),
        "batas_waktu": _when(job, "batas_waktu"),
        **_signature(job.plan.signatory),
    }


def _recipients(job: _Job) -> list[str]:
    """The "Diteruskan kepada Sdr." lines: OPD heads (case level) or division heads (route level)."""
    directory, out = job.directory, []
    if job.plan.level == CASE_LEVEL:
        codes = list(job.extra.get("diteruskan_kepada") or job.case.route_opds or job.case.suggested_opds)
        for code in codes:
            opd = directory.find_opd(code)
            out.append((directory.person(opd.kepala).jabatan or f"Kepala {opd.name}") if opd else code)
        return out
    assert job.route is not None
    opd = directory.opd(job.route.opd_code)
    default = [job.route.bidang_code] if job.route.bidang_code else []
    for code in list(job.extra.get("diteruskan_kepada") or default):
        bidang = opd.find_bidang(code)
        out.append((directory.person(bidang.kabid).jabatan or bidang.name) if bidang else code)
    return out


def _disposisi(job: _Job) -> dict[str, str]:
    directory, extra, prior = job.directory, job.extra, _prior(job)
    if job.plan.level == CASE_LEVEL:
        sender = directory.person(directory.diskominfo.ikp).jabatan
        arahan = str(extra.get("arahan") or extra.get("catatan") or "")
    else:
        sender = f"{directory.person(directory.diskominfo.pimpinan).jabatan} {_region(directory)}"
        given = extra.get("arahan") or extra.get("catatan")  # "catatan": the field's name, also accepted
        arahan = str(given or (job.route.instruction if job.route else "") or "")
    ticked = set(extra.get("harap") or ("tanggapan", "proses"))
    if ticked - set(HARAP):
        raise ValueError(f"harap: unknown box(es) {sorted(ticked - set(HARAP))}; known: {', '.join(HARAP)}")
    return {
        "tempat": job.issue.place,
        "nomor_agenda": job.issue.number,
        "perihal": str(extra.get("perihal") or f"Aduan {job.case.number}: {job.case.subject}".strip()),
        "surat_dari": prior.sender if prior else sender,
        "nomor_surat_asal": prior.number if prior else "-",
        "tanggal_surat_asal": format_date(prior.day) if prior else "-",
        "diterima_tanggal": format_date(job.issue.now.astimezone(job.issue.zone).date()),
        "diteruskan_kepada": numbered(_recipients(job)) or "-",
        "catatan": arahan,
        "batas_waktu": _when(job, "batas_waktu"),
        "waktu_disposisi": _when(job, "waktu_disposisi", job.issue.now),
        "ttd_jabatan": job.plan.signatory.jabatan or "-",
        "ttd_nama": job.plan.signatory.name,
        **{f"kotak_{s.lower().replace(' ', '_')}": checkbox(s == job.plan.sifat) for s in SIFAT},
        **{f"harap_{key}": checkbox(key in ticked) for key in HARAP},
    }


def _region(directory: Directory) -> str:
    """ "PEMERINTAH KOTA BONTANG" -> "Kota Bontang"."""
    words = directory.government.split()
    if words and words[0].upper() == "PEMERINTAH":
        words = words[1:]
    return " ".join(w.capitalize() for w in words)


def _tanggapan(job: _Job) -> dict[str, str]:
    case, extra, issue, directory = job.case, job.extra, job.issue, job.directory
    pelapor, _ = _pelapor(case, job.audience)
    region = _region(directory)
    pimpinan = directory.person(directory.diskominfo.pimpinan).jabatan or "Kepala Dinas"
    prior = _prior(job)
    rujukan = f"Lembar Disposisi {pimpinan} {region}"
    if prior is not None:
        rujukan += f" Nomor {prior.number} tanggal {format_date(prior.day)}"
    tembusan = extra.get("tembusan")
    if tembusan is None:
        tembusan = (f"Wali {region} (sebagai laporan)",) if region.startswith("Kota") else ()
    response = extra.get("isi_tanggapan") or (job.route.response_text if job.route else "") or "-"
    return {
        "tempat": issue.place,
        "nomor_surat": issue.number,
        "sifat": job.plan.sifat,
        "lampiran": str(extra.get("lampiran") or "-"),
        "perihal": str(extra.get("perihal") or f"Tanggapan atas Aduan {case.number}"),
        "yth": str(extra.get("yth") or f"{pimpinan} {region}"),
        "alamat_tujuan": str(extra.get("alamat_tujuan") or directory.city),
        "rujukan": rujukan,
        "pelapor": pelapor,
        "tanggal_aduan": format_date(case.received_at.astimezone(issue.zone).date()),
        "isi_tanggapan": str(response),
        "tembusan": numbered(list(tembusan), last=".", sep=";"),
        **_signature(job.plan.signatory),
    }
