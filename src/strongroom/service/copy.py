"""CopyObject's rules: which headers and tags the copy gets, when a self-copy is illegal, and the copy
itself (plaintext read through the source's keys, re-sealed under a fresh data key into a new blob).

Blobs are never shared between objects (invariant 2): the destination is a new sealed write whose
data key is bound to the destination's encryption context. Knows nothing of HTTP or XML; headers
here are the stored wire names an ObjectVersion already carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..errors import S3Error
from ..grant import Grant
from .checksums import ChecksumAlgorithm
from .model import Bucket, ObjectKey, ObjectVersion
from .objects import Objects
from .sealing import BodyChecks
from .sse import SSE_S3, CustomerKey, Encryption

__all__ = ["Directive", "CopyPlan", "copy_object", "MAX_COPY_SOURCE_BYTES", "copied_headers", "source_checksum_algorithm"]

# AWS: "You can store individual objects of up to 5 TB ... copy objects up to 5 GB in a single operation."
MAX_COPY_SOURCE_BYTES = 5 * 1024**3
_COPIED_CONTENT_HEADERS = ("content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires")
_USER_META_PREFIX = "x-amz-meta-"
_SELF_COPY_MESSAGE = (
    "This copy request is illegal because it is trying to copy an object to itself without changing the "
    "object's metadata, storage class, website redirect location or encryption attributes."
)


class Directive(StrEnum):
    """x-amz-metadata-directive / x-amz-tagging-directive values, as AWS spells them."""

    COPY = "COPY"
    REPLACE = "REPLACE"


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """One copy, fully parsed: source version, destination and what the destination keeps.

    ``headers`` is the destination's stored headers when the metadata directive is REPLACE, or only
    the per-request ones (storage class, website redirect) when it is COPY. ``changes_attributes``
    says the request asks for something a self-copy may legitimately change (storage class,
    encryption, website redirect, checksum algorithm). ``encryption`` is the destination's, resolved
    from the copy request alone (AWS never carries the source's encryption over).
    """

    source: ObjectVersion
    bucket: Bucket
    key: ObjectKey
    metadata_directive: Directive
    headers: dict[str, str]
    tagging_directive: Directive
    tags: dict[str, str] | None
    checksum_algorithm: ChecksumAlgorithm | None
    changes_attributes: bool
    encryption: Encryption = SSE_S3
    source_customer_key: CustomerKey | None = None
    owner_account: str | None = None  # the copy's owner (Object Ownership); None: the bucket owner


def copied_headers(source: ObjectVersion) -> dict[str, str]:
    """What COPY carries over: the content headers and user metadata (not storage class, redirect, checksums)."""
    return {k: v for k, v in source.headers.items() if k in _COPIED_CONTENT_HEADERS or k.startswith(_USER_META_PREFIX)}


def source_checksum_algorithm(source: ObjectVersion) -> ChecksumAlgorithm | None:
    """The algorithm of the source's stored x-amz-checksum-<alg>, if it has one."""
    for algorithm in ChecksumAlgorithm:
        if algorithm.header_name in source.headers:
            return algorithm
    return None


def _check(plan: CopyPlan) -> None:
    source = plan.source
    if source.size > MAX_COPY_SOURCE_BYTES:
        raise S3Error(
            "InvalidRequest",
            f"The specified copy source is larger than the maximum allowable size for a copy source: {MAX_COPY_SOURCE_BYTES}",
        )
    same_object = source.bucket == plan.bucket.name and source.key == plan.key
    if same_object and plan.metadata_directive is Directive.COPY and not plan.changes_attributes:
        raise S3Error("InvalidRequest", _SELF_COPY_MESSAGE)


async def copy_object(objects: Objects, grant: Grant, source_grant: Grant, plan: CopyPlan) -> ObjectVersion:
    """Copy a source version to a destination key (both grants prove the caller may read and write).

    Steps: 1. check the rules (size, self-copy); 2. decide headers, tags and checksum algorithm;
    3. stream the source's plaintext through Objects.put, which seals it into a new blob under a fresh
    data key and commits (recomputing ETag and checksum over the bytes actually written).
    """
    del source_grant  # its existence is the proof; reading needs nothing else from it
    _check(plan)  # step 1
    source = plan.source
    headers = dict(plan.headers)  # step 2
    if plan.metadata_directive is Directive.COPY:
        headers = {**copied_headers(source), **headers}
    tags = dict(source.tags or {}) if plan.tagging_directive is Directive.COPY else plan.tags
    algorithm = plan.checksum_algorithm or source_checksum_algorithm(source)
    body = objects.read(source, 0, source.size - 1, customer_key=plan.source_customer_key)  # step 3 (a zero-byte source yields nothing)
    return await objects.put(
        grant, plan.bucket, plan.key, body, headers=headers, tags=tags or None,
        checks=BodyChecks(checksum_algorithm=algorithm),
        encryption=plan.encryption, owner_account=plan.owner_account,
    )

