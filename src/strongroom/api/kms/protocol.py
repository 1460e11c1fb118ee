"""The AWS JSON 1.1 protocol for KMS: recognise the request, read and verify it, dispatch, render.

A KMS request is a POST to "/" whose X-Amz-Target is "TrentService.<Operation>", SigV4-signed for the
service "kms". SDKs sign the body's hash without an x-amz-content-sha256 header, so the (small, capped)
body is read before the signature is checked and its hash is what the signature must cover.
"""

from __future__ import annotations

import hashlib
import json

from ...auth.authenticate import PayloadMode
from ...errors import S3Error
from ..context import Services
from ..request import S3Request
from ..response import Response
from .audit import KmsApiCall
from .context import KmsContext
from .errors import CONTENT_TYPE
from .operations import KMS_OPERATIONS, TARGET_PREFIX
from .params import Params

__all__ = ["is_kms_request", "handle_kms", "KMS_REQUEST_MAX_BYTES"]

# The largest valid request (ReEncrypt: a 6 KiB blob, base64, plus two encryption contexts) is far below.
KMS_REQUEST_MAX_BYTES = 64 * 1024


def is_kms_request(req: S3Request) -> bool:
    """Is this request for the KMS JSON protocol rather than S3?"""
    return req.method == "POST" and req.raw_path == b"/" and req.headers.get("x-amz-target", "").startswith(TARGET_PREFIX)


def _parse(body: bytes) -> Params:
    if not body.strip():
        return Params({})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise S3Error("SerializationException", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise S3Error("SerializationException", "The request body must be a JSON object.")
    return Params(data)


async def handle_kms(req: S3Request, services: Services) -> Response:
    """Serve one KMS request and record it in the audit trail, whatever its outcome (one place for all)."""
    call = KmsApiCall(req, services)
    try:
        response = await _dispatch(req, services, call)
    except S3Error as error:
        await call.finish(error)
        raise
    except Exception:
        await call.finish(S3Error("InternalError"))
        raise
    await call.finish(None)
    return response


async def _dispatch(req: S3Request, services: Services, call: KmsApiCall) -> Response:
    """Authenticate (SigV4, service kms), find the operation row, run its handler, render JSON."""
    name = req.headers["x-amz-target"].removeprefix(TARGET_PREFIX)
    operation = KMS_OPERATIONS.get(name)
    call.operation = operation.name if operation is not None else None
    body = call.body = await req.read_unauthenticated(KMS_REQUEST_MAX_BYTES, "ValidationException")  # before authentication: the signature covers its hash
    body_sha256 = hashlib.sha256(body).hexdigest()
    auth = await req.authenticate(services.credentials, service="kms", body_sha256_hex=body_sha256)
    if auth.principal is None:
        raise S3Error("MissingAuthenticationTokenException")
    if auth.payload is not PayloadMode.SIGNED or auth.payload_sha256_hex != body_sha256:
        raise S3Error("InvalidSignatureException", "The request body does not match the signed payload hash.")
    if operation is None:
        raise S3Error("UnknownOperationException", f"Unknown operation {name}")
    identity = await services.iam.identities.of(auth.principal)
    ctx = KmsContext(services.kms, auth.principal, operation.action, identity=identity)
    result = call.result = await operation.handler(_parse(body), ctx)
    payload = json.dumps(result).encode() if result is not None else b""
    return Response(200, {"content-type": CONTENT_TYPE, "x-amzn-requestid": req.request_id}, payload)
