"""Condition keys that need more than the request's own headers: s3:ExistingObjectTag/<k> (the tags of
the object acted on), s3:signatureAge (time since signing), and the client address and scheme that
trusted proxies report (X-Forwarded-For / X-Forwarded-Proto, believed only from ``trusted_proxies``)."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError
from clockcontrol import running_movable_server, set_offset
from conftest import (
    ALT_KEY,
    ALT_SECRET,
    ServerInfo,
    account_id_of,
    make_client,
    running_server,
)

PROXY, OTHER = "127.0.0.5", "127.0.0.6"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _put_policy(s3, bucket: str, *statements: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


@pytest.fixture(scope="module")
def alt_root(server: ServerInfo) -> str:
    """The alt account's root ARN."""
    return f"arn:aws:iam::{account_id_of(server.endpoint, ALT_KEY, ALT_SECRET)}:root"


# -- s3:ExistingObjectTag --------------------------------------------------------------------------


def test_existing_object_tag_decides_reads_and_tagging(s3, s3_alt, bucket: str, alt_root: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="open.txt", Body=b"open", Tagging="security=public")
    s3.put_object(Bucket=bucket, Key="closed.txt", Body=b"closed", Tagging="security=secret")
    s3.put_object(Bucket=bucket, Key="untagged.txt", Body=b"untagged")
    condition = {"StringEquals": {"s3:ExistingObjectTag/security": "public"}}
    _put_policy(s3, bucket, {
        "Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": ["s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
        "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition,
    })
    assert s3_alt.get_object(Bucket=bucket, Key="open.txt")["Body"].read() == b"open"
    assert s3_alt.get_object_tagging(Bucket=bucket, Key="open.txt")["TagSet"] == [{"Key": "security", "Value": "public"}]
    for key in ("closed.txt", "untagged.txt", "absent.txt"):
        with pytest.raises(ClientError) as exc:
            s3_alt.get_object(Bucket=bucket, Key=key)
        assert _code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3_alt.put_object_tagging(Bucket=bucket, Key="closed.txt", Tagging={"TagSet": [{"Key": "security", "Value": "public"}]})
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object_tagging(Bucket=bucket, Key="closed.txt")["TagSet"] == [{"Key": "security", "Value": "secret"}]
    # Retagging an allowed object away from "public" is allowed once, then the object is out of reach.
    s3_alt.put_object_tagging(Bucket=bucket, Key="open.txt", Tagging={"TagSet": [{"Key": "security", "Value": "secret"}]})
    with pytest.raises(ClientError) as exc:
        s3_alt.get_object(Bucket=bucket, Key="open.txt")
    assert _code(exc) == ("AccessDenied", 403)


def test_copy_source_is_judged_by_its_own_tags(s3, s3_alt, bucket: str, alt_root: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="src/public.txt", Body=b"p", Tagging="security=public")
    s3.put_object(Bucket=bucket, Key="src/secret.txt", Body=b"s", Tagging="security=secret")
    target = f"copy-{uuid.uuid4().hex[:20]}"
    s3_alt.create_bucket(Bucket=target)
    _put_policy(s3, bucket, {
        "Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/security": "public"}},
    })
    s3_alt.copy_object(Bucket=target, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "src/public.txt"})
    assert s3_alt.get_object(Bucket=target, Key="copy.txt")["Body"].read() == b"p"
    with pytest.raises(ClientError) as exc:
        s3_alt.copy_object(Bucket=target, Key="copy2.txt", CopySource={"Bucket": bucket, "Key": "src/secret.txt"})
    assert _code(exc) == ("AccessDenied", 403)


# -- s3:signatureAge ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movable() -> Iterator[ServerInfo]:
    with running_movable_server() as info:
        yield info


def test_signature_age_limits_how_long_a_presigned_url_is_honoured(movable: ServerInfo) -> None:
    s3 = make_client(movable.endpoint)
    bucket = f"age-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    _put_policy(s3, bucket, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"NumericGreaterThan": {"s3:signatureAge": "600000"}},  # ten minutes
    })
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc.txt"}, ExpiresIn=3600)
    try:
        assert requests.get(url, timeout=10).content == b"doc"
        set_offset(movable, 900)  # fifteen minutes later the URL has not expired, but it is too old
        late = requests.get(url, timeout=10)
        assert late.status_code == 403 and b"<Code>AccessDenied</Code>" in late.content
        set_offset(movable, 300)
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        set_offset(movable, 0)


# -- trusted proxies -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxied() -> Iterator[ServerInfo]:
    with running_server({"STRONGROOM_TRUSTED_PROXIES": json.dumps([f"{PROXY}/32"])}) as info:
        yield info


