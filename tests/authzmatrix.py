"""Shared by the authorisation matrix (tests/authz/): one case is one request that must be allowed or
refused with AccessDenied, and a refused request must leave the bucket exactly as it was.

``expect`` runs one attempt and checks both halves; ``bucket_state`` is what "changed nothing" compares
(keys with ETags, object tags, open uploads, the bucket policy); ``bound_client`` is a boto3 client
whose connections leave from another 127.0.0.0/8 address (another "network" for aws:SourceIp and
aws:SourceVpce); ``account_ids`` finds the accounts' 12-digit ids; ``OPERATIONS`` makes one request of each kind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import (
    ALT_KEY,
    ALT_SECRET,
    MAIN_KEY,
    MAIN_SECRET,
    ServerInfo,
    account_id_of,
    make_client,
)
from keypolicies import policy as policy_document

__all__ = [
    "ALLOW", "DENY", "account_ids", "bound_client", "bucket_state", "expect", "expect_http", "fresh_bucket", "put_policy",
    "policy_document", "arn", "OPERATIONS", "attempt",
]

ALLOW, DENY = True, False


def arn(bucket: str, key: str | None = None) -> str:
    """The S3 ARN of a bucket, or of a key (or pattern) in it."""
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def account_ids(server: ServerInfo) -> tuple[str, str]:
    """The 12-digit ids of the main and alt accounts (the fourth field of a key ARN each owns)."""
    return account_id_of(server.endpoint), account_id_of(server.endpoint, ALT_KEY, ALT_SECRET)


def fresh_bucket(owner: Any, prefix: str, *, open_access: bool = False, objects: dict[str, bytes] | None = None) -> str:
    """A new bucket of ``owner``; ``open_access`` turns Block Public Access off and ACLs on (ObjectWriter)."""
    name = f"{prefix}-{uuid.uuid4().hex[:16]}"
    if open_access:
        owner.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
        owner.delete_public_access_block(Bucket=name)
    else:
        owner.create_bucket(Bucket=name)
    for key, body in (objects or {}).items():
        owner.put_object(Bucket=name, Key=key, Body=body)
    return name


def put_policy(owner: Any, bucket: str, *statements: dict[str, Any]) -> None:
    """Replace the bucket's policy with these statements."""
    owner.put_bucket_policy(Bucket=bucket, Policy=policy_document(*statements))


def _tags(owner: Any, bucket: str, key: str) -> object:
    """An object's tags, or the refusal: an object another account wrote (ObjectWriter) is not the bucket owner's to read."""
    try:
        return owner.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def bucket_state(owner: Any, bucket: str) -> dict[str, Any]:
    """What a refused request must not change, as the owner sees it."""
    objects = owner.list_objects_v2(Bucket=bucket).get("Contents", [])
    try:
        policy: Any = json.loads(owner.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        policy = exc.response["Error"]["Code"]
    return {
        "objects": {o["Key"]: o["ETag"] for o in objects},
        "tags": {o["Key"]: _tags(owner, bucket, o["Key"]) for o in objects},
        "uploads": sorted(u["UploadId"] for u in owner.list_multipart_uploads(Bucket=bucket).get("Uploads", [])),
        "policy": policy,
    }


def expect(allowed: bool, attempt: Callable[[], object], state: Callable[[], object], *, denied_code: str = "AccessDenied", denied_status: int = 403) -> None:
    """Run one attempt: it succeeds when ``allowed``; else it is ``denied_code`` and ``state()`` is unchanged."""
    if allowed:
        attempt()
        return
    before = state()
    with pytest.raises(ClientError) as exc:
        attempt()
    error = exc.value.response
    code = error["Error"]["Code"]
    if code == str(denied_status):  # a HEAD answer has no body: botocore reports the status as the code
        code = denied_code
    assert (code, error["ResponseMetadata"]["HTTPStatusCode"]) == (denied_code, denied_status)
    assert state() == before


def expect_http(allowed: bool, send: Callable[[], Any], state: Callable[[], object]) -> None:
    """``expect`` for a raw HTTP request (a ``requests`` response): 2xx when allowed, else a 403
    AccessDenied S3 error and ``state()`` unchanged."""
    if allowed:
        response = send()
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:300])
        return
    before = state()
    response = send()
    assert response.status_code == 403 and b"<Code>AccessDenied</Code>" in response.content, (response.status_code, response.content[:300])
    assert state() == before


def bound_client(endpoint: str, source: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET, **config: object) -> Any:
    """A boto3 S3 client whose connections leave from ``source`` (another 127.0.0.0/8 address)."""
    client: Any = make_client(endpoint, key, secret, **config)
    # botocore has no source-address setting; its urllib3 pool manager passes this to each connection.
    client._endpoint.http_session._manager.connection_pool_kw["source_address"] = (source, 0)
    return client


# --- One request per operation -------------------------------------------------------------------------
# An operation is set up by the owner (an upload to touch, a key to delete) and returns the one request
# the caller makes. ``key`` is the object read, or where a write goes (a fresh name starting with it).

Attempt = Callable[[], object]
Operation = Callable[[Any, Any, str, str], Attempt]  # (caller, owner, bucket, key) -> the request


def _new_name(key: str) -> str:
    return f"{key}-{uuid.uuid4().hex[:12]}"


def _owned_key(owner: Any, bucket: str, key: str) -> str:
    name = _new_name(key)
    owner.put_object(Bucket=bucket, Key=name, Body=b"to be touched")
    return name


