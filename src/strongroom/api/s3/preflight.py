"""OPTIONS (CORS preflight) on a bucket or object, answered from the bucket's CORS rules.

Browsers send preflights unsigned (Fetch standard), so they are answered without authentication and
reveal only what the rules say. The first rule allowing the Origin, the Access-Control-Request-Method
and every Access-Control-Request-Headers name answers 200 with its CORS headers; no such rule is 403
AccessForbidden, and so is a bucket without a cors subresource (AWS's answers).
"""

from __future__ import annotations

from ...errors import S3Error
from ...service.cors import CORS_KIND, CorsConfiguration, parse_request_headers
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response
from .cors import cors_response_headers

__all__ = ["preflight"]

_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
    "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)


async def preflight(req: S3Request, ctx: RequestContext) -> Response:
    """OPTIONS object / bucket: 400 without Origin and method, 200 from a matching rule, else 403."""
    origin = req.headers.get("origin")
    if origin is None:
        raise S3Error("BadRequest", "Insufficient information. Origin request header needed.")
    method = req.headers.get("access-control-request-method")
    if method is None:
        raise S3Error("BadRequest", "Invalid Access-Control-Request-Method: null")
    assert req.bucket is not None
    await ctx.buckets.require(req.bucket)
    config = CorsConfiguration.from_json(await ctx.buckets.cached_config(req.bucket, CORS_KIND))
    if config is None:
        raise S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    requested = parse_request_headers(req.headers.get("access-control-request-headers"))
    rule = config.match(origin, method, requested)
    if rule is None:
        raise S3Error("AccessForbidden", _NOT_ALLOWED)
    return empty_response(200, cors_response_headers(rule, origin, requested))