def _anonymous_get(server: ServerInfo, path: str, source: str, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture(scope="module")
def proxied_bucket(proxied: ServerInfo) -> str:
    """A bucket readable by anyone from 10.1.2.3 only, and only over HTTPS."""
    s3 = make_client(proxied.endpoint)
    name = f"xff-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"doc")
    resource = f"arn:aws:s3:::{name}/*"
    _put_policy(s3, name,
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": resource,
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.3/32"}}},
                {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": resource,
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    return name


@pytest.mark.parametrize(("source", "headers", "status"), [
    (PROXY, {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}, 200),
    (PROXY, {"X-Forwarded-For": "10.1.2.3, 127.0.0.5", "X-Forwarded-Proto": "https"}, 200),  # proxies skipped
    (PROXY, {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "http"}, 403),  # the proxy saw plain HTTP
    (PROXY, {"X-Forwarded-For": "10.1.2.3"}, 403),  # no word on the scheme: the connection's (HTTP)
    (PROXY, {"X-Forwarded-For": "10.1.2.3, 10.9.9.9", "X-Forwarded-Proto": "https"}, 403),  # the client is 10.9.9.9
    (PROXY, {"X-Forwarded-For": "garbage", "X-Forwarded-Proto": "https"}, 403),  # unusable: the peer
    (OTHER, {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}, 403),  # not a trusted proxy
])
def test_forwarded_headers_count_only_from_trusted_proxies(proxied: ServerInfo, proxied_bucket: str, source: str, headers: dict[str, str], status: int) -> None:
    assert _anonymous_get(proxied, f"/{proxied_bucket}/doc.txt", source, headers) == status


def test_forwarded_headers_from_an_untrusted_peer_change_nothing(server: ServerInfo, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    _put_policy(s3, bucket, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.3/32"}}})
    assert _anonymous_get(server, f"/{bucket}/doc.txt", "127.0.0.1", {"X-Forwarded-For": "10.1.2.3"}) == 403


# -- aws:Referer and the 404-or-403 rule for missing keys ----------------------------------------------


def test_referer_condition_with_if_exists(s3, s3_alt, bucket: str, alt_root: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<p>")
    _put_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"StringLikeIfExists": {"aws:Referer": "https://www.example.com/*"}}})

    def with_referer(value: str | None):  # type: ignore[no-untyped-def]
        def add(params, **_kwargs) -> None:  # type: ignore[no-untyped-def]
            if value is not None:
                params["headers"]["Referer"] = value
        return add

    for referer, allowed in (("https://www.example.com/shop", True), ("https://evil.example.net/", False), (None, True)):
        client = make_client(s3_alt.meta.endpoint_url, ALT_KEY, ALT_SECRET)
        client.meta.events.register("before-call.s3.GetObject", with_referer(referer))
        if allowed:
            assert client.get_object(Bucket=bucket, Key="page.html")["Body"].read() == b"<p>"
        else:
            with pytest.raises(ClientError) as exc:
                client.get_object(Bucket=bucket, Key="page.html")
            assert _code(exc) == ("AccessDenied", 403)


def test_a_missing_key_is_404_only_to_callers_who_may_list_it(s3, s3_alt, bucket: str, alt_root: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=bucket, Key="public/there.txt", Body=b"there")
    s3.put_object(Bucket=bucket, Key="private/there.txt", Body=b"there")
    _put_policy(s3, bucket,
                {"Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
                 "Condition": {"StringLike": {"s3:prefix": "public/*"}}},
                {"Effect": "Allow", "Principal": {"AWS": alt_root}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/private/*"})
    cases = [("public/absent.txt", 404), ("public/there.txt", 403),  # may list, may not read
             ("private/absent.txt", 403), ("other/absent.txt", 403)]  # may read (or not), may not list there
    for key, status in cases:
        with pytest.raises(ClientError) as exc:
            s3_alt.head_object(Bucket=bucket, Key=key)
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status, key
        with pytest.raises(ClientError) as exc:
            s3_alt.get_object(Bucket=bucket, Key=key)
        assert _code(exc) == (("NoSuchKey", 404) if status == 404 else ("AccessDenied", 403)), key
    assert s3_alt.get_object(Bucket=bucket, Key="private/there.txt")["Body"].read() == b"there"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="nowhere.txt")  # the owner may list everything
    assert _code(exc) == ("NoSuchKey", 404)


def test_a_policy_judges_sse_headers_before_they_are_validated(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    def bad_algorithm(params, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        params["headers"]["x-amz-server-side-encryption"] = "AES192"

    client = make_client(s3.meta.endpoint_url)
    client.meta.events.register("before-call.s3.PutObject", bad_algorithm)
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert _code(exc) == ("InvalidArgument", 400)  # no policy: the header itself is wrong
    _put_policy(s3, bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}})
    with pytest.raises(ClientError) as exc:
        client.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert _code(exc) == ("AccessDenied", 403)  # the policy speaks first
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"
