"""KMS error rendering: the shared error type as AWS JSON (``{"__type": ..., "message": ...}``).

Errors raised by shared layers (authentication, policy) carry S3's codes; KMS clients expect the
names the JSON protocol uses for the same failure, so they are translated here, once.
"""

from __future__ import annotations

import json

from ...errors import ERROR_TABLE, S3Error

__all__ = ["CONTENT_TYPE", "KMS_CODES", "kms_error_body", "kms_error_code"]

CONTENT_TYPE = "application/x-amz-json-1.1"

KMS_CODES = frozenset(
    {
        "AccessDeniedException", "AlreadyExistsException", "DisabledException", "IncompleteSignatureException",
        "IncorrectKeyException", "InvalidCiphertextException", "InvalidKeyUsageException", "InvalidMarkerException",
        "InvalidSignatureException", "KMSInternalException", "KMSInvalidStateException", "LimitExceededException", "MalformedPolicyDocumentException",
        "MissingAuthenticationTokenException", "NotAuthorizedException", "NotFoundException", "SerializationException",
        "TagException", "UnknownOperationException", "UnrecognizedClientException", "UnsupportedOperationException",
        "ValidationException",
    }
)

# Shared (S3-named) codes -> the KMS JSON protocol's name for the same failure.
_FROM_SHARED = {
    "AccessDenied": "AccessDeniedException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "RequestTimeTooSkewed": "InvalidSignatureException",
    "XAmzContentSHA256Mismatch": "InvalidSignatureException",
    "InvalidAccessKeyId": "UnrecognizedClientException",
    "AuthorizationHeaderMalformed": "IncompleteSignatureException",
    "AuthorizationQueryParametersError": "IncompleteSignatureException",
}


def kms_error_code(error: S3Error) -> tuple[str, str]:
    """(KMS error name, message) a KMS client is answered for an error."""
    if error.code in KMS_CODES:
        return error.code, error.message
    if error.code in _FROM_SHARED:
        return _FROM_SHARED[error.code], error.message
    if error.status >= 500:
        return "KMSInternalException", ERROR_TABLE["KMSInternalException"][1]
    return "ValidationException", error.message


def kms_error_body(error: S3Error) -> tuple[int, bytes]:
    """(HTTP status, JSON body) for an error answering a KMS request."""
    code, message = kms_error_code(error)
    status = ERROR_TABLE[code][0]
    return status, json.dumps({"__type": code, "message": message}).encode()
