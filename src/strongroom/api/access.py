"""S3 authorisation: the one evaluation (policy/evaluate.py) fed with what bears on an S3 request.

The caller's identity side (an account's root holds every right of its account; a user its identity
policies within its permissions boundary: service/iam/identity.py), the bucket's policy, its ACLs when
Object Ownership enables them, Block Public Access (RestrictPublicBuckets, IgnorePublicAcls) and the request's condition keys. Every lookup
here is read-only and happens before any state changes (invariant 7).

Two AWS rules beyond the grammar: the bucket owner's root user may always read, replace or delete the
bucket policy (so a policy cannot lock its owner out); with RestrictPublicBuckets on and a public
policy, only principals of the bucket owner's account reach the bucket through that policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from .. import clock
from ..errors import S3Error
from ..grant import Grant
from ..policy import ANONYMOUS, Caller, Policy, PolicySet, authorize, decide
from ..policy import RequestContext as PolicyRequest
from ..policy.public import is_public
from ..service.access_controls import (
    OWNERSHIP_KIND,
    POLICY_KIND,
    PUBLIC_ACCESS_BLOCK_KIND,
    ObjectOwnership,
    PublicAccessBlock,
    parse_bucket_policy,
)
from ..service.access_points import AccessPoint, parse_access_point_policy
from ..service.acl import ACL_ACTIONS, ACL_CONFIG_KIND, ACL_HEADER, Acl
from ..service.iam import Identity
from ..service.model import Bucket, Principal

if TYPE_CHECKING:
    from .context import RequestContext
    from .request import S3Request

__all__ = ["authorize_s3", "caller_of", "condition_keys", "public_access_block"]

_POLICY_ACTIONS = frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"})
_PARSED_POLICIES: dict[tuple[str, str], Policy] = {}
_PARSED_POLICIES_MAX = 1024
# Request headers whose values are S3 condition keys of the same name (s3:<header>).
_HEADER_KEYS = (
    "x-amz-acl", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm", "x-amz-content-sha256", "x-amz-copy-source",
    "x-amz-metadata-directive", "x-amz-storage-class", "x-amz-grant-read", "x-amz-grant-write",
    "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-object-ownership",
)


# Actions on an existing object: its requests carry s3:ExistingObjectTag/<key>, and its owner decides them.
_EXISTING_OBJECT_ACTIONS = frozenset({
    "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectVersionAcl", "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes",
})


def caller_of(principal: Principal | None) -> Caller:
    """The policy library's view of a verified caller."""
    if principal is None:
        return ANONYMOUS
    aliases = (principal.role_arn,) if principal.role_arn is not None else ()
    return Caller(arn=principal.arn, account=principal.account.account_id, canonical_id=principal.account.canonical_id, aliases=aliases)


def _principal_keys(principal: Principal) -> dict[str, str | list[str]]:
    """aws:PrincipalType, aws:userid, aws:username, and for temporary credentials the session's keys."""
    keys: dict[str, str | list[str]] = {}
    session = principal.role_session
    if session is not None:
        keys["aws:PrincipalArn"] = principal.role_arn or principal.arn  # a session answers to its role's ARN
        keys["aws:PrincipalType"] = "AssumedRole"
        keys["aws:userid"] = f"{session.role_id}:{session.session_name}"
        for tag_key, tag_value in session.tags:
            keys[f"aws:PrincipalTag/{tag_key}"] = tag_value
        if session.source_identity is not None:
            keys["aws:SourceIdentity"] = session.source_identity
    elif principal.user_name is None:
        keys["aws:PrincipalType"] = "Account"
        keys["aws:userid"] = principal.account.account_id
    else:
        keys["aws:PrincipalType"] = "User"
        keys["aws:userid"] = principal.user_id or principal.user_name
        keys["aws:username"] = principal.user_name
    if principal.token_expires is not None:
        keys["aws:MultiFactorAuthPresent"] = "false"  # present, and false, for temporary credentials without MFA
    return keys


