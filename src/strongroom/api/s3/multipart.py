"""multipart: handlers (being built)."""

from __future__ import annotations

from ...errors import S3Error
from ..context import RequestContext
from ..request import S3Request
from ..response import Response


async def list_multipart_uploads(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def create_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def upload_part(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def upload_part_copy(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def complete_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def abort_multipart_upload(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")


async def list_parts(req: S3Request, ctx: RequestContext) -> Response:
    """TODO(#2): not built yet."""
    raise S3Error("NotImplemented")
