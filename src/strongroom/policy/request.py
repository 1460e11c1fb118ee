"""The request context policies are evaluated against: who, what action, which resource, which keys.

Pure data built by the HTTP surface (S3, KMS). Condition-key names are case-insensitive, so they are
lower-cased once here; values keep their case. A key with several values (aws:TagKeys) is a tuple.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Caller", "RequestContext", "ANONYMOUS"]


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal making a request; all None is an anonymous caller."""

    arn: str | None = None
    account: str | None = None
    canonical_id: str | None = None
    service: str | None = None  # a service principal, e.g. "s3.amazonaws.com"
    federated: str | None = None
    aliases: tuple[str, ...] = ()  # other ARNs it answers to (a role session's role ARN)

    @property
    def anonymous(self) -> bool:
        return self.arn is None and self.service is None and self.federated is None

    @property
    def is_account_root(self) -> bool:
        """An account's root user: the account itself, as a principal."""
        return self.account is not None and self.arn == f"arn:aws:iam::{self.account}:root"


ANONYMOUS = Caller()


@dataclass(frozen=True, slots=True)
class RequestContext:
    """One authorisation question; ``resource_account`` None means the caller's own (service-level) scope."""

    action: str
    resource: str
    caller: Caller
    resource_account: str | None = None
    keys: Mapping[str, str | Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", {k.lower(): (v if isinstance(v, str) else tuple(v)) for k, v in self.keys.items()})

    @property
    def same_account(self) -> bool:
        return self.resource_account is None or self.resource_account == self.caller.account
