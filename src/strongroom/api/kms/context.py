"""What a KMS handler gets: the built-in KMS, the verified caller, its operation's IAM action and ``authorize``.

Every use of a key is decided by that key's policy (kms/key_policy.py), read while the key is looked
up (``resolve``, ``key_of_ciphertext``: read-only lookups before authorisation, off the event loop).
Another account's key is reached only by its ARN, and only for the operations AWS allows across
accounts; account-wide operations (CreateKey, ListKeys, ...) need no key policy.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from ...errors import S3Error
from ...grant import Grant
from ...kms.builtin import BuiltinKms, KmsError, KmsKey
from ...kms.caller import KmsCaller
from ...kms.key_policy import key_policy_set, key_use_context
from ...policy import Caller, Policy, PolicySet, RequestContext, authorize
from ...service.iam import ROOT_IDENTITY, Identity
from ...service.model import Principal

__all__ = ["KmsContext", "CROSS_ACCOUNT_ACTIONS"]

T = TypeVar("T")

# The operations AWS lets a principal perform on a key of another account (its key policy permitting).
CROSS_ACCOUNT_ACTIONS = frozenset(
    {
        "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
        "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyRotationStatus",
    }
)


@dataclass(frozen=True, slots=True)
class KmsContext:
    """Per request: the KMS, the caller and the IAM action of the request's operation row."""

    kms: BuiltinKms
    principal: Principal
    action: str
    source_ip: str | None = None
    identity: Identity = ROOT_IDENTITY  # the caller's identity policies (service/iam/identity.py)
    _policies: dict[str, Policy] = field(default_factory=dict)  # key id -> its policy, read with the key

    @property
    def account_id(self) -> str:
        """The caller's account: the one bare key ids and aliases are looked up in."""
        return self.principal.account.account_id

    @property
    def caller(self) -> KmsCaller:
        """The caller as key policies see it."""
        return KmsCaller(self.principal.arn, self.account_id, source_ip=self.source_ip,
                         identity=self.identity.identity, boundaries=self.identity.boundaries, session=self.identity.session,
                         principal_tags=self.identity.tags, aliases=(self.principal.role_arn,) if self.principal.role_arn else ())

    def key_context(self, key: KmsKey, action: str, encryption_context: Mapping[str, str] | None = None) -> RequestContext:
        """The request context of ``action`` on ``key`` by this caller (for PutKeyPolicy's lockout check too)."""
        return key_use_context(self.caller, key.arn, key.account_id, action, encryption_context)

    def authorize(self, key: KmsKey | None, action: str | None = None, *, encryption_context: Mapping[str, str] | None = None) -> Grant:
        """Allow the row's action (or a second one, e.g. ReEncryptTo) on a key by its key policy, or
        on "*" for account-wide ones. ``encryption_context``: the request's, for cryptographic operations."""
        action = action or self.action
        if key is None:
            caller = Caller(arn=self.principal.arn, account=self.account_id)
            context = RequestContext(action, "*", caller, None)
            policies = PolicySet(identity=self.identity.identity, boundaries=self.identity.boundaries, session=self.identity.session)
            return authorize(context, policies, error="AccessDeniedException", explain=True)
        if key.account_id != self.account_id and action not in CROSS_ACCOUNT_ACTIONS:
            raise S3Error("AccessDeniedException", f"{action} cannot be used on a KMS key of another account ({key.arn}).")
        policy = self._policies[key.key_id]  # read by resolve / key_of_ciphertext
        context = self.key_context(key, action, encryption_context)
        policies = key_policy_set(policy, context, self.identity.identity, self.identity.boundaries, self.identity.session)
        return authorize(context, policies, error="AccessDeniedException", explain=True)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run a blocking KMS call on a worker thread (invariant 8); its KmsError becomes the client's error."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))
        except KmsError as exc:
            raise S3Error(exc.code, exc.message) from None

    def _with_policy(self, key: KmsKey) -> KmsKey:
        self._policies[key.key_id] = self.kms.policies.policy(key.key_id, key.account_id)
        return key

    async def resolve(self, ref: str) -> KmsKey:
        """The key a KeyId names, with its key policy (read-only lookups before authorisation)."""
        return await self.run(lambda: self._with_policy(self.kms.resolve(self.account_id, ref)))

    async def key_of_ciphertext(self, blob: bytes) -> KmsKey:
        """The key a ciphertext blob names, with its key policy."""
        return await self.run(lambda: self._with_policy(self.kms.key_of_ciphertext(self.account_id, blob)))
