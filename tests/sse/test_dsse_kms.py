"""DSSE-KMS (aws:kms:dsse) through boto3: PUT/GET/HEAD, ranges, multipart, copy, bucket default, a
disabled key; and at rest, that both layers are really there (each key alone opens only its own)."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client
from kmscounters import extents

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.crypto.sealed import open_all, sealed_length
from strongroom.kms.builtin import BuiltinKms
from strongroom.kms.provider import WrappedKey
from strongroom.kms.root_key import open_root_keyring
from strongroom.kms.server_keys import ServerKeyProvider
from strongroom.meta.engine import MetaStore

DSSE = "aws:kms:dsse"
MARKER = b"STRONGROOM-DSSE-MARKER-"


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, MAIN_KEY, MAIN_SECRET)


@pytest.fixture
def key(kms) -> dict[str, str]:  # type: ignore[no-untyped-def]
    meta = kms.create_key(Description="dsse test")["KeyMetadata"]
    alias = f"alias/dsse-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    return {"KeyId": meta["KeyId"], "Arn": meta["Arn"], "Alias": alias}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("ref", ["KeyId", "Alias", "Arn"])
def test_put_get_head_echo_dsse_and_the_key_arn(s3, bucket: str, key: dict[str, str], ref: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(5000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption=DSSE, SSEKMSKeyId=key[ref], BucketKeyEnabled=True)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    assert "BucketKeyEnabled" not in put  # no bucket keys with DSSE-KMS (AWS)
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body and (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["ContentLength"]) == (DSSE, key["Arn"], len(body))


def test_ranges_open_only_what_they_cover_and_return_the_right_bytes(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(3 * 1024 * 1024 + 12345)
    s3.put_object(Bucket=bucket, Key="big", Body=body, ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    mib = 1024 * 1024
    for first, last in [(0, 0), (0, 99), (mib - 10, mib + 10), (mib - 49, mib + 100), (2 * mib + 5, 3 * mib + 100), (len(body) - 1, len(body) - 1)]:
        got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == body[first : last + 1], (first, last)
        assert got["ServerSideEncryption"] == DSSE
    assert s3.get_object(Bucket=bucket, Key="big", Range="bytes=-70000")["Body"].read() == body[-70000:]
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == body


def test_bucket_default_dsse_applies_to_writes_naming_no_encryption(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": DSSE, "KMSMasterKeyID": key["Alias"]}, "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": DSSE, "KMSMasterKeyID": key["Alias"]
    }
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"by default")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == (DSSE, key["Arn"]) and "BucketKeyEnabled" not in put
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert (upload["ServerSideEncryption"], upload["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"by default"


def test_multipart_and_upload_part_copy_under_dsse(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    first, tail = os.urandom(5 * 1024 * 1024), os.urandom(700_000)
    s3.put_object(Bucket=bucket, Key="plain-source", Body=tail)  # SSE-S3 source for UploadPartCopy
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    assert (upload["ServerSideEncryption"], upload["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    uid = upload["UploadId"]
    p1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=first)
    assert p1["ServerSideEncryption"] == DSSE
    p2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=2, CopySource={"Bucket": bucket, "Key": "plain-source"})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["CopyPartResult"]["ETag"]}]},
    )
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    whole = first + tail
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == whole
    start, end = len(first) - 3000, len(first) + 3000
    assert s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={start}-{end}")["Body"].read() == whole[start : end + 1]


def test_copy_into_and_out_of_dsse(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(300_000)
    s3.put_object(Bucket=bucket, Key="s3", Body=body)
    into = s3.copy_object(Bucket=bucket, Key="dsse", CopySource={"Bucket": bucket, "Key": "s3"}, ServerSideEncryption=DSSE, SSEKMSKeyId=key["Arn"])
    assert (into["ServerSideEncryption"], into["SSEKMSKeyId"]) == (DSSE, key["Arn"])
    out = s3.copy_object(Bucket=bucket, Key="back", CopySource={"Bucket": bucket, "Key": "dsse"})
    assert out["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in out
    to_kms = s3.copy_object(Bucket=bucket, Key="kms", CopySource={"Bucket": bucket, "Key": "dsse"}, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert to_kms["ServerSideEncryption"] == "aws:kms"
    in_place = s3.copy_object(Bucket=bucket, Key="s3", CopySource={"Bucket": bucket, "Key": "s3"}, ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    assert in_place["ServerSideEncryption"] == DSSE  # a self-copy changes the mode
    for name in ("dsse", "back", "kms", "s3"):
        assert s3.get_object(Bucket=bucket, Key=name)["Body"].read() == body, name


def test_disabled_key_locks_dsse_objects_out_until_enabled(s3, kms, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"two layers", ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert _code(exc) == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    assert _code(exc) == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two layers"


def _sealed_bytes(data_dir: Path, extent: dict[str, object]) -> bytes:
    if "i" in extent:
        return base64.b64decode(str(extent["i"]))
    blob_id = str(extent["b"])
    return (data_dir / "blobs" / blob_id[:2] / blob_id).read_bytes()


def _wrapped(extent: dict[str, object], prefix: str) -> WrappedKey:
    return WrappedKey(str(extent[prefix + "p"]), str(extent[prefix + "i"]), base64.b64decode(str(extent[prefix + "w"])))


@pytest.mark.parametrize("size", [100, 2 * 1024 * 1024 + 7])  # inline in the metadata row, and a blob file
def test_both_layers_are_at_rest_and_each_key_opens_only_its_own(server: ServerInfo, s3, bucket: str, key: dict[str, str], size: int) -> None:  # type: ignore[no-untyped-def]
    body = (MARKER + os.urandom(4).hex().encode() + b"|") * (size // 32 + 1)
    body = body[:size]
    s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption=DSSE, SSEKMSKeyId=key["KeyId"])
    (extent,) = extents(server.data_dir, bucket, "k")
    stored = _sealed_bytes(server.data_dir, extent)
    assert body[:24] not in stored
    blob_id = str(extent["b"])
    inner_length = sealed_length(size, int(str(extent["s"])))
    assert stored[:4] == b"SRSB" and stored[5] == 0x01  # the outer layer's header
    context = {"aws:s3:arn": f"arn:aws:s3:::{bucket}/k", "strongroom:blob": blob_id}
    meta = MetaStore(f"sqlite:///{server.data_dir / 'meta.db'}")
    try:
        root = open_root_keyring(server.data_dir / "root.key")
        outer_key = ServerKeyProvider(root, meta).unwrap(_wrapped(extent, "ok"), {**context, "strongroom:layer": "outer"})
        inner_key = BuiltinKms(root, meta, "us-east-1").unwrap(_wrapped(extent, "k"), context)
    finally:
        meta.close()
    assert extent["kp"] == "kms" and extent["okp"] == "server"
    # The server's hierarchy alone peels off the outer layer and finds only the inner sealed blob.
    inner = open_all(outer_key, bytes.fromhex(blob_id), stored, inner_length, outer_layer=True)
    assert inner[:4] == b"SRSB" and inner[5] == 0x00 and body[:24] not in inner
    # The KMS key's data key alone opens neither the stored blob nor anything but the inner layer.
    with pytest.raises(IntegrityError):
        open_all(inner_key, bytes.fromhex(blob_id), stored, inner_length, outer_layer=True)
    with pytest.raises(IntegrityError):
        open_all(outer_key, bytes.fromhex(blob_id), inner, size)
    assert open_all(inner_key, bytes.fromhex(blob_id), inner, size) == body
    assert not isinstance(inner_key, bytes) and isinstance(outer_key, DataKey) and inner_key != outer_key
