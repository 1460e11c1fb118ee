"""SSE-KMS with the built-in KMS, through boto3's s3 and kms clients on the server's endpoint: the key
(id, alias, ARN, or the account's aws/s3 key made on first use), the encryption context, the echoed
headers on every write and read, multipart, copy, key states, and nothing plaintext at rest."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client
from rawclient import signed_request

MARKER = b"STRONGROOM-SSE-KMS-MARKER-"


def _kms_client(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET):  # type: ignore[no-untyped-def]
    return make_kms_client(endpoint, key, secret)


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    """KMS client of the "main" account."""
    return _kms_client(server.endpoint)


@pytest.fixture
def key(kms) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A fresh KMS key's metadata, with an alias."""
    meta = kms.create_key(Description="sse-kms test")["KeyMetadata"]
    alias = f"alias/sse-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    return {"KeyId": meta["KeyId"], "Arn": meta["Arn"], "Alias": alias, "AliasArn": meta["Arn"].split(":key/")[0] + ":" + alias}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _context_header(context: dict[str, str]) -> str:
    return base64.b64encode(json.dumps(context).encode()).decode()


def _object_row(server: ServerInfo, bucket: str, key: str) -> tuple[str, str] | None:
    db = sqlite3.connect(server.data_dir / "meta.db")
    try:
        row = db.execute("select headers, extents from objects where bucket=? and key=? and is_latest", (bucket, key)).fetchone()
    finally:
        db.close()
    return None if row is None else (row[0], row[1])


@pytest.mark.parametrize("ref", ["KeyId", "Alias", "Arn", "AliasArn"])
def test_put_get_head_with_a_key_named_any_way_echo_the_key_arn(s3, bucket: str, key: dict[str, str], ref: str) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(3000)
    put = s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key[ref])
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == body
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])


