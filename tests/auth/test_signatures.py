"""SigV4: header auth, presigned URLs, clock skew, wrong keys, anonymous callers, other accounts."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.error import HTTPError

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, make_client
from rawclient import send, sign_headers


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_unknown_access_key_is_invalid_access_key_id(server) -> None:
    client = make_client(server.endpoint, "AKIAUNKNOWN000000000", "whatever")
    with pytest.raises(ClientError) as err:
        client.list_buckets()
    assert _code(err) == ("InvalidAccessKeyId", 403)


def test_wrong_secret_is_signature_does_not_match(server) -> None:
    client = make_client(server.endpoint, MAIN_KEY, "wrong-secret")
    with pytest.raises(ClientError) as err:
        client.list_buckets()
    assert _code(err) == ("SignatureDoesNotMatch", 403)


def test_anonymous_request_is_access_denied(server, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"private")
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(f"{server.endpoint}/{bucket}/k")
    assert err.value.code == 403
    assert b"<Code>AccessDenied</Code>" in err.value.read()


def test_other_account_cannot_read_or_write_my_bucket(s3, s3_alt, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    with pytest.raises(ClientError) as err:
        s3_alt.get_object(Bucket=bucket, Key="k")
    assert _code(err) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as err:
        s3_alt.put_object(Bucket=bucket, Key="k", Body=b"overwrite")
    assert _code(err) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret"


def test_request_signed_twenty_minutes_ago_is_request_time_too_skewed(server) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class _Old(S3SigV4Auth):
        def _modify_request_before_signing(self, request: AWSRequest) -> None:  # type: ignore[override]
            super()._modify_request_before_signing(request)
            request.headers.replace_header("X-Amz-Date", old)
            request.context["timestamp"] = old

    request = AWSRequest(method="GET", url=server.endpoint + "/", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    signer = _Old(Credentials(MAIN_KEY, "main-secret-key-for-tests-only-000000001"), "s3", "us-east-1")
    signer.add_auth(request)
    r = send(server.endpoint, "GET", "/", dict(request.headers.items()))
    assert r.status == 403 and b"<Code>RequestTimeTooSkewed</Code>" in r.body


def test_presigned_get_works_without_credentials(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a b/c+d", Body=b"shared")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a b/c+d"}, ExpiresIn=60)
    assert urllib.request.urlopen(url).read() == b"shared"


def test_presigned_put_uploads(s3, bucket: str) -> None:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=60)
    req = urllib.request.Request(url, data=b"via presign", method="PUT")
    assert urllib.request.urlopen(req).status == 200
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"via presign"


def test_expired_presigned_url_is_access_denied(server, s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1)
    import time

    time.sleep(2.1)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(url)
    assert err.value.code == 403
    body = err.value.read()
    assert b"<Code>AccessDenied</Code>" in body and b"expired" in body


def test_presigned_expiry_over_seven_days_is_access_denied(s3, bucket: str) -> None:
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(url)
    assert err.value.code == 403
    assert b"<Code>AccessDenied</Code>" in err.value.read()


def test_tampered_presigned_url_is_signature_mismatch(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(url.replace("/k?", "/other?"))
    assert err.value.code == 403
    assert b"SignatureDoesNotMatch" in err.value.read()


def test_sigv2_is_refused_with_invalid_request(server) -> None:
    r = send(server.endpoint, "GET", "/", {"Authorization": "AWS AKIA:abc", "Date": "Tue, 24 Nov 2026 00:00:00 GMT"})
    assert r.status == 400 and b"<Code>InvalidRequest</Code>" in r.body


def test_unsigned_payload_header_auth_is_accepted(server, s3, bucket: str) -> None:
    headers = sign_headers(server.endpoint, "PUT", f"/{bucket}/u", MAIN_KEY, "main-secret-key-for-tests-only-000000001", {"Content-Length": "3"}, "UNSIGNED-PAYLOAD")
    r = send(server.endpoint, "PUT", f"/{bucket}/u", headers, b"abc")
    assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key="u")["Body"].read() == b"abc"


def test_expect_100_continue_upload_works(server, s3, bucket: str) -> None:
    import http.client

    headers = sign_headers(server.endpoint, "PUT", f"/{bucket}/e", MAIN_KEY, "main-secret-key-for-tests-only-000000001", {"Content-Length": "5", "Expect": "100-continue"}, "UNSIGNED-PAYLOAD")
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    conn.request("PUT", f"/{bucket}/e", body=b"hello", headers=headers)
    assert conn.getresponse().status == 200
    conn.close()
    assert s3.get_object(Bucket=bucket, Key="e")["Body"].read() == b"hello"
