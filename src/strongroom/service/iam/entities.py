"""What the IAM store hands out: users, access keys, groups, managed policies, versions and roles.

Plain values; rendering them (XML) is the api layer's job. Documents are kept as the caller wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["IamUser", "KeyInfo", "IamGroup", "ManagedPolicy", "PolicyVersion", "IamRole", "Attached"]


@dataclass(frozen=True, slots=True)
class IamUser:
    """A user of an account."""

    account_id: str
    name: str
    user_id: str
    path: str
    created: float
    boundary_arn: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """An access key's public facts (never its secret)."""

    access_key_id: str
    user_name: str | None  # None: the account's root
    status: str
    created: float
    last_used: float | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class IamGroup:
    """A group of users."""

    account_id: str
    name: str
    group_id: str
    path: str
    created: float

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:group{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A customer managed policy (its documents are its versions)."""

    account_id: str
    name: str
    policy_id: str
    path: str
    description: str | None
    default_version: str
    created: float
    updated: float
    attachment_count: int = 0
    boundary_count: int = 0

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:policy{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One version of a managed policy."""

    version_id: str
    document: str
    is_default: bool
    created: float


@dataclass(frozen=True, slots=True)
class IamRole:
    """A role: who may assume it (trust policy) and for how long (STS reads both)."""

    account_id: str
    name: str
    role_id: str
    path: str
    description: str | None
    trust_policy: str
    max_session_seconds: int
    created: float
    boundary_arn: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role{self.path}{self.name}"


@dataclass(frozen=True, slots=True)
class Attached:
    """A managed policy attached to a user, group or role, as List*AttachedPolicies names it."""

    policy_name: str
    policy_arn: str
