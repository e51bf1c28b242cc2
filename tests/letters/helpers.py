"""Shared bits of the letter tests: settings, a case in the database, reading a DOCX back."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from mailflow.config.directory_file import load_directory
from mailflow.config.loader import settings_from_mapping
from mailflow.config.model import Settings
from mailflow.domain.directory import Directory
from mailflow.resources import bundled, starter

NOW = datetime(2026, 11, 30, 0, 40, tzinfo=UTC)  # Monday 08:40 WITA
TEMPLATES = bundled("templates")
NAME, EMAIL, PHONE = "Siti Rahma", "siti.rahma@gmail.com", "0812-3456-7890"


def make_settings(base: Path, **letters: object) -> Settings:
    raw: dict[str, object] = {
        "general": {"data_dir": "var"},
        "paths": {
            "templates": str(TEMPLATES),
            "letters": "letters",
            "directory": str(starter("directory.yaml")),
        },
    }
    if letters:
        raw["letters"] = letters
    return settings_from_mapping(raw, base)


def directory() -> Directory:
    return load_directory(starter("directory.yaml"))


def make_case(
    session, *, number: str = "LPR-2026-00042", confidentiality: str = "biasa", body: str | None = None
):  # type: ignore[no-untyped-def]
    from mailflow.adapters.db.models import Case, CaseRoute, Complainant  # noqa: PLC0415

    complainant = Complainant(
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        address="Jl. Ahmad Yani RT 05 No. 12",
        confidentiality=confidentiality,
        created_at=NOW,
    )
    case = Case(
        number=number,
        subject="Lampu jalan mati di Jl. Ahmad Yani",
        summary="Lampu jalan mati di Jl. Ahmad Yani, Api-Api.",
        body=body
        if body is not None
        else f"Lampu jalan mati sejak 3 malam.\n\nSalam,\n{NAME}\nHP {PHONE}\n{EMAIL}",
        received_at=NOW,
        created_at=NOW,
        updated_at=NOW,
        confidentiality=confidentiality,
        suggested_opds="DISHUB",
        complainant=complainant,
    )
    session.add(case)
    session.flush()
    route = CaseRoute(
        case_id=case.id,
        opd_code="DISHUB",
        bidang_code="PJU",
        instruction="Mohon segera dicek dan diperbaiki.",
        response_text="Lampu sudah diperbaiki pada 2 Desember 2026.",
        created_at=NOW,
    )
    session.add(route)
    session.flush()
    return case, route


def docx_paragraphs(data: bytes) -> list[str]:
    """The text of every paragraph of the body (tables included) and of the footers, as
    python-docx reads it (line breaks as "\\n", tabs as "\\t")."""
    document = open_docx(io.BytesIO(data))
    texts = [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]
    for section in document.sections:
        texts += [Paragraph(p, section.footer).text for p in section.footer._element.iter(qn("w:p"))]
    return texts


def docx_text(data: bytes) -> str:
    return "\n".join(docx_paragraphs(data))


def docx_xml(data: bytes) -> str:
    """Every XML part of the package, concatenated (document, footers, properties, settings)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return "\n".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith((".xml", ".rels"))
        )
