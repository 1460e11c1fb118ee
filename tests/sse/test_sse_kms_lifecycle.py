"""SSE-KMS objects across their key's lifecycle, on a server whose clock the tests move: objects written
before a rotation still read after it (and new ones use the new material); a disabled key or one
pending deletion makes GET fail with the error AWS S3 answers until the key is usable again; past the
deletion window the objects are permanently unreadable (an error, never data, never a 500)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from clockcontrol import advance, running_movable_server
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client


@pytest.fixture(scope="module")
def moved() -> Iterator[ServerInfo]:
    """A server of this module's own, whose clock tests move forward."""
    with running_movable_server() as info:
        yield info


@pytest.fixture(scope="module")
def s3(moved: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(moved.endpoint)


@pytest.fixture(scope="module")
def kms(moved: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(moved.endpoint, MAIN_KEY, MAIN_SECRET)


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"life-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def key_id(kms) -> str:  # type: ignore[no-untyped-def]
    return str(kms.create_key(Description="sse lifecycle")["KeyMetadata"]["KeyId"])


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _put(s3, bucket: str, name: str, body: bytes, key_id: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key=name, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)


def _read_fails(s3, bucket: str, name: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=name)
    return _code(exc)


def test_objects_written_before_an_on_demand_rotation_still_read_and_multipart_spans_it(s3, kms, bucket: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(70_000)
    _put(s3, bucket, "before", body, key_id)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)["UploadId"]
    part1 = os.urandom(5 * 1024 * 1024)
    etag1 = s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload, PartNumber=1, Body=part1)["ETag"]
    kms.rotate_key_on_demand(KeyId=key_id)
    part2 = os.urandom(1000)
    etag2 = s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload, PartNumber=2, Body=part2)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag1}, {"PartNumber": 2, "ETag": etag2}]})
    _put(s3, bucket, "after", b"after rotation", key_id)
    assert s3.get_object(Bucket=bucket, Key="before")["Body"].read() == body
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"after rotation"
    assert s3.get_object(Bucket=bucket, Key="multi")["Body"].read() == part1 + part2
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "before"}, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == body


def test_objects_read_across_automatic_rotations_of_a_moved_clock(moved: ServerInfo, s3, kms, bucket: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    _put(s3, bucket, "old", b"written at generation 0", key_id)
    advance(moved, days=91)
    _put(s3, bucket, "new", b"written at generation 1", key_id)
    advance(moved, days=91)
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]] == ["AUTOMATIC", "AUTOMATIC"]
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == b"written at generation 0"
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"written at generation 1"


def test_a_disabled_key_fails_get_and_range_get_but_not_head_until_enabled(s3, kms, bucket: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    _put(s3, bucket, "k", b"locked away", key_id)
    kms.disable_key(KeyId=key_id)
    assert _read_fails(s3, bucket, "k") == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-3")
    assert _code(exc) == ("KMS.DisabledException", 400)
    # HEAD decrypts nothing, so S3 answers it without calling KMS.
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "aws:kms" and head["ContentLength"] == len(b"locked away")
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-3")["Body"].read() == b"lock"


def test_a_key_pending_deletion_fails_reads_and_writes_with_invalid_state_until_cancelled(s3, kms, bucket: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    _put(s3, bucket, "k", b"pending", key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert _read_fails(s3, bucket, "k") == ("KMS.KMSInvalidStateException", 400)
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "k2", b"x", key_id)
    assert _code(exc) == ("KMS.KMSInvalidStateException", 400)
    kms.cancel_key_deletion(KeyId=key_id)
    assert _read_fails(s3, bucket, "k") == ("KMS.DisabledException", 400)  # cancelled keys come back Disabled
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"pending"


def test_past_the_deletion_window_objects_are_permanently_unreadable(moved: ServerInfo, s3, kms, bucket: str, key_id: str) -> None:  # type: ignore[no-untyped-def]
    alias = f"alias/doomed-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    body = os.urandom(3 * 1024 * 1024)
    _put(s3, bucket, "big", body, key_id)
    _put(s3, bucket, "small", b"tiny", alias)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    advance(moved, days=8)
    for name in ("big", "small"):
        assert _read_fails(s3, bucket, name) == ("KMS.NotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="rescued", CopySource={"Bucket": bucket, "Key": "big"})
    assert _code(exc) == ("KMS.NotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "again", b"x", alias)  # the alias went with the key
    assert _code(exc) == ("KMS.NotFoundException", 400)
    assert s3.head_object(Bucket=bucket, Key="small")["ServerSideEncryption"] == "aws:kms"
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key_id)
    assert _code(exc) == ("NotFoundException", 400)


@pytest.mark.parametrize("make_unusable", ["disable", "schedule_deletion"])
def test_upload_part_under_an_unusable_key_answers_the_kms_error_and_works_once_usable(s3, kms, bucket: str, key_id: str, make_unusable: str) -> None:  # type: ignore[no-untyped-def]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)["UploadId"]
    if make_unusable == "disable":
        kms.disable_key(KeyId=key_id)
        expected = ("KMS.DisabledException", 400)
    else:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        expected = ("KMS.KMSInvalidStateException", 400)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"part")
    assert _code(exc) == expected
    assert s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload).get("Parts", []) == []
    if make_unusable == "schedule_deletion":
        kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == b"part"


def test_the_accounts_aws_s3_key_rotates_every_year_and_its_objects_stay_readable(moved: ServerInfo, s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="default", Body=b"under aws/s3", ServerSideEncryption="aws:kms")
    status = kms.get_key_rotation_status(KeyId="alias/aws/s3")
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    advance(moved, days=366)
    assert len(kms.list_key_rotations(KeyId="alias/aws/s3")["Rotations"]) >= 1
    assert s3.get_object(Bucket=bucket, Key="default")["Body"].read() == b"under aws/s3"
