"""KMS error rendering: the shared error type as AWS JSON (``{"__type": ..., "message": ...}``).

Errors raised by shared layers (authentication, policy) carry S3's codes; KMS clients expect the
names the JSON protocol uses for the same failure, so they are translated here, once.
"""

from __future__ import annotations

import json

from ...errors import ERROR_TABLE, S3Error

__all__ = ["CONTENT_TYPE", "KMS_CODES", "kms_error_body"]

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


def kms_error_body(error: S3Error) -> tuple[int, bytes]:
    """(HTTP status, JSON body) for an error answering a KMS request."""
    if error.code in KMS_CODES:
        code, message = error.code, error.message
    elif error.code in _FROM_SHARED:
        code, message = _FROM_SHARED[error.code], error.message
    elif error.status >= 500:
        code, message = "KMSInternalException", ERROR_TABLE["KMSInternalException"][1]
    else:
        code, message = "ValidationException", error.message
    status = ERROR_TABLE[code][0]
    return status, json.dumps({"__type": code, "message": message}).encode()