def test_sse_s3_objects_still_say_aes256(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in head


def test_no_key_id_uses_the_accounts_aws_s3_key_made_on_first_use(server: ServerInfo, s3_alt) -> None:  # type: ignore[no-untyped-def]
    kms_alt = _kms_client(server.endpoint, ALT_KEY, ALT_SECRET)
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    s3_alt.create_bucket(Bucket=bucket)
    put = s3_alt.put_object(Bucket=bucket, Key="k", Body=b"default key", ServerSideEncryption="aws:kms")
    managed = kms_alt.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"] and managed["KeyState"] == "Enabled"
    again = s3_alt.put_object(Bucket=bucket, Key="k2", Body=b"again", ServerSideEncryption="aws:kms")
    assert again["SSEKMSKeyId"] == managed["Arn"]  # made once, then reused
    assert s3_alt.get_object(Bucket=bucket, Key="k")["Body"].read() == b"default key"


def test_encryption_context_is_echoed_and_bound(server: ServerInfo, s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context = _context_header({"project": "vault", "team": "blue"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"bound", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"], SSEKMSEncryptionContext=context)
    assert json.loads(base64.b64decode(put["SSEKMSEncryptionContext"])) == {"project": "vault", "team": "blue"}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"bound"
    row = _object_row(server, bucket, "k")
    assert row is not None
    headers = json.loads(row[0])
    headers["x-amz-server-side-encryption-context"] = _context_header({"project": "vault", "team": "red"})
    db = sqlite3.connect(server.data_dir / "meta.db")
    try:
        db.execute("update objects set headers=? where bucket=? and key=?", (json.dumps(headers), bucket, "k"))
        db.commit()
    finally:
        db.close()
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b'{"a": 1}').decode()])
def test_malformed_encryption_context_is_invalid_argument_and_stores_nothing(server: ServerInfo, s3, bucket: str, key, value: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"], SSEKMSEncryptionContext=value)
    assert _code(exc) == ("InvalidArgument", 400)
    assert _object_row(server, bucket, "k") is None


@pytest.mark.parametrize("ref", ["0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "alias/no-such-alias", "not-a-key"])
def test_unknown_key_is_kms_not_found_and_stores_nothing(server: ServerInfo, s3, bucket: str, ref: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=ref)
    assert _code(exc) == ("KMS.NotFoundException", 400)
    assert _object_row(server, bucket, "k") is None
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="m", ServerSideEncryption="aws:kms", SSEKMSKeyId=ref)
    assert _code(exc) == ("KMS.NotFoundException", 400)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_key_id_without_aws_kms_is_invalid_argument(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", SSEKMSKeyId=key["KeyId"])
    assert _code(exc) == ("InvalidArgument", 400)


def test_disabled_key_fails_the_read_until_enabled(s3, kms, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"locked", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert _code(exc) == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert _code(exc) == ("KMS.DisabledException", 400)
    with pytest.raises(ClientError) as exc:  # a copy reads the source through its key too
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"})
    assert _code(exc) == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"locked"


def test_range_get_of_a_kms_object(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    body = os.urandom(3 * (1 << 20) + 17)
    s3.put_object(Bucket=bucket, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=1048570-2097160")
    assert got["Body"].read() == body[1048570:2097161] and got["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="k", Range="bytes=-10")["Body"].read() == body[-10:]


def test_multipart_with_aws_kms_echoes_on_every_step_and_round_trips(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context = _context_header({"upload": "multi"})
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Alias"], SSEKMSEncryptionContext=context)
    assert (created["ServerSideEncryption"], created["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    parts_data = [os.urandom(5 << 20), os.urandom(1000)]
    parts = []
    for number, data in enumerate(parts_data, start=1):
        out = s3.upload_part(Bucket=bucket, Key="mp", UploadId=created["UploadId"], PartNumber=number, Body=data)
        assert (out["ServerSideEncryption"], out["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
        parts.append({"PartNumber": number, "ETag": out["ETag"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=created["UploadId"], MultipartUpload={"Parts": parts})
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == b"".join(parts_data) and got["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)["Body"].read() == parts_data[1]


def test_copy_between_sse_s3_and_sse_kms_and_back(s3, bucket: str, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="k", Body=b"moving", Metadata={"note": "kept"})
    source = {"Bucket": bucket, "Key": "k"}
    to_kms = s3.copy_object(Bucket=bucket, Key="k", CopySource=source, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert (to_kms["ServerSideEncryption"], to_kms["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["Metadata"]) == ("aws:kms", key["Arn"], {"note": "kept"})
    plain_copy = s3.copy_object(Bucket=bucket, Key="other", CopySource=source)  # the destination's default, not the source's
    assert plain_copy["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in plain_copy
    back = s3.copy_object(Bucket=bucket, Key="k", CopySource=source, ServerSideEncryption="AES256")
    assert back["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in back
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in head
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"moving"
    assert s3.get_object(Bucket=bucket, Key="other")["Body"].read() == b"moving"


def test_data_keys_are_wrapped_by_the_kms_key_and_nothing_is_plaintext_at_rest(server: ServerInfo, s3, bucket: str, key) -> None:  # type: ignore[no-untyped-def]
    secret = MARKER + os.urandom(8).hex().encode()
    s3.put_object(Bucket=bucket, Key="big", Body=(secret + b"|") * 50_000, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    s3.put_object(Bucket=bucket, Key="small", Body=secret, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    row = _object_row(server, bucket, "small")
    assert row is not None
    (extent,) = json.loads(row[1])
    assert (extent["kp"], extent["ki"]) == ("kms", key["Arn"])
    needle = secret[:24]
    for path in (p for p in server.data_dir.rglob("*") if p.is_file()):
        assert needle not in path.read_bytes(), f"plaintext found in {path}"


@pytest.mark.parametrize("header", ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"])
def test_reads_that_send_write_encryption_headers_are_400(server: ServerInfo, bucket: str, key: dict[str, str], header: str) -> None:
    """AWS: GET and HEAD take no x-amz-server-side-encryption headers (the object knows its sealing)."""
    put = signed_request(server.endpoint, "PUT", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, b"data",
                         {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": key["KeyId"]})
    assert put.status == 200
    value = "aws:kms" if header == "x-amz-server-side-encryption" else key["KeyId"]
    for method in ("GET", "HEAD"):
        response = signed_request(server.endpoint, method, f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, b"", {header: value})
        assert response.status == 400, method
        if method == "GET":
            assert b"<Code>InvalidArgument</Code>" in response.body
    assert signed_request(server.endpoint, "GET", f"/{bucket}/k", MAIN_KEY, MAIN_SECRET, b"").body == b"data"
