"""GetObjectAttributes: the attributes asked for, part paging, checksums, and the errors AWS answers.

Expected checksums are computed here, independently of the server.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

MiB = 1024 * 1024
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def _sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _multipart(s3: Any, bucket: str, key: str, parts: list[bytes], algorithm: str | None) -> dict[str, Any]:
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data, **extra)
        entry = {"PartNumber": number, "ETag": response["ETag"]}
        if algorithm:
            entry["Checksum" + algorithm] = response["Checksum" + algorithm]
        done.append(entry)
    completed: dict[str, Any] = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    return completed


def test_simple_object_has_unquoted_etag_size_and_standard_class(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="obj", Body=b"foo")
    got = s3.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=ALL)
    assert got["ETag"] == put["ETag"].strip('"')
    assert (got["ObjectSize"], got["StorageClass"]) == (3, "STANDARD")
    assert "ObjectParts" not in got and "VersionId" not in got and "DeleteMarker" not in got
    assert got["LastModified"] == s3.head_object(Bucket=bucket, Key="obj")["LastModified"]


def test_only_the_named_attributes_are_returned(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="obj", Body=b"foo", StorageClass="STANDARD_IA")
    got = s3.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=["StorageClass", "ObjectSize"])
    assert (got["StorageClass"], got["ObjectSize"]) == ("STANDARD_IA", 3)
    assert not {"ETag", "Checksum", "ObjectParts"} & set(got)


def test_object_put_with_a_checksum_returns_it_with_its_type(s3: Any, bucket: str) -> None:
    body = b"A" * 1024
    s3.put_object(Bucket=bucket, Key="obj", Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=_sha256_b64(body))
    got = s3.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=ALL)
    assert got["Checksum"] == {"ChecksumSHA256": _sha256_b64(body), "ChecksumType": "FULL_OBJECT"}
    assert got["ObjectSize"] == 1024 and "ObjectParts" not in got


def test_multipart_with_checksums_lists_parts_and_the_composite_checksum(s3: Any, bucket: str) -> None:
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"tail"]
    completed = _multipart(s3, bucket, "mp", parts, "SHA256")
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    composite = _sha256_b64(b"".join(hashlib.sha256(p).digest() for p in parts))
    assert completed["ChecksumSHA256"] == f"{composite}-3"
    assert got["Checksum"] == {"ChecksumSHA256": f"{composite}-3", "ChecksumType": "COMPOSITE"}
    assert got["ETag"] == completed["ETag"].strip('"') and got["ObjectSize"] == 10 * MiB + 4
    listed = got["ObjectParts"]
    assert (listed["TotalPartsCount"], listed["PartNumberMarker"], listed["MaxParts"], listed["IsTruncated"]) == (3, 0, 1000, False)
    assert listed["Parts"] == [{"PartNumber": n, "Size": len(p), "ChecksumSHA256": _sha256_b64(p)} for n, p in enumerate(parts, start=1)]


def test_parts_are_paged_by_max_parts_and_part_number_marker(s3: Any, bucket: str) -> None:
    parts = [os.urandom(5 * MiB) for _ in range(3)] + [b"last"]
    _multipart(s3, bucket, "mp", parts, "CRC32")
    first = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=1, PartNumberMarker=1)["ObjectParts"]
    assert (first["PartNumberMarker"], first["NextPartNumberMarker"], first["MaxParts"], first["IsTruncated"]) == (1, 2, 1, True)
    assert [p["PartNumber"] for p in first["Parts"]] == [2] and first["TotalPartsCount"] == 4
    rest = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], MaxParts=10, PartNumberMarker=2)["ObjectParts"]
    assert (rest["PartNumberMarker"], rest["NextPartNumberMarker"], rest["IsTruncated"]) == (2, 4, False)
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, 5 * MiB), (4, 4)]
    assert all("ChecksumCRC32" in p for p in rest["Parts"])


def test_multipart_without_checksums_lists_part_sizes(s3: Any, bucket: str) -> None:
    _multipart(s3, bucket, "mp", [os.urandom(5 * MiB), b"end"], None)
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL)
    parts = got["ObjectParts"]
    assert (parts["TotalPartsCount"], parts["IsTruncated"], parts["MaxParts"]) == (2, False, 1000)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2] and all("ChecksumCRC32" not in p for p in parts["Parts"])
    assert "Checksum" not in got and got["ETag"].endswith("-2")


def test_unknown_attribute_name_is_invalid_argument(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="obj", Body=b"foo")
    with pytest.raises(ClientError) as err:
        s3.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=["ETag", "ETags"])
    assert _error(err) == ("InvalidArgument", 400)
    assert err.value.response["Error"]["ArgumentValue"] == "ETags"
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"foo"


def test_missing_attribute_header_is_invalid_request(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="obj", Body=b"foo")

    def drop_header(request: Any, **_: Any) -> None:
        del request.headers["x-amz-object-attributes"]

    s3.meta.events.register("before-sign.s3.GetObjectAttributes", drop_header)
    try:
        with pytest.raises(ClientError) as err:
            s3.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=["ETag"])
    finally:
        s3.meta.events.unregister("before-sign.s3.GetObjectAttributes", drop_header)
    assert _error(err) == ("InvalidRequest", 400)


def test_missing_key_is_no_such_key(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.get_object_attributes(Bucket=bucket, Key="absent", ObjectAttributes=ALL)
    assert _error(err) == ("NoSuchKey", 404)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_another_accounts_object_is_access_denied(s3: Any, s3_alt: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="obj", Body=b"foo")
    with pytest.raises(ClientError) as err:
        s3_alt.get_object_attributes(Bucket=bucket, Key="obj", ObjectAttributes=ALL)
    assert _error(err) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == b"foo"
