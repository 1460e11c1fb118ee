"""AWS Signature Version 4 for S3: parsing what the client sent and recomputing its signature.

Pure functions only: no clock, no key lookup, no I/O. The caller (``api/app.py`` via the auth layer)
parses the request date, looks up the secret for ``scope.access_key``, checks clock skew and presign
expiry against ``strongroom.clock``, and compares signatures with :func:`signatures_equal`.

References (the S3 flavour of SigV4 differs from the generic one: no path normalisation and no
double encoding):
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote_from_bytes, unquote_to_bytes

from strongroom.errors import S3Error

__all__ = [
    "ALGORITHM",
    "MAX_CLOCK_SKEW_SECONDS",
    "PRESIGN_MAX_EXPIRES_SECONDS",
    "STREAMING_PAYLOAD",
    "STREAMING_PAYLOAD_TRAILER",
    "STREAMING_UNSIGNED_TRAILER",
    "UNSIGNED_PAYLOAD",
    "CredentialScope",
    "SignedRequestAuth",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "compute_signature",
    "format_amz_date",
    "parse_amz_date",
    "parse_authorization_header",
    "parse_http_date",
    "parse_presigned_query",
    "signatures_equal",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_PAYLOAD = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_PAYLOAD_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MAX_CLOCK_SKEW_SECONDS = 900
PRESIGN_MAX_EXPIRES_SECONDS = 604800

# Longest Authorization header value we parse; real ones are ~300 bytes.
MAX_AUTHORIZATION_HEADER_BYTES = 8192

_SCOPE_TERMINATOR = "aws4_request"
_STRAY_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_LOWER_HEX = frozenset("0123456789abcdef")
_QUERY_SIGNATURE_PARAM = "X-Amz-Signature"
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    _QUERY_SIGNATURE_PARAM,
)
_PRESIGN_MISSING = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)
_HEADER_THREE_PARTS = (
    "The authorization header is malformed; the authorization header requires three components: "
    "Credential, SignedHeaders, and Signature."
)
_CREDENTIAL_MALFORMED = (
    'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
)


@dataclass(frozen=True, slots=True)
class CredentialScope:
    """The Credential of a SigV4 request: access key id and the scope its signing key is bound to."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        """The scope string of the string to sign: date/region/service/aws4_request."""
        return f"{self.date}/{self.region}/{self.service}/{_SCOPE_TERMINATOR}"


@dataclass(frozen=True, slots=True)
class SignedRequestAuth:
    """Everything a SigV4 request claims about its signature, header or presigned form."""

    scope: CredentialScope
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: datetime
    presigned: bool
    expires_seconds: int | None

    @property
    def amz_date_iso(self) -> str:
        """The request time in the basic ISO 8601 form the string to sign uses."""
        return format_amz_date(self.amz_date)


# --- dates -----------------------------------------------------------------------------------------


def _parse_amz_date_or_none(value: str) -> datetime | None:
    if len(value) != 16 or value[8] != "T" or value[15] != "Z":
        return None
    digits = value[:8] + value[9:15]
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        return datetime(
            int(value[0:4]), int(value[4:6]), int(value[6:8]),
            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        return None


def parse_amz_date(value: str) -> datetime:
    """Parse an x-amz-date value ("20130524T000000Z") into an aware UTC datetime."""
    parsed = _parse_amz_date_or_none(value)
    if parsed is None:
        raise S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
    return parsed


def parse_http_date(value: str) -> datetime:
    """Parse an HTTP Date header (RFC 1123, e.g. "Fri, 24 May 2013 00:00:00 GMT") as aware UTC."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise S3Error(
            "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_amz_date(moment: datetime) -> str:
    """Format an aware datetime as an x-amz-date value."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- parsing what the client claims ----------------------------------------------------------------


_GLOBAL_SERVICES = frozenset({"iam", "sts"})


def _parse_credential(value: str) -> CredentialScope | None:
    # The access key id never contains '/', so exactly five parts.
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != _SCOPE_TERMINATOR:
        return None
    access_key, date, region, service, _ = parts
    # IAM and STS are global: an SDK configured with an empty region (Ceph's s3-tests make such IAM and
    # STS clients) signs an empty one. Regional services need one, as AWS answers.
    if not (access_key and date and service and (region or service in _GLOBAL_SERVICES)):
        return None
    if len(date) != 8 or not date.isascii() or not date.isdigit():
        return None
    return CredentialScope(access_key=access_key, date=date, region=region, service=service)


def _parse_signed_headers(value: str) -> tuple[str, ...] | None:
    names = tuple(value.split(";"))
    if not value or any(not name or name != name.lower() or name.strip() != name for name in names):
        return None
    return names


def _is_signature(value: str) -> bool:
    return len(value) == 64 and all(c in _LOWER_HEX for c in value)


def _header_malformed(detail: str) -> S3Error:
    return S3Error("AuthorizationHeaderMalformed", f"The authorization header is malformed; {detail}")


def parse_authorization_header(value: str, amz_date: datetime) -> SignedRequestAuth:
    """Parse a SigV4 Authorization header; ``amz_date`` is the already-parsed x-amz-date (or Date)."""
    if len(value) > MAX_AUTHORIZATION_HEADER_BYTES:
        raise S3Error("AuthorizationHeaderMalformed", _HEADER_THREE_PARTS)
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        # What S3 answers for any other scheme (SigV4a, a typo, garbage).
        raise S3Error(
            "InvalidArgument", "Unsupported Authorization Type", extra={"ArgumentName": "Authorization"}
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, field_value = part.strip().partition("=")
        if not eq or name not in ("Credential", "SignedHeaders", "Signature") or name in fields:
            raise S3Error("AuthorizationHeaderMalformed", _HEADER_THREE_PARTS)
        fields[name] = field_value.strip()
    if len(fields) != 3:
        raise S3Error("AuthorizationHeaderMalformed", _HEADER_THREE_PARTS)
    scope = _parse_credential(fields["Credential"])
    if scope is None:
        raise _header_malformed(_CREDENTIAL_MALFORMED)
    if scope.date != amz_date.astimezone(UTC).strftime("%Y%m%d"):
        raise _header_malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
    signed_headers = _parse_signed_headers(fields["SignedHeaders"])
    if signed_headers is None:
        raise _header_malformed("the SignedHeaders are mal-formed.")
    if not _is_signature(fields["Signature"]):
        # A signature of the wrong shape cannot match; AWS answers as for any other mismatch.
        raise S3Error("SignatureDoesNotMatch")
    return SignedRequestAuth(
        scope=scope,
        signed_headers=signed_headers,
        signature=fields["Signature"],
        amz_date=amz_date.astimezone(UTC),
        presigned=False,
        expires_seconds=None,
    )


def _query_error(message: str) -> S3Error:
    return S3Error("AuthorizationQueryParametersError", message)


def parse_presigned_query(params: Sequence[tuple[str, str]]) -> SignedRequestAuth:
    """Parse the X-Amz-* parameters of a presigned URL (names and values already percent-decoded)."""
    found: dict[str, str] = {}
    for name, value in params:
        if name in _PRESIGN_PARAMS:
            if name in found:
                raise _query_error(f"{name} must appear only once.")
            found[name] = value
    if len(found) != len(_PRESIGN_PARAMS):
        raise _query_error(_PRESIGN_MISSING)
    if found["X-Amz-Algorithm"] != ALGORITHM:
        raise _query_error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    amz_date = _parse_amz_date_or_none(found["X-Amz-Date"])
    if amz_date is None:
        raise _query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
    expires_text = found["X-Amz-Expires"]
    digits = expires_text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 10:
        raise _query_error("X-Amz-Expires should be a number")
    expires = int(expires_text)
    # A well-formed but out-of-range lifetime is refused like an expired URL (403), as AWS does
    # (the Ceph s3-tests x_amz_expires_out_* cases, validated against AWS).
    if expires < 1:
        raise S3Error("AccessDenied", "X-Amz-Expires must be non-negative")
    if expires > PRESIGN_MAX_EXPIRES_SECONDS:
        raise S3Error("AccessDenied", f"X-Amz-Expires must be less than a week (in seconds) that is {PRESIGN_MAX_EXPIRES_SECONDS}")
    scope = _parse_credential(found["X-Amz-Credential"])
    if scope is None:
        raise _query_error(f"Error parsing the X-Amz-Credential parameter; {_CREDENTIAL_MALFORMED}")
    if scope.date != found["X-Amz-Date"][:8]:
        raise _query_error(
            "Error parsing the X-Amz-Credential parameter; the date does not match X-Amz-Date."
        )
    signed_headers = _parse_signed_headers(found["X-Amz-SignedHeaders"])
    if signed_headers is None:
        raise _query_error("Error parsing the X-Amz-SignedHeaders parameter.")
    if not _is_signature(found[_QUERY_SIGNATURE_PARAM]):
        raise S3Error("SignatureDoesNotMatch")
    return SignedRequestAuth(
        scope=scope,
        signed_headers=signed_headers,
        signature=found[_QUERY_SIGNATURE_PARAM],
        amz_date=amz_date,
        presigned=True,
        expires_seconds=expires,
    )


# --- canonical request -----------------------------------------------------------------------------


def _percent_decode(raw: bytes) -> bytes:
    """RFC 3986 percent-decoding ('+' stays '+'); a stray '%' is InvalidURI, never guessed at."""
    if b"%" not in raw:
        return raw
    if _STRAY_PERCENT.search(raw):
        raise S3Error("InvalidURI")
    return unquote_to_bytes(raw)


def _uri_encode(data: bytes, *, keep_slash: bool) -> str:
    # urllib's quoter encodes every byte outside the safe set as %XX (uppercase), as SigV4 requires.
    return quote_from_bytes(data, safe="/-_.~" if keep_slash else "-_.~")


def canonical_uri(raw_path: bytes) -> str:
    """The S3 canonical URI: the decoded path re-encoded byte by byte, '/' kept, never normalised."""
    if not raw_path:
        return "/"
    return _uri_encode(_percent_decode(raw_path), keep_slash=True)


def canonical_query(raw_query: bytes, *, presigned: bool) -> str:
    """The canonical query string: pairs decoded, re-encoded, sorted; X-Amz-Signature dropped if presigned."""
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split(b"&"):
        if not item:
            continue  # "a=1&&b=2": an empty item names no parameter
        raw_name, _, raw_value = item.partition(b"=")
        name = _uri_encode(_percent_decode(raw_name), keep_slash=False)
        if presigned and name == _QUERY_SIGNATURE_PARAM:
            continue
        pairs.append((name, _uri_encode(_percent_decode(raw_value), keep_slash=False)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _trim_all(value: bytes) -> bytes:
    # Trimall: strip, and collapse runs of whitespace to one space (as botocore does).
    return b" ".join(value.split())


def _canonical_headers(headers: Sequence[tuple[bytes, bytes]], signed_headers: Sequence[str]) -> str:
    wanted: dict[str, list[bytes]] = {name: [] for name in signed_headers}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").strip().lower()
        if name in wanted:
            wanted[name].append(_trim_all(raw_value))
    lines = []
    for name in sorted(wanted):
        # Header bytes are kept exactly (surrogateescape) so the hash covers what was on the wire.
        value = b",".join(wanted[name]).decode("utf-8", "surrogateescape")
        lines.append(f"{name}:{value}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    headers: Sequence[tuple[bytes, bytes]],
    signed_headers: Sequence[str],
    payload_hash: str,
    *,
    presigned: bool,
) -> str:
    """The SigV4 canonical request for S3, built from the raw path and query as received."""
    return "\n".join(
        (
            method,
            canonical_uri(raw_path),
            canonical_query(raw_query, presigned=presigned),
            _canonical_headers(headers, signed_headers),
            ";".join(sorted(signed_headers)),
            payload_hash,
        )
    )


# --- signing ---------------------------------------------------------------------------------------


def string_to_sign(amz_date_iso: str, scope: str, canonical_request: str) -> str:
    """The SigV4 string to sign for a request."""
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date_iso}\n{scope}\n{digest}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key for one date, region and service."""
    key = _hmac(("AWS4" + secret).encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, _SCOPE_TERMINATOR)


def compute_signature(signing_key: bytes, string_to_sign: str) -> str:
    """HMAC-SHA256 of the string to sign, lowercase hex."""
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def signatures_equal(a: str, b: str) -> bool:
    """Compare two signatures in constant time."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
