"""What a handler gets besides its request: the services, the operation row, and ``authorize``.

``authorize`` takes the IAM action from the request's Operation row (never from a string in the
handler), makes the read-only lookups the decision needs (the bucket and its owner), and returns the
Grant that service operations demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..auth.credentials import CredentialCache
from ..config import Settings
from ..errors import S3Error
from ..grant import Grant
from ..kms.audited import KmsAudit
from ..kms.builtin import BuiltinKms
from ..kms.caller import KmsCaller, s3_via_service
from ..kms.key_policy import S3_CALLER
from ..policy import PolicySet, authorize
from ..policy import RequestContext as PolicyRequest
from ..service.access_points import AccessPoints
from ..service.account_configs import AccountConfigs
from ..service.accounts import Accounts
from ..service.buckets import Buckets
from ..service.iam import Iam, Identity
from ..service.listing import Listing
from ..service.model import Bucket, ObjectVersion, Principal, SseMode
from ..service.multipart import Uploads
from ..service.objects import Objects
from ..service.sse import (
    ENCRYPTION_CONFIG_KIND,
    SSE_S3,
    BucketEncryption,
    Encryption,
    SseRequest,
    customer_encryption,
    resolve_encryption,
)
from .access import authorize_s3, caller_of

if TYPE_CHECKING:
    from .operations import Operation
    from .request import S3Request

__all__ = ["Services", "RequestContext"]

# enforce_bucket_encryption: the write modes that satisfy a bucket's default (SSE-S3 needs nothing).
_AT_LEAST_AS_STRONG = {SseMode.KMS: frozenset({SseMode.KMS, SseMode.KMS_DSSE}), SseMode.KMS_DSSE: frozenset({SseMode.KMS_DSSE})}


def _check_expected_owner(expected: str | None, bucket: Bucket) -> None:
    """x-amz-expected-bucket-owner: the caller's guard against writing to (or reading from) a bucket
    someone else owns; a mismatch is 403 AccessDenied, as AWS answers."""
    if expected is not None and expected.strip() != bucket.account_id:
        raise S3Error("AccessDenied", "The bucket is not owned by the account the request expects (x-amz-expected-bucket-owner).")


@dataclass(slots=True)
class Services:
    """The service layer, wired once at start-up."""

    settings: Settings
    accounts: Accounts
    credentials: CredentialCache
    buckets: Buckets
    objects: Objects
    uploads: Uploads
    listing: Listing
    kms: BuiltinKms
    account_configs: AccountConfigs
    access_points: AccessPoints
    iam: Iam
    kms_audit: KmsAudit = field(default_factory=lambda: KmsAudit(None))  # every key use: an event and a count


@dataclass(slots=True)
class RequestContext:
    """Per-request: services, the operation row and the verified caller."""

    services: Services
    operation: Operation
    principal: Principal | None

    @property
    def buckets(self) -> Buckets:
        return self.services.buckets

    @property
    def objects(self) -> Objects:
        return self.services.objects

    @property
    def uploads(self) -> Uploads:
        return self.services.uploads

    async def caller_identity(self) -> Identity:
        """The caller's identity policies and boundary (cached per principal for a second)."""
        return await self.services.iam.identities.of(self.principal)

    async def _name_kms_caller(self) -> None:
        """KMS keys S3 uses for this request are used for its caller, via S3 (their key policies and the
        caller's identity policies decide)."""
        caller = caller_of(self.principal)
        identity = await self.caller_identity()
        via = s3_via_service(self.services.settings.region)
        S3_CALLER.set(KmsCaller(caller.arn, caller.account, via_service=via, identity=identity.identity, boundaries=identity.boundaries,
                                session=identity.session, principal_tags=identity.tags, aliases=caller.aliases))

    async def authorize_service(self, req: S3Request) -> Grant:
        """Authorise a service-level operation (ListBuckets, CreateBucket): an account's principals, as
        far as their identity policies allow."""
        resource = f"arn:aws:s3:::{req.bucket}" if req.bucket else "*"
        caller = caller_of(self.principal)
        identity = await self.caller_identity()
        policies = PolicySet(identity=identity.identity, boundaries=identity.boundaries, session=identity.session)
        grant = authorize(PolicyRequest(self.operation.action(req), resource, caller, None), policies)
        await self._name_kms_caller()
        return grant

    async def authorize_bucket(self, req: S3Request) -> tuple[Grant, Bucket]:
        """Authorise an operation on the request's bucket (or an object in it): NoSuchBucket first;
        then the bucket's policy, ACLs and Block Public Access decide with the caller's rights (api/access.py)."""
        assert req.bucket is not None
        bucket = await self.buckets.get(req.bucket)
        if bucket is None:  # AWS says so to anonymous callers too: bucket names are public
            raise S3Error("NoSuchBucket", resource=req.bucket, extra={"BucketName": req.bucket})
        _check_expected_owner(req.headers.get("x-amz-expected-bucket-owner"), bucket)
        grant = await authorize_s3(self, req, bucket, req.key, self.operation.action(req))
        await self._name_kms_caller()
        return grant, bucket

    async def authorize_object_read(self, req: S3Request, key: str, version_id: str | None) -> tuple[Bucket, ObjectVersion]:
        """Authorise a read of an object (GetObject, HeadObject) and find the version it reads.

        AWS's rule for a key that does not exist: the caller learns so (404 NoSuchKey) only if it may
        list the bucket at that key (s3:ListBucket with s3:prefix = the key); otherwise 403, whether or
        not it may read the object. So nobody probes for keys they could not list.
        """
        try:
            _grant, bucket = await self.authorize_bucket(req)
        except S3Error as denied:
            if denied.code != "AccessDenied":
                raise
            assert req.bucket is not None
            bucket = await self.buckets.require(req.bucket)
            if await self._object_exists(bucket, key, version_id) or not await self._may_list(req, bucket, key):
                raise
            raise S3Error("NoSuchKey", resource=key, extra={"Key": key}) from None
        try:
            return bucket, await self.objects.get(bucket, key, version_id)
        except S3Error as missing:
            if missing.code == "NoSuchKey" and not await self._may_list(req, bucket, key):
                raise S3Error("AccessDenied") from None
            raise

    async def _object_exists(self, bucket: Bucket, key: str, version_id: str | None) -> bool:
        try:
            await self.objects.get(bucket, key, version_id)
        except S3Error:
            return False
        return True

    async def _may_list(self, req: S3Request, bucket: Bucket, key: str) -> bool:
        try:
            await authorize_s3(self, req, bucket, None, "s3:ListBucket", {"s3:prefix": key})
        except S3Error:
            return False
        return True

    async def authorize_bucket_as(self, req: S3Request, principal: Principal | None) -> tuple[Grant, Bucket]:
        """Authorise as a caller the handler verified itself (a browser POST signs its form, not the request)."""
        self.principal = principal
        return await self.authorize_bucket(req)

    async def encryption(self, request: SseRequest, bucket: Bucket) -> Encryption:
        """Resolve a write's encryption after authorisation (it may create the account's aws/s3 key).

        The one place a write's encryption is decided: a request naming none gets the bucket's
        default encryption (SSE-S3 unless PutBucketEncryption said otherwise). A KMS key is looked up
        in the caller's account, as AWS resolves key ids in the requester's account; an anonymous
        writer (a bucket policy may allow one) gets the bucket owner's. AWS refuses an explicitly
        requested SSE-KMS to anonymous callers.

        SSE-C writes are refused with 403 AccessDenied where the bucket blocks them
        (BlockedEncryptionTypes; by default unless the operator's ``allow_ssec_on_new_buckets``).
        With ``enforce_bucket_encryption`` an explicit request weaker than the bucket's default is
        refused with 403 AccessDenied too.
        """
        config = BucketEncryption.from_json(await self.buckets.cached_config(bucket.name, ENCRYPTION_CONFIG_KIND))
        settings = self.services.settings
        if request.mode is SseMode.CUSTOMER:
            assert request.customer_key is not None
            if config.blocks_customer_keys(settings.allow_ssec_on_new_buckets):
                raise S3Error("AccessDenied", (
                    f"SSE-C writes are blocked for bucket {bucket.name} (BlockedEncryptionTypes: SSE-C, the default for new "
                    "buckets); the bucket owner can allow them with PutBucketEncryption (BlockedEncryptionTypes NONE)."
                ))
            encryption = customer_encryption(request.customer_key)
        elif not request.explicit:
            return await self._resolve(config.apply(request), bucket)  # the default satisfies itself
        elif request.mode is not SseMode.S3 and self.principal is None:
            raise S3Error("InvalidArgument", "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.")
        else:
            encryption = await self._resolve(config.apply(request), bucket)  # a bucket key, if the bucket says so
        if settings.enforce_bucket_encryption:
            await self._require_bucket_mode(config, encryption, bucket)
        return encryption

    async def _resolve(self, request: SseRequest, bucket: Bucket) -> Encryption:
        """SSE-S3, or SSE-KMS under the key the request names, resolved in the writer's account."""
        if request.mode is SseMode.S3:
            return SSE_S3
        account = self.principal.account.account_id if self.principal is not None else bucket.account_id
        return await resolve_encryption(self.services.kms, account, request)

    async def _require_bucket_mode(self, config: BucketEncryption, encryption: Encryption, bucket: Bucket) -> None:
        """``enforce_bucket_encryption``: the bucket's default mode (and KMS key, if it names one) is a floor."""
        accepted = _AT_LEAST_AS_STRONG.get(config.algorithm)
        if accepted is None:
            return  # SSE-S3, every object's floor anyway
        if encryption.mode not in accepted:
            raise S3Error("AccessDenied", (
                f"Bucket {bucket.name} requires {config.algorithm.value} encryption (the bucket's default encryption is "
                f"mandatory on this server); the request asked for {encryption.mode.value}."
            ))
        if config.kms_key_id is not None:
            required = await self._resolve(config.request(), bucket)
            if encryption.kms_key_arn != required.kms_key_arn:
                raise S3Error("AccessDenied", (
                    f"Bucket {bucket.name} requires its KMS key {config.kms_key_id} (the bucket's default encryption is "
                    "mandatory on this server); the request named another key."
                ))

    async def authorize_other_bucket(self, req: S3Request, bucket_name: str, key: str | None, action: str) -> tuple[Grant, Bucket]:
        """Authorise a second resource a request touches (the source of a copy)."""
        bucket = await self.buckets.get(bucket_name)
        if bucket is None:
            raise S3Error("NoSuchBucket", resource=bucket_name, extra={"BucketName": bucket_name})
        _check_expected_owner(req.headers.get("x-amz-source-expected-bucket-owner"), bucket)
        return await authorize_s3(self, req, bucket, key, action), bucket
