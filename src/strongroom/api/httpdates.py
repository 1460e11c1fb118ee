"""Timestamps as S3 writes them: RFC 1123 in headers, ISO 8601 with milliseconds in XML."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

__all__ = ["http_date", "iso8601", "parse_http_date_or_none"]


def http_date(epoch: float) -> str:
    """Last-Modified form: 'Wed, 12 Oct 2009 17:50:00 GMT'."""
    return format_datetime(datetime.fromtimestamp(int(epoch), tz=UTC), usegmt=True)


def iso8601(epoch: float) -> str:
    """XML form: '2009-10-12T17:50:30.000Z'."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_http_date_or_none(value: str) -> float | None:
    """An If-Modified-Since style date as epoch seconds; None if unparseable (the header is then ignored)."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
