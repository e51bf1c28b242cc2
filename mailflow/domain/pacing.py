"""How mail to one address is paced (pure): the daily cap guards against loops, grouping keeps an
official's inbox readable without making a step late.

- The per-address daily cap (`limits.max_mails_per_address_per_day`) holds mail to addresses
  outside the directory, and answers to mail that could not act (explanations, refused letters):
  the two ways a loop with another machine can start. A directory person's work (action mails,
  grouped mails, reminders, escalations, confirmations, status answers) is never held to the
  next day: holding it would make the SOP's 60-minute steps late by the system's own doing.
- Action mails to one directory person are grouped: at most one such mail per
  `sending.group_minutes`. One that falls due inside that window waits for its end; whatever
  waits then (or is due at the same moment) goes out as one mail listing each case with its own
  reply links and deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

GROUP_KIND = "group"  # the mail that bundles several action mails to one person
DIGEST_KIND = "digest"  # the daily digest of held mails (never held itself)
ACTION_PREFIX = "action."
EXPLAIN_KIND = "explain"


def is_action(kind: str) -> bool:
    """An action mail: it asks a person to act on a step (composer.action: `action.<step>`)."""
    return kind.startswith(ACTION_PREFIX)


def is_paced(kind: str) -> bool:
    """Counted in the grouping window: action mails and the grouped mails made of them."""
    return kind == GROUP_KIND or is_action(kind)


def answers_bad_mail(kind: str) -> bool:
    """An explanation sent because incoming mail could not act (`explain`, `explain.letter`)."""
    return kind == EXPLAIN_KIND or kind.startswith(EXPLAIN_KIND + ".")


def held_by_daily_cap(kind: str, *, official: bool) -> bool:
    """Whether the per-address daily cap applies to a mail of `kind`; `official`: the recipient
    is a person of the directory."""
    if kind == DIGEST_KIND:
        return False
    return not official or answers_bad_mail(kind)


def next_window(
    last_sent: datetime | None, pending_since: datetime | None, window: timedelta
) -> datetime | None:
    """When the next grouped-kind mail to a person may go: `window` after the last one sent, or
    after a grouped mail that is still waiting to go was made; None when it may go now."""
    if window <= timedelta(0):
        return None
    starts = [instant for instant in (last_sent, pending_since) if instant is not None]
    return max(starts) + window if starts else None
