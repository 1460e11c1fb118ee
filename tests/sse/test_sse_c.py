"""SSE-C (customer-provided keys) through boto3 over HTTPS: the key on PUT, GET, HEAD, every multipart
part, UploadPartCopy and CopyObject (the source's key under x-amz-copy-source-...); wrong key 403, no key
400; range reads; the over-HTTP refusal; BlockedEncryptionTypes (SSE-C writes refused by default); and
the key itself never at rest (only a salted HMAC of it).

A module server serves HTTP and HTTPS side by side with SSE-C allowed on new buckets; the session's
``tls_server`` keeps the defaults (SSE-C writes blocked).
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, TLSServerInfo, running_tls_server

MIB = 1024 * 1024


@dataclass(frozen=True)
class SsecServer:
    server: ServerInfo
    https: object  # boto3 client over HTTPS
    http: object  # boto3 client over plain HTTP


def _client(endpoint: str, ca: Path | None = None):  # type: ignore[no-untyped-def]
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1})
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=MAIN_KEY, aws_secret_access_key=MAIN_SECRET,
        region_name="us-east-1", config=cfg, verify=str(ca) if ca is not None else None,
    )


@pytest.fixture(scope="module")
def ssec() -> Iterator[SsecServer]:
    """HTTP and HTTPS from one server with STRONGROOM_ALLOW_SSEC_ON_NEW_BUCKETS=true."""
    with running_tls_server({"STRONGROOM_ALLOW_SSEC_ON_NEW_BUCKETS": "true"}) as tls:
        yield SsecServer(tls.server, _client(tls.https_endpoint, tls.cert_dir / "ca.pem"), _client(tls.server.endpoint))


@pytest.fixture
def s3(ssec: SsecServer):  # type: ignore[no-untyped-def]
    return ssec.https


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"ssec-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def _key() -> bytes:
    return os.urandom(32)


def _ssec(key: bytes) -> dict[str, object]:
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def _copy_source_ssec(key: bytes) -> dict[str, object]:
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _echoes(response: dict[str, object], key: bytes) -> None:
    import hashlib

    assert response["SSECustomerAlgorithm"] == "AES256"
    assert response["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    assert "ServerSideEncryption" not in response


def test_put_get_head_round_trip_with_the_key(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key, body = _key(), os.urandom(5000)
    _echoes(s3.put_object(Bucket=bucket, Key="k", Body=body, **_ssec(key)), key)
    got = s3.get_object(Bucket=bucket, Key="k", **_ssec(key))
    assert got["Body"].read() == body
    _echoes(got, key)
    head = s3.head_object(Bucket=bucket, Key="k", **_ssec(key))
    _echoes(head, key)
    assert head["ContentLength"] == len(body)


def test_wrong_key_is_403_and_no_key_is_400(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = _key()
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **_ssec(key))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", **_ssec(_key()))
    assert _code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", **_ssec(_key()))
    assert _code(exc)[1] == 403
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert _code(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert _code(exc)[1] == 400


def test_key_sent_for_an_object_that_is_not_sse_c_is_400(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="plain", **_ssec(_key()))
    assert _code(exc) == ("InvalidRequest", 400)


def test_bad_key_headers_are_rejected(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(16))
    assert _code(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256", **_ssec(_key()))
    assert _code(exc) == ("InvalidArgument", 400)


def test_range_get(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key, body = _key(), os.urandom(3 * MIB + 123)
    s3.put_object(Bucket=bucket, Key="k", Body=body, **_ssec(key))
    got = s3.get_object(Bucket=bucket, Key="k", Range="bytes=1048570-2097160", **_ssec(key))
    assert got["Body"].read() == body[1048570:2097161]
    assert got["ContentRange"] == f"bytes 1048570-2097160/{len(body)}"


def test_multipart_with_the_key_on_every_part(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = _key()
    parts_data = [os.urandom(5 * MIB), os.urandom(1000)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **_ssec(key))
    _echoes(upload, key)
    uid = upload["UploadId"]
    with pytest.raises(ClientError) as exc:  # a part without the key
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=b"x")
    assert _code(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:  # a part with another key: the upload's parameters, repeated exactly
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=b"x", **_ssec(_key()))
    assert _code(exc) == ("InvalidRequest", 400)
    assert "did not match" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:  # UploadPartCopy likewise
        s3.put_object(Bucket=bucket, Key="plain", Body=b"p")
        s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, CopySource={"Bucket": bucket, "Key": "plain"}, **_ssec(_key()))
    assert _code(exc) == ("InvalidRequest", 400)
    parts = []
    for number, data in enumerate(parts_data, 1):
        part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=number, Body=data, **_ssec(key))
        _echoes(part, key)
        parts.append({"PartNumber": number, "ETag": part["ETag"]})
    with pytest.raises(ClientError) as exc:  # a key sent on completion must be the upload's
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": parts}, **_ssec_strings(_key()))
    assert _code(exc) == ("InvalidRequest", 400)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={"Parts": parts})
    raw = done["ResponseMetadata"]["HTTPHeaders"]  # boto3's CompleteMultipartUploadOutput has no SSE-C members
    assert raw["x-amz-server-side-encryption-customer-algorithm"] == "AES256" and "x-amz-server-side-encryption" not in raw
    whole = b"".join(parts_data)
    assert s3.get_object(Bucket=bucket, Key="mp", **_ssec(key))["Body"].read() == whole
    span = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MIB - 10}-{5 * MIB + 9}", **_ssec(key))["Body"].read()
    assert span == whole[5 * MIB - 10 : 5 * MIB + 10]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="mp", **_ssec(_key()))
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, **_ssec(key))["Body"].read() == parts_data[1]
    with pytest.raises(ClientError) as exc:  # a part the object lacks: InvalidPart, key or not
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=3)
    assert _code(exc) == ("InvalidPart", 400)


def test_upload_part_copy_from_an_sse_c_source_into_an_sse_c_upload(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    source_key, dest_key, body = _key(), _key(), os.urandom(6000)
    s3.put_object(Bucket=bucket, Key="src", Body=body, **_ssec(source_key))
    uid = s3.create_multipart_upload(Bucket=bucket, Key="dst", **_ssec(dest_key))["UploadId"]
    with pytest.raises(ClientError) as exc:  # the source's key is missing
        s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=uid, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"}, **_ssec(dest_key))
    assert _code(exc) == ("InvalidRequest", 400)
    part = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=uid, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"},
        **_ssec(dest_key), **_copy_source_ssec(source_key),
    )
    _echoes(part, dest_key)
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="dst", **_ssec(dest_key))["Body"].read() == body


def test_copy_sse_c_to_sse_s3_and_back(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key, body = _key(), os.urandom(4000)
    s3.put_object(Bucket=bucket, Key="c", Body=body, **_ssec(key))
    with pytest.raises(ClientError) as exc:  # the source's key is needed
        s3.copy_object(Bucket=bucket, Key="s3", CopySource={"Bucket": bucket, "Key": "c"})
    assert _code(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="s3", CopySource={"Bucket": bucket, "Key": "c"}, **_copy_source_ssec(_key()))
    assert _code(exc) == ("AccessDenied", 403)
    copied = s3.copy_object(Bucket=bucket, Key="s3", CopySource={"Bucket": bucket, "Key": "c"}, **_copy_source_ssec(key))
    assert copied["ServerSideEncryption"] == "AES256" and "SSECustomerAlgorithm" not in copied
    got = s3.get_object(Bucket=bucket, Key="s3")
    assert got["Body"].read() == body and got["ServerSideEncryption"] == "AES256"

    new_key = _key()
    back = s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "s3"}, **_ssec(new_key))
    _echoes(back, new_key)
    assert s3.get_object(Bucket=bucket, Key="c2", **_ssec(new_key))["Body"].read() == body
    # Re-keying in place: an SSE-C object copied onto itself under a new key.
    rekeyed = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "c"}, **_copy_source_ssec(key), **_ssec(new_key))
    _echoes(rekeyed, new_key)
    assert s3.get_object(Bucket=bucket, Key="c", **_ssec(new_key))["Body"].read() == body
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", **_ssec(key))
    assert _code(exc) == ("AccessDenied", 403)


def test_sse_c_over_plain_http_is_refused(ssec: SsecServer, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        ssec.http.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(_key()))  # type: ignore[attr-defined]
    assert _code(exc) == ("InvalidRequest", 400)
    assert "secure connection" in exc.value.response["Error"]["Message"]
    key = _key()
    ssec.https.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(key))  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as exc:
        ssec.http.get_object(Bucket=bucket, Key="k", **_ssec(key))  # type: ignore[attr-defined]
    assert _code(exc) == ("InvalidRequest", 400)


def test_sse_c_writes_are_blocked_by_default(tls_server: TLSServerInfo) -> None:
    s3 = _client(tls_server.https_endpoint, tls_server.ca_cert)
    bucket = f"ssec-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=bucket)
    for attempt in (
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(_key())),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", **_ssec(_key())),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "plain"}, **_ssec(_key()))
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"x"  # other writes and reads unaffected


def test_the_key_never_reaches_the_data_dir(ssec: SsecServer, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = _key()
    s3.put_object(Bucket=bucket, Key="k", Body=b"y" * 100, **_ssec(key))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", **_ssec(key))
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"z" * 100, **_ssec(key))
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="k", **_ssec(key))["Body"].read() == b"y" * 100
    needles = [key, base64.b64encode(key), base64.urlsafe_b64encode(key), key.hex().encode()]
    files = [p for p in ssec.server.data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"customer key found in {path}"


def _ssec_strings(key: bytes) -> dict[str, object]:
    """SSE-C parameters as strings (boto3 encodes the key itself only for some operations)."""
    import hashlib

    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": base64.b64encode(key).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode()}


def test_get_object_attributes_of_an_sse_c_object_needs_its_key(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = _key()
    s3.put_object(Bucket=bucket, Key="k", Body=b"z" * 1000, **_ssec(key))
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag", "ObjectSize"])
    assert _code(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"], **_ssec_strings(_key()))
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"], **_ssec_strings(key))["ObjectSize"] == 1000


def test_completing_an_sse_c_upload_with_a_checksum_needs_its_key(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = _key()
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256", **_ssec(key))["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=1, Body=b"p" * 100, ChecksumAlgorithm="SHA256", **_ssec(key))
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]}]}
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload=parts)
    assert _code(exc) == ("InvalidRequest", 400)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload=parts, **_ssec_strings(key))
    assert s3.get_object(Bucket=bucket, Key="mp", **_ssec(key))["Body"].read() == b"p" * 100
