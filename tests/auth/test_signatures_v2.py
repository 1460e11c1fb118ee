"""SigV2 (legacy): accepted only with allow_sigv2, on a second server of this module; refused otherwise."""

from __future__ import annotations

import base64
import hashlib
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from urllib.error import HTTPError

import boto3
import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, start_server, stop_server
from rawclient import RawResponse, send


def _v2_client(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET):  # type: ignore[no-untyped-def]
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3", retries={"max_attempts": 1})
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1", config=cfg)


@pytest.fixture(scope="module")
def v2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """A server with STRONGROOM_ALLOW_SIGV2=true and its own data dir (account "main" from the env)."""
    root = tmp_path_factory.mktemp("sigv2")
    info = start_server(root / "data", {"STRONGROOM_ALLOW_SIGV2": "true"})
    yield info
    stop_server(info)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def v2(v2_server: ServerInfo):  # type: ignore[no-untyped-def]
    """boto3 client signing with SigV2 (signature_version="s3")."""
    return _v2_client(v2_server.endpoint)


@pytest.fixture
def v2_bucket(v2) -> str:  # type: ignore[no-untyped-def]
    name = f"sigv2-{uuid.uuid4().hex[:20]}"
    v2.create_bucket(Bucket=name)
    return name


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _signed_v2(endpoint: str, method: str, path: str, headers: dict[str, str], *, secret: str = MAIN_SECRET, body: bytes = b"", auth_path: str | None = None) -> RawResponse:
    """Sign with botocore's own HmacV1Auth, then send exactly those headers."""
    request = AWSRequest(method=method, url=endpoint + path, headers=dict(headers), data=body)
    request.auth_path = auth_path
    HmacV1Auth(Credentials(MAIN_KEY, secret)).add_auth(request)
    return send(endpoint, method, path.split("?")[0], dict(request.headers.items()), body, query=path.partition("?")[2])


