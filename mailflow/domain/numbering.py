"""Human numbers from configurable patterns: case numbers and letter numbers.

Fields a pattern may use: {nomor} (the serial; format spec allowed, e.g. {nomor:05d}), {tahun},
{bulan}, {bulan_romawi}, {kode_klasifikasi}, {unit}, {sifat}.
"""

from __future__ import annotations

from datetime import date

_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(month: int) -> str:
    """1..12 -> I..XII (the Roman month some Indonesian letter numbers carry)."""
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    out, rest = "", month
    for value, symbol in _ROMAN:
        while rest >= value:
            out, rest = out + symbol, rest - value
    return out


def format_number(
    pattern: str,
    *,
    serial: int,
    day: date,
    kode_klasifikasi: str = "",
    unit: str = "",
    sifat: str = "",
) -> str:
    return pattern.format(
        nomor=serial,
        tahun=day.year,
        bulan=day.month,
        bulan_romawi=roman(day.month),
        kode_klasifikasi=kode_klasifikasi,
        unit=unit,
        sifat=sifat,
    )


def case_number(pattern: str, serial: int, day: date) -> str:
    """ "LPR-{tahun}-{nomor:05d}" -> "LPR-2026-00042"."""
    return format_number(pattern, serial=serial, day=day)
