"""ACLs on the wire: GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl, and the x-amz-acl /
x-amz-grant-* headers of writes (service/acl.py holds the model).

A request states an ACL one way only: a canned x-amz-acl, x-amz-grant-* headers, or (Put*Acl) an
AccessControlPolicy body. Grantees are canonical ids of existing accounts or AWS's group URIs; e-mail
grantees cannot be resolved here. Object Ownership BucketOwnerEnforced refuses every ACL but the
owner's own (AccessControlListNotSupported); BlockPublicAcls refuses public grants (AccessDenied).
"""

from __future__ import annotations

import asyncio
import re
from xml.etree.ElementTree import Element

from ...errors import S3Error
from ...service.access_controls import (
    OWNERSHIP_KIND,
    ObjectOwnership,
    object_owner,
)
from ...service.acl import (
    ACL_CONFIG_KIND,
    ACL_HEADER,
    GRANT_HEADERS,
    GROUP_URIS,
    MAX_GRANTS,
    Acl,
    Grant,
    Permission,
    canned_acl,
)
from ...service.model import Bucket, ObjectVersion
from ...service.objects import validate_key
from ..access import public_access_block
from ..context import RequestContext
from ..request import S3Request
from ..response import Response, empty_response, xml_response
from ..xml import Node, RawXml, child_text, escape_text, parse_xml, strip_ns
from .headers import verify_small_body

__all__ = [
    "get_bucket_acl", "put_bucket_acl", "get_object_acl", "put_object_acl",
    "requested_acl", "bucket_ownership", "new_object_owner", "check_acl_allowed", "states_acl", "write_acl_headers", "new_bucket_acl",
]

ACL_MAX_BYTES = 64 * 1024
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
# id="..." as AWS documents it; the quotes are optional (clients and the conformance suite send id=...).
_GRANT_ITEM = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*(?:,|$)', re.IGNORECASE)


# -- reading an ACL from a request ------------------------------------------------------------------


def _grant_header_items(name: str, value: str) -> list[tuple[str, str]]:
    """`id="...", uri="..."` pairs of one x-amz-grant-* header."""
    items, position = [], 0
    while position < len(value):
        match = _GRANT_ITEM.match(value, position)
        if match is None:
            raise S3Error("InvalidArgument", f"Invalid grant header value: {value}", extra={"ArgumentName": name, "ArgumentValue": value})
        items.append((match.group(1).lower(), match.group(2) if match.group(2) is not None else match.group(3)))
        position = match.end()
    if not items:
        raise S3Error("InvalidArgument", f"Invalid grant header value: {value}", extra={"ArgumentName": name, "ArgumentValue": value})
    return items


def _grantee(kind: str, value: str, permission: Permission) -> Grant:
    """A grant from a grantee type (id, uri, emailaddress) and value; unknown groups are InvalidArgument."""
    if kind == "id":
        return Grant("CanonicalUser", value, permission)
    if kind == "uri":
        if value not in GROUP_URIS:
            raise S3Error("InvalidArgument", "Invalid group uri", extra={"ArgumentName": "uri", "ArgumentValue": value})
        return Grant("Group", value, permission)
    raise S3Error("UnresolvableGrantByEmailAddress", extra={"EmailAddress": value})


def _from_grant_headers(req: S3Request, owner: str) -> Acl | None:
    grants: list[Grant] = []
    for header, permission in GRANT_HEADERS.items():
        if header in req.headers:
            grants.extend(_grantee(kind, value, permission) for kind, value in _grant_header_items(header, req.headers[header]))
    return Acl(owner, tuple(grants)) if grants else None


