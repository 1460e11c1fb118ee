"""Grant: proof that authorisation said Allow for one action on one resource.

Service operations take a Grant, so a handler that skips authorisation does not type-check.
Only the authorisation step issues one (and workers, through the greppable ``for_worker``).
Imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Grant"]

_ISSUER_TOKEN = object()


@dataclass(frozen=True, slots=True)
class Grant:
    """The principal, account and action that were allowed, and on which resource ("*": account-wide)."""

    principal_arn: str
    account_id: str
    action: str
    _token: object
    resource: str = "*"

    def __post_init__(self) -> None:
        if self._token is not _ISSUER_TOKEN:
            raise TypeError("Grant is issued by authorisation only")

    @classmethod
    def _issue(cls, principal_arn: str, account_id: str, action: str, resource: str = "*") -> Grant:
        """Issued by strongroom.policy (the one evaluation function) only."""
        return cls(principal_arn, account_id, action, _ISSUER_TOKEN, resource)

    @classmethod
    def for_worker(cls, worker: str, account_id: str) -> Grant:
        """A grant for a background worker acting on an account's resources."""
        return cls(f"arn:aws:iam::{account_id}:worker/{worker}", account_id, "worker:" + worker, _ISSUER_TOKEN)
