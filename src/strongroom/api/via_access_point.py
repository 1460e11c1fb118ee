"""S3 requests that name an access point's alias where a bucket goes.

The alias stands for the access point's bucket; the request is then authorised by the access point
(its network origin and policy) and by the bucket (api/access.py). Only data operations go through an
access point, as on AWS: objects, multipart uploads and listings; bucket administration does not.
"""

from __future__ import annotations

from ..errors import S3Error
from ..service.access_points import ALIAS_SUFFIX, AccessPoint, AccessPoints

__all__ = ["ALIAS_SUFFIX", "through_access_point", "DATA_OPERATIONS"]

DATA_OPERATIONS = frozenset({
    "HeadBucket", "GetBucketLocation", "ListObjects", "ListObjectsV2", "ListMultipartUploads",
    "GetObject", "HeadObject", "PutObject", "CopyObject", "DeleteObject", "DeleteObjects", "PostObject",
    "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAcl", "PutObjectAcl", "GetObjectAttributes",
    "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts",
})


async def through_access_point(points: AccessPoints, alias: str, operation: str) -> AccessPoint:
    """The access point an alias names, for a data operation; NoSuchBucket / InvalidRequest otherwise."""
    if operation == "CreateBucket":
        raise S3Error("InvalidBucketName", resource=alias)  # the suffix is reserved for aliases
    point = await points.by_alias(alias)
    if point is None:
        raise S3Error("NoSuchBucket", resource=alias, extra={"BucketName": alias})
    if operation not in DATA_OPERATIONS:
        raise S3Error("InvalidRequest", f"{operation} is not supported through an access point.")
    return point
