"""Exponential backoff with jitter (pure: the random draw is a parameter)."""

from __future__ import annotations


def backoff_delay(attempt: int, *, base: float, cap: float, draw: float) -> float:
    """Seconds to wait before try `attempt + 1` (attempt 0 = the first retry).

    The ceiling doubles each time up to `cap`; the wait is drawn from its upper half
    ("equal jitter", `draw` in [0, 1)), so many clients that failed together spread out but
    none retries at once.
    """
    ceiling = float(min(cap, base * (2.0 ** min(attempt, 30))))
    return ceiling / 2 + ceiling / 2 * max(0.0, min(draw, 1.0))
