"""The Range header (RFC 9110 14.1.2) as S3 applies it: one byte range, open or suffix."""

from __future__ import annotations

from ..errors import S3Error

__all__ = ["parse_range"]


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end_inclusive) for a satisfiable range; None to send the whole object.

    A syntactically invalid or multi-range header is ignored (the whole object is sent), as S3 does;
    an unsatisfiable one is InvalidRange (416).
    """
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    if (first and not first.isdigit()) or (last and not last.isdigit()) or (not first and not last):
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else None
    if end is not None and end < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, size - 1 if end is None else min(end, size - 1)


def _unsatisfiable(size: int) -> S3Error:
    return S3Error("InvalidRange", headers={"content-range": f"bytes */{size}"}, extra={"ActualObjectSize": str(size)})
