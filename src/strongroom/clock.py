"""The one source of "now" for rules (expiry, retention, signatures). Tests move it; nothing else
calls time.time for rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["now", "now_seconds", "set_offset", "offset_seconds"]

_offset_seconds: float = 0.0


def now_seconds() -> float:
    """Seconds since the epoch, as the server's rules see them."""
    return time.time() + _offset_seconds


def now() -> datetime:
    """An aware UTC datetime, as the server's rules see it."""
    return datetime.fromtimestamp(now_seconds(), tz=UTC)


def set_offset(seconds: float) -> None:
    """Move the rules' clock (test-only setting `allow_clock_override`)."""
    global _offset_seconds
    _offset_seconds = float(seconds)


def offset_seconds() -> float:
    """How far the rules' clock is moved from the wall clock."""
    return _offset_seconds
