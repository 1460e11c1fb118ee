"""Admin requests: recognise the reserved prefix, authenticate (SigV4, service s3), allow only an
account's root, then run the resource's handler. Errors render as S3 XML, like any S3 request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from ...errors import S3Error
from ..context import Services
from ..request import S3Request
from ..response import Response
from ..router import split_host
from . import clock

__all__ = ["ADMIN_PREFIX", "is_admin_request", "handle_admin"]

ADMIN_PREFIX = b"/_strongroom/"

AdminHandler = Callable[[S3Request, Services], Awaitable[Response]]

# Resource path (after the prefix) -> (setting that turns it on, handler).
_RESOURCES: Mapping[bytes, tuple[Callable[[Services], bool], AdminHandler]] = {
    b"clock": (lambda s: s.settings.allow_clock_override, clock.handle_clock),
}


def is_admin_request(req: S3Request, domain: str) -> bool:
    """Is this a path-style request under the reserved prefix? (Virtual-host ones name an object key.)"""
    return req.raw_path.startswith(ADMIN_PREFIX) and split_host(req.headers.get("host"), domain) is None


async def handle_admin(req: S3Request, services: Services) -> Response:
    """Authenticate and run an admin resource's handler; AccessDenied unless enabled and asked by a root."""
    resource = _RESOURCES.get(req.raw_path.removeprefix(ADMIN_PREFIX))
    if resource is None:
        raise S3Error("NoSuchKey", "No such admin resource.", resource=req.raw_path.decode("latin-1"))
    enabled, handler = resource
    if not enabled(services):
        raise S3Error("AccessDenied", "This admin resource is turned off on this server.")
    principal = (await req.authenticate(services.credentials)).principal
    if principal is None or not principal.is_root:
        raise S3Error("AccessDenied", "Admin resources are for an account's root credentials.")
    return await handler(req, services)
