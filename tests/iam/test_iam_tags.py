"""Tags of users and roles (Tag/Untag/List{User,Role}Tags, Tags on CreateUser/CreateRole) and what they
mean: aws:PrincipalTag/<key> in S3, KMS and IAM decisions (for a role session: the role's tags with the
session's own in their place), aws:RequestTag/<key> and aws:TagKeys on requests that set tags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client
from iam.test_sts import make_sts, session_clients, trust
from iamclients import allow, code, doc, iam_fixtures, new_user, unique

iam, raw, account_id = iam_fixtures()

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_user_tags_are_created_listed_replaced_and_removed(iam: Any) -> None:
    name = unique("tagged")
    created = iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "cost", "Value": "42"}])["User"]
    assert sorted((t["Key"], t["Value"]) for t in created["Tags"]) == [("cost", "42"), ("team", "blue")]
    assert sorted((t["Key"], t["Value"]) for t in iam.get_user(UserName=name)["User"]["Tags"]) == [("cost", "42"), ("team", "blue")]
    iam.tag_user(UserName=name, Tags=[{"Key": "Team", "Value": "red"}])  # keys compare without case: replaces "team"
    assert {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName=name)["Tags"]} == {"Team": "red", "cost": "42"}
    iam.untag_user(UserName=name, TagKeys=["cost", "absent"])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "Team", "Value": "red"}]


def test_role_tags(iam: Any) -> None:
    name = unique("tagged-role")
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "app", "Value": "pod"}])["Role"]
    assert created["Tags"] == [{"Key": "app", "Value": "pod"}]
    iam.tag_role(RoleName=name, Tags=[{"Key": "env", "Value": "prod"}])
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]} == {"app": "pod", "env": "prod"}
    iam.untag_role(RoleName=name, TagKeys=["app"])
    assert iam.get_role(RoleName=name)["Role"]["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_errors(iam: Any) -> None:
    name = unique("t")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=name, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert code(exc) == ("InvalidInput", 400)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert code(exc) == ("InvalidInput", 400)
    iam.tag_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert code(exc) == ("LimitExceeded", 409)
    assert len(iam.list_user_tags(UserName=name)["Tags"]) == 50
    with pytest.raises(ClientError) as exc:
        iam.list_user_tags(UserName="no-such-user-here")
    assert code(exc) == ("NoSuchEntity", 404)


def test_principal_tags_decide_s3_access(iam: Any, server: ServerInfo, s3: Any) -> None:
    bucket = unique("iam-tags")
    s3.create_bucket(Bucket=bucket)
    for team in ("blue", "red"):
        s3.put_object(Bucket=bucket, Key=f"{team}/plan.txt", Body=team.encode())
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="team", PolicyDocument=doc(
        allow("s3:GetObject", f"arn:aws:s3:::{bucket}/${{aws:PrincipalTag/team}}/*")))
    with pytest.raises(ClientError) as exc:  # untagged: the variable resolves to nothing
        user.s3.get_object(Bucket=bucket, Key="blue/plan.txt")
    assert code(exc) == ("AccessDenied", 403)
    iam.tag_user(UserName=user.name, Tags=[{"Key": "team", "Value": "blue"}])
    assert user.s3.get_object(Bucket=bucket, Key="blue/plan.txt")["Body"].read() == b"blue"
    with pytest.raises(ClientError) as exc:
        user.s3.get_object(Bucket=bucket, Key="red/plan.txt")
    assert code(exc) == ("AccessDenied", 403)


def test_principal_tags_decide_kms_use(iam: Any, server: ServerInfo) -> None:
    key = make_kms_client(server.endpoint).create_key()["KeyMetadata"]
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="kms", PolicyDocument=doc(
        allow("kms:Encrypt", key["Arn"], Condition={"StringEquals": {"aws:PrincipalTag/clearance": "high"}})))
    with pytest.raises(ClientError) as exc:
        user.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)
    iam.tag_user(UserName=user.name, Tags=[{"Key": "clearance", "Value": "high"}])
    user.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")


def test_request_tags_govern_tagging_and_creation(iam: Any, server: ServerInfo, account_id: str) -> None:
    admin = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=admin.name, PolicyName="tagged-only", PolicyDocument=doc(
        allow(["iam:CreateUser", "iam:TagUser"], f"arn:aws:iam::{account_id}:user/*",
              Condition={"StringEquals": {"aws:RequestTag/team": "blue"}, "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}})))
    made = unique("made")
    admin.iam.create_user(UserName=made, Tags=[{"Key": "team", "Value": "blue"}])
    for tags in ([{"Key": "team", "Value": "red"}], [{"Key": "team", "Value": "blue"}, {"Key": "extra", "Value": "x"}]):
        with pytest.raises(ClientError) as exc:
            admin.iam.tag_user(UserName=made, Tags=tags)
        assert code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:  # no tags at all: aws:RequestTag/team is absent
        admin.iam.create_user(UserName=unique("untagged"))
    assert code(exc) == ("AccessDenied", 403)
    assert iam.list_user_tags(UserName=made)["Tags"] == [{"Key": "team", "Value": "blue"}]


def test_a_deleted_users_tags_do_not_come_back_with_a_new_user_of_its_name(iam: Any) -> None:
    name = unique("again")
    iam.create_user(UserName=name, Tags=[{"Key": "old", "Value": "1"}])
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name)
    assert iam.list_user_tags(UserName=name)["Tags"] == []


def test_a_role_sessions_principal_tags_are_the_roles_with_the_sessions_own_in_their_place(iam: Any, server: ServerInfo, s3: Any, account_id: str) -> None:
    bucket = unique("iam-role-tags")
    s3.create_bucket(Bucket=bucket)
    for team in ("blue", "red"):
        s3.put_object(Bucket=bucket, Key=f"{team}/plan.txt", Body=team.encode())
    name = unique("tagged-role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{account_id}:root", actions=["sts:AssumeRole", "sts:TagSession"]),
                    Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}])
    iam.put_role_policy(RoleName=name, PolicyName="team", PolicyDocument=doc(allow(
        "s3:GetObject", f"arn:aws:s3:::{bucket}/${{aws:PrincipalTag/team}}/*", Condition={"StringEquals": {"aws:PrincipalTag/env": "prod"}})))
    sts = make_sts(server.endpoint, MAIN_KEY, MAIN_SECRET)
    role_arn = f"arn:aws:iam::{account_id}:role/{name}"
    plain = session_clients(server.endpoint, sts.assume_role(RoleArn=role_arn, RoleSessionName="plain")["Credentials"])["s3"]
    assert plain.get_object(Bucket=bucket, Key="blue/plan.txt")["Body"].read() == b"blue"  # the role's own tags
    tagged = sts.assume_role(RoleArn=role_arn, RoleSessionName="red", Tags=[{"Key": "team", "Value": "red"}])["Credentials"]
    red = session_clients(server.endpoint, tagged)["s3"]
    assert red.get_object(Bucket=bucket, Key="red/plan.txt")["Body"].read() == b"red"  # the session's tag wins; env=prod stays
    with pytest.raises(ClientError) as exc:
        red.get_object(Bucket=bucket, Key="blue/plan.txt")
    assert code(exc) == ("AccessDenied", 403)
