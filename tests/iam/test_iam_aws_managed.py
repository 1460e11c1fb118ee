"""AWS managed policies (arn:aws:iam::aws:policy/<name>): listed, readable, attachable to users, groups
and roles and usable as boundaries in every account, and enforced; never changed or deleted."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo
from iamclients import allow, code, doc, iam_fixtures, new_user, unique

iam, raw, account_id = iam_fixtures()

FULL, READ = "arn:aws:iam::aws:policy/AmazonS3FullAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def test_aws_managed_policies_are_listed_and_readable(iam: Any) -> None:
    listed = {p["Arn"]: p for p in iam.list_policies(Scope="AWS")["Policies"]}
    assert {FULL, READ} <= set(listed)
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in listed.values())
    assert iam.get_policy(PolicyArn=READ)["Policy"]["PolicyName"] == "AmazonS3ReadOnlyAccess"
    version = iam.get_policy_version(PolicyArn=READ, VersionId="v1")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True and "s3:Get*" in version["Document"]["Statement"][0]["Action"]
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=FULL)["Versions"]] == ["v1"]
    assert all(not p["Arn"].startswith("arn:aws:iam::aws:") for p in iam.list_policies(Scope="Local")["Policies"])
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchManagedPolicy")
    assert code(exc) == ("NoSuchEntity", 404)


def test_aws_managed_policies_cannot_be_changed(iam: Any) -> None:
    for call in (lambda: iam.delete_policy(PolicyArn=FULL),
                 lambda: iam.create_policy_version(PolicyArn=FULL, PolicyDocument=doc(allow("s3:*"))),
                 lambda: iam.set_default_policy_version(PolicyArn=FULL, VersionId="v1")):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDenied", 403)


def test_attached_aws_managed_policies_are_enforced(iam: Any, server: ServerInfo, s3: Any) -> None:
    bucket = unique("iam-aws-managed")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    user = new_user(iam, server.endpoint)
    iam.attach_user_policy(UserName=user.name, PolicyArn=READ)
    iam.attach_user_policy(UserName=user.name, PolicyArn=READ)  # again: nothing changes
    assert iam.list_attached_user_policies(UserName=user.name)["AttachedPolicies"] == [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": READ}]
    assert iam.get_policy(PolicyArn=READ)["Policy"]["AttachmentCount"] >= 1
    assert user.s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    with pytest.raises(ClientError) as exc:
        user.s3.put_object(Bucket=bucket, Key="w", Body=b"x")
    assert code(exc) == ("AccessDenied", 403)
    iam.attach_user_policy(UserName=user.name, PolicyArn=FULL)
    iam.put_user_permissions_boundary(UserName=user.name, PermissionsBoundary=READ)  # an AWS managed boundary
    with pytest.raises(ClientError) as exc:
        user.s3.put_object(Bucket=bucket, Key="w", Body=b"x")
    assert code(exc) == ("AccessDenied", 403)
    iam.delete_user_permissions_boundary(UserName=user.name)
    user.s3.put_object(Bucket=bucket, Key="w", Body=b"x")
    iam.detach_user_policy(UserName=user.name, PolicyArn=FULL)
    with pytest.raises(ClientError) as exc:
        iam.detach_user_policy(UserName=user.name, PolicyArn=FULL)
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user.name)
    assert code(exc) == ("DeleteConflict", 409)
