"""S3 Control requests: recognise them, authenticate, authorise for the named account, dispatch.

AWS serves S3 Control at ``{account-id}.s3-control.{region}.amazonaws.com`` under ``/v20180820/``;
SDKs pointed at a custom endpoint put the account id in front of its host name and always send
``x-amz-account-id``. Here a request is S3 Control when its path has that prefix and it carries that
header, whatever its host, so it never reaches the S3 router (which would read the account id as a
virtual-host bucket). Requests are signed for service ``s3``, as SDKs sign them.

An account's principals may manage its settings (identity policies arrive with IAM users); a request
naming another account is refused with AccessDenied, never answered with that account's settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from ...errors import S3Error
from ...grant import Grant
from ...policy import ACCOUNT_PRINCIPAL, PolicySet, authorize
from ...policy import RequestContext as PolicyRequest
from ..access import caller_of
from ..context import Services
from ..request import S3Request
from ..response import Response
from . import public_access

__all__ = ["CONTROL_PREFIX", "is_control_request", "handle_control"]

CONTROL_PREFIX = b"/v20180820/"
ACCOUNT_HEADER = "x-amz-account-id"

ControlHandler = Callable[[S3Request, Services, Grant, str], Awaitable[Response]]

# (method, path after the prefix) -> (IAM action, handler)
_OPERATIONS: Mapping[tuple[str, bytes], tuple[str, ControlHandler]] = {
    ("GET", b"configuration/publicAccessBlock"): ("s3:GetAccountPublicAccessBlock", public_access.get_account_block),
    ("PUT", b"configuration/publicAccessBlock"): ("s3:PutAccountPublicAccessBlock", public_access.put_account_block),
    ("DELETE", b"configuration/publicAccessBlock"): ("s3:PutAccountPublicAccessBlock", public_access.delete_account_block),
}


def is_control_request(req: S3Request) -> bool:
    return req.raw_path.startswith(CONTROL_PREFIX) and ACCOUNT_HEADER in req.headers


async def handle_control(req: S3Request, services: Services) -> Response:
    """Authenticate, check the account and the action, then run the operation's handler."""
    path = req.raw_path.removeprefix(CONTROL_PREFIX).partition(b"?")[0]
    operation = _OPERATIONS.get((req.method, path))
    if operation is None:
        if any(p == path for _m, p in _OPERATIONS):
            raise S3Error("MethodNotAllowed", extra={"Method": req.method, "ResourceType": "ACCOUNT"})
        raise S3Error("NotImplemented", "This S3 Control operation is not implemented.")
    action, handler = operation
    principal = (await req.authenticate(services.credentials, allow_sigv2=services.settings.allow_sigv2)).principal
    account_id = req.headers[ACCOUNT_HEADER].strip()
    if principal is None or principal.account.account_id != account_id:
        raise S3Error("AccessDenied", "Account settings are managed by the account's own principals.")
    grant = authorize(PolicyRequest(action, "*", caller_of(principal), account_id), PolicySet(identity=(ACCOUNT_PRINCIPAL,)))
    return await handler(req, services, grant, account_id)
