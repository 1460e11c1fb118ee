"""Bucket policies, ACLs and Block Public Access deciding real requests: anonymous callers, another
account, the seeds' policies (deny without TLS, deny unencrypted uploads, deny SSE-C), explicit Deny
winning, RestrictPublicBuckets, IgnorePublicAcls, and the owner never locked out of its policy."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, ServerInfo, account_id_of, make_client

TIMEOUT_SECONDS = 30


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _put_policy(s3, bucket: str, *statements: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def _account(client) -> str:  # type: ignore[no-untyped-def]
    return client.list_buckets()["Owner"]["ID"]  # type: ignore[no-any-return]


@pytest.fixture
def anonymous(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(server.endpoint, signature_version=UNSIGNED)


@pytest.fixture
def open_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A bucket without Block Public Access and with ACLs enabled (as buckets were before 2023)."""
    name = f"pol-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    s3.put_object(Bucket=name, Key="public/doc.txt", Body=b"hello")
    s3.put_object(Bucket=name, Key="private/doc.txt", Body=b"secret")
    return name


@pytest.fixture(scope="module")
def alt_account(server: ServerInfo) -> str:
    """The alt account's id (the fourth field of any ARN it owns)."""
    return account_id_of(server.endpoint, ALT_KEY, ALT_SECRET)


def test_anonymous_read_allowed_by_a_public_policy_only_where_it_says(s3, anonymous, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    _put_policy(s3, open_bucket, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/public/*"})
    assert anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"
    for attempt in (
        lambda: anonymous.get_object(Bucket=open_bucket, Key="private/doc.txt"),
        lambda: anonymous.put_object(Bucket=open_bucket, Key="public/new", Body=b"x"),
        lambda: anonymous.list_objects_v2(Bucket=open_bucket),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)


def test_another_account_is_allowed_by_naming_it(s3, s3_alt, alt_account: str, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3_alt.list_objects_v2(Bucket=open_bucket)
    assert _code(exc) == ("AccessDenied", 403)
    _put_policy(s3, open_bucket, {
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{alt_account}:root"}, "Action": ["s3:ListBucket", "s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{open_bucket}", f"arn:aws:s3:::{open_bucket}/*"],
    })
    assert {o["Key"] for o in s3_alt.list_objects_v2(Bucket=open_bucket)["Contents"]} == {"public/doc.txt", "private/doc.txt"}
    assert s3_alt.get_object(Bucket=open_bucket, Key="private/doc.txt")["Body"].read() == b"secret"
    with pytest.raises(ClientError) as exc:
        s3_alt.delete_object(Bucket=open_bucket, Key="private/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)


def test_explicit_deny_wins_even_for_the_owner(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{open_bucket}/*"})
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=open_bucket, Key="private/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=open_bucket, Key="private/doc.txt")["Body"].read() == b"secret"


def test_the_owner_is_never_locked_out_of_its_policy(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{open_bucket}", f"arn:aws:s3:::{open_bucket}/*"]})
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    assert "Deny" in s3.get_bucket_policy(Bucket=open_bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=open_bucket)
    assert s3.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"


def test_seed_deny_requests_without_tls(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{open_bucket}", f"arn:aws:s3:::{open_bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    })
    with pytest.raises(ClientError) as exc:  # this server's plain-HTTP endpoint
        s3.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)


def test_seed_deny_uploads_not_under_aws_kms_and_deny_sse_c(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(
        s3, open_bucket,
        {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{open_bucket}/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyUnencryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{open_bucket}/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
        {"Sid": "DenySSEC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{open_bucket}/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}},
    )
    for kwargs in ({}, {"ServerSideEncryption": "AES256"}):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=open_bucket, Key="k", Body=b"x", **kwargs)
        assert _code(exc) == ("AccessDenied", 403)
    assert s3.put_object(Bucket=open_bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")["ServerSideEncryption"] == "aws:kms"


def test_source_ip_condition(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    })
    with pytest.raises(ClientError) as exc:  # the test client is 127.0.0.1
        s3.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    _put_policy(s3, open_bucket, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
    })
    assert s3.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"


def test_prefix_condition_on_listing(s3, s3_alt, alt_account: str, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {
        "Effect": "Allow", "Principal": {"AWS": alt_account}, "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{open_bucket}",
        "Condition": {"StringLike": {"s3:prefix": "public/*"}},
    })
    assert [o["Key"] for o in s3_alt.list_objects_v2(Bucket=open_bucket, Prefix="public/")["Contents"]] == ["public/doc.txt"]
    with pytest.raises(ClientError) as exc:
        s3_alt.list_objects_v2(Bucket=open_bucket, Prefix="private/")
    assert _code(exc) == ("AccessDenied", 403)


def test_acl_grants_let_others_in_and_ignore_public_acls_takes_them_away(s3, s3_alt, anonymous, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object_acl(Bucket=open_bucket, Key="public/doc.txt", ACL="public-read")
    assert anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"
    s3.put_bucket_acl(Bucket=open_bucket, GrantRead=f'id="{_account(s3_alt)}"')
    assert len(s3_alt.list_objects_v2(Bucket=open_bucket)["Contents"]) == 2
    with pytest.raises(ClientError):
        anonymous.get_object(Bucket=open_bucket, Key="private/doc.txt")
    s3.put_public_access_block(Bucket=open_bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    assert len(s3_alt.list_objects_v2(Bucket=open_bucket)["Contents"]) == 2  # not a public grant: still honoured


def test_public_read_write_bucket_acl_lets_anyone_upload(s3, anonymous, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_acl(Bucket=open_bucket, ACL="public-read-write")
    anonymous.put_object(Bucket=open_bucket, Key="drop/box", Body=b"anon")
    assert s3.get_object(Bucket=open_bucket, Key="drop/box")["Body"].read() == b"anon"
    assert {o["Key"] for o in anonymous.list_objects_v2(Bucket=open_bucket)["Contents"]} >= {"drop/box"}


def test_bucket_owner_enforced_ignores_acls(s3, anonymous, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_object_acl(Bucket=open_bucket, Key="public/doc.txt", ACL="public-read")
    s3.put_bucket_ownership_controls(Bucket=open_bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)


def test_restrict_public_buckets_keeps_a_public_policy_to_the_owners_account(s3, anonymous, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    _put_policy(s3, open_bucket, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/*"})
    assert anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"
    s3.put_public_access_block(Bucket=open_bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    with pytest.raises(ClientError) as exc:
        anonymous.get_object(Bucket=open_bucket, Key="public/doc.txt")
    assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=open_bucket, Key="public/doc.txt")["Body"].read() == b"hello"


def test_presigned_urls_expire_and_policies_still_apply(s3, open_bucket: str) -> None:  # type: ignore[no-untyped-def]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": open_bucket, "Key": "private/doc.txt"}, ExpiresIn=60)
    assert requests.get(url, timeout=TIMEOUT_SECONDS).content == b"secret"
    _put_policy(s3, open_bucket, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{open_bucket}/*",
        "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}},
    })
    assert requests.get(url, timeout=TIMEOUT_SECONDS).status_code == 403
    assert s3.get_object(Bucket=open_bucket, Key="private/doc.txt")["Body"].read() == b"secret"


def test_unsigned_client_config_is_really_anonymous(anonymous) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(anonymous.meta.config, Config)
    with pytest.raises(ClientError) as exc:
        anonymous.list_buckets()
    assert _code(exc)[1] == 403