def _network_of(address: str, networks: Mapping[str, str]) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for cidr, name in networks.items():
        if ip in ipaddress.ip_network(cidr, strict=False):
            return name
    return None


def _auth_keys(req: S3Request) -> dict[str, str]:
    if "authorization" in req.headers:
        version = "AWS4-HMAC-SHA256" if req.headers["authorization"].startswith("AWS4-") else "AWS"
        return {"s3:authType": "REST-HEADER", "s3:signatureversion": version}
    if req.has_query("X-Amz-Signature"):
        return {"s3:authType": "REST-QUERY-STRING", "s3:signatureversion": "AWS4-HMAC-SHA256"}
    if req.has_query("Signature"):
        return {"s3:authType": "REST-QUERY-STRING", "s3:signatureversion": "AWS"}
    if req.method == "POST" and req.key is not None and req.bucket is not None:
        return {"s3:authType": "POST"}
    return {}


def _signature_age(req: S3Request) -> dict[str, str]:
    """s3:signatureAge: milliseconds since a SigV4 request was signed."""
    signed_at = req.auth.signed_at if req.auth is not None else None
    if signed_at is None:
        return {}
    return {"s3:signatureAge": str(max(0, int((clock.now() - signed_at).total_seconds() * 1000)))}


async def _existing_object_tags(ctx: RequestContext, req: S3Request | None, bucket: Bucket, key: str) -> dict[str, str]:
    """s3:ExistingObjectTag/<k> of the object (version) the request acts on; nothing if there is none.
    Looked up only when the bucket policy mentions the key, so other requests pay nothing."""
    version_id = req.query_value("versionId") if req is not None and req.key == key else None
    try:
        version = await ctx.objects.get(bucket, key, version_id or None)
    except S3Error:
        return {}
    return {f"s3:ExistingObjectTag/{k}": v for k, v in (version.tags or {}).items()}


async def _object_owner(ctx: RequestContext, req: S3Request | None, bucket: Bucket, key: str) -> str | None:
    """The account owning the object (version) a request acts on, or None if there is none."""
    version_id = req.query_value("versionId") if req is not None and req.key == key else None
    try:
        return (await ctx.objects.get(bucket, key, version_id or None)).owner_account
    except S3Error:
        return None


def condition_keys(req: S3Request, principal: Principal | None, vpc_endpoints: Mapping[str, str], vpcs: Mapping[str, str]) -> dict[str, str | list[str]]:
    """The global and S3 condition keys a request carries (absent keys are simply not there)."""
    now = clock.now()
    keys: dict[str, str | list[str]] = {
        "aws:SecureTransport": "true" if req.secure else "false",
        "aws:CurrentTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        **_auth_keys(req),
        **_signature_age(req),
    }
    client_ip = req.client_ip
    if client_ip:
        keys["aws:SourceIp"] = client_ip
        endpoint, vpc = _network_of(client_ip, vpc_endpoints), _network_of(client_ip, vpcs)
        if endpoint is not None:
            keys["aws:SourceVpce"] = endpoint
        if vpc is not None:
            keys["aws:SourceVpc"] = vpc
    if principal is not None:
        keys["aws:PrincipalArn"] = principal.arn
        keys["aws:PrincipalAccount"] = principal.account.account_id
        keys.update(_principal_keys(principal))
    for header, key in (("referer", "aws:Referer"), ("user-agent", "aws:UserAgent")):
        if header in req.headers:
            keys[key] = req.headers[header]
    for name in _HEADER_KEYS:
        if name in req.headers:
            keys[f"s3:{name}"] = req.headers[name]
    for param in ("prefix", "delimiter", "max-keys", "versionId"):
        value = req.query_value(param)
        if value is not None:
            keys["s3:VersionId" if param == "versionId" else f"s3:{param}"] = value
    tagging = req.headers.get("x-amz-tagging")
    if tagging is not None:
        pairs = parse_qsl(tagging, keep_blank_values=True)
        for tag_key, tag_value in pairs:
            keys[f"s3:RequestObjectTag/{tag_key}"] = tag_value
            keys[f"aws:RequestTag/{tag_key}"] = tag_value
        keys["s3:RequestObjectTagKeys"] = keys["aws:TagKeys"] = [k for k, _ in pairs]
    return keys


