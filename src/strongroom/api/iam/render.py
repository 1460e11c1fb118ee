"""IAM query-protocol XML: the response envelope, entity elements as the IAM API reference shapes them,
dates, URL-encoded policy documents, and List* paging (Marker / MaxItems / IsTruncated).

Policy documents are returned URL-encoded, as IAM returns them (SDKs decode them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote

from ...errors import S3Error
from ...service.iam import IamGroup, IamRole, IamUser, KeyInfo, ManagedPolicy, PolicyVersion
from ..response import Response
from ..xml import Node, render_xml

__all__ = [
    "IAM_XMLNS",
    "iam_response",
    "iso",
    "encoded",
    "user_node",
    "group_node",
    "role_node",
    "policy_node",
    "version_node",
    "key_node",
    "members",
    "page",
]

IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
CONTENT_TYPE = "text/xml"
DEFAULT_MAX_ITEMS = 100
_MAX_ITEMS = 1000

T = TypeVar("T")


def iam_response(action: str, result: Node, request_id: str) -> Response:
    """<{Action}Response><{Action}Result>...</...><ResponseMetadata>...</...></...>."""
    content: list[tuple[str, Node]] = []
    if result is not None:
        content.append((f"{action}Result", result))
    content.append(("ResponseMetadata", [("RequestId", request_id)]))
    return Response(200, {"content-type": CONTENT_TYPE}, render_xml(f"{action}Response", content, xmlns=IAM_XMLNS))


def iso(seconds: float) -> str:
    """IAM's timestamp notation (ISO 8601, UTC)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def encoded(document: str) -> str:
    """A policy document as IAM returns it: URL-encoded."""
    return quote(document, safe="")


def _boundary(arn: str | None) -> Node:
    if arn is None:
        return None
    return [("PermissionsBoundaryType", "Policy"), ("PermissionsBoundaryArn", arn)]


def user_node(user: IamUser) -> list[tuple[str, Node]]:
    return [
        ("Path", user.path), ("UserName", user.name), ("UserId", user.user_id), ("Arn", user.arn),
        ("CreateDate", iso(user.created)), ("PermissionsBoundary", _boundary(user.boundary_arn)),
    ]


def group_node(group: IamGroup) -> Node:
    return [("Path", group.path), ("GroupName", group.name), ("GroupId", group.group_id), ("Arn", group.arn), ("CreateDate", iso(group.created))]


def role_node(role: IamRole) -> list[tuple[str, Node]]:
    return [
        ("Path", role.path), ("RoleName", role.name), ("RoleId", role.role_id), ("Arn", role.arn), ("CreateDate", iso(role.created)),
        ("AssumeRolePolicyDocument", encoded(role.trust_policy)), ("Description", role.description),
        ("MaxSessionDuration", role.max_session_seconds), ("PermissionsBoundary", _boundary(role.boundary_arn)),
    ]


def policy_node(policy: ManagedPolicy) -> Node:
    return [
        ("PolicyName", policy.name), ("PolicyId", policy.policy_id), ("Arn", policy.arn), ("Path", policy.path),
        ("DefaultVersionId", policy.default_version), ("AttachmentCount", policy.attachment_count),
        ("PermissionsBoundaryUsageCount", policy.boundary_count), ("IsAttachable", True), ("Description", policy.description),
        ("CreateDate", iso(policy.created)), ("UpdateDate", iso(policy.updated)),
    ]


def version_node(version: PolicyVersion, with_document: bool = True) -> Node:
    return [
        ("Document", encoded(version.document) if with_document else None), ("VersionId", version.version_id),
        ("IsDefaultVersion", version.is_default), ("CreateDate", iso(version.created)),
    ]


def key_node(key: KeyInfo, user_name: str | None) -> Node:
    return [("UserName", user_name), ("AccessKeyId", key.access_key_id), ("Status", key.status), ("CreateDate", iso(key.created))]


def members(items: Sequence[T], render: Callable[[T], Node]) -> Node:
    """A list as the query protocol writes it: one <member> per item."""
    return [("member", render(item)) for item in items]


def page(items: Sequence[T], key: Callable[[T], str], marker: str | None, max_items: int | None) -> tuple[Sequence[T], list[tuple[str, Node]]]:
    """One page of a list in IAM's order (by name whatever its case) and its IsTruncated/Marker
    elements; the marker is the next item's name."""
    limit = DEFAULT_MAX_ITEMS if max_items is None else max_items
    if not 1 <= limit <= _MAX_ITEMS:
        raise S3Error("ValidationError", f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy constraint: "
                                         f"Member must have value between 1 and {_MAX_ITEMS}")
    def order(name: str) -> tuple[str, str]:
        return name.lower(), name

    items = sorted(items, key=lambda item: order(key(item)))
    start = 0 if marker is None else next((i for i, item in enumerate(items) if order(key(item)) >= order(marker)), len(items))
    chosen = items[start:start + limit]
    rest = items[start + limit:]
    tail: list[tuple[str, Node]] = [("IsTruncated", bool(rest))]
    if rest:
        tail.append(("Marker", key(rest[0])))
    return chosen, tail
