"""DeleteObjects: up to 1000 keys in one request, quiet mode, per-key errors."""

from __future__ import annotations

from ...errors import S3Error
from ...service.model import ObjectKey
from ..context import RequestContext
from ..request import S3Request
from ..response import Response

__all__ = ["delete_objects"]


async def delete_objects(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): being built."""
    raise S3Error("NotImplemented")


del ObjectKey