def _bucket_policy(bucket: Bucket, document: str | None) -> Policy | None:
    """The bucket's policy, parsed once per distinct document (it was validated when stored)."""
    if document is None:
        return None
    cached = _PARSED_POLICIES.get((bucket.name, document))
    if cached is None:
        if len(_PARSED_POLICIES) >= _PARSED_POLICIES_MAX:
            _PARSED_POLICIES.clear()
        cached = _PARSED_POLICIES[(bucket.name, document)] = parse_bucket_policy(document.encode("utf-8"), bucket.name)
    return cached


async def public_access_block(ctx: RequestContext, bucket: Bucket) -> PublicAccessBlock | None:
    """The Block Public Access flags in force for a bucket: the stricter of its own and its owner
    account's (AWS applies the most restrictive combination); None when neither level has any."""
    own = PublicAccessBlock.from_json(await ctx.buckets.cached_config(bucket.name, PUBLIC_ACCESS_BLOCK_KIND))
    account = PublicAccessBlock.from_json(await ctx.services.account_configs.cached(bucket.account_id, PUBLIC_ACCESS_BLOCK_KIND))
    return account if own is None else own.union(account)


def _authorize_access_point(point: AccessPoint, region: str, key: str | None, action: str, caller: Caller, identity: Identity,
                            keys: dict[str, str | list[str]]) -> None:
    """The access point's side of a request through it: its network origin, then its policy with the
    caller's identity (the bucket's side is decided after, by the same rules as a direct request)."""
    if point.vpc_id is not None and keys.get("aws:SourceVpc") != point.vpc_id:
        raise S3Error("AccessDenied", f"Access point {point.name} takes requests from its network ({point.vpc_id}) only.")
    arn = point.arn(region)
    policy = _access_point_policy(point, region)
    request = PolicyRequest(action, arn + (f"/object/{key}" if key is not None else ""), caller, point.account_id, keys)
    authorize(request, PolicySet(resource=(policy,) if policy is not None else (), identity=identity.identity, boundaries=identity.boundaries, session=identity.session))


def _access_point_policy(point: AccessPoint, region: str) -> Policy | None:
    """The access point's policy, parsed once per distinct document (validated when stored)."""
    if point.policy is None:
        return None
    cache_key = (f"accesspoint:{point.account_id}:{point.name}", point.policy)
    cached = _PARSED_POLICIES.get(cache_key)
    if cached is None:
        if len(_PARSED_POLICIES) >= _PARSED_POLICIES_MAX:
            _PARSED_POLICIES.clear()
        cached = _PARSED_POLICIES[cache_key] = parse_access_point_policy(point.policy, point, region)
    return cached


def _deny_only(policy: Policy) -> Policy:
    return replace(policy, statements=tuple(s for s in policy.statements if s.effect == "Deny"))


async def _canonical_id(ctx: RequestContext, account_id: str) -> str | None:
    account = await asyncio.to_thread(ctx.services.accounts.canonical_owner_sync, account_id)
    return account.canonical_id if account is not None else None


