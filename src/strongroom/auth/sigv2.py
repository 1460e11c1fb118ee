"""AWS Signature Version 2 for S3 (legacy, off unless ``settings.allow_sigv2``): parsing and the string to sign.

Pure functions only: no clock, no key lookup, no I/O. ``auth/authenticate.py`` checks clock skew and
expiry against ``strongroom.clock``, looks up the secret and compares signatures with
:func:`signatures_equal`. The string to sign is::

    HTTP-Verb \\n Content-MD5 \\n Content-Type \\n Date \\n CanonicalizedAmzHeaders CanonicalizedResource

Date is empty when x-amz-date is sent (it is signed among the x-amz-* headers instead) and is the
Expires value for query-string (presigned) requests. SigV2 signs no body: Content-MD5, when sent,
is verified by the ordinary body checks.

Reference: "Signing and authenticating REST requests" (Signature Version 2),
https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html (RESTAuthentication); botocore's
``HmacV1Auth`` / ``HmacV1QueryAuth`` are the client side the unit tests cross-check against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

from strongroom.errors import S3Error

from . import sigv4

__all__ = [
    "AUTHORIZATION_PREFIX",
    "SUBRESOURCES",
    "V2Auth",
    "canonical_amz_headers",
    "canonical_resource",
    "compute_signature",
    "is_presigned_query",
    "parse_authorization_header",
    "parse_presigned_query",
    "parse_request_date",
    "signatures_equal",
    "string_to_sign",
    "strings_to_sign",
]

AUTHORIZATION_PREFIX = "AWS "

# Query parameters that belong to the CanonicalizedResource: the sub-resources and response overrides
# the AWS page lists, plus the ones botocore's HmacV1Auth signs (a server that signs a parameter the
# client leaves out, or the reverse, can never match).
SUBRESOURCES = frozenset(
    {
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy",
        "replication", "requestPayment", "restore", "select", "select-type", "storageClass", "tagging",
        "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires",
    }
)  # fmt: skip

_QUERY_PARAMS = ("AWSAccessKeyId", "Expires", "Signature")
_QUERY_MISSING = "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
_HEADER_INVALID = "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"
_DATE_INVALID = "AWS authentication requires a valid Date or x-amz-date header"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Standard headers a presigned URL may carry in its query instead (botocore's HmacV1QueryAuth does).
_QUERY_STANDS_IN = ("content-md5", "content-type")


@dataclass(frozen=True, slots=True)
class V2Auth:
    """What a SigV2 request claims: access key id, signature and, for presigned URLs, Expires."""

    access_key: str
    signature: str
    expires: str | None = None  # epoch seconds, as sent (it is also the Date line of the string to sign)

    @property
    def presigned(self) -> bool:
        """Query-string (presigned) authentication?"""
        return self.expires is not None


# --- parsing what the client claims ----------------------------------------------------------------


def is_presigned_query(query: Sequence[tuple[str, str]]) -> bool:
    """Does the query carry SigV2 query-string authentication?"""
    return any(name in ("AWSAccessKeyId", "Signature") for name, _ in query)


def parse_authorization_header(value: str) -> V2Auth:
    """Parse ``AWS AccessKeyId:Signature``; anything else is InvalidArgument, as S3 answers."""
    akid, colon, signature = value[len(AUTHORIZATION_PREFIX) :].strip().partition(":")
    if (
        not value.startswith(AUTHORIZATION_PREFIX)
        or len(value) > sigv4.MAX_AUTHORIZATION_HEADER_BYTES
        or not colon
        or not akid
        or not signature
        or any(c.isspace() for c in akid + signature)
    ):
        raise S3Error(
            "InvalidArgument", _HEADER_INVALID, extra={"ArgumentName": "Authorization", "ArgumentValue": value[:256]}
        )
    return V2Auth(access_key=akid, signature=signature)


def parse_presigned_query(query: Sequence[tuple[str, str]]) -> V2Auth:
    """Parse AWSAccessKeyId, Expires and Signature (already percent-decoded); the first of each counts."""
    found: dict[str, str] = {}
    for name, value in query:
        if name in _QUERY_PARAMS:
            found.setdefault(name, value)
    if len(found) != len(_QUERY_PARAMS) or not found["AWSAccessKeyId"] or not found["Signature"]:
        raise S3Error("AccessDenied", _QUERY_MISSING)
    expires = found["Expires"]
    if not expires.isascii() or not expires.isdigit() or len(expires) > 12:
        raise S3Error("AccessDenied", f"Invalid date (should be seconds since epoch): {expires[:64]}")
    return V2Auth(access_key=found["AWSAccessKeyId"], signature=found["Signature"], expires=expires)


def parse_request_date(headers: Mapping[str, str]) -> tuple[str, datetime]:
    """The request time of a header-signed request: x-amz-date (even empty) wins over Date.

    Both are HTTP dates (RFC 1123). Missing, unparsable or before the epoch is AccessDenied; a
    parsable date far off the clock is the caller's RequestTimeTooSkewed.
    """
    value = headers.get("x-amz-date")
    if value is None:
        value = headers.get("date")
    if value is None:
        raise S3Error("AccessDenied", _DATE_INVALID)
    moment = sigv4.parse_http_date(value)
    if moment < _EPOCH:
        raise S3Error("AccessDenied", _DATE_INVALID)
    return value, moment


# --- the string to sign ----------------------------------------------------------------------------


def _text(raw: bytes) -> str:
    # Wire bytes kept exactly (surrogateescape), so the HMAC covers what was sent.
    return raw.decode("utf-8", "surrogateescape")


def canonical_resource(raw_path: bytes, raw_query: bytes, virtual_host_bucket: str | None) -> str:
    """The CanonicalizedResource: [/bucket] + the undecoded path + the signed sub-resources, sorted."""
    path = _text(raw_path) or "/"
    resource = f"/{virtual_host_bucket}{path}" if virtual_host_bucket is not None else path
    subresources: list[tuple[str, str | None]] = []
    for item in raw_query.split(b"&"):
        raw_name, eq, raw_value = item.partition(b"=")
        name = _text(raw_name)
        if name in SUBRESOURCES:
            # Values are signed decoded ("you do not encode these values"); a valueless one stays bare.
            subresources.append((name, _text(unquote_to_bytes(raw_value)) if eq else None))
    if not subresources:
        return resource
    subresources.sort(key=lambda pair: pair[0])  # by name only, stable: repeated names keep their order
    return resource + "?" + "&".join(name if value is None else f"{name}={value}" for name, value in subresources)


def canonical_amz_headers(amz_headers: Sequence[tuple[str, str]]) -> str:
    """The CanonicalizedAmzHeaders: "name:v1,v2\\n" per lowercased x-amz-* name, sorted by name."""
    merged: dict[str, list[str]] = {}
    for name, value in amz_headers:
        merged.setdefault(name.strip().lower(), []).append(value.strip())
    return "".join(f"{name}:{','.join(merged[name])}\n" for name in sorted(merged))


def string_to_sign(
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    raw_headers: Sequence[tuple[bytes, bytes]],
    *,
    virtual_host_bucket: str | None,
    expires: str | None = None,
    date_despite_amz_date: bool = False,
) -> str:
    """The SigV2 string to sign; ``expires`` (query-string form) replaces the Date line.

    ``date_despite_amz_date`` keeps the Date header's line even when x-amz-date is sent, as
    botocore's HmacV1Auth signs it (the AWS page says the line is then empty).

    In the query-string form, Content-MD5, Content-Type and x-amz-* values may come from the query
    (botocore's presigner puts them there) when the request does not send them as headers.
    """
    standard: dict[str, list[str]] = {"content-md5": [], "content-type": [], "date": []}
    amz: list[tuple[str, str]] = []
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").strip().lower()
        if name in standard:
            standard[name].append(_text(raw_value).strip())
        elif name.startswith("x-amz-"):
            amz.append((name, _text(raw_value)))
    if expires is not None:
        amz_names = {name for name, _ in amz}
        for item in raw_query.split(b"&"):
            raw_name, _, raw_value = item.partition(b"=")
            name = _text(unquote_to_bytes(raw_name)).lower()
            value = _text(unquote_to_bytes(raw_value))
            if name in _QUERY_STANDS_IN and not standard[name]:
                standard[name].append(value.strip())
            elif name.startswith("x-amz-") and name not in amz_names:
                amz.append((name, value))
        date_line = expires
    elif any(name == "x-amz-date" for name, _ in amz) and not date_despite_amz_date:
        date_line = ""
    else:
        date_line = ",".join(standard["date"])
    return "".join(
        (
            f"{method}\n",
            ",".join(standard["content-md5"]) + "\n",
            ",".join(standard["content-type"]) + "\n",
            f"{date_line}\n",
            canonical_amz_headers(amz),
            canonical_resource(raw_path, raw_query, virtual_host_bucket),
        )
    )


def strings_to_sign(
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    raw_headers: Sequence[tuple[bytes, bytes]],
    *,
    virtual_host_bucket: str | None,
    expires: str | None = None,
) -> tuple[str, ...]:
    """Every string to sign a client may have used; the first is the canonical one.

    Clients differ where the AWS page is silent or botocore strays from it; each variant below
    signs the same request, so accepting it weakens nothing:
    - a path-style bucket request ("/bucket") is signed by botocore (and boto) as "/bucket/", by
      others as sent;
    - with both x-amz-date and Date, botocore still signs the Date line.
    """
    paths = [raw_path]
    if virtual_host_bucket is None and raw_path.count(b"/") == 1 and len(raw_path) > 1:
        paths.append(raw_path + b"/")
    date_choices = [False]
    names = {name.strip().lower() for name, _ in raw_headers}
    if expires is None and b"x-amz-date" in names and b"date" in names:
        date_choices.append(True)
    return tuple(
        string_to_sign(
            method, path, raw_query, raw_headers,
            virtual_host_bucket=virtual_host_bucket, expires=expires, date_despite_amz_date=keep_date,
        )
        for path in paths
        for keep_date in date_choices
    )  # fmt: skip


# --- signing ---------------------------------------------------------------------------------------


def compute_signature(secret: str, string_to_sign: str) -> str:
    """base64(HMAC-SHA1(secret, string to sign))."""
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8", "surrogateescape"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signatures_equal(expected: str, claimed: str) -> bool:
    """Compare two signatures in constant time."""
    return hmac.compare_digest(expected.encode("ascii"), claimed.encode("utf-8", "surrogateescape"))
