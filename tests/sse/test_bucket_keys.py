"""S3 Bucket Keys through boto3 against a real server: far fewer KMS calls (counted by the server
itself), the header echoed on every write and read, copies between bucket-key and other buckets,
multipart and ranges, expiry, and a disabled KMS key still locking the objects out."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client, running_server
from keypolicies import policy, root
from kmscounters import COUNTERS_ENV, bucket_key_rows, delta, extents, kms_calls, total
from rawclient import signed_request

PUTS = 1000


@pytest.fixture(scope="module")
def counted() -> Iterator[ServerInfo]:
    """A server of its own that exposes its counters (default bucket key lifetime)."""
    with running_server(COUNTERS_ENV) as info:
        yield info


@pytest.fixture(scope="module")
def client(counted: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(counted.endpoint, max_pool_connections=8)


@pytest.fixture(scope="module")
def kms(counted: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(counted.endpoint, MAIN_KEY, MAIN_SECRET)


@pytest.fixture
def key_arn(kms) -> str:  # type: ignore[no-untyped-def]
    return str(kms.create_key(Description="bucket keys test")["KeyMetadata"]["Arn"])


def _bucket(client, key_arn: str | None = None, *, bucket_key: bool = False) -> str:  # type: ignore[no-untyped-def]
    """A new bucket; with key_arn, its default is SSE-KMS under that key, with or without bucket keys."""
    name = f"bk-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=name)
    if key_arn is not None:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": bucket_key}
        client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
    return name


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _put_many(client, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: client.put_object(Bucket=bucket, Key=f"o{i}", Body=b"x" * 100), range(PUTS)))


def test_a_thousand_puts_with_bucket_keys_make_99_percent_fewer_kms_calls(counted: ServerInfo, client, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    plain, keyed = _bucket(client, key_arn), _bucket(client, key_arn, bucket_key=True)
    before = kms_calls(counted.endpoint)
    _put_many(client, plain)
    middle = kms_calls(counted.endpoint)
    _put_many(client, keyed)
    after = kms_calls(counted.endpoint)
    without, with_keys = delta(middle, before), delta(after, middle)
    assert without.get("GenerateDataKey", 0) >= PUTS  # one per object without bucket keys
    assert total(with_keys) <= total(without) // 100, (with_keys, without)
    assert with_keys == {"GenerateDataKey": 1}  # the bucket key itself, once
    # Every object has its own fresh data key, wrapped by the one bucket key.
    stored = [extents(counted.data_dir, keyed, f"o{i}")[0] for i in (0, 1, PUTS - 1)]
    assert {e["kp"] for e in stored} == {"bucket-key"} and len({e["ki"] for e in stored}) == 1
    assert len({e["kw"] for e in stored}) == 3
    ((bucket_key_id, arn, _created, _expires),) = bucket_key_rows(counted.data_dir, keyed)
    assert bucket_key_id == stored[0]["ki"] and arn == key_arn
    assert client.get_object(Bucket=keyed, Key="o7")["Body"].read() == b"x" * 100


def test_bucket_key_is_echoed_on_put_get_head(client, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(client, key_arn, bucket_key=True)
    put = client.put_object(Bucket=bucket, Key="k", Body=b"hello")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == ("aws:kms", key_arn, True)
    got = client.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"hello" and got["BucketKeyEnabled"] is True and got["SSEKMSKeyId"] == key_arn
    head = client.head_object(Bucket=bucket, Key="k")
    assert head["BucketKeyEnabled"] is True and head["ServerSideEncryption"] == "aws:kms"


def test_request_header_decides_over_the_bucket_setting(counted: ServerInfo, client, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    off = _bucket(client, key_arn, bucket_key=False)
    on = client.put_object(Bucket=off, Key="on", Body=b"1", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn, BucketKeyEnabled=True)
    assert on["BucketKeyEnabled"] is True and extents(counted.data_dir, off, "on")[0]["kp"] == "bucket-key"
    keyed = _bucket(client, key_arn, bucket_key=True)
    not_on = client.put_object(Bucket=keyed, Key="off", Body=b"2", BucketKeyEnabled=False)
    assert "BucketKeyEnabled" not in not_on and extents(counted.data_dir, keyed, "off")[0]["kp"] == "kms"
    explicit = client.put_object(Bucket=keyed, Key="explicit", Body=b"3", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    assert explicit["BucketKeyEnabled"] is True  # an SSE-KMS request without the header gets the bucket's setting
    sse_s3 = client.put_object(Bucket=keyed, Key="aes", Body=b"4", ServerSideEncryption="AES256", BucketKeyEnabled=True)
    assert sse_s3["ServerSideEncryption"] == "AES256" and "BucketKeyEnabled" not in sse_s3  # SSE-KMS only
    for k, body in (("on", b"1"), ("off", b"2"), ("explicit", b"3"), ("aes", b"4")):
        assert client.get_object(Bucket=off if k == "on" else keyed, Key=k)["Body"].read() == body


def test_bad_bucket_key_header_is_invalid_argument(counted: ServerInfo, client, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(client, key_arn)
    reply = signed_request(counted.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, b"x",
                           {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-bucket-key-enabled": "maybe"})
    assert reply.status == 400 and b"InvalidArgument" in reply.body


@pytest.mark.parametrize("direction", ["from_bucket_key", "to_bucket_key"])
def test_copy_between_bucket_key_and_other_buckets(counted: ServerInfo, client, key_arn: str, direction: str) -> None:  # type: ignore[no-untyped-def]
    keyed, plain = _bucket(client, key_arn, bucket_key=True), _bucket(client, key_arn)
    source, target = (keyed, plain) if direction == "from_bucket_key" else (plain, keyed)
    body = os.urandom(200_000)
    client.put_object(Bucket=source, Key="src", Body=body)
    copied = client.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": source, "Key": "src"})
    expected_provider = "bucket-key" if target == keyed else "kms"
    assert copied.get("BucketKeyEnabled", False) is (target == keyed)
    assert extents(counted.data_dir, target, "dst")[0]["kp"] == expected_provider
    assert client.get_object(Bucket=target, Key="dst")["Body"].read() == body
    to_s3 = client.copy_object(Bucket=target, Key="aes", CopySource={"Bucket": source, "Key": "src"}, ServerSideEncryption="AES256")
    assert to_s3["ServerSideEncryption"] == "AES256" and "BucketKeyEnabled" not in to_s3
    assert client.get_object(Bucket=target, Key="aes")["Body"].read() == body


def test_multipart_and_ranges_under_a_bucket_key(counted: ServerInfo, client, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(client, key_arn, bucket_key=True)
    first, second = os.urandom(5 * 1024 * 1024), os.urandom(1_500_000)
    upload = client.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["BucketKeyEnabled"] is True and upload["SSEKMSKeyId"] == key_arn
    uid = upload["UploadId"]
    p1 = client.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=first)
    assert p1["BucketKeyEnabled"] is True
    p2 = client.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2, Body=second)
    done = client.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]},
    )
    assert done["BucketKeyEnabled"] is True
    parts = extents(counted.data_dir, bucket, "mp")
    assert [e["kp"] for e in parts] == ["bucket-key", "bucket-key"] and parts[0]["kw"] != parts[1]["kw"]
    whole = first + second
    assert client.get_object(Bucket=bucket, Key="mp")["Body"].read() == whole
    start, end = len(first) - 1000, len(first) + 2_000_000 // 3
    got = client.get_object(Bucket=bucket, Key="mp", Range=f"bytes={start}-{end}")
    assert got["Body"].read() == whole[start : end + 1] and got["BucketKeyEnabled"] is True
    assert client.get_object(Bucket=bucket, Key="mp", Range="bytes=-10")["Body"].read() == whole[-10:]


def test_disabled_kms_key_locks_out_objects_even_with_the_bucket_key_cached(client, kms, key_arn: str) -> None:  # type: ignore[no-untyped-def]
    bucket = _bucket(client, key_arn, bucket_key=True)
    client.put_object(Bucket=bucket, Key="k", Body=b"locked")
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"locked"  # the bucket key is cached now
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=bucket, Key="k")
    assert _code(exc) == ("KMS.DisabledException", 400)
    assert client.head_object(Bucket=bucket, Key="k")["BucketKeyEnabled"] is True  # metadata needs no key (as AWS)
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="k2", Body=b"x")
    assert _code(exc) == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:
        client.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"}, ServerSideEncryption="AES256")
    assert _code(exc) == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key_arn)
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"locked"


def test_after_expiry_a_new_bucket_key_is_made_and_old_objects_stay_readable() -> None:
    with running_server({**COUNTERS_ENV, "STRONGROOM_BUCKET_KEY_TTL_SECONDS": "0.5"}) as info:
        client = make_client(info.endpoint)
        kms = make_kms_client(info.endpoint, MAIN_KEY, MAIN_SECRET)
        key_arn = kms.create_key()["KeyMetadata"]["Arn"]
        bucket = _bucket(client, key_arn, bucket_key=True)
        client.put_object(Bucket=bucket, Key="old", Body=b"before expiry")
        time.sleep(0.6)
        before = kms_calls(info.endpoint)
        assert client.get_object(Bucket=bucket, Key="old")["Body"].read() == b"before expiry"
        read = delta(kms_calls(info.endpoint), before)
        assert read.get("Decrypt") == 1  # the expired bucket key was unwrapped through KMS again
        client.put_object(Bucket=bucket, Key="new", Body=b"after expiry")
        rows = bucket_key_rows(info.data_dir, bucket)
        assert len(rows) == 2 and rows[0][3] <= rows[1][2]  # the first had expired when the second was made
        assert [extents(info.data_dir, bucket, k)[0]["ki"] for k in ("old", "new")] == [rows[0][0], rows[1][0]]
        assert client.get_object(Bucket=bucket, Key="new")["Body"].read() == b"after expiry"
        assert client.get_object(Bucket=bucket, Key="old")["Body"].read() == b"before expiry"


def test_a_cached_bucket_key_does_not_bypass_the_key_policy_on_writes(client, kms) -> None:  # type: ignore[no-untyped-def]
    meta = kms.create_key(Description="bucket key policy")["KeyMetadata"]
    bucket = _bucket(client, meta["Arn"], bucket_key=True)
    client.put_object(Bucket=bucket, Key="first", Body=b"allowed")  # the bucket key is made and cached
    admin_and_read = ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Enable*", "kms:Disable*", "kms:Decrypt"]
    kms.put_key_policy(KeyId=meta["KeyId"], PolicyName="default", Policy=policy(root(meta["AWSAccountId"], admin_and_read)))
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="second", Body=b"refused")
    assert _code(exc) == ("AccessDenied", 403)
    assert client.get_object(Bucket=bucket, Key="first")["Body"].read() == b"allowed"  # kms:Decrypt still allowed
    with pytest.raises(ClientError) as exc:
        client.head_object(Bucket=bucket, Key="second")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
