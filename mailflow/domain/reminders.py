"""When to remind an actor and when to tell their superior (pure; the scheduler calls it).

At each configured fraction of a step's limit (default 50% and 100%) the actor is reminded once;
when the step is overdue, the superior is told once. Only inside working hours, so nobody gets a
reminder at night or on a holiday: a notice that fell due outside hours goes out at the next
opening. If several fractions fell due at once (after downtime), one notice covers them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mailflow.domain.calendar import BusinessCalendar


@dataclass(frozen=True)
class DueNotice:
    remind_bits: int  # bits to set in step_events.reminders_sent (0: no reminder now)
    fraction: float  # the largest fraction reached (for the wording: < 1 "half", >= 1 "due")
    escalate: bool


def notices_due(
    calendar: BusinessCalendar,
    *,
    started: datetime,
    due: datetime,
    now: datetime,
    sent_bits: int,
    escalated: bool,
    fractions: Sequence[float] = (0.5, 1.0),
    escalate_when_overdue: bool = True,
) -> DueNotice | None:
    if not calendar.is_working_instant(now):
        return None
    total = calendar.business_seconds(started, due)
    elapsed = calendar.business_seconds(started, now)
    new_bits, reached = 0, 0.0
    for index, fraction in enumerate(fractions):
        bit = 1 << index
        if sent_bits & bit:
            continue
        if (total == 0 and now >= due) or (total > 0 and elapsed >= fraction * total):
            new_bits |= bit
            reached = max(reached, fraction)
    escalate = escalate_when_overdue and not escalated and now >= due
    if not new_bits and not escalate:
        return None
    return DueNotice(new_bits, reached, escalate)
