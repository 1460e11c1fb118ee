"""IAM access keys: create (at most two per user), list, deactivate and reactivate, delete, last used;
an Inactive or deleted key no longer authenticates (InvalidAccessKeyId for S3, InvalidClientTokenId for IAM)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_client
from iamclients import allow, code, doc, iam_fixtures, make_iam, new_user, unique

iam, raw, account_id = iam_fixtures()


def test_create_and_list_keys_never_showing_the_secret_again(iam: Any) -> None:
    name = unique("k")
    iam.create_user(UserName=name)
    created = iam.create_access_key(UserName=name)["AccessKey"]
    assert created["UserName"] == name and created["Status"] == "Active"
    assert created["AccessKeyId"].startswith("AKIA") and len(created["AccessKeyId"]) == 20 and len(created["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [(created["AccessKeyId"], "Active", name)]
    assert all("SecretAccessKey" not in k for k in listed)


def test_a_third_key_is_limit_exceeded(iam: Any) -> None:
    name = unique("k")
    iam.create_user(UserName=name)
    iam.create_access_key(UserName=name)
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert code(exc) == ("LimitExceeded", 409)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_an_inactive_key_is_refused_and_works_again_once_reactivated(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="list", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    user.s3.list_buckets()
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key_id, Status="Inactive")
    assert iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    with pytest.raises(ClientError) as exc:
        user.s3.list_buckets()
    assert code(exc) == ("InvalidAccessKeyId", 403)
    with pytest.raises(ClientError) as exc:
        user.iam.list_users()
    assert code(exc) == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName=user.name, AccessKeyId=user.key_id, Status="Active")
    user.s3.list_buckets()


def test_a_deleted_key_is_refused_at_once(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="list", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    user.s3.list_buckets()
    iam.delete_access_key(UserName=user.name, AccessKeyId=user.key_id)
    with pytest.raises(ClientError) as exc:
        make_client(server.endpoint, user.key_id, user.secret).list_buckets()
    assert code(exc) == ("InvalidAccessKeyId", 403)
    assert iam.list_access_keys(UserName=user.name)["AccessKeyMetadata"] == []


def test_key_errors(iam: Any) -> None:
    name = unique("k")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    other = unique("other")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as exc:  # a key of another user is not found under this one
        iam.delete_access_key(UserName=other, AccessKeyId=key)
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.update_access_key(UserName=name, AccessKeyId="AKIANOSUCHKEY0000000", Status="Inactive")
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        make_iam(iam.meta.endpoint_url, validate=False).update_access_key(UserName=name, AccessKeyId=key, Status="Paused")
    assert code(exc) == ("ValidationError", 400)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName="no-such-user-here")
    assert code(exc) == ("NoSuchEntity", 404)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Active"


def test_last_used_is_na_until_the_key_signs_then_names_service_and_region(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    before = iam.get_access_key_last_used(AccessKeyId=user.key_id)
    assert before["UserName"] == user.name
    assert before["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}
    iam.put_user_policy(UserName=user.name, PolicyName="list", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    user.s3.list_buckets()
    used = iam.get_access_key_last_used(AccessKeyId=user.key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "s3" and used["Region"] == "us-east-1" and "LastUsedDate" in used
    with pytest.raises(ClientError) as exc:
        iam.get_access_key_last_used(AccessKeyId="AKIANOSUCHKEY0000000")
    assert code(exc) == ("NoSuchEntity", 404)


def test_without_user_name_a_user_manages_its_own_keys(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="own-keys", PolicyDocument=doc(
        allow(["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:DeleteAccessKey"], user.arn)))
    assert [k["AccessKeyId"] for k in user.iam.list_access_keys()["AccessKeyMetadata"]] == [user.key_id]
    second = user.iam.create_access_key()["AccessKey"]
    assert second["UserName"] == user.name
    user.iam.delete_access_key(AccessKeyId=second["AccessKeyId"])
    with pytest.raises(ClientError) as exc:  # another user's keys are another resource
        user.iam.list_access_keys(UserName=unique("someone"))
    assert code(exc) == ("AccessDenied", 403)
