"""The Operation table: one row per S3 operation, the single source for dispatch, IAM action,
metric label and log name. A row's action is a small function, since the action can depend on the
request (a versionId turns s3:GetObject into s3:GetObjectVersion).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from .s3 import (
    acl,
    attributes,
    bucket,
    bucket_policy,
    copy,
    cors,
    encryption,
    listing,
    multipart,
    object,
    ownership,
    post_object,
    preflight,
    public_access,
    service,
    tagging,
)

if TYPE_CHECKING:
    from .context import RequestContext
    from .request import S3Request
    from .response import Response

__all__ = ["Operation", "Target", "OPERATIONS", "Handler"]

Handler = Callable[["S3Request", "RequestContext"], Awaitable["Response"]]


class Target(Enum):
    """What the request path names."""

    SERVICE = "service"
    BUCKET = "bucket"
    OBJECT = "object"


@dataclass(frozen=True, slots=True)
class Operation:
    """One S3 operation: how to recognise it, what IAM action it needs, who handles it."""

    name: str
    method: str
    target: Target
    handler: Handler
    action: Callable[[S3Request], str]
    query: tuple[str, ...] = ()
    header: str | None = None


def _always(action: str) -> Callable[[S3Request], str]:
    return lambda _req: action


def _versioned(plain: str, versioned: str) -> Callable[[S3Request], str]:
    return lambda req: versioned if req.query_value("versionId") not in (None, "") else plain


S, B, OBJ = Target.SERVICE, Target.BUCKET, Target.OBJECT

OPERATIONS: tuple[Operation, ...] = (
    Operation("ListBuckets", "GET", S, service.list_buckets, _always("s3:ListAllMyBuckets")),
    Operation("CreateBucket", "PUT", B, bucket.create_bucket, _always("s3:CreateBucket")),
    Operation("HeadBucket", "HEAD", B, bucket.head_bucket, _always("s3:ListBucket")),
    Operation("DeleteBucket", "DELETE", B, bucket.delete_bucket, _always("s3:DeleteBucket")),
    Operation("GetBucketLocation", "GET", B, bucket.get_bucket_location, _always("s3:GetBucketLocation"), ("location",)),
    Operation("ListObjects", "GET", B, listing.list_objects, _always("s3:ListBucket")),
    Operation("ListObjectsV2", "GET", B, listing.list_objects_v2, _always("s3:ListBucket"), ("list-type",)),
    Operation("ListObjectVersions", "GET", B, listing.list_object_versions, _always("s3:ListBucketVersions"), ("versions",)),
    Operation("ListMultipartUploads", "GET", B, multipart.list_multipart_uploads, _always("s3:ListBucketMultipartUploads"), ("uploads",)),
    Operation("GetBucketTagging", "GET", B, tagging.get_bucket_tagging, _always("s3:GetBucketTagging"), ("tagging",)),
    Operation("PutBucketTagging", "PUT", B, tagging.put_bucket_tagging, _always("s3:PutBucketTagging"), ("tagging",)),
    Operation("DeleteBucketTagging", "DELETE", B, tagging.delete_bucket_tagging, _always("s3:PutBucketTagging"), ("tagging",)),
    Operation("GetBucketEncryption", "GET", B, encryption.get_bucket_encryption, _always("s3:GetEncryptionConfiguration"), ("encryption",)),
    Operation("PutBucketEncryption", "PUT", B, encryption.put_bucket_encryption, _always("s3:PutEncryptionConfiguration"), ("encryption",)),
    Operation("DeleteBucketEncryption", "DELETE", B, encryption.delete_bucket_encryption, _always("s3:PutEncryptionConfiguration"), ("encryption",)),
    Operation("GetBucketAcl", "GET", B, acl.get_bucket_acl, _always("s3:GetBucketAcl"), ("acl",)),
    Operation("PutBucketAcl", "PUT", B, acl.put_bucket_acl, _always("s3:PutBucketAcl"), ("acl",)),
    Operation("GetBucketPolicy", "GET", B, bucket_policy.get_bucket_policy, _always("s3:GetBucketPolicy"), ("policy",)),
    Operation("PutBucketPolicy", "PUT", B, bucket_policy.put_bucket_policy, _always("s3:PutBucketPolicy"), ("policy",)),
    Operation("DeleteBucketPolicy", "DELETE", B, bucket_policy.delete_bucket_policy, _always("s3:DeleteBucketPolicy"), ("policy",)),
    Operation("GetBucketPolicyStatus", "GET", B, bucket_policy.get_bucket_policy_status, _always("s3:GetBucketPolicyStatus"), ("policyStatus",)),
    Operation("GetPublicAccessBlock", "GET", B, public_access.get_public_access_block, _always("s3:GetBucketPublicAccessBlock"), ("publicAccessBlock",)),
    Operation("PutPublicAccessBlock", "PUT", B, public_access.put_public_access_block, _always("s3:PutBucketPublicAccessBlock"), ("publicAccessBlock",)),
    Operation("DeletePublicAccessBlock", "DELETE", B, public_access.delete_public_access_block, _always("s3:PutBucketPublicAccessBlock"), ("publicAccessBlock",)),
    Operation("GetBucketOwnershipControls", "GET", B, ownership.get_bucket_ownership_controls, _always("s3:GetBucketOwnershipControls"), ("ownershipControls",)),
    Operation("PutBucketOwnershipControls", "PUT", B, ownership.put_bucket_ownership_controls, _always("s3:PutBucketOwnershipControls"), ("ownershipControls",)),
    Operation("DeleteBucketOwnershipControls", "DELETE", B, ownership.delete_bucket_ownership_controls, _always("s3:PutBucketOwnershipControls"), ("ownershipControls",)),
    Operation("GetBucketCors", "GET", B, cors.get_bucket_cors, _always("s3:GetBucketCORS"), ("cors",)),
    Operation("PutBucketCors", "PUT", B, cors.put_bucket_cors, _always("s3:PutBucketCORS"), ("cors",)),
    Operation("DeleteBucketCors", "DELETE", B, cors.delete_bucket_cors, _always("s3:PutBucketCORS"), ("cors",)),
    Operation("DeleteObjects", "POST", B, object.delete_objects, _always("s3:DeleteObject"), ("delete",)),
    Operation("PostObject", "POST", B, post_object.post_object, _always("s3:PutObject")),
    Operation("OptionsBucket", "OPTIONS", B, preflight.preflight, _always("s3:PreflightRequest")),
    Operation("OptionsObject", "OPTIONS", OBJ, preflight.preflight, _always("s3:PreflightRequest")),
    Operation("PutObject", "PUT", OBJ, object.put_object, _always("s3:PutObject")),
    Operation("CopyObject", "PUT", OBJ, copy.copy_object, _always("s3:PutObject"), (), "x-amz-copy-source"),
    Operation("GetObject", "GET", OBJ, object.get_object, _versioned("s3:GetObject", "s3:GetObjectVersion")),
    Operation("HeadObject", "HEAD", OBJ, object.head_object, _versioned("s3:GetObject", "s3:GetObjectVersion")),
    Operation("GetObjectAttributes", "GET", OBJ, attributes.get_object_attributes, _versioned("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"), ("attributes",)),
    Operation("DeleteObject", "DELETE", OBJ, object.delete_object, _versioned("s3:DeleteObject", "s3:DeleteObjectVersion")),
    Operation("GetObjectAcl", "GET", OBJ, acl.get_object_acl, _versioned("s3:GetObjectAcl", "s3:GetObjectVersionAcl"), ("acl",)),
    Operation("PutObjectAcl", "PUT", OBJ, acl.put_object_acl, _versioned("s3:PutObjectAcl", "s3:PutObjectVersionAcl"), ("acl",)),
    Operation("GetObjectTagging", "GET", OBJ, tagging.get_object_tagging, _versioned("s3:GetObjectTagging", "s3:GetObjectVersionTagging"), ("tagging",)),
    Operation("PutObjectTagging", "PUT", OBJ, tagging.put_object_tagging, _versioned("s3:PutObjectTagging", "s3:PutObjectVersionTagging"), ("tagging",)),
    Operation("DeleteObjectTagging", "DELETE", OBJ, tagging.delete_object_tagging, _versioned("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"), ("tagging",)),
    Operation("CreateMultipartUpload", "POST", OBJ, multipart.create_multipart_upload, _always("s3:PutObject"), ("uploads",)),
    Operation("UploadPart", "PUT", OBJ, multipart.upload_part, _always("s3:PutObject"), ("partNumber", "uploadId")),
    Operation("UploadPartCopy", "PUT", OBJ, multipart.upload_part_copy, _always("s3:PutObject"), ("partNumber", "uploadId"), "x-amz-copy-source"),
    Operation("CompleteMultipartUpload", "POST", OBJ, multipart.complete_multipart_upload, _always("s3:PutObject"), ("uploadId",)),
    Operation("AbortMultipartUpload", "DELETE", OBJ, multipart.abort_multipart_upload, _always("s3:AbortMultipartUpload"), ("uploadId",)),
    Operation("ListParts", "GET", OBJ, multipart.list_parts, _always("s3:ListMultipartUploadParts"), ("uploadId",)),
)
