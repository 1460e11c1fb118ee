"""Access control lists: grants, canned ACLs, and what an ACL allows. Pure domain rules.

An ACL is an owner (an account's canonical id) and a list of grants, each a grantee (a canonical user,
or one of AWS's groups: AllUsers, AuthenticatedUsers, LogDelivery) and a permission. A bucket's ACL is
its "acl" configuration document; an object version's is kept with its stored headers
(``ACL_HEADER``); both as JSON of (grantee type, grantee, permission) triples, part of the metadata
format. Absent means the default ACL: the owner has FULL_CONTROL.

Object Ownership BucketOwnerEnforced disables ACLs: only the default ACL (or bucket-owner-full-control
on objects) may be written, as AWS answers AccessControlListNotSupported otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..errors import S3Error

__all__ = [
    "ACL_CONFIG_KIND",
    "ACL_HEADER",
    "Permission",
    "Grant",
    "Acl",
    "ALL_USERS",
    "AUTHENTICATED_USERS",
    "LOG_DELIVERY",
    "CANNED_ACLS",
    "canned_acl",
    "GRANT_HEADERS",
    "ACL_ACTIONS",
]

ACL_CONFIG_KIND = "acl"
ACL_HEADER = "x-strongroom-acl"
_GROUPS = "http://acs.amazonaws.com/groups/"
ALL_USERS = _GROUPS + "global/AllUsers"
AUTHENTICATED_USERS = _GROUPS + "global/AuthenticatedUsers"
LOG_DELIVERY = _GROUPS + "s3/LogDelivery"
GROUP_URIS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
MAX_GRANTS = 100


class Permission(StrEnum):
    """ACL permissions, valued as AWS spells them."""

    FULL_CONTROL = "FULL_CONTROL"
    READ = "READ"
    WRITE = "WRITE"
    READ_ACP = "READ_ACP"
    WRITE_ACP = "WRITE_ACP"


# x-amz-grant-* header -> the permission it grants.
GRANT_HEADERS: Mapping[str, Permission] = {
    "x-amz-grant-full-control": Permission.FULL_CONTROL,
    "x-amz-grant-read": Permission.READ,
    "x-amz-grant-write": Permission.WRITE,
    "x-amz-grant-read-acp": Permission.READ_ACP,
    "x-amz-grant-write-acp": Permission.WRITE_ACP,
}


@dataclass(frozen=True, slots=True)
class Grant:
    """One grant: ``kind`` is "CanonicalUser" (``grantee`` a canonical id) or "Group" (a group URI)."""

    kind: str
    grantee: str
    permission: Permission

    @property
    def is_public(self) -> bool:
        return self.kind == "Group" and self.grantee in PUBLIC_GROUPS


@dataclass(frozen=True, slots=True)
class Acl:
    """An owner's canonical id and its grants, in order."""

    owner: str
    grants: tuple[Grant, ...]

    @classmethod
    def private(cls, owner: str) -> Acl:
        return cls(owner, (Grant("CanonicalUser", owner, Permission.FULL_CONTROL),))

    def to_json(self) -> str:
        return json.dumps([[g.kind, g.grantee, g.permission.value] for g in self.grants], separators=(",", ":"))

    @classmethod
    def from_json(cls, owner: str, document: str | None) -> Acl:
        """The stored grants with their owner; no document is the private default."""
        if document is None:
            return cls.private(owner)
        return cls(owner, tuple(Grant(kind, grantee, Permission(permission)) for kind, grantee, permission in json.loads(document)))

    @property
    def is_public(self) -> bool:
        """Grants to AllUsers or AuthenticatedUsers (what BlockPublicAcls refuses)."""
        return any(g.is_public for g in self.grants)

    def is_owner_only(self, bucket_owner: str | None = None) -> bool:
        """Only the owner (and the bucket owner) hold FULL_CONTROL: what BucketOwnerEnforced accepts."""
        allowed = {self.owner, bucket_owner}
        return all(g.kind == "CanonicalUser" and g.grantee in allowed and g.permission is Permission.FULL_CONTROL for g in self.grants)

    def permissions_of(self, canonical_id: str | None, *, ignore_public: bool = False) -> frozenset[Permission]:
        """What a caller (None: anonymous) holds through this ACL; FULL_CONTROL implies every permission."""
        held: set[Permission] = set()
        for g in self.grants:
            if g.kind == "CanonicalUser" and canonical_id is not None and g.grantee == canonical_id:
                held.add(g.permission)
            elif g.kind == "Group" and not (ignore_public and g.is_public):
                if g.grantee == ALL_USERS or (g.grantee == AUTHENTICATED_USERS and canonical_id is not None):
                    held.add(g.permission)
        if Permission.FULL_CONTROL in held:
            return frozenset(Permission)
        return frozenset(held)


