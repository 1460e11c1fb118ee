"""Digest claims on PUT: Content-MD5, x-amz-content-sha256, x-amz-checksum-*; a wrong claim stores nothing."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET
from rawclient import send_then_close, sign_headers, signed_request
from storage_checks import assert_no_orphans_after_sweep


def _absent(s3, bucket: str, key: str) -> bool:
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key=key)
    return err.value.response["Error"]["Code"] in ("404", "NoSuchKey")


def test_put_with_wrong_content_md5_is_bad_digest_and_stores_nothing(server, s3, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ContentMD5=wrong)
    assert err.value.response["Error"]["Code"] == "BadDigest"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert _absent(s3, bucket, "k")
    assert_no_orphans_after_sweep(server)


def test_put_with_malformed_content_md5_is_invalid_digest(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ContentMD5="not-base64!")
    assert err.value.response["Error"]["Code"] == "InvalidDigest"
    assert _absent(s3, bucket, "k")


def test_put_with_right_content_md5_succeeds(s3, bucket: str) -> None:
    md5 = base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"hello", ContentMD5=md5)["ETag"]
    assert etag == '"' + hashlib.md5(b"hello").hexdigest() + '"'


def test_put_whose_body_does_not_match_its_signed_sha256_stores_nothing(server, s3, bucket: str) -> None:
    r = signed_request(server.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, body=b"actual", payload_hash=hashlib.sha256(b"claimed").hexdigest())
    assert r.status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in r.body
    assert _absent(s3, bucket, "k")
    assert_no_orphans_after_sweep(server)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_put_with_each_checksum_algorithm_is_returned_in_checksum_mode(s3, bucket: str, algorithm: str) -> None:
    data = os.urandom(5000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=data, ChecksumAlgorithm=algorithm)
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == data


def test_put_with_wrong_checksum_header_is_bad_digest(server, s3, bucket: str) -> None:
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    r = signed_request(server.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, body=b"data", headers={"x-amz-checksum-sha256": wrong})
    assert r.status == 400 and b"<Code>BadDigest</Code>" in r.body
    assert _absent(s3, bucket, "k")
    assert_no_orphans_after_sweep(server)


def test_put_with_malformed_checksum_header_is_bad_digest(server, s3, bucket: str) -> None:
    r = signed_request(server.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, body=b"data", headers={"x-amz-checksum-crc32": "###"})
    assert r.status == 400 and b"<Code>BadDigest</Code>" in r.body
    assert _absent(s3, bucket, "k")


def test_body_shorter_than_content_length_is_incomplete_body_and_stores_nothing(server, s3, bucket: str) -> None:
    headers = sign_headers(server.endpoint, "PUT", f"/{bucket}/short", MAIN_KEY, MAIN_SECRET, {"Content-Length": "1000"}, "UNSIGNED-PAYLOAD")
    r = send_then_close(server.endpoint, "PUT", f"/{bucket}/short", headers, b"x" * 10)
    assert r.status in (0, 400)
    if r.status == 400:
        assert b"<Code>IncompleteBody</Code>" in r.body
    assert _absent(s3, bucket, "short")
    assert_no_orphans_after_sweep(server)


def test_put_over_5_gib_is_entity_too_large_before_reading(server, s3, bucket: str) -> None:
    headers = sign_headers(server.endpoint, "PUT", f"/{bucket}/huge", MAIN_KEY, MAIN_SECRET, {"Content-Length": str(5 * 1024**3 + 1)}, "UNSIGNED-PAYLOAD")
    r = send_then_close(server.endpoint, "PUT", f"/{bucket}/huge", headers, b"", half_close=False)
    assert r.status == 400
    assert _absent(s3, bucket, "huge")
