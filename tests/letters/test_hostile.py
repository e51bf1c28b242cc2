"""Hostile content in every template: the DOCX opens, the text is exactly what was given, and
LibreOffice's PDF still carries it (docs/RECIPES.md: without autoescape, text silently vanishes)."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailflow.adapters.pdf_text import pdf_text, squeeze
from mailflow.domain.documents import Audience, DocumentKind
from mailflow.domain.letter_fields import LETTER_KINDS
from mailflow.domain.letter_samples import SAMPLE_CASE, SAMPLE_ROUTE, SAMPLE_TIMES
from mailflow.domain.letters import Issue, plan_letter
from mailflow.services.letters.service import LetterService
from tests.letters.helpers import directory, docx_paragraphs, docx_text, make_settings

MARKUP = "<b>bold?</b> & &amp; \"quoted\" 'single' </w:t><w:p> ]]> <!-- x -->"
JINJA = "{{ nomor_surat }} {% if true %}boom{% endif %} {{r x }} {%p endif %} {# c #} {_{ x }_} {_% y %_}"
LONG_LINE = "X" * 2500 + " " + "panjang-" * 300
ARABIC = "شكوى: الإنارة معطلة في شارع أحمد ياني منذ ثلاث ليال"
EMOJI = "Lampu mati 💡🚦🙏 di 🏙️ Bontang"
TABS = "Kolom1\tKolom2\t\tKolom4"
CONTROL = "bell\x07 formfeed\x0c vertical\x0b nul\x00 end"


def five_thousand_words() -> str:
    rng = random.Random(42)
    words = [
        "lampu",
        "jalan",
        "mati",
        "aduan",
        "warga",
        "Bontang",
        "gelap",
        "mohon",
        "segera",
        "<&>",
        "{{x}}",
    ]
    lines = []
    for _ in range(250):
        lines.append(" ".join(rng.choice(words) for _ in range(20)))
    return "\n".join(lines)


HOSTILE = {
    "subject": f"Aduan {MARKUP}",
    "summary": f"{JINJA} | {EMOJI}",
    "body": f"{MARKUP}\n{JINJA}\n\n{ARABIC}\n{EMOJI}\n{TABS}\n{LONG_LINE}",
    "instruction": f"Arahan: {MARKUP}\n{ARABIC}",
    "response": five_thousand_words(),
}
CASE = replace(
    SAMPLE_CASE,
    subject=HOSTILE["subject"],
    summary=HOSTILE["summary"],
    body=HOSTILE["body"] + "\n" + CONTROL,
    category="<kategori & {{ jenis }}>",
)
ROUTE = replace(SAMPLE_ROUTE, instruction=HOSTILE["instruction"], response_text=HOSTILE["response"])


def render(tmp_path: Path, kind: DocumentKind) -> tuple[bytes, dict[str, str]]:
    service = LetterService(make_settings(tmp_path), directory())
    route = None if kind is DocumentKind.NOTA_DINAS else ROUTE
    extra = {"tembusan": [MARKUP, EMOJI]} if kind is DocumentKind.SURAT_TANGGAPAN else {}
    plan = plan_letter(kind, route, service.directory, extra)
    issue = Issue(
        number="700.1.2.4/0042/Dishub/2026",
        doc_id="MF-DJJT-1GGT-8",
        now=SAMPLE_TIMES[kind],
        zone=ZoneInfo("Asia/Makassar"),
        place="Bontang",
    )
    audience = Audience.INTERNAL if kind is DocumentKind.NOTA_DINAS else Audience.OPD
    data, _ = service.render(plan, CASE, route, audience, issue, extra)
    expected = {
        DocumentKind.NOTA_DINAS: {"isi_aduan": HOSTILE["body"] + "\n" + "bell formfeed vertical nul end"},
        DocumentKind.LEMBAR_DISPOSISI: {"catatan": HOSTILE["instruction"]},
        DocumentKind.SURAT_TANGGAPAN: {
            "isi_tanggapan": HOSTILE["response"],
            "tembusan": f"1. {MARKUP};\n2. {EMOJI}.",
        },
    }[kind]
    return data, expected


@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_hostile_text_comes_out_exactly(tmp_path: Path, kind: DocumentKind) -> None:
    data, expected = render(tmp_path, kind)
    paragraphs = docx_paragraphs(data)  # python-docx opens it: the XML is valid
    for value in expected.values():
        assert value in paragraphs, f"{value[:60]!r} is not one intact paragraph"
    text = docx_text(data)
    if kind is DocumentKind.LEMBAR_DISPOSISI:
        assert f"Perihal\t:\tAduan LPR-2026-00042: Aduan {MARKUP}" in paragraphs
    if kind is DocumentKind.NOTA_DINAS:
        assert "Kategori\t:\t<kategori & {{ jenis }}>" in paragraphs
    assert HOSTILE["summary"] in text  # ringkasan: Jinja syntax printed, never run
    assert "boom" not in text.replace(JINJA, "")
    assert "700.1.2.4/0042/Dishub/2026" in text and "MF-DJJT-1GGT-8" in text and "LPR-2026-00042" in text


@pytest.mark.slow
@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_hostile_letters_convert_and_read_back(tmp_path: Path, kind: DocumentKind, warm_converter) -> None:
    data, _ = render(tmp_path, kind)
    docx = tmp_path / f"{kind.value}.docx"
    docx.write_bytes(data)
    warm_converter.convert(docx, tmp_path / f"{kind.value}.pdf")
    pages = pdf_text(tmp_path / f"{kind.value}.pdf").split("\f")
    text = squeeze("".join(pages))
    for needle in ("700.1.2.4/0042/Dishub/2026", "MF-DJJT-1GGT-8", "LPR-2026-00042", MARKUP, JINJA):
        assert squeeze(needle) in text, needle
    # the body without each page's footer (which pypdf reads after the page's text)
    body = squeeze("".join(page.split("ID dokumen:")[0] for page in pages))
    if kind is DocumentKind.SURAT_TANGGAPAN:
        assert len(pages) > 2
        assert squeeze(HOSTILE["response"]) in body  # all 5,000 words, in order, over several pages
    if kind is DocumentKind.NOTA_DINAS:
        assert squeeze(LONG_LINE) in body
        assert squeeze(TABS) in body
    # Arabic and emoji are exact in the DOCX (above); in the PDF they depend on the fonts
    # installed (no emoji font on a server) and pypdf reads Arabic in visual order: not asserted.