def group(uri: str, permission: Permission) -> Grant:
    """A grant to one of AWS's groups."""
    return Grant("Group", uri, permission)


def _with_owner(owner: str, extra: Iterable[Grant]) -> Acl:
    return Acl(owner, (Grant("CanonicalUser", owner, Permission.FULL_CONTROL), *extra))


CANNED_ACLS = frozenset({
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
})


def canned_acl(name: str, owner: str, bucket_owner: str) -> Acl:
    """Expand a canned ACL (x-amz-acl) for a resource owned by ``owner`` in a bucket of ``bucket_owner``."""
    if name == "private":
        return Acl.private(owner)
    if name == "public-read":
        return _with_owner(owner, [group(ALL_USERS, Permission.READ)])
    if name == "public-read-write":
        return _with_owner(owner, [group(ALL_USERS, Permission.READ), group(ALL_USERS, Permission.WRITE)])
    if name == "authenticated-read":
        return _with_owner(owner, [group(AUTHENTICATED_USERS, Permission.READ)])
    if name == "aws-exec-read":
        return Acl.private(owner)  # EC2's read grant has no meaning here
    if name in ("bucket-owner-read", "bucket-owner-full-control"):
        if bucket_owner == owner:
            return Acl.private(owner)
        permission = Permission.READ if name == "bucket-owner-read" else Permission.FULL_CONTROL
        return _with_owner(owner, [Grant("CanonicalUser", bucket_owner, permission)])
    if name == "log-delivery-write":
        return _with_owner(owner, [group(LOG_DELIVERY, Permission.WRITE), group(LOG_DELIVERY, Permission.READ_ACP)])
    raise S3Error("InvalidArgument", f"The canned ACL {name!r} is not valid.", extra={"ArgumentName": "x-amz-acl", "ArgumentValue": name})


# What an ACL grant means to IAM actions, as AWS maps them: ("bucket" | "object", permission). A bucket's
# WRITE lets a grantee create, overwrite and delete objects in it; an object's READ lets it read them.
ACL_ACTIONS: Mapping[str, tuple[str, Permission]] = {
    "s3:ListBucket": ("bucket", Permission.READ),
    "s3:ListBucketVersions": ("bucket", Permission.READ),
    "s3:ListBucketMultipartUploads": ("bucket", Permission.READ),
    "s3:PutObject": ("bucket", Permission.WRITE),
    "s3:DeleteObject": ("bucket", Permission.WRITE),
    "s3:DeleteObjectVersion": ("bucket", Permission.WRITE),
    "s3:AbortMultipartUpload": ("bucket", Permission.WRITE),
    "s3:GetBucketAcl": ("bucket", Permission.READ_ACP),
    "s3:PutBucketAcl": ("bucket", Permission.WRITE_ACP),
    "s3:GetObject": ("object", Permission.READ),
    "s3:GetObjectVersion": ("object", Permission.READ),
    "s3:GetObjectAttributes": ("object", Permission.READ),
    "s3:GetObjectVersionAttributes": ("object", Permission.READ),
    "s3:GetObjectAcl": ("object", Permission.READ_ACP),
    "s3:GetObjectVersionAcl": ("object", Permission.READ_ACP),
    "s3:PutObjectAcl": ("object", Permission.WRITE_ACP),
    "s3:PutObjectVersionAcl": ("object", Permission.WRITE_ACP),
}
