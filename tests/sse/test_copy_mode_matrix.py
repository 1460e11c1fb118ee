"""The mode-change matrix on copy: every source mode to every destination mode, for CopyObject to another
key, a self-copy that changes the mode in place, and UploadPartCopy into an upload of the destination mode.
Copies decrypt with the source's mode and seal with the destination's; the bytes never change.

One server with SSE-C allowed over plain HTTP and on new buckets, so the matrix needs no TLS.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client, running_server

MIB = 1024 * 1024
CUSTOMER_KEY = os.urandom(32)
MODES = ["sse-s3", "sse-kms", "sse-c"]


@pytest.fixture(scope="module")
def matrix_server() -> Iterator[ServerInfo]:
    with running_server({"STRONGROOM_ALLOW_SSEC_OVER_HTTP": "true", "STRONGROOM_ALLOW_SSEC_ON_NEW_BUCKETS": "true"}) as info:
        yield info


@pytest.fixture(scope="module")
def s3(matrix_server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(matrix_server.endpoint)


@pytest.fixture(scope="module")
def kms_arn(matrix_server: ServerInfo) -> str:
    kms = make_kms_client(matrix_server.endpoint, MAIN_KEY, MAIN_SECRET)
    return kms.create_key(Description="copy matrix")["KeyMetadata"]["Arn"]  # type: ignore[no-any-return]


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"matrix-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def _write_args(mode: str, kms_arn: str) -> dict[str, object]:
    """The request parameters that ask for ``mode`` on a write."""
    return {
        "sse-s3": {"ServerSideEncryption": "AES256"},
        "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_arn},
        "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": CUSTOMER_KEY},
    }[mode]


def _read_args(mode: str) -> dict[str, object]:
    """What a read of an object in ``mode`` must send (the customer key for SSE-C)."""
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": CUSTOMER_KEY} if mode == "sse-c" else {}


def _source_args(mode: str) -> dict[str, object]:
    """What a copy from a source in ``mode`` must send."""
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": CUSTOMER_KEY} if mode == "sse-c" else {}


def _assert_mode(s3, bucket: str, key: str, mode: str, kms_arn: str) -> None:  # type: ignore[no-untyped-def]
    head = s3.head_object(Bucket=bucket, Key=key, **_read_args(mode))
    expected: dict[str, Callable[[dict[str, object]], bool]] = {
        "sse-s3": lambda h: h.get("ServerSideEncryption") == "AES256" and "SSEKMSKeyId" not in h,
        "sse-kms": lambda h: h.get("ServerSideEncryption") == "aws:kms" and h.get("SSEKMSKeyId") == kms_arn,
        "sse-c": lambda h: h.get("SSECustomerAlgorithm") == "AES256" and "ServerSideEncryption" not in h,
    }
    assert expected[mode](head), (mode, head)


@pytest.mark.parametrize("source", MODES)
@pytest.mark.parametrize("destination", MODES)
def test_copy_object_to_another_key(s3, bucket: str, kms_arn: str, source: str, destination: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(40_000)
    s3.put_object(Bucket=bucket, Key="src", Body=body, **_write_args(source, kms_arn))
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, **_source_args(source), **_write_args(destination, kms_arn))
    _assert_mode(s3, bucket, "dst", destination, kms_arn)
    assert s3.get_object(Bucket=bucket, Key="dst", **_read_args(destination))["Body"].read() == body
    assert s3.get_object(Bucket=bucket, Key="dst", Range="bytes=100-199", **_read_args(destination))["Body"].read() == body[100:200]
    _assert_mode(s3, bucket, "src", source, kms_arn)  # the source is untouched


@pytest.mark.parametrize(("source", "destination"), [(s, d) for s in MODES for d in MODES if s != d])
def test_self_copy_changes_the_mode_in_place(s3, bucket: str, kms_arn: str, source: str, destination: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(5000)
    s3.put_object(Bucket=bucket, Key="k", Body=body, **_write_args(source, kms_arn))
    s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"}, **_source_args(source), **_write_args(destination, kms_arn))
    _assert_mode(s3, bucket, "k", destination, kms_arn)
    assert s3.get_object(Bucket=bucket, Key="k", **_read_args(destination))["Body"].read() == body


@pytest.mark.parametrize("source", MODES)
@pytest.mark.parametrize("destination", MODES)
def test_upload_part_copy_into_an_upload_of_another_mode(s3, bucket: str, kms_arn: str, source: str, destination: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(5 * MIB + 1000)
    s3.put_object(Bucket=bucket, Key="src", Body=body, **_write_args(source, kms_arn))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **_write_args(destination, kms_arn))
    part_args = _read_args(destination)
    parts = []
    for number, (start, end) in enumerate([(0, 5 * MIB - 1), (5 * MIB, len(body) - 1)], start=1):
        copied = s3.upload_part_copy(
            Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=number, CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=f"bytes={start}-{end}", **_source_args(source), **part_args,
        )
        parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts})
    _assert_mode(s3, bucket, "mp", destination, kms_arn)
    assert s3.get_object(Bucket=bucket, Key="mp", **_read_args(destination))["Body"].read() == body
