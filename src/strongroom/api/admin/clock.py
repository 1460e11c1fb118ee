"""The test-only clock resource: read or move the server's rules clock (strongroom.clock).

``GET /_strongroom/clock`` answers ``{"OffsetSeconds": ..., "Now": <epoch seconds>}``;
``PUT /_strongroom/clock?offset-seconds=N`` sets the offset from the wall clock (absolute, so a
retried request does not move it twice) and answers the same. Only served with the setting
``allow_clock_override``. The offset is per process: a server with several worker processes would
have as many clocks, so clock-moving tests run one worker.
"""

from __future__ import annotations

import json
import math

from ... import clock
from ...errors import S3Error
from ..context import Services
from ..request import S3Request
from ..response import Response

__all__ = ["handle_clock", "OFFSET_MAX_SECONDS"]

# Far enough for any window (KMS rotation periods go to 2560 days), near enough for datetime's range.
OFFSET_MAX_SECONDS = 100 * 366 * 86400


def _state() -> Response:
    body = json.dumps({"OffsetSeconds": clock.offset_seconds(), "Now": clock.now_seconds()}).encode()
    return Response(200, {"content-type": "application/json"}, body)


def _offset(req: S3Request) -> float:
    text = req.query_value("offset-seconds")
    if text is None:
        raise S3Error("InvalidArgument", "offset-seconds is required.", extra={"ArgumentName": "offset-seconds"})
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > OFFSET_MAX_SECONDS:
        raise S3Error("InvalidArgument", f"offset-seconds must be a number within +-{OFFSET_MAX_SECONDS}.", extra={"ArgumentName": "offset-seconds", "ArgumentValue": text})
    return value


async def handle_clock(req: S3Request, services: Services) -> Response:
    """GET: the clock's state; PUT: move it."""
    if req.method == "GET":
        return _state()
    if req.method == "PUT":
        clock.set_offset(_offset(req))
        return _state()
    raise S3Error("MethodNotAllowed")
