"""GET /_strongroom/metrics: the Prometheus text exposition, outside the S3 namespace.

No bucket can be named "_strongroom" (bucket names never contain "_"), and a virtual-host request
(Host: <bucket>.<domain>) is never this endpoint, so the path cannot shadow an S3 resource. The
answer is unauthenticated and served only to clients in ``Settings.metrics_networks``; others get
403 AccessDenied.
"""

from __future__ import annotations

import asyncio

from ..config import Settings
from ..errors import S3Error
from ..observe.metrics import CONTENT_TYPE, METRICS_PATH, client_allowed, render
from .request import S3Request
from .response import Response
from .router import split_host

__all__ = ["is_metrics_request", "handle_metrics"]

_PATH = METRICS_PATH.encode()


def is_metrics_request(req: S3Request, domain: str) -> bool:
    """Is this a path-style request for the metrics endpoint?"""
    return req.raw_path == _PATH and split_host(req.headers.get("host"), domain) is None


async def handle_metrics(req: S3Request, settings: Settings) -> Response:
    """The metrics of every worker process, to an allowed client."""
    if req.method not in ("GET", "HEAD"):
        raise S3Error("MethodNotAllowed")
    if not client_allowed(req.client_ip, settings.metrics_networks):
        raise S3Error("AccessDenied", "Metrics are served only to the networks in the metrics_networks setting.")
    body = await asyncio.to_thread(render)  # reads every worker's counter files
    return Response(200, {"content-type": CONTENT_TYPE}, body)
