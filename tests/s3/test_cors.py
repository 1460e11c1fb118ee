"""Bucket CORS through boto3 and plain HTTP: Put/Get/DeleteBucketCors with AWS's validation and IAM
actions, preflight OPTIONS answered from the rules, and CORS headers on actual responses (presigned
GET/PUT, errors included), as "How Amazon S3 evaluates the CORS configuration on a bucket" describes."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client
from rawclient import signed_request

from strongroom.service.cors import CORS_MAX_RULES

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
                "access-control-expose-headers", "access-control-max-age", "access-control-allow-credentials")

WEB_RULES = [
    {"ID": "uploads", "AllowedOrigins": ["https://app.example"], "AllowedMethods": ["PUT", "POST"],
     "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*suffix"], "AllowedMethods": ["GET"]},
    {"AllowedOrigins": ["start*end"], "AllowedMethods": ["GET", "HEAD"]},
    {"AllowedOrigins": ["prefix*"], "AllowedMethods": ["GET"]},
    {"AllowedOrigins": ["*.put"], "AllowedMethods": ["PUT"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["DELETE"], "AllowedHeaders": ["*"]},
]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _cors(response: requests.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in CORS_HEADERS if name in response.headers}


@pytest.fixture
def web_bucket(s3, bucket: str) -> str:  # type: ignore[no-untyped-def]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": WEB_RULES})
    s3.put_object(Bucket=bucket, Key="page.txt", Body=b"hello")
    return bucket


# -- Put / Get / Delete -------------------------------------------------------------------------------


def test_cors_configuration_round_trips_and_delete_removes_it(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert _code(exc) == ("NoSuchCORSConfiguration", 404)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": WEB_RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == WEB_RULES
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": WEB_RULES[1:2]})  # a put replaces
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == WEB_RULES[1:2]
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert _code(exc) == ("NoSuchCORSConfiguration", 404)
    s3.delete_bucket_cors(Bucket=bucket)  # deleting nothing is fine


def test_cors_on_a_missing_bucket_is_no_such_bucket(s3) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket="no-such-bucket-for-cors")
    assert _code(exc) == ("NoSuchBucket", 404)


@pytest.mark.parametrize(("rule", "message"), [
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"),
    ({"AllowedOrigins": ["https://*.*.example"], "AllowedMethods": ["GET"]}, 'AllowedOrigin "https://*.*.example" can not have more than one wildcard.'),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["x-*-*"]}, 'AllowedHeader "x-*-*" can not have more than one wildcard.'),
])
def test_invalid_rules_are_invalid_request_and_change_nothing(s3, bucket: str, rule: dict[str, object], message: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": WEB_RULES[1:2]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert _code(exc) == ("InvalidRequest", 400)
    assert exc.value.response["Error"]["Message"] == message
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == WEB_RULES[1:2]


def test_more_than_100_rules_are_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    rule = {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule] * CORS_MAX_RULES})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule] * (CORS_MAX_RULES + 1)})
    assert _code(exc) == ("InvalidRequest", 400)
    assert len(s3.get_bucket_cors(Bucket=bucket)["CORSRules"]) == CORS_MAX_RULES


def _put_raw(server: ServerInfo, bucket: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    response = signed_request(server.endpoint, "PUT", f"/{bucket}", MAIN_KEY, MAIN_SECRET, body, headers, query="cors=")
    return response.status, response.body


def _md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def test_malformed_xml_and_digests_are_checked(server: ServerInfo, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    good = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
    for body in (b"<CORSConfiguration><CORSRule>", b"<CORSConfiguration/>", b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>"):
        status, answer = _put_raw(server, bucket, body, {"Content-MD5": _md5(body)})
        assert (status, b"<Code>MalformedXML</Code>" in answer) == (400, True)
    status, answer = _put_raw(server, bucket, good)  # PutBucketCors requires a body digest
    assert (status, b"<Code>InvalidRequest</Code>" in answer) == (400, True)
    status, answer = _put_raw(server, bucket, good, {"Content-MD5": _md5(b"other")})
    assert (status, b"<Code>BadDigest</Code>" in answer) == (400, True)
    with pytest.raises(ClientError):
        s3.get_bucket_cors(Bucket=bucket)
    assert _put_raw(server, bucket, good, {"Content-MD5": _md5(good)})[0] == 200
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]


def test_cors_actions_are_authorised_as_s3_put_and_get_bucket_cors(server: ServerInfo, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    alt = make_client(server.endpoint, ALT_KEY, ALT_SECRET)
    alt_account = make_kms_client(server.endpoint, ALT_KEY, ALT_SECRET).create_key(Description="probe")["KeyMetadata"]["AWSAccountId"]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": WEB_RULES[1:2]})
    new_rules = {"CORSRules": WEB_RULES[:1]}
    with pytest.raises(ClientError) as exc:
        alt.get_bucket_cors(Bucket=bucket)
    assert _code(exc) == ("AccessDenied", 403)
    arn = f"arn:aws:s3:::{bucket}"
    _policy(s3, bucket, [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{alt_account}:root"}, "Action": "s3:GetBucketCORS", "Resource": arn},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketCORS", "Resource": arn},
    ])
    assert alt.get_bucket_cors(Bucket=bucket)["CORSRules"] == WEB_RULES[1:2]  # s3:GetBucketCORS, granted by name
    for client in (s3, alt):
        for call in (lambda c=client: c.delete_bucket_cors(Bucket=bucket),  # DeleteBucketCors is s3:PutBucketCORS too
                     lambda c=client: c.put_bucket_cors(Bucket=bucket, CORSConfiguration=new_rules)):
            with pytest.raises(ClientError) as exc:
                call()
            assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == WEB_RULES[1:2]
    s3.delete_bucket_policy(Bucket=bucket)
    s3.delete_bucket_cors(Bucket=bucket)


def _policy(s3, bucket: str, statements: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


# -- preflight ----------------------------------------------------------------------------------------


def _preflight(server: ServerInfo, path: str, origin: str | None, method: str | None, headers: str | None = None) -> requests.Response:
    sent = {k: v for k, v in (("Origin", origin), ("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", headers)) if v is not None}
    return requests.options(server.endpoint + path, headers=sent, timeout=30)


@pytest.mark.parametrize(("origin", "method", "headers", "allowed"), [
    ("foo.suffix", "GET", None, "foo.suffix"),
    ("foo.suffix.get", "GET", None, None),
    ("foo.suffix", "PUT", None, None),
    ("startend", "HEAD", None, "startend"),
    ("start12end", "GET", None, "start12end"),
    ("0start12end", "GET", None, None),
    ("prefix", "GET", None, "prefix"),
    ("prefix.suffix", "GET", None, "prefix.suffix"),  # rule 2 (*suffix) wins over rule 4: the first that matches
    ("bla.prefix", "GET", None, None),
    ("foo.put", "PUT", None, "foo.put"),
    ("foo.put", "GET", None, None),
    ("foo.suffix", "GET", "x-amz-date", None),  # a rule without AllowedHeader allows no requested header
    ("https://app.example", "PUT", "Content-Type, X-Amz-Meta-Colour", "https://app.example"),
    ("https://app.example", "PUT", "content-type, authorization", None),
    ("https://app.example", "GET", None, None),
    ("https://anyone.example", "DELETE", "authorization, x-custom", "*"),
    ("https://anyone.example", "PATCH", None, None),
])
def test_preflight_is_answered_by_the_first_matching_rule(server: ServerInfo, web_bucket: str, origin: str, method: str, headers: str | None, allowed: str | None) -> None:
    response = _preflight(server, f"/{web_bucket}/page.txt", origin, method, headers)
    if allowed is None:
        assert response.status_code == 403
        assert b"<Code>AccessForbidden</Code>" in response.content and b"CORSResponse: This CORS request is not allowed." in response.content
        assert _cors(response) == {}
        return
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == allowed
    assert method in response.headers["access-control-allow-methods"].split(", ")
    assert response.headers["vary"] == VARY
    assert ("access-control-allow-credentials" in response.headers) is (allowed != "*")
    if headers:
        assert response.headers["access-control-allow-headers"] == headers


def test_a_preflight_carries_the_rules_exposed_headers_and_max_age(server: ServerInfo, web_bucket: str) -> None:
    response = _preflight(server, f"/{web_bucket}", "https://app.example", "POST", "content-type")
    assert response.status_code == 200
    assert _cors(response) == {
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-methods": "PUT, POST",
        "access-control-allow-headers": "content-type",
        "access-control-expose-headers": "ETag, x-amz-request-id",
        "access-control-max-age": "600",
        "access-control-allow-credentials": "true",
    }
    assert response.content == b""


def test_preflights_need_origin_and_method_and_a_configuration(server: ServerInfo, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    assert _preflight(server, f"/{bucket}", None, None).status_code == 400
    assert _preflight(server, f"/{bucket}", "https://a.example", None).status_code == 400
    refused = _preflight(server, f"/{bucket}/k", "https://a.example", "GET")
    assert refused.status_code == 403 and b"<Code>AccessForbidden</Code>" in refused.content
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
    assert _preflight(server, f"/{bucket}/k", "https://a.example", "GET").status_code == 200
    s3.delete_bucket_cors(Bucket=bucket)
    assert _preflight(server, f"/{bucket}/k", "https://a.example", "GET").status_code == 403
    assert _preflight(server, "/no-such-bucket-for-cors/k", "https://a.example", "GET").status_code == 404


@pytest.mark.parametrize("method", ["get_object", "put_object"])
def test_a_preflight_to_a_presigned_url_is_answered_unsigned(server: ServerInfo, s3, bucket: str, method: str) -> None:  # type: ignore[no-untyped-def]
    http_method = "GET" if method == "get_object" else "PUT"
    url = s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=600)
    assert requests.options(url, timeout=30).status_code == 400
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["example"], "AllowedMethods": [http_method]}]})
    response = requests.options(url, headers={"Origin": "example", "Access-Control-Request-Method": http_method}, timeout=30)
    assert response.status_code == 200
    assert (response.headers["access-control-allow-origin"], response.headers["access-control-allow-methods"]) == ("example", http_method)


# -- actual requests ----------------------------------------------------------------------------------


def test_a_presigned_get_from_an_allowed_origin_carries_cors_headers(s3, web_bucket: str) -> None:  # type: ignore[no-untyped-def]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": web_bucket, "Key": "page.txt"}, ExpiresIn=600)
    response = requests.get(url, headers={"Origin": "foo.suffix"}, timeout=30)
    assert (response.status_code, response.content) == (200, b"hello")
    assert _cors(response) == {"access-control-allow-origin": "foo.suffix", "access-control-allow-methods": "GET",
                               "access-control-allow-credentials": "true"}
    assert response.headers["vary"] == VARY
    assert _cors(requests.get(url, headers={"Origin": "foo.bar"}, timeout=30)) == {}  # no rule for that origin
    plain = requests.get(url, timeout=30)
    assert _cors(plain) == {} and "vary" not in plain.headers  # no Origin, no CORS


def test_a_presigned_put_from_an_allowed_origin_stores_and_exposes_headers(s3, web_bucket: str) -> None:  # type: ignore[no-untyped-def]
    url = s3.generate_presigned_url("put_object", Params={"Bucket": web_bucket, "Key": "upload.bin"}, ExpiresIn=600)
    response = requests.put(url, data=b"from the browser", headers={"Origin": "https://app.example"}, timeout=30)
    assert response.status_code == 200
    assert _cors(response) == {
        "access-control-allow-origin": "https://app.example", "access-control-allow-methods": "PUT, POST",
        "access-control-expose-headers": "ETag, x-amz-request-id", "access-control-max-age": "600",
        "access-control-allow-credentials": "true",
    }
    assert s3.get_object(Bucket=web_bucket, Key="upload.bin")["Body"].read() == b"from the browser"


def test_error_responses_carry_cors_headers_too(s3, web_bucket: str, server: ServerInfo) -> None:  # type: ignore[no-untyped-def]
    missing = s3.generate_presigned_url("get_object", Params={"Bucket": web_bucket, "Key": "missing"}, ExpiresIn=600)
    response = requests.get(missing, headers={"Origin": "foo.suffix"}, timeout=30)
    assert response.status_code == 404 and b"<Code>NoSuchKey</Code>" in response.content
    assert (response.headers["access-control-allow-origin"], response.headers["access-control-allow-methods"]) == ("foo.suffix", "GET")
    anonymous = requests.put(f"{server.endpoint}/{web_bucket}/anon", data=b"", headers={"Origin": "foo.put"}, timeout=30)
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content
    assert (anonymous.headers["access-control-allow-origin"], anonymous.headers["access-control-allow-methods"]) == ("foo.put", "PUT")
    refused = requests.put(f"{server.endpoint}/{web_bucket}/anon", data=b"", headers={"Origin": "foo.suffix"}, timeout=30)
    assert refused.status_code == 403 and _cors(refused) == {}  # foo.suffix may only GET


def test_a_request_naming_access_control_request_method_is_matched_on_it(server: ServerInfo, web_bucket: str) -> None:
    # Ceph's s3-tests expect this of an actual request (browsers never send the header outside a preflight).
    url = f"{server.endpoint}/{web_bucket}/anon"
    as_get = requests.put(url, data=b"", headers={"Origin": "foo.suffix", "Access-Control-Request-Method": "GET"}, timeout=30)
    assert as_get.status_code == 403 and as_get.headers["access-control-allow-origin"] == "foo.suffix"
    as_put = requests.put(url, data=b"", headers={"Origin": "foo.suffix", "Access-Control-Request-Method": "PUT"}, timeout=30)
    assert as_put.status_code == 403 and _cors(as_put) == {}


def test_head_and_wildcard_rules_answer_star(s3, web_bucket: str) -> None:  # type: ignore[no-untyped-def]
    head = s3.generate_presigned_url("head_object", Params={"Bucket": web_bucket, "Key": "page.txt"}, ExpiresIn=600)
    response = requests.head(head, headers={"Origin": "start-middle-end"}, timeout=30)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "start-middle-end"
    delete = s3.generate_presigned_url("delete_object", Params={"Bucket": web_bucket, "Key": "page.txt"}, ExpiresIn=600)
    response = requests.delete(delete, headers={"Origin": "https://anyone.example"}, timeout=30)
    assert response.status_code == 204
    assert _cors(response) == {"access-control-allow-origin": "*", "access-control-allow-methods": "DELETE"}


def test_a_new_configuration_applies_to_the_next_request(s3, web_bucket: str) -> None:  # type: ignore[no-untyped-def]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": web_bucket, "Key": "page.txt"}, ExpiresIn=600)
    assert "access-control-allow-origin" in requests.get(url, headers={"Origin": "foo.suffix"}, timeout=30).headers
    s3.delete_bucket_cors(Bucket=web_bucket)
    assert _cors(requests.get(url, headers={"Origin": "foo.suffix"}, timeout=30)) == {}


def test_a_browser_form_post_gets_cors_headers_on_success_and_refusal(s3, web_bucket: str) -> None:  # type: ignore[no-untyped-def]
    post = s3.generate_presigned_post(web_bucket, "form.txt", ExpiresIn=600)
    files = [*((k, (None, v)) for k, v in post["fields"].items()), ("file", ("form.txt", b"posted"))]
    stored = requests.post(post["url"], files=files, headers={"Origin": "https://app.example"}, timeout=30)
    assert stored.status_code == 204
    assert (stored.headers["access-control-allow-origin"], stored.headers["access-control-expose-headers"]) == (
        "https://app.example", "ETag, x-amz-request-id")
    assert s3.get_object(Bucket=web_bucket, Key="form.txt")["Body"].read() == b"posted"
    tampered = [(k, (None, v + "x" if k == "x-amz-signature" else v)) for k, v in post["fields"].items()]
    refused = requests.post(post["url"], files=[*tampered, ("file", ("f", b"x"))], headers={"Origin": "https://app.example"}, timeout=30)
    assert refused.status_code == 403 and refused.headers["access-control-allow-origin"] == "https://app.example"
