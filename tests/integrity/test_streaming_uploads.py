"""aws-chunked uploads: signed chunks, unsigned and signed trailers, and broken streams that store nothing."""

from __future__ import annotations

import base64
import os
import zlib

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET
from rawclient import chunked_upload
from storage_checks import assert_no_orphans_after_sweep


def _crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _absent(s3, bucket: str, key: str) -> bool:
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key=key)
    return err.value.response["Error"]["Code"] in ("404", "NoSuchKey")


def test_signed_chunked_upload_stores_the_decoded_bytes(server, s3, bucket: str) -> None:
    data = os.urandom(200_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/chunked", MAIN_KEY, MAIN_SECRET, data)
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == data


def test_signed_chunked_upload_with_signed_checksum_trailer_is_stored_with_its_checksum(server, s3, bucket: str) -> None:
    data = os.urandom(150_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/trailer", MAIN_KEY, MAIN_SECRET, data, trailers={"x-amz-checksum-crc32": _crc32_b64(data)})
    assert r.status == 200, r.body
    head = s3.head_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == _crc32_b64(data)


def test_unsigned_trailer_upload_is_stored(server, s3, bucket: str) -> None:
    data = os.urandom(70_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/unsigned", MAIN_KEY, MAIN_SECRET, data, signed=False, trailers={"x-amz-checksum-crc32": _crc32_b64(data)})
    assert r.status == 200, r.body
    assert s3.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == data


def test_wrong_trailer_checksum_is_bad_digest_and_stores_nothing(server, s3, bucket: str) -> None:
    data = os.urandom(70_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/badsum", MAIN_KEY, MAIN_SECRET, data, signed=False, trailers={"x-amz-checksum-crc32": _crc32_b64(b"other")})
    assert r.status == 400 and b"<Code>BadDigest</Code>" in r.body
    assert _absent(s3, bucket, "badsum")
    assert_no_orphans_after_sweep(server)


def test_tampered_chunk_is_signature_mismatch_and_stores_nothing(server, s3, bucket: str) -> None:
    data = os.urandom(200_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/tampered", MAIN_KEY, MAIN_SECRET, data, corrupt_chunk=1)
    assert r.status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.body
    assert _absent(s3, bucket, "tampered")
    assert_no_orphans_after_sweep(server)


def test_truncated_chunked_stream_stores_nothing(server, s3, bucket: str) -> None:
    data = os.urandom(200_000)
    r = chunked_upload(server.endpoint, f"/{bucket}/truncated", MAIN_KEY, MAIN_SECRET, data, truncate_to=100_000)
    assert r.status in (0, 400)
    if r.status == 400:
        assert b"<Code>IncompleteBody</Code>" in r.body
    assert _absent(s3, bucket, "truncated")
    assert_no_orphans_after_sweep(server)


def test_decoded_length_mismatch_is_incomplete_body(server, s3, bucket: str) -> None:
    data = os.urandom(1000)
    r = chunked_upload(server.endpoint, f"/{bucket}/short", MAIN_KEY, MAIN_SECRET, data, extra_headers={"x-amz-decoded-content-length": "2000"})
    assert r.status == 400 and b"<Code>IncompleteBody</Code>" in r.body
    assert _absent(s3, bucket, "short")

    assert_no_orphans_after_sweep(server)
