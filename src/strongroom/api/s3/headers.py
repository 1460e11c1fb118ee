"""Object headers in and out: what a PUT stores, what a GET/HEAD returns, and what a body claims.

Wire names stay wire names (lowercase header names, as constants).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import replace
from urllib.parse import parse_qsl

from ...crypto.customer_keys import CustomerKeyError, parse_customer_key
from ...errors import S3Error
from ...service.checksums import ChecksumAlgorithm, new_checksum, parse_checksum_header_value
from ...service.model import ObjectVersion, SseMode
from ...service.sealing import BodyChecks
from ...service.sse import (
    BUCKET_KEY_HEADER,
    KMS_MODES,
    SSE_CONTEXT_HEADER,
    SSE_HEADER,
    SSE_KMS_KEY_HEADER,
    SSEC_ALGORITHM_HEADER,
    SSEC_KEY_MD5_HEADER,
    UNSTATED,
    CustomerKey,
    SseRequest,
    decode_user_context,
)
from ..httpdates import http_date
from ..request import S3Request

__all__ = [
    "refuse_write_encryption_headers",
    "stored_headers",
    "object_response_headers",
    "parse_sse_request",
    "parse_customer_key_headers",
    "SSEC_PREFIX",
    "COPY_SOURCE_SSEC_PREFIX",
    "sse_response_headers",
    "body_checks",
    "parse_tagging_header",
    "verify_small_body",
    "SSE_HEADER",
    "DEFAULT_CONTENT_TYPE",
]

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
CHECKSUM_MODE_HEADER = "x-amz-checksum-mode"
_STORED = ("content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires", "x-amz-website-redirect-location")
_OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}
MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256


SSEC_PREFIX = "x-amz-server-side-encryption-customer-"
COPY_SOURCE_SSEC_PREFIX = "x-amz-copy-source-server-side-encryption-customer-"
_SSEC_MISSING = {
    "algorithm": "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
    "key": "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
    "key-md5": "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
}


def refuse_write_encryption_headers(req: S3Request) -> None:
    """GET and HEAD take no x-amz-server-side-encryption headers: the object says how it is sealed.

    AWS answers 400 when a read sends them (its GetObject reference says so for SSE-S3, SSE-KMS and
    DSSE-KMS objects alike); only SSE-C keys are sent on reads.
    """
    for name in (SSE_HEADER, SSE_KMS_KEY_HEADER, SSE_CONTEXT_HEADER):
        if name in req.headers:
            raise S3Error("InvalidArgument", f"The header '{name}' is not supported for this operation.",
                          extra={"ArgumentName": name, "ArgumentValue": req.headers[name]})


def parse_customer_key_headers(req: S3Request, prefix: str = SSEC_PREFIX) -> CustomerKey | None:
    """The SSE-C key a request sends under ``prefix`` (its own, or the copy source's), validated; None if none.

    The over-HTTP refusal is the app's, for every request carrying SSE-C headers (app.py).
    """
    names = {part: prefix + part for part in ("algorithm", "key", "key-md5")}
    if not any(name in req.headers for name in names.values()):
        return None
    for part, name in names.items():
        if name not in req.headers:
            raise S3Error("InvalidArgument", _SSEC_MISSING[part], extra={"ArgumentName": name})
    try:
        key = parse_customer_key(req.headers[names["algorithm"]], req.headers[names["key"]], req.headers[names["key-md5"]])
    except CustomerKeyError as exc:
        if exc.reason == "algorithm":
            raise S3Error(
                "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256.",
                extra={"ArgumentName": names["algorithm"], "ArgumentValue": req.headers[names["algorithm"]]},
            ) from None
        if exc.reason == "md5":
            raise S3Error("InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.",
                          extra={"ArgumentName": names["key-md5"]}) from None
        raise S3Error("InvalidArgument", "The secret key was invalid for the specified algorithm.", extra={"ArgumentName": names["key"]}) from None
    return CustomerKey(key, req.headers[names["key-md5"]])


def parse_sse_request(req: S3Request) -> SseRequest:
    """The encryption a write asks for: SSE-S3, SSE-KMS with an optional key and context, SSE-C, or (no
    x-amz-server-side-encryption) nothing stated, leaving it to the bucket's default encryption."""
    value = req.headers.get(SSE_HEADER)
    customer_key = parse_customer_key_headers(req)
    if customer_key is not None:
        if value is not None or SSE_KMS_KEY_HEADER in req.headers or SSE_CONTEXT_HEADER in req.headers:
            raise S3Error("InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
                          extra={"ArgumentName": SSE_HEADER, "ArgumentValue": value or ""})
        return SseRequest(SseMode.CUSTOMER, customer_key=customer_key)
    if value is not None and value not in (SseMode.S3.value, *(m.value for m in KMS_MODES)):
        raise S3Error("InvalidArgument", "The encryption method specified is not supported", extra={"ArgumentName": SSE_HEADER, "ArgumentValue": value})
    key_ref = req.headers.get(SSE_KMS_KEY_HEADER)
    context = req.headers.get(SSE_CONTEXT_HEADER)
    bucket_key = _bucket_key_header(req)
    if value not in {m.value for m in KMS_MODES}:
        for name in (SSE_KMS_KEY_HEADER, SSE_CONTEXT_HEADER):
            if name in req.headers:  # AWS: these headers need aws:kms
                raise S3Error(
                    "InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                    extra={"ArgumentName": SSE_HEADER, "ArgumentValue": value or "null"},
                )
        return SseRequest(bucket_key=bucket_key) if value is not None else replace(UNSTATED, bucket_key=bucket_key)
    if key_ref is not None and not key_ref.strip():
        raise S3Error("InvalidArgument", "KMS key id must not be empty", extra={"ArgumentName": SSE_KMS_KEY_HEADER, "ArgumentValue": key_ref})
    return SseRequest(
        SseMode(value), key_ref.strip() if key_ref else None, decode_user_context(context) if context is not None else None,
        bucket_key=bucket_key,
    )


def _bucket_key_header(req: S3Request) -> bool | None:
    """x-amz-server-side-encryption-bucket-key-enabled: true/false (case-insensitive), None when absent."""
    value = req.headers.get(BUCKET_KEY_HEADER)
    if value is None:
        return None
    if value.strip().lower() not in ("true", "false"):
        raise S3Error("InvalidArgument", "The bucket key enabled header must be true or false.",
                      extra={"ArgumentName": BUCKET_KEY_HEADER, "ArgumentValue": value})
    return value.strip().lower() == "true"


def sse_response_headers(stored: dict[str, str]) -> dict[str, str]:
    """x-amz-server-side-encryption (and the KMS key ARN and context) of an object or upload; for SSE-C,
    the customer algorithm and key MD5 instead (as AWS echoes them)."""
    if SSEC_ALGORITHM_HEADER in stored:
        return {SSEC_ALGORITHM_HEADER: stored[SSEC_ALGORITHM_HEADER], SSEC_KEY_MD5_HEADER: stored.get(SSEC_KEY_MD5_HEADER, "")}
    out = {SSE_HEADER: stored.get(SSE_HEADER, SseMode.S3.value)}
    for name in (SSE_KMS_KEY_HEADER, SSE_CONTEXT_HEADER, BUCKET_KEY_HEADER):
        if name in stored:
            out[name] = stored[name]
    return out


def stored_headers(req: S3Request) -> dict[str, str]:
    """Content headers and user metadata a PUT (or CreateMultipartUpload) keeps with the object."""
    parse_sse_request(req)  # validated here for every writer; resolved by the handler
    out = {name: req.headers[name] for name in _STORED if name in req.headers}
    if "content-encoding" in out:
        # aws-chunked describes this request's framing, not the object (AWS drops it too).
        codings = [c.strip() for c in out["content-encoding"].split(",") if c.strip() and c.strip().lower() != "aws-chunked"]
        if codings:
            out["content-encoding"] = ", ".join(codings)
        else:
            del out["content-encoding"]
    out.setdefault("content-type", DEFAULT_CONTENT_TYPE)
    for name, value in req.headers.items():
        if name.startswith("x-amz-meta-"):
            out[name] = value
    storage_class = req.headers.get("x-amz-storage-class")
    if storage_class is not None:
        if storage_class not in ("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"):
            raise S3Error("InvalidStorageClass")
        if storage_class != "STANDARD":
            out["x-amz-storage-class"] = storage_class
    return out


def object_response_headers(req: S3Request, version: ObjectVersion) -> dict[str, str]:
    """Headers of a GET/HEAD response (before range and length)."""
    # x-strongroom-* entries are the server's own records (SSE-C fingerprint, ACL), never sent.
    h = {k: v for k, v in version.headers.items() if not k.startswith(("x-amz-checksum", "x-strongroom-"))}
    h["etag"] = version.etag
    h["last-modified"] = http_date(version.last_modified)
    h["accept-ranges"] = "bytes"
    h.update(sse_response_headers(version.headers))
    if version.tags:
        h["x-amz-tagging-count"] = str(len(version.tags))
    if version.parts_count:
        h["x-amz-mp-parts-count"] = str(version.parts_count)
    if version.version_id != "null":
        h["x-amz-version-id"] = version.version_id
    if req.headers.get(CHECKSUM_MODE_HEADER, "").upper() == "ENABLED":
        for k, v in version.headers.items():
            if k.startswith("x-amz-checksum"):
                h[k] = v
    for param, header in _OVERRIDES.items():
        value = req.query_value(param)
        if value is not None:
            h[header] = value
    return h


def _checksum_algorithm(req: S3Request) -> ChecksumAlgorithm | None:
    declared = req.headers.get("x-amz-sdk-checksum-algorithm") or req.headers.get("x-amz-checksum-algorithm")
    trailer = req.headers.get("x-amz-trailer", "").strip().lower()
    present = [a for a in ChecksumAlgorithm if a.header_name in req.headers or trailer == a.header_name]
    if len(present) > 1:
        raise S3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    if declared is not None:
        try:
            algorithm = ChecksumAlgorithm(declared.upper())
        except ValueError as exc:
            raise S3Error("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.") from exc
        if present and present[0] is not algorithm:
            raise S3Error("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
        return algorithm
    return present[0] if present else None


def body_checks(req: S3Request) -> BodyChecks:
    """Content-MD5, the signed payload hash and any x-amz-checksum-* claim, to verify before commit."""
    checks = BodyChecks()
    md5 = req.headers.get("content-md5")
    if md5 is not None:
        try:
            digest = base64.b64decode(md5, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise S3Error("InvalidDigest") from exc
        if len(digest) != 16:
            raise S3Error("InvalidDigest")
        checks.content_md5 = digest
    if req.auth is not None:
        checks.payload_sha256_hex = req.auth.payload_sha256_hex
    algorithm = _checksum_algorithm(req)
    if algorithm is not None:
        checks.checksum_algorithm = algorithm
        header_value = req.headers.get(algorithm.header_name)
        if header_value is not None:
            _claimed_checksum(algorithm, header_value)
            checks.checksum_value = lambda: header_value
        else:
            def from_trailer() -> str | None:
                value = req.trailers.get(algorithm.header_name)
                if value is None:
                    return None
                _claimed_checksum(algorithm, value)
                return value

            checks.checksum_value = from_trailer
    return checks


def _claimed_checksum(algorithm: ChecksumAlgorithm, value: str) -> None:
    """A claimed checksum that cannot be the body's digest is a digest mismatch, as AWS answers (BadDigest)."""
    try:
        parse_checksum_header_value(algorithm, value)
    except S3Error as exc:
        raise S3Error("BadDigest", f"The {algorithm.value} you specified did not match the calculated checksum.") from exc


def verify_small_body(req: S3Request, body: bytes, *, required: bool) -> None:
    """Check a buffered XML body against its Content-MD5 / x-amz-checksum-* claim (BadDigest).

    ``required``: operations whose API model demands a body digest (DeleteObjects, Put*Tagging)
    answer InvalidRequest without one, as AWS does.
    """
    checks = body_checks(req)
    claimed = checks.checksum_value() if checks.checksum_algorithm is not None else None
    if required and checks.content_md5 is None and claimed is None:
        raise S3Error("InvalidRequest", "Missing required header for this request: Content-MD5")
    if checks.content_md5 is not None and hashlib.md5(body).digest() != checks.content_md5:
        raise S3Error("BadDigest")
    if checks.checksum_algorithm is not None and claimed is not None:
        checksum = new_checksum(checks.checksum_algorithm)
        checksum.update(body)
        if checksum.b64() != claimed:
            raise S3Error("BadDigest", f"The {checks.checksum_algorithm.value} you specified did not match the calculated checksum.")


def parse_tagging_header(value: str | None) -> dict[str, str] | None:
    """The x-amz-tagging header: URL-query-encoded tags."""
    if value is None:
        return None
    try:
        pairs = parse_qsl(value, keep_blank_values=True)
    except ValueError as exc:
        raise S3Error("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.") from exc
    tags: dict[str, str] = {}
    for k, v in pairs:
        if k in tags:
            raise S3Error("InvalidArgument", "Cannot provide multiple Tags with the same key")
        tags[k] = v
    validate_tags(tags)
    return tags or None


def validate_tags(tags: dict[str, str], max_tags: int = MAX_TAGS) -> None:
    """AWS tag limits: count, key 1..128 and value 0..256 characters."""
    if len(tags) > max_tags:
        raise S3Error("InvalidTag", "Object tags cannot be greater than 10" if max_tags == MAX_TAGS else "Bucket tag count cannot be greater than 50")
    for k, v in tags.items():
        if not 1 <= len(k) <= MAX_TAG_KEY:
            raise S3Error("InvalidTag", "The TagKey you have provided is invalid")
        if len(v) > MAX_TAG_VALUE:
            raise S3Error("InvalidTag", "The TagValue you have provided is invalid")
        if k.startswith("aws:"):
            raise S3Error("InvalidTag", "Your TagKey cannot be prefixed with aws:")
