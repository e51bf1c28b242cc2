from __future__ import annotations

from datetime import date

import pytest

from mailflow.domain.numbering import case_number, format_number, roman


def test_numbers_from_patterns() -> None:
    assert case_number("LPR-{tahun}-{nomor:05d}", 42, date(2026, 11, 30)) == "LPR-2026-00042"
    assert (
        format_number(
            "{kode_klasifikasi}/{nomor:04d}/{unit}/{tahun}",
            serial=42,
            day=date(2026, 12, 2),
            kode_klasifikasi="700.1.2.4",
            unit="Dishub",
        )
        == "700.1.2.4/0042/Dishub/2026"
    )
    assert format_number("B/{nomor}/{bulan_romawi}/{tahun}", serial=7, day=date(2026, 9, 1)) == "B/7/IX/2026"


def test_roman_months() -> None:
    assert [roman(m) for m in range(1, 13)] == [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        roman(13)
