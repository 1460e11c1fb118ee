"""Test-only: GET /_strongroom/counters answers the process's counters (observe/counters.py) as JSON.

Mounted only with the test setting ``expose_counters_json``, so black-box tests can measure what the
real server did (e.g. how many KMS calls 1,000 PUTs made) without mocks. Unauthenticated: counter
values are not secret, and operators get the same numbers from the metrics endpoint instead. The
path cannot be an S3 request ("_strongroom" is no valid bucket name).
"""

from __future__ import annotations

import json

from ..observe.counters import snapshot
from .asgi import ASGIApp, Receive, Scope, Send

__all__ = ["CountersJson", "COUNTERS_PATH"]

COUNTERS_PATH = "/_strongroom/counters"


class CountersJson:
    """ASGI wrapper: answers COUNTERS_PATH itself, passes everything else (lifespan too) to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != COUNTERS_PATH:
            await self.app(scope, receive, send)
            return
        body = json.dumps([{"name": s.name, "labels": dict(s.labels), "value": s.value} for s in snapshot()]).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