def _from_body(body: bytes, owner: str) -> Acl:
    """<AccessControlPolicy><Owner/><AccessControlList><Grant>...: the owner must stay the owner."""
    root = parse_xml(body, max_bytes=ACL_MAX_BYTES)
    if strip_ns(root.tag) != "AccessControlPolicy":
        raise S3Error("MalformedACLError")
    owner_element = next((e for e in root if strip_ns(e.tag) == "Owner"), None)
    if owner_element is not None and (child_text(owner_element, "ID") or owner) != owner:
        raise S3Error("AccessDenied", "The owner of a resource cannot be changed through its ACL.")
    acl_list = next((e for e in root if strip_ns(e.tag) == "AccessControlList"), None)
    grants: list[Grant] = []
    for element in [] if acl_list is None else list(acl_list):
        if strip_ns(element.tag) != "Grant":
            raise S3Error("MalformedACLError")
        grants.append(_grant_element(element))
    return Acl(owner, tuple(grants))


def _grant_element(element: Element) -> Grant:
    grantee = next((e for e in element if strip_ns(e.tag) == "Grantee"), None)
    permission_text = child_text(element, "Permission")
    if grantee is None or permission_text is None or permission_text not in Permission.__members__:
        raise S3Error("MalformedACLError")
    kind = grantee.get(f"{{{_XSI}}}type", "")
    value_tag = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}.get(kind)
    value = child_text(grantee, value_tag) if value_tag else None
    if value is None:
        raise S3Error("MalformedACLError")
    return _grantee({"CanonicalUser": "id", "Group": "uri"}.get(kind, "emailaddress"), value.strip(), Permission(permission_text))


async def _check_grantees(ctx: RequestContext, acl: Acl) -> None:
    """Every canonical-user grantee is an account here (AWS: InvalidArgument "Invalid id")."""
    for grant in acl.grants:
        if grant.kind == "CanonicalUser" and await asyncio.to_thread(ctx.services.accounts.by_canonical_id_sync, grant.grantee) is None:
            raise S3Error("InvalidArgument", "Invalid id", extra={"ArgumentName": "CanonicalUser/ID", "ArgumentValue": grant.grantee})
    if len(acl.grants) > MAX_GRANTS:
        raise S3Error("MalformedACLError", f"An ACL holds at most {MAX_GRANTS} grants.")


