"""Account-level Block Public Access through boto3's S3 Control client: Put/Get/DeletePublicAccessBlock,
and every bucket of the account applying the stricter of its own flags and the account's.

The server has the legacy defaults (new buckets without flags of their own, ACLs enabled), so what is
blocked here is blocked by the account's flags alone. Its own server: the flags span the whole account.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import (
    ALT_KEY,
    ALT_SECRET,
    ServerInfo,
    account_id_of,
    make_client,
    make_control_client,
    running_server,
)

ALL_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@pytest.fixture(scope="module")
def legacy_server() -> Iterator[ServerInfo]:
    env = {"STRONGROOM_NEW_BUCKET_BLOCK_PUBLIC_ACCESS": "false", "STRONGROOM_NEW_BUCKET_OBJECT_OWNERSHIP": "ObjectWriter"}
    with running_server(env) as info:
        info.cli("admin", "account", "add", "alt", "--access-key", ALT_KEY, "--secret-key", ALT_SECRET)
        yield info


@pytest.fixture(scope="module")
def s3(legacy_server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(legacy_server.endpoint)


@pytest.fixture(scope="module")
def control(legacy_server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_control_client(legacy_server.endpoint)


@pytest.fixture(scope="module")
def account(legacy_server: ServerInfo) -> str:
    return account_id_of(legacy_server.endpoint)


@pytest.fixture
def flags(control, account: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Set the account's flags for one test; removed afterwards."""

    def put(**on: bool) -> None:
        config = {name: on.get(name, False) for name in ALL_FLAGS}
        control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=config)

    yield put
    control.delete_public_access_block(AccountId=account)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _public_read_policy(bucket: str) -> str:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _new_bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"acct-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def _anonymous_get(server: ServerInfo, bucket: str, key: str) -> int:
    return requests.get(f"{server.endpoint}/{bucket}/{key}", timeout=10).status_code


def test_put_get_delete_round_trip(control, account: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        control.get_public_access_block(AccountId=account)
    assert _code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=config)
    assert control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"] == config
    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    expected = {name: name == "IgnorePublicAcls" for name in ALL_FLAGS}
    assert control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"] == expected
    control.delete_public_access_block(AccountId=account)
    control.delete_public_access_block(AccountId=account)  # absent is fine
    with pytest.raises(ClientError) as exc:
        control.get_public_access_block(AccountId=account)
    assert _code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)


def test_another_account_can_neither_read_nor_change_the_flags(legacy_server: ServerInfo, control, account: str, flags) -> None:  # type: ignore[no-untyped-def]
    flags(BlockPublicPolicy=True)
    alt_control = make_control_client(legacy_server.endpoint, ALT_KEY, ALT_SECRET)
    for call in (lambda: alt_control.get_public_access_block(AccountId=account),
                 lambda: alt_control.delete_public_access_block(AccountId=account),
                 lambda: alt_control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={})):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDenied", 403)
    assert control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    unsigned = requests.get(f"{legacy_server.endpoint}/v20180820/configuration/publicAccessBlock", headers={"x-amz-account-id": account}, timeout=10)
    assert unsigned.status_code == 403 and b"<Code>AccessDenied</Code>" in unsigned.content


def test_malformed_configuration_is_refused(legacy_server: ServerInfo, control, account: str) -> None:  # type: ignore[no-untyped-def]
    def bad_body(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        request.data = b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>"
        request.headers["Content-Length"] = str(len(request.data))

    client = make_control_client(legacy_server.endpoint)
    client.meta.events.register_first("before-sign", bad_body)
    with pytest.raises(ClientError) as exc:
        client.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert _code(exc) == ("MalformedXML", 400)
    with pytest.raises(ClientError) as exc:
        control.get_public_access_block(AccountId=account)
    assert _code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)


def test_block_public_policy_refuses_public_bucket_policies(s3, flags) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    flags(BlockPublicPolicy=True)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=_public_read_policy(bucket))
    assert _code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(exc) == ("NoSuchBucketPolicy", 404)


def test_block_public_acls_refuses_public_acls_everywhere(s3, flags) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    flags(BlockPublicAcls=True)
    for call in (lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
                 lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read"),
                 lambda: s3.create_bucket(Bucket=f"acct-{uuid.uuid4().hex[:20]}", ACL="public-read")):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k")
    assert _code(exc) == ("404", 404)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")  # a private ACL is still fine


def test_ignore_public_acls_hides_existing_public_objects(legacy_server: ServerInfo, s3, flags) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"hello", ACL="public-read")
    assert _anonymous_get(legacy_server, bucket, "shared.txt") == 200
    flags(IgnorePublicAcls=True)
    assert _anonymous_get(legacy_server, bucket, "shared.txt") == 403
    assert s3.get_object(Bucket=bucket, Key="shared.txt")["Body"].read() == b"hello"  # the owner is unaffected


def test_restrict_public_buckets_stops_anonymous_access_through_a_public_policy(legacy_server: ServerInfo, s3, flags) -> None:  # type: ignore[no-untyped-def]
    bucket = _new_bucket(s3)
    s3.put_bucket_policy(Bucket=bucket, Policy=_public_read_policy(bucket))
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"doc")
    assert _anonymous_get(legacy_server, bucket, "doc.txt") == 200
    flags(RestrictPublicBuckets=True)
    assert _anonymous_get(legacy_server, bucket, "doc.txt") == 403


def test_the_account_flags_bind_only_that_accounts_buckets(legacy_server: ServerInfo, flags) -> None:  # type: ignore[no-untyped-def]
    alt = make_client(legacy_server.endpoint, ALT_KEY, ALT_SECRET)
    bucket = _new_bucket(alt)
    alt.put_object(Bucket=bucket, Key="open.txt", Body=b"open", ACL="public-read")
    flags(BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True)
    assert _anonymous_get(legacy_server, bucket, "open.txt") == 200
    alt.put_bucket_policy(Bucket=bucket, Policy=_public_read_policy(bucket))
