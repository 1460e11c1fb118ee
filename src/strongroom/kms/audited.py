"""Every use of a KMS key becomes an audit event and a metric: the two hooks that make it so.

* The KMS API records each operation at its dispatch point (api/kms/protocol.py) with ``KmsAudit.record``.
* S3 uses the built-in KMS through the KeyProvider interface; ``AuditedProvider`` wraps it (server.py
  wiring) and records GenerateDataKey on writes and Decrypt on reads, as AWS S3 calls KMS.

S3's provider calls run deep in the service layer on worker threads, which know nothing of the
request; the api layer puts the request's ``KmsCaller`` (source IP, request id, user agent) in the
``S3_REQUEST`` context variable, and authorisation names the principal the key is used for in
key_policy.S3_CALLER; that context travels with the work into the thread (asyncio.to_thread copies
it; sealing.py passes it to its pool). No plaintext, data key or key material is ever passed to the
recorder.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import replace

from ..crypto import kmsblob
from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..errors import S3Error
from ..observe.audit import AuditLog, KmsEvent
from ..observe.metrics import count_kms_call
from .builtin import BuiltinKms, KmsError
from .caller import KmsCaller
from .key_policy import S3_CALLER
from .provider import KeyDescription, KeyUnavailable, WrappedKey

__all__ = ["AuditedProvider", "KmsAudit", "S3_REQUEST"]

# The S3 request being served, as its audit events name it (set by the api layer once authenticated).
S3_REQUEST: contextvars.ContextVar[KmsCaller | None] = contextvars.ContextVar("strongroom_s3_kms_request", default=None)


def _s3_caller() -> KmsCaller | None:
    """The request's facts, with the principal authorisation decided the key is used for."""
    request, decided = S3_REQUEST.get(), S3_CALLER.get()
    if request is None or decided is None:
        return request or decided
    return replace(request, principal_arn=decided.principal_arn, account_id=decided.account_id, via_service=decided.via_service)
_KEY_FAILURES = (KeyUnavailable, IntegrityError, KmsError, S3Error)
# S3-named refusals (a key policy denying S3's use for its caller) -> the KMS error name.
_FROM_S3 = {"AccessDenied": "AccessDeniedException"}
# A key in this state refuses to be used with this error (AWS KMS's names).
_STATE_ERRORS = {"Disabled": "DisabledException", "PendingDeletion": "KMSInvalidStateException", "Enabled": "KMSInternalException"}


class KmsAudit:
    """Records KMS operations: one audit event and one metric count each."""

    def __init__(self, log: AuditLog | None) -> None:
        self._log = log

    def record(
        self,
        operation: str,
        caller: KmsCaller | None,
        key_arn: str | None,
        context: Mapping[str, str] | None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """One KMS operation by ``caller`` on ``key_arn``; ``error_code`` when it failed."""
        count_kms_call(operation, caller is not None and caller.via_service is not None, error_code)
        if self._log is None:
            return
        self._log.emit(
            KmsEvent(
                event_name=operation,
                key_id=key_arn,
                principal=caller.principal_arn if caller else None,
                account_id=caller.account_id if caller else None,
                encryption_context=context,
                source_ip=caller.source_ip if caller else None,
                request_id=caller.request_id if caller else None,
                user_agent=caller.user_agent if caller else None,
                via_service=caller.via_service if caller else None,
                error_code=error_code,
                error_message=error_message,
            )
        )

    def close(self) -> None:
        """Flush and close the audit file."""
        if self._log is not None:
            self._log.close()


class AuditedProvider:
    """The built-in KMS as S3's KeyProvider, recording each key use for the request's caller."""

    def __init__(self, kms: BuiltinKms, audit: KmsAudit) -> None:
        self.name = kms.name
        self._kms = kms
        self._audit = audit

    def _success(self, operation: str, key_arn: str, context: Mapping[str, str]) -> None:
        self._audit.record(operation, _s3_caller(), key_arn, context)

    def _failure(self, operation: str, key_ref: str | None, context: Mapping[str, str], exc: Exception) -> None:
        """Record a failed use; the key's ARN and state are looked up only now (off the success path)."""
        key_arn, state = key_ref, None
        try:
            description = self._kms.describe(key_ref)
            key_arn, state = description.key_id, description.state
        except KeyUnavailable:
            pass
        if isinstance(exc, KmsError):
            code = exc.code
        elif isinstance(exc, S3Error):
            code = _FROM_S3.get(exc.code, exc.code.removeprefix("KMS."))
        elif isinstance(exc, IntegrityError):
            code = "InvalidCiphertextException"
        else:
            code = _STATE_ERRORS.get(state or "", "NotFoundException")
        self._audit.record(operation, _s3_caller(), key_arn, context, code, "S3 could not use the KMS key.")

    def generate_data_key(self, key_id: str | None, context: Mapping[str, str]) -> tuple[DataKey, WrappedKey]:
        try:
            result = self._kms.generate_data_key(key_id, context)
        except _KEY_FAILURES as exc:
            self._failure("GenerateDataKey", key_id, context, exc)
            raise
        self._success("GenerateDataKey", result[1].key_id, context)
        return result

    def wrap(self, key_id: str | None, key: DataKey, context: Mapping[str, str]) -> WrappedKey:
        try:
            wrapped = self._kms.wrap(key_id, key, context)
        except _KEY_FAILURES as exc:
            self._failure("Encrypt", key_id, context, exc)
            raise
        self._success("Encrypt", wrapped.key_id, context)
        return wrapped

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> DataKey:
        try:
            key = self._kms.unwrap(wrapped, context)
        except _KEY_FAILURES as exc:
            self._failure("Decrypt", _blob_key(wrapped), context, exc)
            raise
        self._success("Decrypt", wrapped.key_id, context)
        return key

    def describe(self, key_id: str | None) -> KeyDescription:
        return self._kms.describe(key_id)

    def rotate(self, key_id: str | None) -> str:
        return self._kms.rotate(key_id)


def _blob_key(wrapped: WrappedKey) -> str:
    """The key a KMS ciphertext names (its stored ARN when the blob is unreadable)."""
    try:
        return kmsblob.read_header(wrapped.wrapped).key_id
    except IntegrityError:
        return wrapped.key_id
