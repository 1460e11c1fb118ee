"""STS requests: recognised by their signature's scope (service sts), read, verified and dispatched like
IAM's query protocol (api/iam/protocol.py); answers carry STS's namespace."""

from __future__ import annotations

import re

from ...errors import S3Error
from ..context import Services
from ..iam.params import Params
from ..iam.protocol import read_signed_form
from ..request import S3Request
from ..response import Response
from ..xml import Node, render_xml
from .operations import STS_OPERATIONS, StsCall

__all__ = ["is_sts_request", "handle_sts", "STS_XMLNS"]

STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
STS_REQUEST_MAX_BYTES = 64 * 1024
_STS_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]*/sts/aws4_request")


def is_sts_request(req: S3Request) -> bool:
    return req.method == "POST" and req.raw_path == b"/" and bool(_STS_SCOPE.search(req.headers.get("authorization", "")))


def _response(action: str, result: Node, request_id: str) -> Response:
    content: list[tuple[str, Node]] = [(f"{action}Result", result), ("ResponseMetadata", [("RequestId", request_id)])]
    return Response(200, {"content-type": "text/xml"}, render_xml(f"{action}Response", content, xmlns=STS_XMLNS))


async def handle_sts(req: S3Request, services: Services) -> Response:
    """Authenticate (SigV4, service sts; session tokens too), run the Action's handler, render XML."""
    principal, values = await read_signed_form(req, services, "sts", STS_REQUEST_MAX_BYTES)
    name = values.get("Action", "")
    handler = STS_OPERATIONS.get(name)
    if handler is None:
        raise S3Error("InvalidAction", f"Could not find operation {name} for version {values.get('Version', 'NO_VERSION_SPECIFIED')}")
    result = await handler(StsCall(services, principal, req, Params(values), values))
    return _response(name, result, req.request_id)