def _upload(owner: Any, bucket: str, key: str, with_part: bool = False) -> tuple[str, str, str | None]:
    name = _new_name(key)
    upload_id = owner.create_multipart_upload(Bucket=bucket, Key=name)["UploadId"]
    etag = owner.upload_part(Bucket=bucket, Key=name, UploadId=upload_id, PartNumber=1, Body=b"part one")["ETag"] if with_part else None
    return name, upload_id, etag


def _upload_part(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name, upload_id, _ = _upload(owner, bucket, key)
    return lambda: caller.upload_part(Bucket=bucket, Key=name, UploadId=upload_id, PartNumber=1, Body=b"from the caller")


def _complete(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name, upload_id, etag = _upload(owner, bucket, key, with_part=True)
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    return lambda: caller.complete_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id, MultipartUpload=parts)


def _list_parts(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name, upload_id, _ = _upload(owner, bucket, key, with_part=True)
    return lambda: caller.list_parts(Bucket=bucket, Key=name, UploadId=upload_id)


def _abort(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name, upload_id, _ = _upload(owner, bucket, key)
    return lambda: caller.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id)


def _delete(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name = _owned_key(owner, bucket, key)
    return lambda: caller.delete_object(Bucket=bucket, Key=name)


def _copy(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    return lambda: caller.copy_object(Bucket=bucket, Key=_new_name("copies/c"), CopySource={"Bucket": bucket, "Key": key})


def _put_tagging(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name = _owned_key(owner, bucket, key)
    return lambda: caller.put_object_tagging(Bucket=bucket, Key=name, Tagging={"TagSet": [{"Key": "by", "Value": "caller"}]})


def _delete_tagging(caller: Any, owner: Any, bucket: str, key: str) -> Attempt:
    name = _owned_key(owner, bucket, key)
    owner.put_object_tagging(Bucket=bucket, Key=name, Tagging={"TagSet": [{"Key": "keep", "Value": "me"}]})
    return lambda: caller.delete_object_tagging(Bucket=bucket, Key=name)


def _simple(call: Callable[[Any, str, str], object]) -> Operation:
    return lambda caller, owner, bucket, key: (lambda: call(caller, bucket, key))


OPERATIONS: dict[str, Operation] = {
    "GetObject": _simple(lambda c, b, k: c.get_object(Bucket=b, Key=k)["Body"].read()),
    "GetObject?versionId": _simple(lambda c, b, k: c.get_object(Bucket=b, Key=k, VersionId="null")["Body"].read()),
    "HeadObject": _simple(lambda c, b, k: c.head_object(Bucket=b, Key=k)),
    "HeadObject?versionId": _simple(lambda c, b, k: c.head_object(Bucket=b, Key=k, VersionId="null")),
    "GetObjectAttributes": _simple(lambda c, b, k: c.get_object_attributes(Bucket=b, Key=k, ObjectAttributes=["ETag"])),
    "ListObjectsV2": _simple(lambda c, b, k: c.list_objects_v2(Bucket=b)),
    "ListObjects": _simple(lambda c, b, k: c.list_objects(Bucket=b)),
    "HeadBucket": _simple(lambda c, b, k: c.head_bucket(Bucket=b)),
    "ListObjectVersions": _simple(lambda c, b, k: c.list_object_versions(Bucket=b)),
    "ListMultipartUploads": _simple(lambda c, b, k: c.list_multipart_uploads(Bucket=b)),
    "PutObject": _simple(lambda c, b, k: c.put_object(Bucket=b, Key=_new_name(k), Body=b"from the caller")),
    "CreateMultipartUpload": _simple(lambda c, b, k: c.create_multipart_upload(Bucket=b, Key=_new_name(k))),
    "UploadPart": _upload_part,
    "CompleteMultipartUpload": _complete,
    "ListParts": _list_parts,
    "AbortMultipartUpload": _abort,
    "DeleteObject": _delete,
    "CopyObject": _copy,
    "GetObjectTagging": _simple(lambda c, b, k: c.get_object_tagging(Bucket=b, Key=k)),
    "PutObjectTagging": _put_tagging,
    "DeleteObjectTagging": _delete_tagging,
    "GetObjectAcl": _simple(lambda c, b, k: c.get_object_acl(Bucket=b, Key=k)),
    "GetBucketAcl": _simple(lambda c, b, k: c.get_bucket_acl(Bucket=b)),
    "GetBucketLocation": _simple(lambda c, b, k: c.get_bucket_location(Bucket=b)),
    "GetBucketPolicy": _simple(lambda c, b, k: c.get_bucket_policy(Bucket=b)),
    "GetBucketPolicyStatus": _simple(lambda c, b, k: c.get_bucket_policy_status(Bucket=b)),
    "GetBucketEncryption": _simple(lambda c, b, k: c.get_bucket_encryption(Bucket=b)),
    "GetPublicAccessBlock": _simple(lambda c, b, k: c.get_public_access_block(Bucket=b)),
    "GetBucketOwnershipControls": _simple(lambda c, b, k: c.get_bucket_ownership_controls(Bucket=b)),
    "GetBucketTagging": _simple(lambda c, b, k: c.get_bucket_tagging(Bucket=b)),
    "PutBucketTagging": _simple(lambda c, b, k: c.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "set-by", "Value": "caller"}]})),
}


def attempt(operation: str, caller: Any, owner: Any, bucket: str, key: str = "seed.txt") -> Attempt:
    """Set ``operation`` up as the owner and return the caller's one request."""
    return OPERATIONS[operation](caller, owner, bucket, key)
