"""OPTIONS (CORS preflight) on a bucket or object.

Browsers send preflights unsigned, so they are answered without authentication. Until bucket CORS
configurations exist (a later capability), every well-formed preflight is refused with 403, as AWS
refuses a preflight to a bucket without a cors subresource.
"""

from __future__ import annotations

from ...errors import S3Error
from ..context import RequestContext
from ..request import S3Request
from ..response import Response

__all__ = ["preflight"]


async def preflight(req: S3Request, ctx: RequestContext) -> Response:
    """OPTIONS object / bucket: 400 without Origin and method, 403 while no CORS rule allows it."""
    if "origin" not in req.headers:
        raise S3Error("BadRequest", "Insufficient information. Origin request header needed.")
    if "access-control-request-method" not in req.headers:
        raise S3Error("BadRequest", "Invalid Access-Control-Request-Method: null")
    assert req.bucket is not None
    await ctx.buckets.require(req.bucket)
    raise S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
