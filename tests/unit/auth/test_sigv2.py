"""SigV2 for S3: the AWS documented example, botocore cross-checks (header and query form), and malformed input."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

from strongroom.auth.sigv2 import (
    canonical_resource,
    compute_signature,
    is_presigned_query,
    parse_authorization_header,
    parse_presigned_query,
    parse_request_date,
    signatures_equal,
    string_to_sign,
    strings_to_sign,
)
from strongroom.errors import S3Error

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# Secrets with what SigV2 clients have tripped over: '+', '/', '=', non-ASCII.
AWKWARD_SECRETS = [SECRET, "a+b/c=d==", "sécret-ünïcode-ключ", " spaced secret "]


def _raw_headers(headers: dict[str, str] | list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k.lower().encode("latin-1"), v.encode("utf-8")) for k, v in items]


def _split(url: str) -> tuple[bytes, bytes]:
    parts = urlsplit(url)
    return (parts.path or "/").encode("ascii"), parts.query.encode("ascii")


def test_aws_documented_get_object_example() -> None:
    # "Signing and authenticating REST requests", example Object GET (virtual-host style).
    headers = {"Host": "awsexamplebucket1.us-west-1.s3.amazonaws.com", "Date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    sts = string_to_sign("GET", b"/photos/puppy.jpg", b"", _raw_headers(headers), virtual_host_bucket="awsexamplebucket1")
    assert sts == "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"
    assert compute_signature(SECRET, sts) == "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="


def test_aws_documented_put_with_amz_headers_and_date_example() -> None:
    # The "Upload" example: x-amz-date given, so the Date line is empty.
    headers = [
        ("Content-Type", "image/jpeg"),
        ("x-amz-date", "Tue, 27 Mar 2007 21:15:45 +0000"),
        ("X-Amz-Meta-ReviewedBy", "joe@example.com"),
        ("X-Amz-Meta-ReviewedBy", " jane@example.com "),
        ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
    ]
    sts = string_to_sign("PUT", b"/db-backup.dat.gz", b"", _raw_headers(headers), virtual_host_bucket="static.example.com")
    assert sts == (
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\nimage/jpeg\n\n"
        "x-amz-date:Tue, 27 Mar 2007 21:15:45 +0000\n"
        "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n"
        "/static.example.com/db-backup.dat.gz"
    )


def _botocore_header_signature(secret: str, method: str, url: str, headers: dict[str, str], auth_path: str | None = None) -> tuple[str, dict[str, str]]:
    request = AWSRequest(method=method, url=url, headers=dict(headers))
    request.auth_path = auth_path
    HmacV1Auth(Credentials(ACCESS_KEY, secret)).add_auth(request)
    sent = dict(request.headers.items())
    value = sent["Authorization"]
    assert value.startswith(f"AWS {ACCESS_KEY}:")
    return value.split(":", 1)[1], sent


BOTOCORE_CASES = [
    ("GET", "http://h/bucket/plain", {}),
    ("PUT", "http://h/bucket/a%20b/c%2Bd%3F%25", {"Content-Type": "text/plain; charset=utf-8", "Content-MD5": "XUFAKrxLKna5cZ2REBfFkg=="}),
    ("GET", "http://h/bucket/k?acl", {}),
    ("PUT", "http://h/bucket/k?partNumber=3&uploadId=abc%2Fdef%3D%3D", {"x-amz-meta-Zed": "  last ", "X-Amz-Meta-alpha": "first"}),
    ("GET", "http://h/bucket/k?versionId=v%2B1&response-content-disposition=attachment%3B%20filename%3D%22a%20b%22&response-content-type=a%2Fb", {}),
    ("GET", "http://h/bucket?versions&prefix=p%2F&max-keys=5&list-type=2", {}),
    ("POST", "http://h/bucket?delete", {"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-amz-acl": "private"}),
    ("GET", "http://h/bucket?tagging&uploads&cors&lifecycle&location&logging&notification&policy&website&versioning&requestPayment&torrent", {}),
    ("DELETE", "http://h/bucket/%E2%9C%93%20key?uploadId=u", {"x-amz-security-token": "tok/en+=="}),
    ("GET", "http://h/", {}),
]


@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
@pytest.mark.parametrize(("method", "url", "headers"), BOTOCORE_CASES)
def test_header_signature_matches_botocore_hmacv1(secret: str, method: str, url: str, headers: dict[str, str]) -> None:
    claimed, sent = _botocore_header_signature(secret, method, url, headers)
    raw_path, raw_query = _split(url)
    sts = string_to_sign(method, raw_path, raw_query, _raw_headers(sent), virtual_host_bucket=None)
    assert signatures_equal(compute_signature(secret, sts), claimed)
    assert parse_authorization_header(sent["Authorization"]).signature == claimed


def test_virtual_host_resource_includes_bucket_as_botocore_auth_path() -> None:
    url = "http://bucket.s3.example.com/some%20key?acl"
    claimed, sent = _botocore_header_signature(SECRET, "GET", url, {}, auth_path="/bucket/some%20key")
    raw_path, raw_query = _split(url)
    sts = string_to_sign("GET", raw_path, raw_query, _raw_headers(sent), virtual_host_bucket="bucket")
    assert sts.endswith("\n/bucket/some%20key?acl")
    assert signatures_equal(compute_signature(SECRET, sts), claimed)
    assert canonical_resource(b"/", b"", "bucket") == "/bucket/"


@pytest.mark.parametrize("secret", AWKWARD_SECRETS)
@pytest.mark.parametrize(("method", "url", "headers"), BOTOCORE_CASES)
def test_query_signature_matches_botocore_hmacv1_query(secret: str, method: str, url: str, headers: dict[str, str]) -> None:
    request = AWSRequest(method=method, url=url, headers=dict(headers))
    request.auth_path = None
    HmacV1QueryAuth(Credentials(ACCESS_KEY, secret), expires=600).add_auth(request)
    raw_path, raw_query = _split(request.url)
    query = parse_qsl(raw_query.decode("ascii"), keep_blank_values=True)
    assert is_presigned_query(query)
    auth = parse_presigned_query(query)
    assert auth.access_key == ACCESS_KEY and auth.presigned
    # The URL's user may send none of the headers: the query carries them.
    sts = string_to_sign(method, raw_path, raw_query, [], virtual_host_bucket=None, expires=auth.expires)
    assert signatures_equal(compute_signature(secret, sts), auth.signature)
    # ... or all of them, as they were signed.
    sts = string_to_sign(method, raw_path, raw_query, _raw_headers(headers), virtual_host_bucket=None, expires=auth.expires)
    assert signatures_equal(compute_signature(secret, sts), auth.signature)


def test_unsigned_query_parameters_are_not_in_the_resource() -> None:
    assert canonical_resource(b"/b", b"prefix=a&delimiter=%2F&marker=m&list-type=2", None) == "/b"
    assert canonical_resource(b"/b/k", b"uploadId=x&partNumber=2", None) == "/b/k?partNumber=2&uploadId=x"
    assert canonical_resource(b"/b", b"acl=", None) == "/b?acl="
    assert canonical_resource(b"", b"", None) == "/"


def test_changing_anything_signed_changes_the_signature() -> None:
    base = string_to_sign("PUT", b"/b/k", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket=None)
    variants = [
        string_to_sign("GET", b"/b/k", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/b/K", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/b/k", b"tagging", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/b/k", b"acl", _raw_headers({"Date": "e", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/b/k", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/c", "x-amz-acl": "private"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/b/k", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "public-read"}), virtual_host_bucket=None),
        string_to_sign("PUT", b"/k", b"acl", _raw_headers({"Date": "d", "Content-Type": "a/b", "x-amz-acl": "private"}), virtual_host_bucket="b2"),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


@pytest.mark.parametrize("value", ["AWS HAHAHA", "AWS :sig", "AWS AKID:", "AWS ", "AWS a b:c", "AWS " + "A" * 9000 + ":x"])
def test_malformed_authorization_header_is_invalid_argument(value: str) -> None:
    with pytest.raises(S3Error) as err:
        parse_authorization_header(value)
    assert (err.value.code, err.value.status) == ("InvalidArgument", 400)


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-amz-date": ""}, {"x-amz-date": "Bad Date"}, {"date": "Tue, 07 Jul 1950 21:53:04 GMT"}, {"x-amz-date": "Tue, 07 Jul 1950 21:53:04 GMT", "date": "Tue, 07 Jul 2020 21:53:04 GMT"}],
)
def test_missing_bad_or_pre_epoch_date_is_access_denied(headers: dict[str, str]) -> None:
    with pytest.raises(S3Error) as err:
        parse_request_date(headers)
    assert (err.value.code, err.value.status) == ("AccessDenied", 403)


def test_x_amz_date_wins_over_date() -> None:
    text, moment = parse_request_date({"date": "Tue, 07 Jul 2020 21:53:04 GMT", "x-amz-date": "Tue, 07 Jul 9999 21:53:04 GMT"})
    assert text.endswith("9999 21:53:04 GMT") and moment.year == 9999


@pytest.mark.parametrize(
    "query",
    [
        [("AWSAccessKeyId", "A"), ("Signature", "s")],
        [("AWSAccessKeyId", "A"), ("Expires", "100")],
        [("Signature", "s"), ("Expires", "100")],
        [("AWSAccessKeyId", ""), ("Signature", "s"), ("Expires", "100")],
        [("AWSAccessKeyId", "A"), ("Signature", "s"), ("Expires", "soon")],
        [("AWSAccessKeyId", "A"), ("Signature", "s"), ("Expires", "-5")],
    ],
)
def test_incomplete_or_bad_query_auth_is_access_denied(query: list[tuple[str, str]]) -> None:
    with pytest.raises(S3Error) as err:
        parse_presigned_query(query)
    assert (err.value.code, err.value.status) == ("AccessDenied", 403)


def test_signature_comparison_tolerates_non_ascii_claims() -> None:
    assert not signatures_equal("abc=", "ab\u00e9=")
    assert signatures_equal("abc=", "abc=")


def test_path_style_bucket_request_accepts_botocore_trailing_slash() -> None:
    # botocore sends "PUT /bucket" but signs the resource "/bucket/".
    claimed, sent = _botocore_header_signature(SECRET, "PUT", "http://h/bucket", {}, auth_path="/bucket/")
    candidates = strings_to_sign("PUT", b"/bucket", b"", _raw_headers(sent), virtual_host_bucket=None)
    assert candidates[0].endswith("\n/bucket") and candidates[1].endswith("\n/bucket/")
    assert any(signatures_equal(compute_signature(SECRET, c), claimed) for c in candidates)
    # Object paths and virtual-host requests have exactly one form.
    assert len(strings_to_sign("GET", b"/bucket/k", b"", [], virtual_host_bucket=None)) == 1
    assert len(strings_to_sign("GET", b"/", b"", [], virtual_host_bucket="bucket")) == 1


def test_botocore_signs_date_line_even_with_x_amz_date() -> None:
    headers = {"x-amz-date": "Tue, 27 Mar 2007 21:15:45 +0000"}
    claimed, sent = _botocore_header_signature(SECRET, "GET", "http://h/bucket/k", headers)
    candidates = strings_to_sign("GET", b"/bucket/k", b"", _raw_headers(sent), virtual_host_bucket=None)
    assert candidates[0].split("\n")[3] == ""  # the AWS page's form comes first
    assert not signatures_equal(compute_signature(SECRET, candidates[0]), claimed)
    assert signatures_equal(compute_signature(SECRET, candidates[1]), claimed)


def test_query_form_uses_expires_as_the_date_line() -> None:
    sts = string_to_sign("GET", b"/b/k", b"AWSAccessKeyId=A&Expires=1700000000&Signature=s", _raw_headers({"Date": "ignored", "x-amz-date": "x"}), virtual_host_bucket=None, expires="1700000000")
    assert sts == "GET\n\n\n1700000000\nx-amz-date:x\n/b/k"
