"""What a KMS handler gets: the built-in KMS, the verified caller, its operation's IAM action and ``authorize``."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ...errors import S3Error
from ...grant import Grant
from ...kms.builtin import BuiltinKms, KmsError, KmsKey
from ...policy import ACCOUNT_PRINCIPAL, Caller, PolicySet, RequestContext, authorize
from ...service.model import Principal

__all__ = ["KmsContext"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KmsContext:
    """Per request: the KMS, the caller and the IAM action of the request's operation row."""

    kms: BuiltinKms
    principal: Principal
    action: str

    @property
    def account_id(self) -> str:
        """The caller's account: the only one whose keys it sees."""
        return self.principal.account.account_id

    def authorize(self, key: KmsKey | None, action: str | None = None) -> Grant:
        """Allow the row's action (or a second one, e.g. ReEncryptTo) on a key, or on "*" for account-wide ones."""
        p = self.principal
        caller = Caller(arn=p.arn, account=self.account_id, canonical_id=p.account.canonical_id)
        context = RequestContext(action or self.action, key.arn if key is not None else "*", caller, key.account_id if key is not None else None)
        return authorize(context, PolicySet(identity=(ACCOUNT_PRINCIPAL,)), error="AccessDeniedException", explain=True)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run a blocking KMS call on a worker thread (invariant 8); its KmsError becomes the client's error."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))
        except KmsError as exc:
            raise S3Error(exc.code, exc.message) from None

    async def resolve(self, ref: str) -> KmsKey:
        """The caller's key a KeyId names (read-only lookup before authorisation)."""
        return await self.run(self.kms.resolve, self.account_id, ref)
