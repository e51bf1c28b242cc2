"""Pure rules of the complainant's files as evidence (issue 14): names that identify, packing."""

from __future__ import annotations

import pytest

from mailflow.domain.evidence import format_size, names_identity, neutral_name, pack, safe_name
from mailflow.domain.redaction import Identity

BUDI = Identity(name="Budi Santoso", email="budi.s@gmail.com", phone="0813-1111-2222")


@pytest.mark.parametrize(
    "name",
    ["budi_santoso.jpg", "BudiSantoso-lampu.jpg", "IMG_budi.jpg", "surat santoso.pdf", "budi.s_ktp.pdf",
     "WA 0813 1111 2222.jpg", "wa-6281311112222.jpg"],
)  # fmt: skip
def test_names_that_give_the_complainant_away(name: str) -> None:
    assert names_identity(name, BUDI)


@pytest.mark.parametrize("name", ["IMG_20261130_081500.jpg", "lampu_jalan.jpg", "laporan.pdf", "bu.jpg"])
def test_names_that_do_not(name: str) -> None:
    assert not names_identity(name, BUDI)


def test_neutral_and_safe_names() -> None:
    assert neutral_name(1, "budi_santoso.JPG", "image/jpeg") == "lampiran-2.jpg"
    assert neutral_name(0, "budi", "application/pdf") == "lampiran-1.pdf"
    assert safe_name("../../x/foto.jpg", 0, "image/jpeg") == "foto.jpg"
    assert safe_name("a\r\nBcc: y", 0, "image/jpeg") == "a_Bcc_ y"
    assert safe_name(None, 2, "image/png") == "lampiran-3.png"
    assert len(safe_name("x" * 300 + ".jpeg", 0, "image/jpeg")) <= 120


def test_packing_under_the_limit() -> None:
    assert pack([40, 40, 40, 200, 10], 100) == ([[0, 1], [2, 4]], [3])
    assert pack([], 100) == ([], [])
    assert format_size(1_500_000) == "1,4 MB" and format_size(1_500_000, "en") == "1.4 MB"
