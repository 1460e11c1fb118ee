"""What an IAM handler gets: the IAM store, the verified caller, its operation's IAM action, and
``authorize``, which decides the action on one IAM resource ARN with the caller's identity policies.

IAM is account-scoped: every operation acts in the caller's own account. An account's root may do
anything there; a user only what its identity policies (within its permissions boundary) allow.
Blocking store calls run off the event loop (``run``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ...errors import S3Error
from ...grant import Grant
from ...policy import PolicySet, authorize
from ...policy import RequestContext as PolicyRequest
from ...service.iam import EntityKind, Iam, IamGroup, IamRole, IamUser
from ...service.model import Principal
from ..access import caller_of, condition_keys
from ..context import Services
from ..request import S3Request

__all__ = ["IamContext"]

T = TypeVar("T")


@dataclass(slots=True)
class IamContext:
    """Per request: services, the caller and the action of the request's operation row."""

    services: Services
    principal: Principal
    action: str
    req: S3Request

    @property
    def iam(self) -> Iam:
        return self.services.iam

    @property
    def account_id(self) -> str:
        """The caller's account: the one every IAM operation acts in."""
        return self.principal.account.account_id

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run a blocking store call on a worker thread (invariant 8)."""
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))

    async def authorize(self, resource: str, extra_keys: Mapping[str, str | list[str]] | None = None, action: str | None = None) -> Grant:
        """Allow the row's action (or ``action``) on an IAM resource ARN, or raise AccessDenied saying why."""
        settings = self.services.settings
        keys = condition_keys(self.req, self.principal, settings.vpc_endpoint_networks, settings.vpc_networks)
        keys.update(extra_keys or {})
        identity = await self.iam.identities.of(self.principal)
        identity.add_principal_keys(keys)
        request = PolicyRequest(action or self.action, resource, caller_of(self.principal), self.account_id, keys)
        return authorize(request, PolicySet(identity=identity.identity, boundaries=identity.boundaries, session=identity.session), explain=True)

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        """An IAM resource ARN of the caller's account."""
        return f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"

    async def entity_arn(self, kind: EntityKind, name: str) -> str:
        """The ARN of an existing user, group or role (its path looked up), or with path "/" when there
        is none: the caller is refused before it may learn whether the entity exists."""
        lookups: dict[EntityKind, Callable[[str, str], IamUser | IamGroup | IamRole]] = {
            EntityKind.USER: self.iam.users.get, EntityKind.GROUP: lambda a, n: self.iam.groups.get(a, n)[0], EntityKind.ROLE: self.iam.roles.get,
        }
        try:
            found = await self.run(lookups[kind], self.account_id, name)
        except S3Error as missing:  # NoSuchEntity: the handler reports it once authorised
            if missing.code != "NoSuchEntity":
                raise
            return self.arn(kind.value, name)
        return found.arn

    async def user_or_self(self, user_name: str | None) -> tuple[str | None, str]:
        """(user name, resource ARN) of a UserName parameter, or of the caller when absent (None: root)."""
        if user_name is None:
            if self.principal.role_session is not None:
                raise S3Error("ValidationError", "Must specify userName when calling with non-User credentials")
            user_name = self.principal.user_name
            if user_name is None:
                return None, self.principal.account.root_arn
        return user_name, await self.entity_arn(EntityKind.USER, user_name)
