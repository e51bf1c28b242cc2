from __future__ import annotations

import pytest

from mailflow.domain.durations import BusinessDuration, format_seconds


@pytest.mark.parametrize(
    ("text", "days", "minutes"),
    [
        ("60 menit", 0, 60),
        ("60 min", 0, 60),
        ("1 jam", 0, 60),
        ("3 hari", 3, 0),
        ("14 days", 14, 0),
        ("4 hari 8 jam 30 menit", 4, 510),
        ("1 day, 30 minutes", 1, 30),
        ("  2 Jam ", 0, 120),
    ],
)
def test_parse(text: str, days: int, minutes: int) -> None:
    assert BusinessDuration.parse(text) == BusinessDuration(days=days, minutes=minutes)


@pytest.mark.parametrize("text", ["", "sixty", "60", "3 weeks", "menit 60", "3 hari lagi", "-1 jam"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        BusinessDuration.parse(text)


def test_format_keeps_short_limits_in_minutes_and_totals_in_parts() -> None:
    assert BusinessDuration(minutes=60).format() == "60 menit"
    assert BusinessDuration(minutes=30).format("en") == "30 minutes"
    assert BusinessDuration(days=3).format() == "3 hari"
    assert BusinessDuration(days=1).format("en") == "1 day"
    assert BusinessDuration(days=4, minutes=510).format() == "4 hari 8 jam 30 menit"
    assert BusinessDuration(days=4, minutes=510).format("en") == "4 days 8 hours 30 minutes"
    assert BusinessDuration().format() == "0 menit"


def test_format_seconds() -> None:
    assert format_seconds(19 * 3600) == "19 jam"
    assert format_seconds(250 * 60, "en") == "4 hours 10 minutes"
    assert format_seconds(59) == "0 menit"


def test_negative_is_refused() -> None:
    with pytest.raises(ValueError):
        BusinessDuration(minutes=-1)
