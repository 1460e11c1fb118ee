"""IAM roles through boto3: CreateRole with its trust policy, path, description and session limit,
GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, the role's boundary, DeleteRole and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from iamclients import allow, code, doc, iam_fixtures, unique

iam, raw, account_id = iam_fixtures()


def trust(principal: dict[str, Any], action: str = "sts:AssumeRole", **extra: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, **extra}]}





def test_create_get_list_a_role(iam: Any, account_id: str) -> None:
    name, document = unique("pod"), trust({"AWS": f"arn:aws:iam::{account_id}:root"})
    role = iam.create_role(RoleName=name, Path="/service/", AssumeRolePolicyDocument=json.dumps(document),
                           Description="the pod's role", MaxSessionDuration=7200)["Role"]
    assert role["Arn"] == f"arn:aws:iam::{account_id}:role/service/{name}"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["AssumeRolePolicyDocument"] == document and role["MaxSessionDuration"] == 7200
    assert role["Description"] == "the pod's role"
    assert iam.get_role(RoleName=name)["Role"] == role
    assert role in iam.list_roles(PathPrefix="/service/")["Roles"]


def test_defaults_one_hour_sessions_and_path_slash(iam: Any) -> None:
    name = unique("r")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))["Role"]
    assert role["MaxSessionDuration"] == 3600 and role["Path"] == "/"


def test_update_role_and_trust_policy(iam: Any, account_id: str) -> None:
    name = unique("r")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))
    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=43200)
    newer = trust({"AWS": f"arn:aws:iam::{account_id}:root"}, Condition={"StringEquals": {"sts:ExternalId": "x"}})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(newer))
    role = iam.get_role(RoleName=name)["Role"]
    assert (role["Description"], role["MaxSessionDuration"], role["AssumeRolePolicyDocument"]) == ("changed", 43200, newer)


@pytest.mark.parametrize("seconds", [3599, 43201])
def test_max_session_duration_outside_one_to_twelve_hours_is_a_validation_error(raw: Any, seconds: int) -> None:
    with pytest.raises(ClientError) as exc:
        raw.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})),
                        MaxSessionDuration=seconds)
    assert code(exc) == ("ValidationError", 400)


@pytest.mark.parametrize(("document", "fragment"), [
    (trust({"Service": "ec2.amazonaws.com"}, Resource="*"), "Resource"),
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, "Principal"),
    (trust({"Service": "ec2.amazonaws.com"}, action="s3:GetObject"), "STS"),
    ({"Version": "2012-10-17", "Statement": "nope"}, "Statement"),
])
def test_malformed_trust_policies_are_refused(iam: Any, document: dict[str, Any], fragment: str) -> None:
    name = unique("r")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))
    assert code(exc) == ("MalformedPolicyDocument", 400)
    assert fragment in exc.value.response["Error"]["Message"]
    assert all(r["RoleName"] != name for r in iam.list_roles()["Roles"])


def test_role_boundary_and_delete_conflict(iam: Any) -> None:
    name = unique("r")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))
    boundary = iam.create_policy(PolicyName=unique("b"), PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=doc(allow("s3:GetObject")))
    iam.attach_role_policy(RoleName=name, PolicyArn=boundary)
    for step in (lambda: iam.delete_role_policy(RoleName=name, PolicyName="inline"),
                 lambda: iam.detach_role_policy(RoleName=name, PolicyArn=boundary)):
        with pytest.raises(ClientError) as exc:
            iam.delete_role(RoleName=name)
        assert code(exc) == ("DeleteConflict", 409)
        step()
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert code(exc) == ("NoSuchEntity", 404)


def test_role_errors(iam: Any) -> None:
    name = unique("r")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=json.dumps(trust({"Service": "ec2.amazonaws.com"})))
    assert code(exc) == ("EntityAlreadyExists", 409)
    for call in (lambda: iam.get_role(RoleName="no-such-role"), lambda: iam.delete_role(RoleName="no-such-role"),
                 lambda: iam.update_role(RoleName="no-such-role", Description="x"),
                 lambda: iam.update_assume_role_policy(RoleName="no-such-role", PolicyDocument=json.dumps(trust({"Service": "x.amazonaws.com"})))):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NoSuchEntity", 404)


def test_there_are_no_openid_connect_providers(iam: Any) -> None:
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
