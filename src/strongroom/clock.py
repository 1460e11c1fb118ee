"""The one source of "now" for rules (expiry, retention, rotation, deletion windows). Tests move it;
nothing else calls time.time for rules.

Two clocks: the *rules* clock (``now``, ``now_seconds``), which the test-only admin endpoint moves
(setting ``allow_clock_override``, api/admin/clock.py), and the *wall* clock (``wall_now``), which
only measures how far a client's signing time is from ours (SigV4 RequestTimeTooSkewed). Clients
sign with their own, unmoved clocks, so moving the rules clock days ahead must not lock them out.

The offset lives in this process only: a server with several worker processes has one offset per
process, so clock-moving tests run a single-worker server.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["now", "now_seconds", "set_offset", "offset_seconds", "wall_now"]

_offset_seconds: float = 0.0


def now_seconds() -> float:
    """Seconds since the epoch, as the server's rules see them."""
    return time.time() + _offset_seconds


def now() -> datetime:
    """An aware UTC datetime, as the server's rules see it."""
    return datetime.fromtimestamp(now_seconds(), tz=UTC)


def wall_now() -> datetime:
    """The real time (never moved): for request-signature clock skew only, since clients sign with theirs."""
    return datetime.fromtimestamp(time.time(), tz=UTC)


def set_offset(seconds: float) -> None:
    """Move the rules' clock (test-only setting `allow_clock_override`)."""
    global _offset_seconds
    _offset_seconds = float(seconds)


def offset_seconds() -> float:
    """How far the rules' clock is moved from the wall clock."""
    return _offset_seconds
