"""A bucket's access controls as stored configuration: the bucket policy, Block Public Access and Object
Ownership. Pure domain rules; the documents live in ``bucket_configs`` under the kinds below (part of the
metadata format), the HTTP handlers are api/s3/bucket_policy.py, public_access.py and ownership.py.

New buckets get AWS's defaults since April 2023: all four Block Public Access flags on and
BucketOwnerEnforced (ACLs disabled). The operator may change those defaults (the conformance profile
does), never what the settings mean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from ..errors import S3Error
from ..policy.document import MalformedPolicy, Policy, PolicyKind, parse_policy

__all__ = [
    "POLICY_KIND",
    "PUBLIC_ACCESS_BLOCK_KIND",
    "OWNERSHIP_KIND",
    "BUCKET_POLICY_MAX_BYTES",
    "PublicAccessBlock",
    "ObjectOwnership",
    "parse_bucket_policy",
    "new_bucket_configs",
    "object_owner",
]

POLICY_KIND = "policy"
PUBLIC_ACCESS_BLOCK_KIND = "public-access-block"
OWNERSHIP_KIND = "ownership"
BUCKET_POLICY_MAX_BYTES = 20 * 1024  # AWS's limit for a bucket policy


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    """The four Block Public Access flags, as AWS names them (stored as JSON with those names)."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

    def as_dict(self) -> dict[str, bool]:
        values = (self.block_public_acls, self.ignore_public_acls, self.block_public_policy, self.restrict_public_buckets)
        return dict(zip(self.FIELDS, values, strict=True))

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, values: dict[str, bool]) -> PublicAccessBlock:
        return cls(*(bool(values.get(name, False)) for name in cls.FIELDS))

    @classmethod
    def from_json(cls, document: str | None) -> PublicAccessBlock | None:
        """The stored flags, or None when the bucket has no configuration."""
        return None if document is None else cls.from_dict(json.loads(document))

    def union(self, other: PublicAccessBlock | None) -> PublicAccessBlock:
        """The stricter of two levels (bucket and account): a flag on at either level is on."""
        if other is None:
            return self
        return PublicAccessBlock(*(a or b for a, b in zip(self.as_dict().values(), other.as_dict().values(), strict=True)))


ALL_BLOCKED = PublicAccessBlock(True, True, True, True)
NOTHING_BLOCKED = PublicAccessBlock()


class ObjectOwnership(StrEnum):
    """Object Ownership, valued as AWS spells it."""

    BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
    BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
    OBJECT_WRITER = "ObjectWriter"

    @classmethod
    def parse(cls, value: str) -> ObjectOwnership:
        try:
            return cls(value)
        except ValueError:
            raise S3Error("InvalidArgument", f"Invalid x-amz-object-ownership value: {value}",
                          extra={"ArgumentName": "x-amz-object-ownership", "ArgumentValue": value}) from None

    @property
    def acls_enabled(self) -> bool:
        """BucketOwnerEnforced disables ACLs: the bucket owner owns every object."""
        return self is not ObjectOwnership.BUCKET_OWNER_ENFORCED


def new_bucket_configs(block_public_access: bool, ownership: ObjectOwnership) -> dict[str, str]:
    """The configuration documents a new bucket starts with."""
    configs = {OWNERSHIP_KIND: ownership.value}
    if block_public_access:
        configs[PUBLIC_ACCESS_BLOCK_KIND] = ALL_BLOCKED.to_json()
    return configs


def _names_bucket(resource: str, bucket_arn: str) -> bool:
    """Can the resource pattern match the bucket or objects in it? ("arn:aws:s3:::*/*" can; a pattern
    whose literal start names another bucket cannot.) Wildcards stand for anything from their place."""
    cut = min((i for i in (resource.find("*"), resource.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return resource == bucket_arn or resource.startswith(bucket_arn + "/")
    literal = resource[:cut]
    return bucket_arn.startswith(literal) or literal.startswith(bucket_arn + "/")


def parse_bucket_policy(document: bytes, bucket: str) -> Policy:
    """A bucket policy, validated: the policy grammar, a Principal in every statement, S3 actions only,
    and resources inside this bucket (AWS: "Policy has invalid resource"). MalformedPolicy otherwise."""
    try:
        policy = parse_policy(document, kind=PolicyKind.RESOURCE, name=f"bucket policy of {bucket}", max_bytes=BUCKET_POLICY_MAX_BYTES)
    except MalformedPolicy as exc:
        raise S3Error("MalformedPolicy", str(exc)) from None
    raw = json.loads(document)
    statements = raw["Statement"] if isinstance(raw["Statement"], list) else [raw["Statement"]]
    arn = f"arn:aws:s3:::{bucket}"
    for number, statement in enumerate(statements, start=1):
        actions = statement.get("Action", statement.get("NotAction"))
        for action in [actions] if isinstance(actions, str) else actions:
            if action != "*" and not action.lower().startswith("s3:"):
                raise S3Error("MalformedPolicy", f"Statement {number}: Policy has invalid action {action!r} (S3 actions only).")
        resources = statement.get("Resource", statement.get("NotResource"))
        for resource in [resources] if isinstance(resources, str) else resources:
            if not _names_bucket(resource, arn):
                raise S3Error("MalformedPolicy", f"Statement {number}: Policy has invalid resource {resource!r} (must be in bucket {bucket}).")
    return policy


def object_owner(bucket_owner: str, writer: str | None, ownership: ObjectOwnership, canned_acl: str | None) -> str:
    """Who owns a new object, as AWS's Object Ownership decides: the bucket owner under BucketOwnerEnforced,
    and under BucketOwnerPreferred when the writer grants it bucket-owner-full-control; else the writer
    (an anonymous writer's object is the bucket owner's)."""
    if writer is None or ownership is ObjectOwnership.BUCKET_OWNER_ENFORCED:
        return bucket_owner
    if ownership is ObjectOwnership.BUCKET_OWNER_PREFERRED and canned_acl == "bucket-owner-full-control":
        return bucket_owner
    return writer