async def requested_acl(req: S3Request, ctx: RequestContext, owner: str, bucket_owner: str, body: bytes = b"") -> Acl | None:
    """The ACL a request states (canned, grant headers, or body), resolved; None when it states none."""
    canned = req.headers.get("x-amz-acl")
    from_headers = _from_grant_headers(req, owner)
    if canned is not None and from_headers is not None:
        raise S3Error("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
    if (canned is not None or from_headers is not None) and body.strip():
        raise S3Error("UnexpectedContent", "This request does not support content when an ACL is given in headers.")
    acl = canned_acl(canned, owner, bucket_owner) if canned is not None else from_headers
    if acl is None and body.strip():
        acl = _from_body(body, owner)
    if acl is not None:
        await _check_grantees(ctx, acl)
    return acl


async def bucket_ownership(ctx: RequestContext, bucket: Bucket) -> ObjectOwnership:
    """The bucket's Object Ownership (no controls: ObjectWriter, as AWS's older buckets behave)."""
    value = await ctx.buckets.cached_config(bucket.name, OWNERSHIP_KIND)
    return ObjectOwnership(value) if value is not None else ObjectOwnership.OBJECT_WRITER


async def check_acl_allowed(ctx: RequestContext, bucket: Bucket, bucket_owner: str, acl: Acl, *, replacing: bool = False) -> None:
    """BucketOwnerEnforced takes no ACL on a write but the bucket owner's own, and refuses every
    Put*Acl (``replacing``: AWS's "requests to set ACLs fail"); BlockPublicAcls takes no public grant."""
    if not (await bucket_ownership(ctx, bucket)).acls_enabled and (replacing or not acl.is_owner_only(bucket_owner)):
        raise S3Error("AccessControlListNotSupported", "The bucket does not allow ACLs (Object Ownership is BucketOwnerEnforced).")
    blocks = await public_access_block(ctx, bucket)
    if blocks is not None and blocks.block_public_acls and acl.is_public:
        raise S3Error("AccessDenied", "Public ACLs are blocked by the BlockPublicAcls block public access setting.")


def states_acl(req: S3Request) -> bool:
    """Does a write name an ACL (x-amz-acl or x-amz-grant-*)?"""
    return "x-amz-acl" in req.headers or any(h in req.headers for h in GRANT_HEADERS)


async def write_acl_headers(req: S3Request, ctx: RequestContext, bucket: Bucket) -> dict[str, str]:
    """The ACL an object write states, as its stored-header entry ({} for none: the private default).

    The object's owner is its writer, or the bucket owner under BucketOwnerEnforced.
    """
    if not states_acl(req):
        return {}
    writer = ctx.principal.account.account_id if ctx.principal is not None else bucket.account_id
    ownership = await bucket_ownership(ctx, bucket)
    canned = req.headers.get("x-amz-acl")
    # BucketOwnerEnforced takes bucket-owner-full-control, or an equivalent: "private" from the bucket
    # owner itself (what rclone and other clients send by default) grants exactly that.
    equivalent = canned == "bucket-owner-full-control" or (canned == "private" and writer == bucket.account_id)
    if not ownership.acls_enabled and canned is not None and not equivalent:
        raise S3Error("AccessControlListNotSupported")
    owner = await _canonical_id(ctx, object_owner(bucket.account_id, writer, ownership, canned))
    bucket_owner = await _canonical_id(ctx, bucket.account_id)
    acl = await requested_acl(req, ctx, owner, bucket_owner)
    assert acl is not None
    await check_acl_allowed(ctx, bucket, bucket_owner, acl)
    return {} if acl == Acl.private(owner) else {ACL_HEADER: acl.to_json()}


async def new_bucket_acl(req: S3Request, ctx: RequestContext, account_id: str, ownership: ObjectOwnership, blocks_public: bool) -> dict[str, str]:
    """CreateBucket's ACL as a first configuration document ({} for the private default)."""
    if not states_acl(req):
        return {}
    owner = await _canonical_id(ctx, account_id)
    acl = await requested_acl(req, ctx, owner, owner)
    assert acl is not None
    if acl == Acl.private(owner):
        return {}
    if not ownership.acls_enabled:
        raise S3Error("InvalidBucketAclWithObjectOwnership")
    if blocks_public and acl.is_public:
        raise S3Error("AccessDenied", "Public ACLs are blocked by the BlockPublicAcls block public access setting.")
    return {ACL_CONFIG_KIND: acl.to_json()}


async def new_object_owner(req: S3Request, ctx: RequestContext, bucket: Bucket) -> str:
    """The account that owns an object this write creates (Object Ownership and the request's x-amz-acl)."""
    writer = ctx.principal.account.account_id if ctx.principal is not None else None
    return object_owner(bucket.account_id, writer, await bucket_ownership(ctx, bucket), req.headers.get("x-amz-acl"))


# -- rendering --------------------------------------------------------------------------------------


async def _display_name(ctx: RequestContext, canonical_id: str) -> str:
    account = await asyncio.to_thread(ctx.services.accounts.by_canonical_id_sync, canonical_id)
    return account.display_name if account is not None else ""


async def _render(ctx: RequestContext, acl: Acl) -> Response:
    owner_name = await _display_name(ctx, acl.owner)
    grants: list[str] = []
    # Group grants first, then accounts' (the order AWS lists a canned ACL's grants in; stable otherwise).
    for grant in sorted(acl.grants, key=lambda g: g.kind != "Group"):
        if grant.kind == "CanonicalUser":
            name = await _display_name(ctx, grant.grantee)
            inner = f"<ID>{escape_text(grant.grantee)}</ID><DisplayName>{escape_text(name)}</DisplayName>"
        else:
            inner = f"<URI>{escape_text(grant.grantee)}</URI>"
        grants.append(
            f'<Grant><Grantee xmlns:xsi="{_XSI}" xsi:type="{grant.kind}">{inner}</Grantee>'
            f"<Permission>{grant.permission.value}</Permission></Grant>"
        )
    content: Node = [("Owner", [("ID", acl.owner), ("DisplayName", owner_name)]), ("AccessControlList", [("", RawXml("".join(grants)))])]
    return xml_response("AccessControlPolicy", content)


async def _canonical_id(ctx: RequestContext, account_id: str) -> str:
    account = await asyncio.to_thread(ctx.services.accounts.canonical_owner_sync, account_id)
    if account is None:
        raise S3Error("InternalError", "The resource's owner account is missing.")
    return account.canonical_id


async def bucket_acl(ctx: RequestContext, bucket: Bucket) -> Acl:
    """The bucket's ACL as stored (the owner's FULL_CONTROL when none was set)."""
    owner = await _canonical_id(ctx, bucket.account_id)
    return Acl.from_json(owner, await ctx.buckets.get_config(bucket.name, ACL_CONFIG_KIND))


def _object_owner_account(version: ObjectVersion, bucket: Bucket, ownership: ObjectOwnership) -> str:
    """BucketOwnerEnforced: the bucket owner owns every object; otherwise its writer does."""
    return bucket.account_id if ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED else version.owner_account


# -- handlers -------------------------------------------------------------------------------------


async def get_bucket_acl(req: S3Request, ctx: RequestContext) -> Response:
    """GetBucketAcl: the bucket's grants (the owner's FULL_CONTROL by default)."""
    _grant, bucket = await ctx.authorize_bucket(req)
    return await _render(ctx, await bucket_acl(ctx, bucket))


async def put_bucket_acl(req: S3Request, ctx: RequestContext) -> Response:
    """PutBucketAcl: replace the bucket's grants (canned, grant headers or body)."""
    body = await req.read_body(ACL_MAX_BYTES)
    verify_small_body(req, body, required=False)
    grant, bucket = await ctx.authorize_bucket(req)
    owner = await _canonical_id(ctx, bucket.account_id)
    acl = await requested_acl(req, ctx, owner, owner, body)
    if acl is None:
        raise S3Error("MissingSecurityHeader", "Your request was missing a required header: x-amz-acl, x-amz-grant-* or an ACL body.")
    await check_acl_allowed(ctx, bucket, owner, acl, replacing=True)
    await ctx.buckets.put_config(grant, bucket.name, ACL_CONFIG_KIND, acl.to_json())
    return empty_response(200)


async def get_object_acl(req: S3Request, ctx: RequestContext) -> Response:
    """GetObjectAcl: one version's grants."""
    key = validate_key(req.key or "")
    _grant, bucket = await ctx.authorize_bucket(req)
    version = await ctx.objects.get(bucket, key, req.query_value("versionId"))
    owner = await _canonical_id(ctx, _object_owner_account(version, bucket, await bucket_ownership(ctx, bucket)))
    headers = {"x-amz-version-id": version.version_id} if version.version_id != "null" else {}
    response = await _render(ctx, Acl.from_json(owner, version.headers.get(ACL_HEADER)))
    response.headers.update(headers)
    return response


async def put_object_acl(req: S3Request, ctx: RequestContext) -> Response:
    """PutObjectAcl: replace one version's grants."""
    key = validate_key(req.key or "")
    body = await req.read_body(ACL_MAX_BYTES)
    verify_small_body(req, body, required=False)
    grant, bucket = await ctx.authorize_bucket(req)
    version = await ctx.objects.get(bucket, key, req.query_value("versionId"))
    ownership = await bucket_ownership(ctx, bucket)
    owner = await _canonical_id(ctx, _object_owner_account(version, bucket, ownership))
    bucket_owner = await _canonical_id(ctx, bucket.account_id)
    acl = await requested_acl(req, ctx, owner, bucket_owner, body)
    if acl is None:
        raise S3Error("MissingSecurityHeader", "Your request was missing a required header: x-amz-acl, x-amz-grant-* or an ACL body.")
    await check_acl_allowed(ctx, bucket, bucket_owner, acl, replacing=True)
    await ctx.objects.put_acl(grant, version, acl.to_json())
    return empty_response(200, {"x-amz-version-id": version.version_id} if version.version_id != "null" else {})
