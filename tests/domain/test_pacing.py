"""domain/pacing: which mails the daily cap may hold, and when an official's next action mail may go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailflow.domain.pacing import held_by_daily_cap, is_action, is_paced, next_window

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


@pytest.mark.parametrize(
    "kind", ["action.2", "action.10", "group", "reminder", "reminder.digest", "escalation", "confirm.valid",
             "info.status", "weekly_report"],
)  # fmt: skip
def test_an_officials_work_is_never_held_by_the_daily_cap(kind: str) -> None:
    assert held_by_daily_cap(kind, official=True) is False
    assert held_by_daily_cap(kind, official=False) is True  # the same kind to a stranger is


@pytest.mark.parametrize("kind", ["explain", "explain.letter"])
def test_answers_to_bad_mail_are_held_for_officials_too(kind: str) -> None:
    assert held_by_daily_cap(kind, official=True) is True


@pytest.mark.parametrize("official", [True, False])
def test_the_digest_of_held_mails_is_never_held(official: bool) -> None:
    assert held_by_daily_cap("digest", official=official) is False


def test_action_and_group_mails_are_paced_nothing_else() -> None:
    assert is_action("action.2") and is_paced("action.4") and is_paced("group")
    assert not is_paced("reminder") and not is_paced("actions") and not is_action("group")


def test_the_window_opens_after_the_last_mail_or_a_grouped_mail_still_waiting() -> None:
    assert next_window(None, None, FIVE) is None  # nothing sent yet: now
    assert next_window(T0, None, FIVE) == T0 + FIVE
    later = T0 + timedelta(minutes=2)
    assert next_window(T0, later, FIVE) == later + FIVE  # a grouped mail made after the last one
    assert next_window(later, T0, FIVE) == later + FIVE
    assert next_window(T0, None, timedelta(0)) is None  # group_minutes = 0: never paced