def test_put_get_list_delete_with_sigv2(v2, v2_bucket: str) -> None:
    v2.put_object(Bucket=v2_bucket, Key="dir/a b+c.txt", Body=b"legacy bytes", Metadata={"note": "v2"})
    got = v2.get_object(Bucket=v2_bucket, Key="dir/a b+c.txt")
    assert got["Body"].read() == b"legacy bytes" and got["Metadata"] == {"note": "v2"}
    listed = v2.list_objects_v2(Bucket=v2_bucket, Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/a b+c.txt"]
    v2.delete_object(Bucket=v2_bucket, Key="dir/a b+c.txt")
    assert v2.list_objects_v2(Bucket=v2_bucket).get("KeyCount") == 0
    v2.delete_bucket(Bucket=v2_bucket)
    assert v2_bucket not in [b["Name"] for b in v2.list_buckets()["Buckets"]]


def test_sigv2_subresources_are_signed(v2, v2_bucket: str) -> None:
    v2.put_object(Bucket=v2_bucket, Key="k", Body=b"x")
    v2.put_object_tagging(Bucket=v2_bucket, Key="k", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]})
    assert v2.get_object_tagging(Bucket=v2_bucket, Key="k")["TagSet"] == [{"Key": "t", "Value": "v"}]
    got = v2.get_object(Bucket=v2_bucket, Key="k", ResponseContentDisposition='attachment; filename="a b"')
    assert got["ContentDisposition"] == 'attachment; filename="a b"'
    upload = v2.create_multipart_upload(Bucket=v2_bucket, Key="mp")
    part = v2.upload_part(Bucket=v2_bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"part")
    v2.complete_multipart_upload(Bucket=v2_bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert v2.get_object(Bucket=v2_bucket, Key="mp")["Body"].read() == b"part"


def test_presigned_v2_get_and_put(v2_server: ServerInfo, v2, v2_bucket: str) -> None:
    put_url = v2.generate_presigned_url("put_object", Params={"Bucket": v2_bucket, "Key": "p q"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in put_url and "Signature=" in put_url
    # Sent with no Content-Type (urllib would add one the URL did not sign).
    path, _, query = put_url.removeprefix(v2_server.endpoint).partition("?")
    assert send(v2_server.endpoint, "PUT", path, {"Content-Length": "10"}, b"via v2 url", query=query).status == 200
    get_url = v2.generate_presigned_url("get_object", Params={"Bucket": v2_bucket, "Key": "p q"}, ExpiresIn=60)
    assert urllib.request.urlopen(get_url).read() == b"via v2 url"


def test_tampered_presigned_v2_url_is_signature_mismatch(v2, v2_bucket: str) -> None:
    v2.put_object(Bucket=v2_bucket, Key="k", Body=b"x")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": v2_bucket, "Key": "k"}, ExpiresIn=60)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(url.replace("/k?", "/other?"))
    assert err.value.code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in err.value.read()


def test_expired_presigned_v2_url_is_access_denied(v2_server: ServerInfo, v2, v2_bucket: str) -> None:
    v2.put_object(Bucket=v2_bucket, Key="k", Body=b"x")
    request = AWSRequest(method="GET", url=f"{v2_server.endpoint}/{v2_bucket}/k")
    request.auth_path = None
    HmacV1QueryAuth(Credentials(MAIN_KEY, MAIN_SECRET), expires=-60).add_auth(request)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(request.url)
    body = err.value.read()
    assert err.value.code == 403 and b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_wrong_secret_is_signature_does_not_match(v2_server: ServerInfo, v2_bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        _v2_client(v2_server.endpoint, MAIN_KEY, "wrong-secret").put_object(Bucket=v2_bucket, Key="k", Body=b"x")
    assert _code(err) == ("SignatureDoesNotMatch", 403)
    assert "Contents" not in _v2_client(v2_server.endpoint).list_objects_v2(Bucket=v2_bucket)


def test_unknown_access_key_is_invalid_access_key_id(v2_server: ServerInfo) -> None:
    with pytest.raises(ClientError) as err:
        _v2_client(v2_server.endpoint, "AKIAUNKNOWN000000000", "whatever").list_buckets()
    assert _code(err) == ("InvalidAccessKeyId", 403)


def test_malformed_v2_authorization_is_invalid_argument(v2_server: ServerInfo) -> None:
    r = send(v2_server.endpoint, "GET", "/", {"Authorization": "AWS HAHAHA", "Date": formatdate(usegmt=True)})
    assert r.status == 400 and b"<Code>InvalidArgument</Code>" in r.body


@pytest.mark.parametrize(("date", "code"), [("Bad Date", "AccessDenied"), ("", "AccessDenied"), ("Tue, 07 Jul 1950 21:53:04 GMT", "AccessDenied"), ("Tue, 07 Jul 2010 21:53:04 GMT", "RequestTimeTooSkewed"), ("Tue, 07 Jul 9999 21:53:04 GMT", "RequestTimeTooSkewed")])
def test_bad_or_skewed_x_amz_date_is_refused(v2_server: ServerInfo, v2_bucket: str, date: str, code: str) -> None:
    r = _signed_v2(v2_server.endpoint, "PUT", f"/{v2_bucket}/d", {"x-amz-date": date, "Content-Length": "1"}, body=b"d")
    assert r.status == 403 and f"<Code>{code}</Code>".encode() in r.body
    assert "Contents" not in _v2_client(v2_server.endpoint).list_objects_v2(Bucket=v2_bucket)


def test_valid_x_amz_date_replaces_date(v2_server: ServerInfo, v2, v2_bucket: str) -> None:
    r = _signed_v2(v2_server.endpoint, "PUT", f"/{v2_bucket}/d", {"x-amz-date": formatdate(usegmt=True), "Content-Length": "1"}, body=b"d")
    assert r.status == 200, r.body
    assert v2.get_object(Bucket=v2_bucket, Key="d")["Body"].read() == b"d"


def test_wrong_content_md5_is_bad_digest_and_stores_nothing(v2_server: ServerInfo, v2, v2_bucket: str) -> None:
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    r = _signed_v2(v2_server.endpoint, "PUT", f"/{v2_bucket}/m", {"Content-MD5": wrong, "Content-Length": "4"}, body=b"body")
    assert r.status == 400 and b"<Code>BadDigest</Code>" in r.body
    assert "Contents" not in v2.list_objects_v2(Bucket=v2_bucket)


def test_virtual_host_request_signs_the_bucket_in_the_resource(v2_server: ServerInfo, v2, v2_bucket: str) -> None:
    v2.put_object(Bucket=v2_bucket, Key="vh key", Body=b"virtual")
    host = f"{v2_bucket}.localhost:{v2_server.port}"
    r = _signed_v2(v2_server.endpoint, "GET", "/vh%20key", {"Host": host}, auth_path=f"/{v2_bucket}/vh%20key")
    assert r.status == 200 and r.body == b"virtual"
    r = _signed_v2(v2_server.endpoint, "GET", "/vh%20key", {"Host": host}, auth_path="/vh%20key")
    assert r.status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.body


def test_sigv2_query_is_refused_when_sigv2_is_off(server: ServerInfo) -> None:
    request = AWSRequest(method="GET", url=f"{server.endpoint}/")
    request.auth_path = None
    HmacV1QueryAuth(Credentials(MAIN_KEY, MAIN_SECRET), expires=60).add_auth(request)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(request.url)
    assert err.value.code == 400 and b"<Code>InvalidRequest</Code>" in err.value.read()


def test_sigv2_header_is_refused_when_sigv2_is_off(server: ServerInfo) -> None:
    with pytest.raises(ClientError) as err:
        _v2_client(server.endpoint).list_buckets()
    assert _code(err) == ("InvalidRequest", 400)


def test_data_dir_is_the_modules_own(v2_server: ServerInfo, server: ServerInfo) -> None:
    assert Path(v2_server.data_dir) != Path(server.data_dir)
