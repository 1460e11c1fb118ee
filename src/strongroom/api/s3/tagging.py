"""tagging: handlers (being built)."""

from __future__ import annotations

from ...errors import S3Error
from ..context import RequestContext
from ..request import S3Request
from ..response import Response


async def get_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def put_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def delete_bucket_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def get_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def put_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def delete_object_tagging(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")
