"""Access points through S3 Control: Create/Get/List/DeleteAccessPoint and
Put/Get/DeleteAccessPointPolicy, GetAccessPointPolicyStatus.

An access point belongs to the account that creates it and opens one of that account's buckets. Its
network origin is the Internet, or a VPC: one of the operator's ``vpc_networks`` ids, and then only
clients in that network get through it (api/access.py). Its own Block Public Access flags (all on unless
the request says otherwise, as AWS creates them) and the account's refuse a public access point policy.
"""

from __future__ import annotations

from ...errors import S3Error
from ...policy.public import is_public
from ...service.access_controls import ALL_BLOCKED, PUBLIC_ACCESS_BLOCK_KIND, PublicAccessBlock
from ...service.access_points import AccessPoint, parse_access_point_policy, validate_access_point_name
from ..httpdates import iso8601
from ..response import Response, empty_response
from ..s3.headers import verify_small_body
from ..s3.public_access import public_access_block_from
from ..xml import Node, child_text, children, parse_xml, render_xml, strip_ns
from .call import CONTROL_XMLNS, ControlCall

__all__ = [
    "create_access_point", "get_access_point", "list_access_points", "delete_access_point",
    "put_access_point_policy", "get_access_point_policy", "delete_access_point_policy", "get_access_point_policy_status",
]

REQUEST_MAX_BYTES = 32 * 1024
LIST_MAX_RESULTS = 1000


def _xml(root: str, content: Node) -> Response:
    return Response(200, {"content-type": "application/xml"}, render_xml(root, content, xmlns=CONTROL_XMLNS))


def _block_content(block: PublicAccessBlock) -> Node:
    return [(name, "true" if value else "false") for name, value in block.as_dict().items()]


def _summary(point: AccessPoint, region: str) -> list[tuple[str, Node]]:
    content: list[tuple[str, Node]] = [("Name", point.name), ("NetworkOrigin", point.network_origin)]
    if point.vpc_id is not None:
        content.append(("VpcConfiguration", [("VpcId", point.vpc_id)]))
    content += [("Bucket", point.bucket), ("AccessPointArn", point.arn(region)), ("Alias", point.alias), ("BucketAccountId", point.account_id)]
    return content


def _parse_create(body: bytes) -> tuple[str, str | None, PublicAccessBlock]:
    """<CreateAccessPointRequest>: the bucket, an optional VPC id, optional Block Public Access flags."""
    root = parse_xml(body, max_bytes=REQUEST_MAX_BYTES)
    if strip_ns(root.tag) != "CreateAccessPointRequest":
        raise S3Error("MalformedXML")
    bucket = (child_text(root, "Bucket") or "").strip()
    if not bucket:
        raise S3Error("InvalidRequest", "CreateAccessPoint needs a Bucket.")
    vpc_id = None
    for vpc in children(root, "VpcConfiguration"):
        vpc_id = (child_text(vpc, "VpcId") or "").strip() or None
    block = ALL_BLOCKED
    for element in children(root, "PublicAccessBlockConfiguration"):
        block = public_access_block_from(element)
    return bucket, vpc_id, block


async def create_access_point(call: ControlCall) -> Response:
    """CreateAccessPoint: a new entrance to one of the account's buckets."""
    name = validate_access_point_name(call.params["name"])
    body = await call.req.read_body(REQUEST_MAX_BYTES)
    bucket_name, vpc_id, block = _parse_create(body)
    settings = call.services.settings
    if vpc_id is not None and vpc_id not in settings.vpc_networks.values():
        raise S3Error("InvalidRequest", f"VpcId {vpc_id!r} is none of this server's networks (the vpc_networks setting).")
    bucket = await call.services.buckets.get(bucket_name)
    if bucket is None:
        raise S3Error("NoSuchBucket", resource=bucket_name, extra={"BucketName": bucket_name})
    if bucket.account_id != call.account_id:
        raise S3Error("AccessDenied", "Access points open a bucket of the account that creates them.")
    point = await call.services.access_points.create(call.grant, call.account_id, name, bucket.name, vpc_id, block)
    return _xml("CreateAccessPointResult", [("AccessPointArn", point.arn(settings.region)), ("Alias", point.alias)])


async def get_access_point(call: ControlCall) -> Response:
    """GetAccessPoint: its bucket, network origin, flags, alias and ARN."""
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    region = call.services.settings.region
    content = _summary(point, region)
    content += [("PublicAccessBlockConfiguration", _block_content(point.public_access_block)), ("CreationDate", iso8601(point.created))]
    return _xml("GetAccessPointResult", content)


async def list_access_points(call: ControlCall) -> Response:
    """ListAccessPoints: the account's access points (one bucket's with ?bucket=), paged by name."""
    raw_max = call.req.query_value("maxResults")
    if raw_max is not None and (not raw_max.isdigit() or not 1 <= int(raw_max) <= LIST_MAX_RESULTS):
        raise S3Error("InvalidArgument", f"maxResults must be between 1 and {LIST_MAX_RESULTS}.")
    limit = int(raw_max) if raw_max is not None else LIST_MAX_RESULTS
    after = call.req.query_value("nextToken") or None
    points = await call.services.access_points.list(call.account_id, call.req.query_value("bucket"), after, limit + 1)
    region = call.services.settings.region
    content: list[tuple[str, Node]] = [("AccessPointList", [("AccessPoint", _summary(p, region)) for p in points[:limit]])]
    if len(points) > limit:
        content.append(("NextToken", points[limit - 1].name))
    return _xml("ListAccessPointsResult", content)


async def delete_access_point(call: ControlCall) -> Response:
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    await call.services.access_points.delete(call.grant, point)
    return empty_response(204)


async def put_access_point_policy(call: ControlCall) -> Response:
    """PutAccessPointPolicy: validate, refuse a public policy where Block Public Access says so, store."""
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    body = await call.req.read_body(REQUEST_MAX_BYTES)
    verify_small_body(call.req, body, required=False)
    root = parse_xml(body, max_bytes=REQUEST_MAX_BYTES)
    document = child_text(root, "Policy") if strip_ns(root.tag) == "PutAccessPointPolicyRequest" else None
    if not document:
        raise S3Error("MalformedXML")
    policy = parse_access_point_policy(document, point, call.services.settings.region)
    account = PublicAccessBlock.from_json(await call.services.account_configs.cached(call.account_id, PUBLIC_ACCESS_BLOCK_KIND))
    if point.public_access_block.union(account).block_public_policy and is_public(policy):
        raise S3Error("AccessDenied", "Public access point policies are blocked by the BlockPublicPolicy block public access setting.")
    await call.services.access_points.set_policy(call.grant, point, document)
    return empty_response(200)


async def get_access_point_policy(call: ControlCall) -> Response:
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    if point.policy is None:
        raise S3Error("NoSuchAccessPointPolicy", resource=point.name)
    return _xml("GetAccessPointPolicyResult", [("Policy", point.policy)])


async def delete_access_point_policy(call: ControlCall) -> Response:
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    await call.services.access_points.set_policy(call.grant, point, None)
    return empty_response(204)


async def get_access_point_policy_status(call: ControlCall) -> Response:
    """Is the access point's policy public (AWS's meaning)?"""
    point = await call.services.access_points.get(call.account_id, call.params["name"])
    public = point.policy is not None and is_public(parse_access_point_policy(point.policy, point, call.services.settings.region))
    return _xml("GetAccessPointPolicyStatusResult", [("PolicyStatus", [("IsPublic", "true" if public else "false")])])