async def _acl_allows(ctx: RequestContext, req: S3Request | None, bucket: Bucket, key: str | None, action: str,
                      caller: Caller, ignore_public: bool) -> bool:
    """Does the bucket's (or the object's) ACL give the caller the permission ``action`` needs?"""
    level, permission = ACL_ACTIONS[action]
    if level == "bucket":
        owner = await _canonical_id(ctx, bucket.account_id)
        acl = Acl.from_json(owner or "", await ctx.buckets.cached_config(bucket.name, ACL_CONFIG_KIND))
    else:
        if key is None:
            return False
        version_id = req.query_value("versionId") if req is not None and req.key == key else None
        try:
            version = await ctx.objects.get(bucket, key, version_id)
        except S3Error:
            return False  # nothing to grant on: the caller gets AccessDenied, never a hint the key is absent
        owner = await _canonical_id(ctx, version.owner_account)
        acl = Acl.from_json(owner or "", version.headers.get(ACL_HEADER))
    return permission in acl.permissions_of(caller.canonical_id, ignore_public=ignore_public)


async def authorize_s3(ctx: RequestContext, req: S3Request | None, bucket: Bucket, key: str | None, action: str,
                       extra_keys: Mapping[str, str] | None = None) -> Grant:
    """Allow ``action`` on the bucket (or an object in it) for the context's caller, or raise AccessDenied.
    ``extra_keys`` are condition keys of a question the request implies (s3:prefix of a read's key)."""
    principal = ctx.principal
    caller = caller_of(principal)
    settings = ctx.services.settings
    resource = f"arn:aws:s3:::{bucket.name}" + (f"/{key}" if key is not None else "")
    keys = condition_keys(req, principal, settings.vpc_endpoint_networks, settings.vpc_networks) if req is not None else {}
    keys.update(extra_keys or {})
    identity = await ctx.caller_identity()
    identity.add_principal_keys(keys)
    point = req.access_point if req is not None and req.access_point is not None and req.access_point.bucket == bucket.name and key == req.key else None
    if point is not None:
        keys.update({"s3:DataAccessPointArn": point.arn(settings.region), "s3:DataAccessPointAccount": point.account_id,
                     "s3:AccessPointNetworkOrigin": point.network_origin})
        _authorize_access_point(point, settings.region, key, action, caller, identity, keys)
    document = await ctx.buckets.cached_config(bucket.name, POLICY_KIND)
    policy = _bucket_policy(bucket, document)
    if document is not None and key is not None and action in _EXISTING_OBJECT_ACTIONS and "existingobjecttag" in document.lower():
        keys.update(await _existing_object_tags(ctx, req, bucket, key))
    blocks = await public_access_block(ctx, bucket)
    if policy is not None and action in _POLICY_ACTIONS and caller.is_account_root and caller.account == bucket.account_id:
        policy = None  # the owner's root can always manage the bucket policy
    if policy is not None and blocks is not None and blocks.restrict_public_buckets and caller.account != bucket.account_id and is_public(policy):
        policy = _deny_only(policy)
    ownership = await ctx.buckets.cached_config(bucket.name, OWNERSHIP_KIND)
    acls_count = ownership != ObjectOwnership.BUCKET_OWNER_ENFORCED.value
    resource_owner = bucket.account_id
    if acls_count and key is not None and action in _EXISTING_OBJECT_ACTIONS:
        object_owner = await _object_owner(ctx, req, bucket, key)
        if object_owner is not None and object_owner != bucket.account_id:
            # AWS's object context: an object another account owns is that account's resource; the
            # bucket owner can only deny it (its policy's Deny statements) and reaches it only
            # through the object's ACL.
            resource_owner = object_owner
            policy = _deny_only(policy) if policy is not None else None
    request = PolicyRequest(action, resource, caller, resource_owner, keys)
    policies = PolicySet(resource=(policy,) if policy is not None else (), identity=identity.identity, boundaries=identity.boundaries, session=identity.session)
    if action in ACL_ACTIONS and decide(request, policies).effect == "ImplicitDeny":
        if acls_count:
            ignore_public = blocks is not None and blocks.ignore_public_acls
            if await _acl_allows(ctx, req, bucket, key, action, caller, ignore_public):
                policies = replace(policies, acl_allows=True)
    return authorize(request, policies)
