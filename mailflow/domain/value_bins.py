"""Value bins of business seconds: the buckets the long reports' percentiles are counted in.

A bin is the number of decimal digits times 100 plus the first two digits (one digit for values
below 10): 0-9 s each have their own bin (100-109), 57 s is bin 257, 5,731 s bin 457 ([5,700,
5,800)), and every negative value falls in bin 0. The bins follow the values' order, each spans
1-10 % of its values (a tenth of a decade at most), and the database computes the same bin with
nothing but text functions both SQLite and PostgreSQL have (services/reports/day_counts.py,
migration 0012), so the triggers need no math extension. With the counts per bin the k-th
smallest value lies in a known bin, and only that bin's index entries are read to find it.
"""

from __future__ import annotations

NEGATIVE = 0  # the bin of every value below zero


def bin_of(value: int) -> int:
    if value < 0:
        return NEGATIVE
    digits = str(int(value))
    return len(digits) * 100 + int(digits[:2])


def bin_range(index: int) -> tuple[int | None, int]:
    """[low, high) of the values in bin `index` (low None: no lower end, the negative bin)."""
    if index == NEGATIVE:
        return None, 0
    length, lead = divmod(index, 100)
    if length == 1:
        return lead, lead + 1
    scale = 10 ** (length - 2)
    return lead * scale, (lead + 1) * scale
