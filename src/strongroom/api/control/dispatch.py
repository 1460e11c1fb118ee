"""S3 Control requests: recognise them, authenticate, authorise for the named account, dispatch.

AWS serves S3 Control at ``{account-id}.s3-control.{region}.amazonaws.com`` under ``/v20180820/``;
SDKs pointed at a custom endpoint put the account id in front of its host name and always send
``x-amz-account-id``. Here a request is S3 Control when its path has that prefix and it carries that
header, whatever its host, so it never reaches the S3 router (which would read the account id as a
virtual-host bucket). Requests are signed for service ``s3``, as SDKs sign them.

An account's root may manage its settings, its users as far as their identity policies allow; a request
naming another account is refused with AccessDenied, never answered with that account's settings.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from ...errors import S3Error
from ...policy import PolicySet, authorize
from ...policy import RequestContext as PolicyRequest
from ..access import caller_of
from ..context import Services
from ..request import S3Request
from ..response import Response
from . import access_points as ap
from . import public_access
from .call import ControlCall

__all__ = ["CONTROL_PREFIX", "is_control_request", "handle_control"]

CONTROL_PREFIX = b"/v20180820/"
ACCOUNT_HEADER = "x-amz-account-id"

ControlHandler = Callable[[ControlCall], Awaitable[Response]]

# path pattern (after the prefix) -> method -> (IAM action, handler)
_ROUTES: tuple[tuple[re.Pattern[str], dict[str, tuple[str, ControlHandler]]], ...] = (
    (re.compile(r"configuration/publicAccessBlock"), {
        "GET": ("s3:GetAccountPublicAccessBlock", public_access.get_account_block),
        "PUT": ("s3:PutAccountPublicAccessBlock", public_access.put_account_block),
        "DELETE": ("s3:PutAccountPublicAccessBlock", public_access.delete_account_block),
    }),
    (re.compile(r"accesspoint"), {"GET": ("s3:ListAccessPoints", ap.list_access_points)}),
    (re.compile(r"accesspoint/(?P<name>[^/]+)"), {
        "PUT": ("s3:CreateAccessPoint", ap.create_access_point),
        "GET": ("s3:GetAccessPoint", ap.get_access_point),
        "DELETE": ("s3:DeleteAccessPoint", ap.delete_access_point),
    }),
    (re.compile(r"accesspoint/(?P<name>[^/]+)/policy"), {
        "PUT": ("s3:PutAccessPointPolicy", ap.put_access_point_policy),
        "GET": ("s3:GetAccessPointPolicy", ap.get_access_point_policy),
        "DELETE": ("s3:DeleteAccessPointPolicy", ap.delete_access_point_policy),
    }),
    (re.compile(r"accesspoint/(?P<name>[^/]+)/policyStatus"), {"GET": ("s3:GetAccessPointPolicyStatus", ap.get_access_point_policy_status)}),
)


def is_control_request(req: S3Request) -> bool:
    return req.raw_path.startswith(CONTROL_PREFIX) and ACCOUNT_HEADER in req.headers


async def handle_control(req: S3Request, services: Services) -> Response:
    """Authenticate, check the account and the action, then run the operation's handler."""
    path = req.raw_path.removeprefix(CONTROL_PREFIX).partition(b"?")[0].decode("utf-8", "replace")
    for pattern, methods in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if req.method not in methods:
            raise S3Error("MethodNotAllowed", extra={"Method": req.method, "ResourceType": "ACCOUNT"})
        action, handler = methods[req.method]
        break
    else:
        raise S3Error("NotImplemented", "This S3 Control operation is not implemented.")
    principal = (await req.authenticate(services.credentials, allow_sigv2=services.settings.allow_sigv2)).principal
    account_id = req.headers[ACCOUNT_HEADER].strip()
    if principal is None or principal.account.account_id != account_id:
        raise S3Error("AccessDenied", "Account settings are managed by the account's own principals.")
    identity = await services.iam.identities.of(principal)
    policies = PolicySet(identity=identity.identity, boundaries=identity.boundaries, session=identity.session)
    grant = authorize(PolicyRequest(action, "*", caller_of(principal), account_id), policies)
    return await handler(ControlCall(req, services, grant, account_id, match.groupdict()))
