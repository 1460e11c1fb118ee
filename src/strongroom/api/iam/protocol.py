"""The AWS query protocol for IAM: recognise the request, read and verify it, dispatch, render.

An IAM request is a POST to "/" with a form-encoded body (``Action=CreateUser&Version=2010-05-08&...``),
SigV4-signed for the service "iam" (boto3's iam client and ``aws iam`` send exactly this). SDKs sign the
body's hash without an x-amz-content-sha256 header, so the (small, capped) body is read before the
signature is checked, as for KMS. Errors render as the query protocol's ErrorResponse (errors.py).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl

from ...auth.authenticate import PayloadMode
from ...errors import S3Error
from ...service.model import Principal
from ..context import Services
from ..request import S3Request
from ..response import Response
from .context import IamContext
from .operations import IAM_OPERATIONS
from .params import Params
from .render import iam_response

__all__ = ["is_iam_request", "handle_iam", "IAM_REQUEST_MAX_BYTES"]

# The largest request (a 10,240-character role policy, URL-encoded up to three bytes a character) fits.
IAM_REQUEST_MAX_BYTES = 128 * 1024
_IAM_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/,\s]*/iam/aws4_request")


def is_iam_request(req: S3Request) -> bool:
    """Is this request for the IAM query protocol (its signature scoped to the service iam)?"""
    return req.method == "POST" and req.raw_path == b"/" and bool(_IAM_SCOPE.search(req.headers.get("authorization", "")))


def form_values(req: S3Request, body: bytes) -> dict[str, str]:
    """Query-string and body parameters (the first value of a name wins)."""
    try:
        pairs = [*req.query, *parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict")]
    except UnicodeDecodeError:
        raise S3Error("InvalidInput", "The request body is not UTF-8 form data.") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


async def read_signed_form(req: S3Request, services: Services, service: str, max_bytes: int) -> tuple[Principal, dict[str, str]]:
    """A query-protocol request's verified caller and parameters (IAM, STS): the (small, capped) body is
    read before the signature is checked, since SDKs sign its hash without x-amz-content-sha256."""
    body = await req.read_unauthenticated(max_bytes, "ValidationError")
    body_sha256 = hashlib.sha256(body).hexdigest()
    auth = await req.authenticate(services.credentials, service=service, body_sha256_hex=body_sha256)
    if auth.principal is None:
        raise S3Error("MissingAuthenticationToken")
    if auth.payload is not PayloadMode.SIGNED or auth.payload_sha256_hex != body_sha256:
        raise S3Error("SignatureDoesNotMatch", "The request body does not match the signed payload hash.")
    return auth.principal, form_values(req, body)


async def handle_iam(req: S3Request, services: Services) -> Response:
    """Authenticate (SigV4, service iam), find the Action's row, run its handler, render XML."""
    principal, values = await read_signed_form(req, services, "iam", IAM_REQUEST_MAX_BYTES)
    name = values.get("Action", "")
    operation = IAM_OPERATIONS.get(name)
    if operation is None:
        raise S3Error("InvalidAction", f"Could not find operation {name} for version {values.get('Version', 'NO_VERSION_SPECIFIED')}")
    ctx = IamContext(services, principal, operation.action, req)
    result = await operation.handler(Params(values), ctx)
    return iam_response(name, result, req.request_id)
