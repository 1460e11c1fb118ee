"""listing: handlers (being built)."""

from __future__ import annotations

from ...errors import S3Error
from ..context import RequestContext
from ..request import S3Request
from ..response import Response


async def list_objects(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def list_objects_v2(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")
