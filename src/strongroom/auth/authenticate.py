"""Who is calling: verify a SigV4 request (header or presigned) and say how its payload is signed.

Signatures are compared in constant time; header-signed requests more than 15 minutes off the
server's clock are RequestTimeTooSkewed; presigned URLs are bounded by X-Amz-Date + X-Amz-Expires.
Legacy SigV2 (header and query string) is verified only when the caller allows it
(``settings.allow_sigv2``); otherwise it is refused as AWS's SigV4-only regions refuse it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum

from .. import clock
from ..errors import S3Error
from ..service.accounts import AccessKey
from ..service.model import Principal
from . import sigv2, sigv4
from .credentials import CredentialCache
from .streaming import ChunkSignatureChain

__all__ = ["PayloadMode", "Authenticated", "authenticate"]


class PayloadMode(Enum):
    """How the request body is protected."""

    SIGNED = "signed"  # x-amz-content-sha256 is the body's hash: verify it before commit
    UNSIGNED = "unsigned"
    STREAMING_SIGNED = "streaming-signed"
    STREAMING_SIGNED_TRAILER = "streaming-signed-trailer"
    STREAMING_UNSIGNED_TRAILER = "streaming-unsigned-trailer"
    NONE = "none"  # anonymous


_STREAMING = {
    sigv4.STREAMING_PAYLOAD: PayloadMode.STREAMING_SIGNED,
    sigv4.STREAMING_PAYLOAD_TRAILER: PayloadMode.STREAMING_SIGNED_TRAILER,
    sigv4.STREAMING_UNSIGNED_TRAILER: PayloadMode.STREAMING_UNSIGNED_TRAILER,
}


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The verified caller (None = anonymous) and what the body must still prove."""

    principal: Principal | None
    payload: PayloadMode
    payload_sha256_hex: str | None = None
    chain: ChunkSignatureChain | None = None
    signed_at: datetime | None = None  # SigV4's signing time: s3:signatureAge counts from it


ANONYMOUS = Authenticated(None, PayloadMode.NONE)

_SIGV4_ONLY = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
# Expires beyond datetime's range only needs to render in an error message.
_LATEST_EPOCH_SECONDS = 253402300799  # 9999-12-31T23:59:59Z

# A signing key depends only on (secret, date, region, service): derive it once a day per key.
_signing_key = functools.lru_cache(maxsize=4096)(sigv4.signing_key)


async def authenticate(
    *,
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    query: Sequence[tuple[str, str]],
    raw_headers: Sequence[tuple[bytes, bytes]],
    headers: Mapping[str, str],
    credentials: CredentialCache,
    allow_sigv2: bool = False,
    virtual_host_bucket: str | None = None,
    service: str = "s3",
    body_sha256_hex: str | None = None,
) -> Authenticated:
    """Verify the request's signature; anonymous when it carries none.

    ``virtual_host_bucket`` is the bucket a virtual-host Host header names (SigV2 signs it).
    ``service`` is the credential scope's service this endpoint answers for ("s3", "kms").
    ``body_sha256_hex`` is the hash of a body already read: SDKs sign it without sending
    x-amz-content-sha256 for services other than S3.
    """
    authorization = headers.get("authorization")
    if _is_sigv2(authorization, query):
        if not allow_sigv2:
            raise S3Error("InvalidRequest", _SIGV4_ONLY)
        return await _authenticate_v2(
            method, raw_path, raw_query, query, raw_headers, headers, credentials, virtual_host_bucket
        )
    if authorization is not None:
        date_value = headers.get("x-amz-date") or headers.get("date")
        if date_value is None:
            raise S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
        amz_date = sigv4.parse_amz_date(date_value) if "x-amz-date" in headers else sigv4.parse_http_date(date_value)
        auth = sigv4.parse_authorization_header(authorization, amz_date)
        payload_hash = headers.get("x-amz-content-sha256", body_sha256_hex)
        if payload_hash is None:
            raise S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    elif any(name == "X-Amz-Algorithm" for name, _ in query):
        auth = sigv4.parse_presigned_query(query)
        payload_hash = headers.get("x-amz-content-sha256", sigv4.UNSIGNED_PAYLOAD)
    else:
        return ANONYMOUS

    if auth.scope.service != service:
        raise S3Error("AuthorizationHeaderMalformed", f"The authorization header is malformed; incorrect service '{auth.scope.service}'. This endpoint belongs to '{service}'.")
    _check_time(auth)
    key = await _key(credentials, auth.scope.access_key, headers, query)
    canonical = sigv4.canonical_request(method, raw_path, raw_query, raw_headers, auth.signed_headers, payload_hash, presigned=auth.presigned)
    to_sign = sigv4.string_to_sign(auth.amz_date_iso, auth.scope.scope, canonical)
    signing_key = _signing_key(key.secret, auth.scope.date, auth.scope.region, auth.scope.service)
    if not sigv4.signatures_equal(sigv4.compute_signature(signing_key, to_sign), auth.signature):
        raise S3Error("SignatureDoesNotMatch", extra={"AWSAccessKeyId": auth.scope.access_key, "StringToSign": to_sign})
    if key.principal.token_expires is None:  # temporary keys have no stored last use
        await credentials.note_use(auth.scope.access_key, auth.scope.service, auth.scope.region)
    return replace(_payload(key.principal, payload_hash, signing_key, auth), signed_at=auth.amz_date)


async def _key(credentials: CredentialCache, access_key_id: str, headers: Mapping[str, str], query: Sequence[tuple[str, str]]) -> AccessKey:
    """The signing key: a stored access key, or the temporary one an STS session token carries."""
    token = headers.get("x-amz-security-token")
    if token is None:
        token = next((v for k, v in query if k in ("X-Amz-Security-Token", "x-amz-security-token")), None)  # SigV4 / SigV2 URLs
    if token is not None:
        return await credentials.session(token, access_key_id)
    return await credentials.lookup(access_key_id)


