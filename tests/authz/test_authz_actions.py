"""Each S3 operation asks for the IAM action AWS documents, and for no other: the alt account, granted
exactly a set of actions by the main account's bucket policy, may do an operation when the set holds
what it needs (GetObject with a versionId needs s3:GetObjectVersion; HeadObject is s3:GetObject;
listings s3:ListBucket; parts s3:PutObject; ListParts s3:ListMultipartUploadParts; a copy reads its
source too), and is refused with nothing changed when the set holds only a neighbouring action."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from authzmatrix import (
    ALLOW,
    DENY,
    OPERATIONS,
    account_ids,
    arn,
    attempt,
    bucket_state,
    expect,
    fresh_bucket,
    put_policy,
)
from conftest import ServerInfo

SEED, SEED_BODY = "seed.txt", b"seed object"

# (operation, the actions the alt account is granted, allowed?)
CASES: list[tuple[str, tuple[str, ...], bool]] = [
    ("GetObject", ("s3:GetObject",), ALLOW),
    ("GetObject", ("s3:GetObjectVersion",), DENY),
    ("GetObject?versionId", ("s3:GetObjectVersion",), ALLOW),
    ("GetObject?versionId", ("s3:GetObject",), DENY),
    ("HeadObject", ("s3:GetObject",), ALLOW),
    ("HeadObject", ("s3:ListBucket",), DENY),
    ("HeadObject?versionId", ("s3:GetObjectVersion",), ALLOW),
    ("HeadObject?versionId", ("s3:GetObject",), DENY),
    ("GetObjectAttributes", ("s3:GetObjectAttributes",), ALLOW),
    ("GetObjectAttributes", ("s3:GetObject",), DENY),
    ("ListObjectsV2", ("s3:ListBucket",), ALLOW),
    ("ListObjectsV2", ("s3:GetObject",), DENY),
    ("ListObjects", ("s3:ListBucket",), ALLOW),
    ("ListObjects", ("s3:ListBucketVersions",), DENY),
    ("HeadBucket", ("s3:ListBucket",), ALLOW),
    ("HeadBucket", ("s3:GetBucketLocation",), DENY),
    ("ListObjectVersions", ("s3:ListBucketVersions",), ALLOW),
    ("ListObjectVersions", ("s3:ListBucket",), DENY),
    ("ListMultipartUploads", ("s3:ListBucketMultipartUploads",), ALLOW),
    ("ListMultipartUploads", ("s3:ListBucket",), DENY),
    ("PutObject", ("s3:PutObject",), ALLOW),
    ("PutObject", ("s3:PutObjectAcl",), DENY),
    ("CreateMultipartUpload", ("s3:PutObject",), ALLOW),
    ("CreateMultipartUpload", ("s3:ListBucketMultipartUploads",), DENY),
    ("UploadPart", ("s3:PutObject",), ALLOW),
    ("UploadPart", ("s3:ListMultipartUploadParts",), DENY),
    ("CompleteMultipartUpload", ("s3:PutObject",), ALLOW),
    ("CompleteMultipartUpload", ("s3:ListMultipartUploadParts",), DENY),
    ("ListParts", ("s3:ListMultipartUploadParts",), ALLOW),
    ("ListParts", ("s3:PutObject",), DENY),
    ("AbortMultipartUpload", ("s3:AbortMultipartUpload",), ALLOW),
    ("AbortMultipartUpload", ("s3:PutObject",), DENY),
    ("DeleteObject", ("s3:DeleteObject",), ALLOW),
    ("DeleteObject", ("s3:PutObject",), DENY),
    ("CopyObject", ("s3:GetObject", "s3:PutObject"), ALLOW),
    ("CopyObject", ("s3:PutObject",), DENY),
    ("CopyObject", ("s3:GetObject",), DENY),
    ("GetObjectTagging", ("s3:GetObjectTagging",), ALLOW),
    ("GetObjectTagging", ("s3:GetObject",), DENY),
    ("PutObjectTagging", ("s3:PutObjectTagging",), ALLOW),
    ("PutObjectTagging", ("s3:PutObject",), DENY),
    ("DeleteObjectTagging", ("s3:DeleteObjectTagging",), ALLOW),
    ("DeleteObjectTagging", ("s3:PutObjectTagging",), DENY),
    ("GetObjectAcl", ("s3:GetObjectAcl",), ALLOW),
    ("GetObjectAcl", ("s3:GetObject",), DENY),
    ("GetBucketAcl", ("s3:GetBucketAcl",), ALLOW),
    ("GetBucketAcl", ("s3:GetObjectAcl",), DENY),
    ("GetBucketLocation", ("s3:GetBucketLocation",), ALLOW),
    ("GetBucketLocation", ("s3:ListBucket",), DENY),
    ("GetBucketPolicy", ("s3:GetBucketPolicy",), ALLOW),
    ("GetBucketPolicy", ("s3:GetBucketPolicyStatus",), DENY),
    ("GetBucketPolicyStatus", ("s3:GetBucketPolicyStatus",), ALLOW),
    ("GetBucketPolicyStatus", ("s3:GetBucketPolicy",), DENY),
    ("GetBucketEncryption", ("s3:GetEncryptionConfiguration",), ALLOW),
    ("GetBucketEncryption", ("s3:GetBucketPolicy",), DENY),
    ("GetPublicAccessBlock", ("s3:GetBucketPublicAccessBlock",), ALLOW),
    ("GetPublicAccessBlock", ("s3:GetBucketPolicyStatus",), DENY),
    ("GetBucketOwnershipControls", ("s3:GetBucketOwnershipControls",), ALLOW),
    ("GetBucketOwnershipControls", ("s3:GetBucketAcl",), DENY),
    ("GetBucketTagging", ("s3:GetBucketTagging",), ALLOW),
    ("GetBucketTagging", ("s3:GetObjectTagging",), DENY),
    ("PutBucketTagging", ("s3:PutBucketTagging",), ALLOW),
    ("PutBucketTagging", ("s3:GetBucketTagging",), DENY),
]


@pytest.fixture(scope="module")
def granted(server: ServerInfo, s3: Any) -> Callable[[tuple[str, ...]], str]:
    """A bucket of the main account whose policy grants the alt account exactly these actions (made once per set)."""
    _, alt = account_ids(server)

    @functools.cache
    def bucket_for(actions: tuple[str, ...]) -> str:
        name = fresh_bucket(s3, "act", objects={SEED: SEED_BODY})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "team", "Value": "storage"}]})
        put_policy(s3, name, {"Sid": "AltMayDoExactlyThis", "Effect": "Allow", "Principal": {"AWS": alt}, "Action": list(actions),
                              "Resource": [arn(name), arn(name, "*")]})
        return name

    return bucket_for


@pytest.mark.parametrize(("operation", "actions", "allowed"), CASES,
                         ids=[f"{op}-{'+'.join(a.split(':')[1] for a in acts)}-{'allow' if ok else 'deny'}" for op, acts, ok in CASES])
def test_operation_needs_its_iam_action(s3: Any, s3_alt: Any, granted: Callable[[tuple[str, ...]], str],
                                        operation: str, actions: tuple[str, ...], allowed: bool) -> None:
    bucket = granted(actions)
    expect(allowed, attempt(operation, s3_alt, s3, bucket, SEED), lambda: bucket_state(s3, bucket))


def test_every_operation_is_both_allowed_and_refused_somewhere() -> None:
    assert {op for op, _, ok in CASES if ok} == {op for op, _, ok in CASES if not ok} == set(OPERATIONS)
