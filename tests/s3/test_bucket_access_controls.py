"""A bucket's access-control configuration through boto3: bucket policies (validation, storage, policy
status, BlockPublicPolicy), Block Public Access flags and Object Ownership, with AWS's defaults for new
buckets and the operator's settings that change those defaults."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo, account_id_of, make_client, running_server

ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _policy(bucket: str, principal: object = "*", action: object = "s3:GetObject", resource: object = None, **extra: object) -> str:
    statement = {"Sid": "Read", "Effect": "Allow", "Principal": principal, "Action": action,
                 "Resource": resource if resource is not None else f"arn:aws:s3:::{bucket}/*", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _unblock(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.delete_public_access_block(Bucket=bucket)


# -- defaults -----------------------------------------------------------------------------------------


def test_a_new_bucket_blocks_public_access_and_enforces_bucket_ownership(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


def test_create_bucket_can_choose_object_ownership(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"own-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=f"own-{uuid.uuid4().hex[:20]}", ObjectOwnership="Nobody")
    assert _code(exc) == ("InvalidArgument", 400)


@pytest.fixture(scope="module")
def legacy_defaults_server() -> Iterator[ServerInfo]:
    with running_server({"STRONGROOM_NEW_BUCKET_BLOCK_PUBLIC_ACCESS": "false", "STRONGROOM_NEW_BUCKET_OBJECT_OWNERSHIP": "ObjectWriter"}) as info:
        yield info


def test_operator_settings_change_only_the_defaults_of_new_buckets(legacy_defaults_server: ServerInfo) -> None:
    s3 = make_client(legacy_defaults_server.endpoint)
    s3.create_bucket(Bucket="legacy-defaults")
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket="legacy-defaults")
    assert _code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    assert s3.get_bucket_ownership_controls(Bucket="legacy-defaults")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    # The same flags mean the same thing once set.
    s3.put_public_access_block(Bucket="legacy-defaults", PublicAccessBlockConfiguration=ALL_BLOCKED)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket="legacy-defaults", Policy=_policy("legacy-defaults"))
    assert _code(exc) == ("AccessDenied", 403)


# -- Block Public Access ------------------------------------------------------------------------------


def test_public_access_block_round_trip_and_delete(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
    }
    assert s3.delete_public_access_block(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert _code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.delete_public_access_block(Bucket=bucket)  # absent is fine


def test_another_account_cannot_touch_the_configuration(s3_alt, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for attempt in (
        lambda: s3_alt.get_public_access_block(Bucket=bucket),
        lambda: s3_alt.delete_public_access_block(Bucket=bucket),
        lambda: s3_alt.get_bucket_ownership_controls(Bucket=bucket),
        lambda: s3_alt.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, principal={"AWS": "111122223333"})),
        lambda: s3_alt.get_bucket_policy_status(Bucket=bucket),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)


# -- Object Ownership ---------------------------------------------------------------------------------


def test_ownership_controls_round_trip_and_delete(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    for value in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
        assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": value}]
    assert s3.delete_bucket_ownership_controls(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert _code(exc) == ("OwnershipControlsNotFoundError", 404)


def test_unknown_ownership_value_is_malformed_and_changes_nothing(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "Everyone"}]})
    assert _code(exc) == ("MalformedXML", 400)
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_bucket_owner_enforced_needs_a_private_bucket_acl_first(s3) -> None:  # type: ignore[no-untyped-def]
    name = f"own-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    _unblock(s3, name)
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced)
    assert _code(exc) == ("InvalidBucketAclWithObjectOwnership", 400)
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=enforced)
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_expected_bucket_owner_guards_every_request(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    account = account_id_of(s3.meta.endpoint_url)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", ExpectedBucketOwner=account)
    assert s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=account)["Body"].read() == b"v"
    for call in (lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="111122223333"),
                 lambda: s3.put_object(Bucket=bucket, Key="other", Body=b"x", ExpectedBucketOwner="111122223333"),
                 lambda: s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"}, ExpectedSourceBucketOwner="111122223333")):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDenied", 403)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]


# -- bucket policies ----------------------------------------------------------------------------------


def test_bucket_policy_is_stored_as_written(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(exc) == ("NoSuchBucketPolicy", 404)
    document = _policy(bucket, principal={"AWS": "arn:aws:iam::111122223333:root"}, action=["s3:GetObject", "s3:ListBucket"],
                       resource=[f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])
    assert s3.put_bucket_policy(Bucket=bucket, Policy=document)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == document
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(exc) == ("NoSuchBucketPolicy", 404)


@pytest.mark.parametrize(("document", "reason"), [
    ("not json", "valid JSON"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*"}]}', "Principal"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other-bucket/*"}]}', "invalid resource"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other*"}]}', "invalid resource"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B-other/*"}]}', "invalid resource"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "arn:aws:s3:::B/*"}]}', "invalid action"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*"}]}', "Effect"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::B/*",'
     ' "Condition": {"StringEqualz": {"aws:username": "x"}}}]}', "StringEqualz"),
])
def test_malformed_policies_are_refused_with_a_reason(s3, bucket: str, document: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    _unblock(s3, bucket)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=document.replace("arn:aws:s3:::B", f"arn:aws:s3:::{bucket}"))
    assert _code(exc) == ("MalformedPolicy", 400)
    assert reason in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)  # nothing stored


@pytest.mark.parametrize("resources", [["arn:aws:s3:::*", "arn:aws:s3:::*/*"], ["arn:aws:s3:::B*"], ["arn:aws:s3:::B/reports/*", "arn:aws:s3:::B?*"]])
def test_wildcard_resources_that_can_name_the_bucket_are_accepted(s3, bucket: str, resources: list[str]) -> None:  # type: ignore[no-untyped-def]
    document = _policy(bucket, principal={"AWS": "arn:aws:iam::111122223333:root"}, action="s3:ListBucket",
                       resource=[r.replace("arn:aws:s3:::B", f"arn:aws:s3:::{bucket}") for r in resources])
    assert s3.put_bucket_policy(Bucket=bucket, Policy=document)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == document


def test_a_policy_over_20_kib_is_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    document = _policy(bucket, principal={"AWS": "arn:aws:iam::111122223333:root"}, Condition={"StringEquals": {"aws:username": ["u" * 100] * 250}})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=document)
    assert _code(exc) == ("MalformedPolicy", 400)


def test_block_public_policy_refuses_a_public_policy(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket))
    assert _code(exc) == ("AccessDenied", 403)
    assert "BlockPublicPolicy" in exc.value.response["Error"]["Message"]
    # Non-public policies are fine with the block on.
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/24"}}))
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": False})
    s3.put_bucket_policy(Bucket=bucket, Policy=_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


@pytest.mark.parametrize(("extra", "public"), [
    ({}, True),
    ({"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/32"}}}, False),
    ({"Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}, True),
    ({"Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}, False),
    ({"Condition": {"StringLike": {"aws:SourceVpce": "vpce-*"}}}, True),
    ({"Condition": {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}, True),
    ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, True),
    ({"Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}, False),
    ({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
    ({"Effect": "Deny"}, False),
])
def test_policy_status_follows_awss_meaning_of_public(s3, bucket: str, extra: dict[str, object], public: bool) -> None:  # type: ignore[no-untyped-def]
    _unblock(s3, bucket)
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}", **extra}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is public


@pytest.mark.parametrize(("acl", "public"), [("private", False), ("public-read", True), ("authenticated-read", True)])
def test_policy_status_counts_a_public_bucket_acl_while_acls_count(s3, acl: str, public: bool) -> None:  # type: ignore[no-untyped-def]
    name = f"acl-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    _unblock(s3, name)
    s3.put_bucket_acl(Bucket=name, ACL=acl)
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"] is public