def _is_sigv2(authorization: str | None, query: Sequence[tuple[str, str]]) -> bool:
    if authorization is not None:
        return authorization.startswith(sigv2.AUTHORIZATION_PREFIX)
    return sigv2.is_presigned_query(query) and not any(name == "X-Amz-Algorithm" for name, _ in query)


async def _authenticate_v2(
    method: str,
    raw_path: bytes,
    raw_query: bytes,
    query: Sequence[tuple[str, str]],
    raw_headers: Sequence[tuple[bytes, bytes]],
    headers: Mapping[str, str],
    credentials: CredentialCache,
    virtual_host_bucket: str | None,
) -> Authenticated:
    """SigV2: parse, check the time (skew for headers, Expires for URLs), look up the key, compare."""
    authorization = headers.get("authorization")
    if authorization is not None:
        auth = sigv2.parse_authorization_header(authorization)
        date_text, moment = sigv2.parse_request_date(headers)
        now = clock.wall_now()  # skew against the real time: the client signed with its clock
        if abs((now - moment).total_seconds()) > sigv4.MAX_CLOCK_SKEW_SECONDS:
            raise S3Error("RequestTimeTooSkewed", extra={"RequestTime": date_text, "ServerTime": sigv4.format_amz_date(now), "MaxAllowedSkewMilliseconds": "900000"})
    else:
        auth = sigv2.parse_presigned_query(query)
        assert auth.expires is not None
        if clock.now_seconds() > int(auth.expires):
            expires_at = datetime.fromtimestamp(min(int(auth.expires), _LATEST_EPOCH_SECONDS), tz=UTC)
            raise S3Error("AccessDenied", "Request has expired", extra={"Expires": sigv4.format_amz_date(expires_at), "ServerTime": sigv4.format_amz_date(clock.now())})
    key = await _key(credentials, auth.access_key, headers, query)
    candidates = sigv2.strings_to_sign(method, raw_path, raw_query, raw_headers, virtual_host_bucket=virtual_host_bucket, expires=auth.expires)
    # Every candidate is compared (no short cut), each in constant time.
    matches = [sigv2.signatures_equal(sigv2.compute_signature(key.secret, c), auth.signature) for c in candidates]
    if not any(matches):
        shown = candidates[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise S3Error("SignatureDoesNotMatch", extra={"AWSAccessKeyId": auth.access_key, "StringToSign": shown})
    if key.principal.token_expires is None:
        await credentials.note_use(auth.access_key, "s3", "")  # SigV2 names no region
    return _v2_payload(key.principal, headers.get("x-amz-content-sha256"))


def _v2_payload(principal: Principal, payload_hash: str | None) -> Authenticated:
    # SigV2 signs no body. A client that still states the body's SHA-256 (a signed x-amz-* header)
    # gets it verified; aws-chunked with an unsigned trailer is decoded; chunk signatures need SigV4.
    if payload_hash is None or payload_hash == sigv4.UNSIGNED_PAYLOAD:
        return Authenticated(principal, PayloadMode.UNSIGNED)
    if payload_hash == sigv4.STREAMING_UNSIGNED_TRAILER:
        return Authenticated(principal, PayloadMode.STREAMING_UNSIGNED_TRAILER)
    if len(payload_hash) != 64 or any(c not in "0123456789abcdef" for c in payload_hash):
        raise S3Error("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a hex SHA-256 with Signature Version 2", extra={"ArgumentName": "x-amz-content-sha256"})
    return Authenticated(principal, PayloadMode.SIGNED, payload_sha256_hex=payload_hash)


def _check_time(auth: sigv4.SignedRequestAuth) -> None:
    # Expiry is a rule (the rules clock, which tests move); skew compares the client's signing
    # clock with the real time (clock.wall_now), so a moved test clock does not lock clients out.
    if auth.presigned:
        assert auth.expires_seconds is not None
        if clock.now() > auth.amz_date + timedelta(seconds=auth.expires_seconds):
            raise S3Error("AccessDenied", "Request has expired", extra={"X-Amz-Expires": str(auth.expires_seconds)})
        if auth.amz_date - clock.wall_now() > timedelta(seconds=sigv4.MAX_CLOCK_SKEW_SECONDS):
            raise S3Error("AccessDenied", "Request is not valid yet")
    elif abs((clock.wall_now() - auth.amz_date).total_seconds()) > sigv4.MAX_CLOCK_SKEW_SECONDS:
        raise S3Error("RequestTimeTooSkewed", extra={"RequestTime": auth.amz_date_iso, "MaxAllowedSkewMilliseconds": "900000"})


def _payload(principal: Principal, payload_hash: str, signing_key: bytes, auth: sigv4.SignedRequestAuth) -> Authenticated:
    if payload_hash == sigv4.UNSIGNED_PAYLOAD:
        return Authenticated(principal, PayloadMode.UNSIGNED)
    mode = _STREAMING.get(payload_hash)
    if mode is not None:
        chain = None
        if mode is not PayloadMode.STREAMING_UNSIGNED_TRAILER:
            chain = ChunkSignatureChain(signing_key, auth.amz_date_iso, auth.scope.scope, auth.signature)
        return Authenticated(principal, mode, chain=chain)
    if len(payload_hash) != 64 or any(c not in "0123456789abcdef" for c in payload_hash):
        raise S3Error("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a hex SHA-256", extra={"ArgumentName": "x-amz-content-sha256"})
    return Authenticated(principal, PayloadMode.SIGNED, payload_sha256_hex=payload_hash)
