"""Audit events of the KMS API, recorded once at its dispatch point (protocol.py) whatever the outcome.

Which key a call used is read from what the caller sent and what it was answered (KeyId members,
KeyMetadata.Arn, the key a ciphertext names), never from the handlers, so every operation row is
covered without touching them. Only key references and the encryption context are taken from a
request: plaintexts, data keys and ciphertexts never reach an event.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Mapping

from ...crypto import kmsblob
from ...crypto.errors import IntegrityError
from ...errors import S3Error
from ...kms.builtin import BuiltinKms, KmsError
from ...kms.caller import KmsCaller
from ..context import Services
from ..request import S3Request
from .errors import kms_error_code

__all__ = ["KmsApiCall", "kms_caller"]

# Members naming the key an operation acts on, in order of preference (ReEncrypt: its destination).
_KEY_MEMBERS = ("DestinationKeyId", "KeyId", "TargetKeyId")
_CONTEXT_MEMBERS = ("EncryptionContext", "DestinationEncryptionContext")


def kms_caller(req: S3Request, via_service: str | None = None) -> KmsCaller:
    """The caller of a request as KMS sees it (None principal: not, or not yet, authenticated)."""
    principal = req.auth.principal if req.auth is not None else None
    return KmsCaller(
        principal_arn=principal.arn if principal is not None else None,
        account_id=principal.account.account_id if principal is not None else None,
        via_service=via_service,
        source_ip=req.client_ip,
        request_id=req.request_id,
        user_agent=req.headers.get("user-agent"),
    )


class KmsApiCall:
    """One KMS API request being served: what its audit event needs, gathered as dispatch goes."""

    def __init__(self, req: S3Request, services: Services) -> None:
        self._req = req
        self._services = services
        self.operation: str | None = None  # set once the X-Amz-Target names a known operation
        self.body = b""
        self.result: Mapping[str, object] | None = None

    async def finish(self, error: S3Error | None) -> None:
        """Record the call (off the event loop: resolving an alias reads the metadata, then one append)."""
        if self.operation is None:
            return  # unknown operations are no key use
        await asyncio.get_running_loop().run_in_executor(None, self._record, error)

    def _record(self, error: S3Error | None) -> None:
        caller = kms_caller(self._req)
        request = _json_object(self.body)
        key_arn = _key_arn(self._services.kms, caller.account_id, self.result or {}, request)
        code, message = kms_error_code(error) if error is not None else (None, None)
        assert self.operation is not None
        self._services.kms_audit.record(self.operation, caller, key_arn, _context(request), code, message)


def _json_object(body: bytes) -> Mapping[str, object]:
    try:
        data = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _key_arn(kms: BuiltinKms, account_id: str | None, result: Mapping[str, object], request: Mapping[str, object]) -> str | None:
    """The ARN of the key the call used: from the answer, else the request's key reference or ciphertext."""
    answered = result.get("KeyId")
    metadata = result.get("KeyMetadata")
    if isinstance(metadata, Mapping) and isinstance(metadata.get("Arn"), str):
        return str(metadata["Arn"])
    if isinstance(answered, str) and answered.startswith("arn:"):
        return answered
    ref = next((v for v in (request.get(m) for m in _KEY_MEMBERS) if isinstance(v, str) and v), None)
    if ref is None:
        ref = _ciphertext_key_id(request.get("CiphertextBlob"))
    if ref is None or account_id is None or (ref.startswith("arn:aws:kms:") and ":key/" in ref):
        return ref
    try:
        return kms.resolve(account_id, ref).arn
    except KmsError:
        return ref  # a key that does not exist (the event's errorCode says so): as the caller named it


def _ciphertext_key_id(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return kmsblob.read_header(base64.b64decode(value, validate=True)).key_id
    except (binascii.Error, ValueError, IntegrityError):
        return None


def _context(request: Mapping[str, object]) -> dict[str, str] | None:
    for member in _CONTEXT_MEMBERS:
        value = request.get(member)
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return dict(value)
    return None
