"""The one authorisation function: a request context in, a Grant or AccessDenied out.

Default deny (invariant 7). Until the policy language lands (bucket policies, ACLs, Block Public
Access), the only Allow is ownership: an account's principals reach the account's own resources,
and any authenticated principal may act on the service itself (ListBuckets, CreateBucket).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import S3Error
from ..grant import Grant

__all__ = ["AuthorizationRequest", "evaluate"]


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Who asks to do what to which resource, and who owns that resource."""

    action: str
    resource_arn: str
    principal_arn: str | None
    principal_account: str | None
    # None for service-level actions (no resource owner yet).
    resource_account: str | None


def evaluate(request: AuthorizationRequest) -> Grant:
    """Allow or raise AccessDenied; an anonymous caller is denied everything for now."""
    if request.principal_arn is None or request.principal_account is None:
        raise S3Error("AccessDenied")
    if request.resource_account is not None and request.resource_account != request.principal_account:
        raise S3Error("AccessDenied")
    return Grant._issue(request.principal_arn, request.principal_account, request.action)
