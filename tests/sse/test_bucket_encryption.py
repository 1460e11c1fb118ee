"""Bucket default encryption (Put/Get/DeleteBucketEncryption) and its effect on writes that name no
encryption: PutObject, CreateMultipartUpload, CopyObject and POST object, through boto3."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client
from rawclient import RawResponse, signed_request

SSEC_BLOCKED = {"EncryptionType": ["SSE-C"]}  # every bucket's default (STRONGROOM_ALLOW_SSEC_ON_NEW_BUCKETS off)
SSE_S3_DEFAULT = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False, "BlockedEncryptionTypes": SSEC_BLOCKED}]
}


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, MAIN_KEY, MAIN_SECRET)


@pytest.fixture
def key(kms) -> dict[str, str]:  # type: ignore[no-untyped-def]
    meta = kms.create_key(Description="bucket default encryption test")["KeyMetadata"]
    alias = f"alias/bde-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    return {"KeyId": meta["KeyId"], "Arn": meta["Arn"], "Alias": alias}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _kms_default(key_id: str | None = None, bucket_key: bool | None = None) -> dict[str, object]:
    default: dict[str, str] = {"SSEAlgorithm": "aws:kms"}
    if key_id is not None:
        default["KMSMasterKeyID"] = key_id
    rule: dict[str, object] = {"ApplyServerSideEncryptionByDefault": default}
    if bucket_key is not None:
        rule["BucketKeyEnabled"] = bucket_key
    return {"Rules": [rule]}


def _config(s3, bucket: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]  # type: ignore[no-any-return]


def _raw_put(server: ServerInfo, bucket: str, body: bytes) -> RawResponse:
    """PutBucketEncryption with a body boto3 would never send."""
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return signed_request(server.endpoint, "PUT", f"/{bucket}", MAIN_KEY, MAIN_SECRET, body, {"Content-MD5": md5}, query="encryption=")


def test_default_configuration_is_reported_when_none_is_set(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    # Current AWS: every bucket has the SSE-S3 default, and GetBucketEncryption reports it.
    assert _config(s3, bucket) == SSE_S3_DEFAULT


def test_put_get_delete_round_trip(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["Alias"], bucket_key=True))
    assert _config(s3, bucket) == {
        "Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Alias"]},
            "BucketKeyEnabled": True, "BlockedEncryptionTypes": SSEC_BLOCKED,
        }]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default())
    assert _config(s3, bucket) == {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": False, "BlockedEncryptionTypes": SSEC_BLOCKED}]
    }
    assert s3.delete_bucket_encryption(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _config(s3, bucket) == SSE_S3_DEFAULT
    s3.delete_bucket_encryption(Bucket=bucket)  # absent is fine
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize("ref", ["KeyId", "Alias", "Arn"])
def test_put_without_headers_into_a_kms_default_bucket_is_sse_kms_with_that_key(s3, bucket: str, key: dict[str, str], ref: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key[ref]))
    body = os.urandom(5000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body)
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body and got["SSEKMSKeyId"] == key["Arn"]


def test_kms_default_without_a_key_uses_the_accounts_aws_s3_key(s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default())
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
    aws_s3 = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", aws_s3)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"


def test_explicit_aes256_overrides_a_kms_default(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in put
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in head


def test_explicit_kms_key_overrides_the_default_key(s3, kms, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    other = kms.create_key(Description="other")["KeyMetadata"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other["KeyId"])
    assert put["SSEKMSKeyId"] == other["Arn"]


def test_multipart_into_a_kms_default_bucket(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["Alias"]))
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert (created["ServerSideEncryption"], created["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    parts = [os.urandom(5 * 1024 * 1024), b"tail"]
    etags = []
    for number, data in enumerate(parts, start=1):
        part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=created["UploadId"], PartNumber=number, Body=data)
        assert part["SSEKMSKeyId"] == key["Arn"]
        etags.append({"ETag": part["ETag"], "PartNumber": number})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=created["UploadId"], MultipartUpload={"Parts": etags})
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"".join(parts)


def test_copy_into_a_kms_default_bucket_takes_the_destinations_default(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    source = f"test-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="src", Body=b"copy me")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": source, "Key": "src"})
    assert (copied["ServerSideEncryption"], copied["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copy me"
    # And a KMS object copied into an SSE-S3 default bucket becomes SSE-S3 (the destination decides).
    back = s3.copy_object(Bucket=source, Key="back", CopySource={"Bucket": bucket, "Key": "dst"})
    assert back["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in back


def test_post_object_into_a_kms_default_bucket(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    post = s3.generate_presigned_post(bucket, "posted", ExpiresIn=600)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("f.txt", b"from a form")}, timeout=30)
    assert r.status_code == 204, r.text
    assert (r.headers["x-amz-server-side-encryption"], r.headers["x-amz-server-side-encryption-aws-kms-key-id"]) == ("aws:kms", key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="posted")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    assert s3.get_object(Bucket=bucket, Key="posted")["Body"].read() == b"from a form"


def test_unknown_default_key_is_accepted_and_fails_the_write(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    # AWS stores the KMSMasterKeyID as written; the key is checked when a write uses it.
    missing = str(uuid.uuid4())
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(missing))
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert _code(err) == ("KMS.NotFoundException", 400)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml",
        b"<ServerSideEncryptionConfiguration/>",
        b"<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>",
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm>"
        b"</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
        b"</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>maybe</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>",
        b"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
        b"</ApplyServerSideEncryptionByDefault></Rule><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
        b"</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>",
        b"<Tagging><TagSet/></Tagging>",
    ],
)
def test_malformed_configuration_is_malformed_xml_and_changes_nothing(server: ServerInfo, s3, bucket: str, key: dict[str, str], body: bytes) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    before = _config(s3, bucket)
    r = _raw_put(server, bucket, body)
    assert r.status == 400 and b"<Code>MalformedXML</Code>" in r.body, r.body
    assert _config(s3, bucket) == before


def test_unsupported_algorithm_from_boto3_is_malformed_xml(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as err:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "rot13"}}]})
    assert _code(err) == ("MalformedXML", 400)
    assert _config(s3, bucket) == SSE_S3_DEFAULT


def test_key_id_with_aes256_is_invalid_argument(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key["KeyId"]}}]}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=config)
    assert _code(err) == ("InvalidArgument", 400)
    assert _config(s3, bucket) == SSE_S3_DEFAULT


def test_another_account_is_access_denied(s3, s3_alt, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_kms_default(key["KeyId"]))
    for call in (
        lambda: s3_alt.get_bucket_encryption(Bucket=bucket),
        lambda: s3_alt.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=SSE_S3_DEFAULT),
        lambda: s3_alt.delete_bucket_encryption(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _code(err) == ("AccessDenied", 403)
    assert _config(s3, bucket)["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["KeyId"]  # type: ignore[index]


def test_missing_bucket_is_no_such_bucket(s3) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as err:
        s3.get_bucket_encryption(Bucket=f"test-{uuid.uuid4().hex[:20]}")
    assert _code(err) == ("NoSuchBucket", 404)
