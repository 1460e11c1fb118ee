"""Server-side encryption of objects: which key provider seals a version, under which key and context.

An object's encryption is part of its stored headers (the metadata format), under the wire names AWS
echoes: ``x-amz-server-side-encryption`` (absent on objects written before SSE-KMS: SSE-S3),
``x-amz-server-side-encryption-aws-kms-key-id`` (the KMS key ARN) and
``x-amz-server-side-encryption-context`` (the caller's context, base64 of canonical JSON) and
``x-amz-server-side-encryption-bucket-key-enabled`` ("true" when an S3 Bucket Key wraps the data keys).
The encryption context every data key is bound to is the caller's context plus the object's ARN, as
AWS builds it for SSE-KMS (plus the blob binding sealing.py adds); a bucket key itself is bound to
the bucket ARN (kms/bucket_keys.py).

Bucket keys apply to SSE-KMS only (not SSE-S3, SSE-C or DSSE-KMS, as AWS): the request's
x-amz-server-side-encryption-bucket-key-enabled decides, else the bucket's BucketKeyEnabled.
DSSE-KMS (aws:kms:dsse) seals twice: the inner layer under a KMS-wrapped data key, the outer under a
data key of the server's own hierarchy (``Encryption.outer_provider``; sealing.py does the layering).

Resolving a requested KMS key (id, alias, ARN, or the account's aws/s3 key made on first use) goes
through the built-in KMS in the caller's account; its failures become the S3 errors AWS answers
(KMS.NotFoundException, KMS.DisabledException, ...).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..crypto.customer_keys import CUSTOMER_KEY_ALGORITHM, fingerprint, matches
from ..crypto.keys import DataKey
from ..errors import S3Error
from ..kms.bucket_keys import BUCKET_KEY_PROVIDER, BucketKeys, bucket_key_context
from ..kms.builtin import BUILTIN_PROVIDER, BuiltinKms, KeyState, KmsError, KmsKey
from ..kms.customer import CUSTOMER_PROVIDER, CustomerKeyProvider
from ..kms.key_policy import KeyPolicies
from ..kms.provider import KeyProvider, KeyUnavailable
from ..meta.engine import MetaStore
from .model import SseMode

__all__ = [
    "Encryption",
    "SseRequest",
    "SSE_S3",
    "SSE_HEADER",
    "SSE_KMS_KEY_HEADER",
    "SSE_CONTEXT_HEADER",
    "BUCKET_KEY_HEADER",
    "KMS_MODES",
    "encode_user_context",
    "decode_user_context",
    "resolve_encryption",
    "check_keys_usable",
    "KeyRead",
    "check_kms_key_writable",
    "AWS_S3_ALIAS",
    "BucketEncryption",
    "BLOCKED_SSE_C",
    "DEFAULT_BUCKET_ENCRYPTION",
    "ENCRYPTION_CONFIG_KIND",
    "UNSTATED",
    "CustomerKey",
    "SSEC_ALGORITHM_HEADER",
    "SSEC_KEY_MD5_HEADER",
    "SSEC_FINGERPRINT_HEADER",
    "customer_encryption",
    "check_customer_key",
    "with_customer_key",
]

# Stored header names: part of the metadata format (and the wire names AWS echoes).
SSE_HEADER = "x-amz-server-side-encryption"
SSE_KMS_KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"
SSE_CONTEXT_HEADER = "x-amz-server-side-encryption-context"
BUCKET_KEY_HEADER = "x-amz-server-side-encryption-bucket-key-enabled"
# The modes whose data keys a KMS key wraps (the caller's context and key id apply to both).
KMS_MODES = frozenset({SseMode.KMS, SseMode.KMS_DSSE})
AWS_S3_ALIAS = "alias/aws/s3"
# SSE-C: the algorithm and key MD5 are echoed as AWS does; the fingerprint (base64 of a salted HMAC of
# the key, crypto/customer_keys.py) is stored only to recognise a later request's key and never sent.
SSEC_ALGORITHM_HEADER = "x-amz-server-side-encryption-customer-algorithm"
SSEC_KEY_MD5_HEADER = "x-amz-server-side-encryption-customer-key-md5"
SSEC_FINGERPRINT_HEADER = "x-strongroom-sse-c-fingerprint"
# The bucket configuration kind that holds a bucket's default encryption (JSON, see BucketEncryption).
ENCRYPTION_CONFIG_KIND = "encryption"
OBJECT_ARN_CONTEXT_KEY = "aws:s3:arn"
# The one encryption type BlockedEncryptionTypes can name (NONE on the wire means the empty set).
BLOCKED_SSE_C = "SSE-C"
# KMS error -> the S3 error code AWS S3 answers with when it calls KMS for an object.
_KMS_TO_S3 = {
    "NotFoundException": "KMS.NotFoundException",
    "DisabledException": "KMS.DisabledException",
    "KMSInvalidStateException": "KMS.KMSInvalidStateException",
    "AccessDeniedException": "AccessDenied",
}


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """A customer key a request sent (SSE-C): the key itself, held for this request only, and its MD5 as sent."""

    key: DataKey
    md5_b64: str


@dataclass(frozen=True, slots=True)
class SseRequest:
    """What a write request asks for: a mode, optionally a KMS key reference and the caller's context.

    ``explicit`` is False when the request names no x-amz-server-side-encryption: the bucket's
    default encryption then decides (see ``BucketEncryption``). ``bucket_key`` is the request's
    x-amz-server-side-encryption-bucket-key-enabled (None: not stated, the bucket decides).
    """

    mode: SseMode = SseMode.S3
    kms_key_ref: str | None = None
    context: Mapping[str, str] | None = None
    explicit: bool = True
    customer_key: CustomerKey | None = None
    bucket_key: bool | None = None


UNSTATED = SseRequest(explicit=False)


@dataclass(frozen=True, slots=True)
class BucketEncryption:
    """A bucket's default encryption: what a write that names no encryption gets.

    Stored as the bucket's "encryption" configuration document, JSON with the wire names
    (SSEAlgorithm, KMSMasterKeyID, BucketKeyEnabled): part of the metadata format. No document means
    the SSE-S3 default every bucket has. ``kms_key_id`` is kept as the owner wrote it (id, alias or
    ARN) and resolved, like a request's key, in the writer's account on each write.
    """

    algorithm: SseMode = SseMode.S3
    kms_key_id: str | None = None
    bucket_key_enabled: bool = False
    # BlockedEncryptionTypes: the write modes refused with 403 (only "SSE-C" exists); None when the
    # owner never said, so the server's default for buckets applies (``blocks_customer_keys``).
    blocked_types: frozenset[str] | None = None

    def to_json(self) -> str:
        document: dict[str, object] = {"SSEAlgorithm": self.algorithm.value, "BucketKeyEnabled": self.bucket_key_enabled}
        if self.kms_key_id is not None:
            document["KMSMasterKeyID"] = self.kms_key_id
        if self.blocked_types is not None:
            document["BlockedEncryptionTypes"] = sorted(self.blocked_types)
        return json.dumps(document, separators=(",", ":"))

    @classmethod
    def from_json(cls, document: str | None) -> BucketEncryption:
        """The stored configuration, or the SSE-S3 default when there is none."""
        if document is None:
            return DEFAULT_BUCKET_ENCRYPTION
        parsed = json.loads(document)
        blocked = parsed.get("BlockedEncryptionTypes")
        return cls(
            SseMode(parsed["SSEAlgorithm"]), parsed.get("KMSMasterKeyID"), bool(parsed.get("BucketKeyEnabled", False)),
            frozenset(blocked) if blocked is not None else None,
        )

    def blocks_customer_keys(self, allowed_by_default: bool) -> bool:
        """Are SSE-C writes refused? The owner's BlockedEncryptionTypes, else the server's default."""
        if self.blocked_types is None:
            return not allowed_by_default
        return BLOCKED_SSE_C in self.blocked_types

    def request(self) -> SseRequest:
        """The request a write naming no encryption stands for in this bucket."""
        return SseRequest(self.algorithm, self.kms_key_id if self.algorithm is not SseMode.S3 else None)

    def apply(self, request: SseRequest) -> SseRequest:
        """The write request as this bucket decides it: the default mode when it names none, and
        whether a bucket key is used (the request's header, else BucketKeyEnabled; SSE-KMS only)."""
        if not request.explicit:
            request = replace(self.request(), explicit=False, bucket_key=request.bucket_key)
        if request.mode is not SseMode.KMS:
            return replace(request, bucket_key=False)  # AWS: no bucket keys with SSE-S3, SSE-C or DSSE-KMS
        return replace(request, bucket_key=self.bucket_key_enabled if request.bucket_key is None else request.bucket_key)


DEFAULT_BUCKET_ENCRYPTION = BucketEncryption()


@dataclass(frozen=True, slots=True)
class Encryption:
    """How one object version (or upload) is sealed: SSE-S3, SSE-KMS or DSSE-KMS under a resolved key ARN, or SSE-C.

    For SSE-C, ``customer_key`` is the request's key (only while that request is served; None for an
    encryption read back from stored headers) and ``fingerprint`` the salted HMAC stored to recognise it.
    ``bucket_key``: an S3 Bucket Key of the bucket wraps the data keys (SSE-KMS only).
    """

    mode: SseMode = SseMode.S3
    kms_key_arn: str | None = None
    context: Mapping[str, str] | None = None
    customer_key: CustomerKey | None = None
    fingerprint: bytes | None = None
    bucket_key: bool = False

    def stored_headers(self) -> dict[str, str]:
        """The headers that record this encryption with the object."""
        if self.mode is SseMode.S3:
            return {}  # absent means SSE-S3 (every object written before SSE-KMS has none)
        if self.mode is SseMode.CUSTOMER:
            assert self.customer_key is not None and self.fingerprint is not None
            return {
                SSEC_ALGORITHM_HEADER: CUSTOMER_KEY_ALGORITHM,
                SSEC_KEY_MD5_HEADER: self.customer_key.md5_b64,
                SSEC_FINGERPRINT_HEADER: base64.b64encode(self.fingerprint).decode(),
            }
        assert self.kms_key_arn is not None
        out = {SSE_HEADER: self.mode.value, SSE_KMS_KEY_HEADER: self.kms_key_arn}
        if self.context:
            out[SSE_CONTEXT_HEADER] = encode_user_context(self.context)
        if self.bucket_key:
            out[BUCKET_KEY_HEADER] = "true"
        return out

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Encryption:
        """The encryption a version's stored headers record (no SSE header: SSE-S3; SSE-C without its key)."""
        if SSEC_ALGORITHM_HEADER in headers:
            return cls(SseMode.CUSTOMER)
        mode = SseMode(headers.get(SSE_HEADER, SseMode.S3.value))
        if mode is SseMode.S3:
            return SSE_S3
        context = headers.get(SSE_CONTEXT_HEADER)
        return cls(
            mode, headers[SSE_KMS_KEY_HEADER], decode_user_context(context) if context is not None else None,
            bucket_key=headers.get(BUCKET_KEY_HEADER) == "true",
        )

    def provider(self, providers: Mapping[str, KeyProvider], sse_s3: KeyProvider, bucket: str) -> tuple[KeyProvider, str | None]:
        """The provider and key id that wrap new data keys of this version (of an object in ``bucket``)."""
        if self.mode is SseMode.S3:
            return sse_s3, None
        if self.mode is SseMode.CUSTOMER:
            if self.customer_key is None:
                raise S3Error("InvalidRequest", _SSEC_REQUIRED)
            return CustomerKeyProvider(self.customer_key.key), None
        assert self.kms_key_arn is not None
        if self.bucket_key:
            bucket_keys = providers[BUCKET_KEY_PROVIDER]
            assert isinstance(bucket_keys, BucketKeys)
            return bucket_keys.for_bucket(bucket, self.kms_key_arn), None
        return providers[BUILTIN_PROVIDER], self.kms_key_arn

    def outer_provider(self, sse_s3: KeyProvider) -> KeyProvider | None:
        """DSSE-KMS's second, independent layer: sealed under the server's own hierarchy. None otherwise."""
        return sse_s3 if self.mode is SseMode.KMS_DSSE else None

    def context_for(self, bucket: str, key: str) -> dict[str, str]:
        """The encryption context the data keys are bound to: the caller's plus the object ARN."""
        base = dict(self.context or {}) if self.mode in KMS_MODES else {}
        return {**base, OBJECT_ARN_CONTEXT_KEY: f"arn:aws:s3:::{bucket}/{key}"}


SSE_S3 = Encryption()
_SSEC_REQUIRED = "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
_SSEC_NOT_APPLICABLE = "The encryption parameters are not applicable to this object."


def customer_encryption(key: CustomerKey) -> Encryption:
    """SSE-C for a new version or upload: the request's key and a fresh salted fingerprint of it."""
    return Encryption(SseMode.CUSTOMER, customer_key=key, fingerprint=fingerprint(key.key))


def check_customer_key(stored: Mapping[str, str], key: CustomerKey | None, *, upload: bool = False) -> None:
    """Does a request's customer key (or its absence) fit the object (or upload) these headers describe?

    An SSE-C object needs its key (400 InvalidRequest without one, 403 AccessDenied for another key);
    a key sent for an object that is not SSE-C is 400 InvalidRequest, as AWS answers. A part whose key
    differs from its upload's is 400 InvalidRequest (the upload's parameters must be repeated exactly).
    """
    recorded = stored.get(SSEC_FINGERPRINT_HEADER)
    if recorded is None:
        if key is not None:
            raise S3Error("InvalidRequest", _SSEC_NOT_APPLICABLE)
        return
    if key is None:
        raise S3Error("InvalidRequest", (
            "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters."
            if upload else _SSEC_REQUIRED
        ))
    if not matches(key.key, base64.b64decode(recorded)):
        if upload:  # a part must repeat the upload's parameters: a bad argument, as AWS answers (400)
            raise S3Error("InvalidRequest", "The provided encryption parameters did not match the ones used originally.")
        raise S3Error("AccessDenied", "The provided customer key does not match the key the object was encrypted with.")


def with_customer_key(encryption: Encryption, key: CustomerKey | None) -> Encryption:
    """A stored SSE-C encryption with the request's (already checked) key to unwrap or wrap with."""
    return replace(encryption, customer_key=key) if encryption.mode is SseMode.CUSTOMER else encryption


def customer_providers(providers: Mapping[str, KeyProvider], key: CustomerKey | None) -> Mapping[str, KeyProvider]:
    """The server's providers plus, for a request that sent one, its customer key's."""
    if key is None:
        return providers
    return {**providers, CUSTOMER_PROVIDER: CustomerKeyProvider(key.key)}


def encode_user_context(context: Mapping[str, str]) -> str:
    """Base64 of the context as canonical JSON (sorted keys, compact)."""
    return base64.b64encode(json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode()).decode()


def decode_user_context(value: str) -> dict[str, str]:
    """Parse base64 JSON of string pairs; InvalidArgument otherwise (AWS's answer)."""
    try:
        parsed = json.loads(base64.b64decode(value, validate=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad_context(value) from exc
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        raise _bad_context(value)
    return parsed


def _bad_context(value: str) -> S3Error:
    return S3Error(
        "InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON.",
        extra={"ArgumentName": SSE_CONTEXT_HEADER, "ArgumentValue": value},
    )


def _kms_error(exc: KmsError) -> S3Error:
    return S3Error(_KMS_TO_S3.get(exc.code, "KMS.NotFoundException"), exc.message)


def _resolve_sync(kms: BuiltinKms, account_id: str, request: SseRequest) -> Encryption:
    try:
        key = kms.resolve(account_id, request.kms_key_ref) if request.kms_key_ref else kms.aws_managed_key(account_id, AWS_S3_ALIAS)
        _require_enabled(key)
    except KmsError as exc:
        raise _kms_error(exc) from None
    return Encryption(request.mode, key.arn, dict(request.context) if request.context else None, bucket_key=bool(request.bucket_key))


def _require_enabled(key: KmsKey) -> None:
    if key.state is KeyState.DISABLED:
        raise KmsError("DisabledException", f"{key.arn} is disabled.")
    if key.state is not KeyState.ENABLED:
        raise KmsError("KMSInvalidStateException", f"{key.arn} is pending deletion.")


async def resolve_encryption(kms: BuiltinKms, account_id: str, request: SseRequest) -> Encryption:
    """The encryption a write request asked for, its KMS key looked up in the caller's account."""
    if request.mode is SseMode.S3:
        return SSE_S3
    return await asyncio.to_thread(_resolve_sync, kms, account_id, request)


def _check_sync(providers: Mapping[str, KeyProvider], refs: set[tuple[str, str]], read: KeyRead | None) -> None:
    for provider_name, key_id in refs:
        try:
            description = providers[provider_name].describe(key_id)  # a bucket key describes its KMS key
        except KeyUnavailable:  # destroyed past its deletion window: what AWS S3 answers for a deleted key
            raise S3Error("KMS.NotFoundException", f"Invalid keyId {key_id}") from None
        state, name = description.state, description.key_id or key_id
        if state == KeyState.DISABLED.value:
            raise S3Error("KMS.DisabledException", f"{name} is disabled.")
        if state != KeyState.ENABLED.value:
            raise S3Error("KMS.KMSInvalidStateException", f"{name} is not in a valid state for this operation.")
        if read is not None and description.key_id is not None:
            # kms:Decrypt for the request's caller, with the context S3 gives KMS (a bucket key's: the bucket's).
            context = bucket_key_context(read.bucket) if provider_name == BUCKET_KEY_PROVIDER else read.context
            KeyPolicies(read.meta).check_s3_use(description.key_id, "kms:Decrypt", context)


@dataclass(frozen=True, slots=True)
class KeyRead:
    """A read the key policies must allow: the object's bucket and encryption context."""

    meta: MetaStore
    bucket: str
    context: Mapping[str, str]


async def check_keys_usable(providers: Mapping[str, KeyProvider], refs: set[tuple[str, str]], read: KeyRead | None = None) -> None:
    """Reading needs every KMS key that wraps the version's data keys to be usable (AWS: KMS.DisabledException)
    and, for ``read``, its key policy to allow the caller kms:Decrypt (403 AccessDenied), whether or not
    an unwrapped key is cached."""
    if refs:
        await asyncio.to_thread(_check_sync, providers, refs, read)


async def check_kms_key_writable(providers: Mapping[str, KeyProvider], encryption: Encryption) -> None:
    """A write under an SSE-KMS encryption recorded earlier (an upload's parts) needs its KMS key usable
    now: KMS.DisabledException, KMS.KMSInvalidStateException or KMS.NotFoundException otherwise, as AWS answers."""
    if encryption.mode in KMS_MODES and encryption.kms_key_arn is not None:
        await check_keys_usable(providers, {(BUILTIN_PROVIDER, encryption.kms_key_arn)})
