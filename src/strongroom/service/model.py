"""Domain types the service speaks: names, versions, extents, object descriptions. No HTTP, no XML."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NewType

from ..kms.provider import WrappedKey

__all__ = [
    "BucketName",
    "ObjectKey",
    "VersionId",
    "UploadId",
    "NULL_VERSION",
    "RoleSession",
    "SseMode",
    "Account",
    "Principal",
    "Bucket",
    "Extent",
    "ObjectVersion",
]

BucketName = NewType("BucketName", str)
ObjectKey = NewType("ObjectKey", str)
VersionId = NewType("VersionId", str)
UploadId = NewType("UploadId", str)

# The version id of objects written while versioning is off, as AWS names it.
NULL_VERSION = VersionId("null")


class SseMode(StrEnum):
    """Server-side encryption modes, valued as AWS spells them."""

    S3 = "AES256"
    KMS = "aws:kms"
    KMS_DSSE = "aws:kms:dsse"
    CUSTOMER = "SSE-C"


@dataclass(frozen=True, slots=True)
class Account:
    """A tenant: owns buckets, has a root principal and users."""

    account_id: str
    name: str
    canonical_id: str
    display_name: str

    @property
    def root_arn(self) -> str:
        """The account's root principal ARN."""
        return f"arn:aws:iam::{self.account_id}:root"


@dataclass(frozen=True, slots=True)
class RoleSession:
    """An assumed role's session (STS AssumeRole): the role, the session's name and what it carries."""

    role_name: str
    role_path: str
    role_id: str
    session_name: str
    policy: str | None = None  # the session policy document
    policy_arns: tuple[str, ...] = ()  # managed session policies
    tags: tuple[tuple[str, str], ...] = ()
    source_identity: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an account's root, one of its users, or a session of one of its roles.

    ``user_name`` None and no ``role_session``: the account's root. ``token_expires`` is set for
    temporary credentials (STS), which end then."""

    account: Account
    user_name: str | None
    access_key_id: str
    path: str = "/"  # the user's IAM path (part of its ARN)
    user_id: str | None = None  # the user's unique id (AIDA...): aws:userid
    role_session: RoleSession | None = None
    token_expires: float | None = None

    @property
    def is_root(self) -> bool:
        return self.user_name is None and self.role_session is None

    @property
    def role_arn(self) -> str | None:
        """The role a session belongs to (what aws:PrincipalArn names), or None."""
        s = self.role_session
        return None if s is None else f"arn:aws:iam::{self.account.account_id}:role{s.role_path}{s.role_name}"

    @property
    def arn(self) -> str:
        """The caller's ARN."""
        if self.role_session is not None:
            return f"arn:aws:sts::{self.account.account_id}:assumed-role/{self.role_session.role_name}/{self.role_session.session_name}"
        if self.user_name is None:
            return self.account.root_arn
        return f"arn:aws:iam::{self.account.account_id}:user{self.path}{self.user_name}"


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket row."""

    name: BucketName
    account_id: str
    region: str
    created: float
    versioning: str | None = None
    object_lock: bool = False


@dataclass(frozen=True, slots=True)
class Extent:
    """One sealed blob holding a contiguous run of an object's plaintext bytes.

    Single PUTs have one extent; multipart objects one per part (parts are sealed independently).
    """

    blob_id: str
    size: int
    segment_bytes: int
    key: WrappedKey
    etag: str = ""
    part_number: int = 0
    checksum: str | None = None
    # Small objects keep their sealed bytes in the metadata row instead of a blob file (same format,
    # same keys; one fsync instead of three). None: the bytes live in the blob store under blob_id.
    inline: bytes | None = None
    # DSSE-KMS: the data key of the second, outer layer (the server's hierarchy); None for one layer.
    outer_key: WrappedKey | None = None

    @property
    def stored_blob(self) -> str | None:
        """The blob-store id holding this extent's bytes, or None when they are inline."""
        return None if self.inline is not None else self.blob_id

    def to_json(self) -> dict[str, Any]:
        """Stored form (part of the metadata format)."""
        d: dict[str, Any] = {
            "b": self.blob_id,
            "n": self.size,
            "s": self.segment_bytes,
            "kp": self.key.provider,
            "ki": self.key.key_id,
            "kw": base64.b64encode(self.key.wrapped).decode(),
        }
        if self.etag:
            d["e"] = self.etag
        if self.part_number:
            d["p"] = self.part_number
        if self.checksum:
            d["c"] = self.checksum
        if self.inline is not None:
            d["i"] = base64.b64encode(self.inline).decode()
        if self.outer_key is not None:
            d["okp"], d["oki"] = self.outer_key.provider, self.outer_key.key_id
            d["okw"] = base64.b64encode(self.outer_key.wrapped).decode()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Extent:
        """Parse the stored form."""
        return cls(
            blob_id=d["b"],
            size=d["n"],
            segment_bytes=d["s"],
            key=WrappedKey(d["kp"], d["ki"], base64.b64decode(d["kw"])),
            etag=d.get("e", ""),
            part_number=d.get("p", 0),
            checksum=d.get("c"),
            inline=base64.b64decode(d["i"]) if "i" in d else None,
            outer_key=WrappedKey(d["okp"], d["oki"], base64.b64decode(d["okw"])) if "okp" in d else None,
        )


def extents_to_text(extents: list[Extent]) -> str:
    """Serialise extents for the metadata row."""
    return json.dumps([e.to_json() for e in extents], separators=(",", ":"))


def stored_blobs(extents: Iterable[Extent]) -> list[str]:
    """Blob-store ids of the extents whose bytes are not inline."""
    return [b for b in (e.stored_blob for e in extents) if b is not None]


def extents_from_text(text: str) -> list[Extent]:
    """Parse extents from the metadata row."""
    return [Extent.from_json(d) for d in json.loads(text)]


@dataclass(frozen=True, slots=True)
class ObjectVersion:
    """One version of an object as the metadata knows it."""

    bucket: BucketName
    key: ObjectKey
    version_id: VersionId
    is_latest: bool
    is_delete_marker: bool
    size: int
    etag: str
    last_modified: float
    owner_account: str
    # Content headers (content-type, ...), user metadata (x-amz-meta-*), SSE, checksum, parts count.
    headers: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] | None = None
    extents: tuple[Extent, ...] = ()

    @property
    def parts_count(self) -> int:
        """How many parts a multipart object was assembled from (0 for a single PUT)."""
        return sum(1 for e in self.extents if e.part_number)
