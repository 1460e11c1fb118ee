"""IAM users through boto3's iam client: every user operation's answer and its errors, as the IAM API
reference describes them (NoSuchEntity 404, EntityAlreadyExists 409, DeleteConflict 409,
ValidationError 400), and the permissions boundary's bookkeeping."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo
from iamclients import allow, code, doc, iam_fixtures, make_iam, new_user, unique

iam, raw, account_id = iam_fixtures()


def test_create_get_and_list_a_user_with_a_path(iam: Any, account_id: str) -> None:
    name = unique("alice")
    user = iam.create_user(UserName=name, Path="/engineering/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{account_id}:user/engineering/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Path"] == "/engineering/" and user["UserName"] == name
    assert iam.get_user(UserName=name)["User"] == user
    listed = iam.list_users(PathPrefix="/engineering/")["Users"]
    assert user in listed and all(u["Path"].startswith("/engineering/") for u in listed)
    assert all(u["UserName"] != name for u in iam.list_users(PathPrefix="/sales/")["Users"])


def test_get_user_without_a_name_is_the_caller(iam: Any, server: ServerInfo, account_id: str) -> None:
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{account_id}:root"
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="self", PolicyDocument=doc(allow("iam:GetUser", user.arn)))
    assert user.iam.get_user()["User"]["UserName"] == user.name


def test_list_users_pages_with_marker_and_max_items(iam: Any) -> None:
    path = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(3))
    for name in names:
        iam.create_user(UserName=name, Path=path)
    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert [u["UserName"] for u in first["Users"]] == names[:2] and first["IsTruncated"] is True
    second = iam.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == names[2:] and second["IsTruncated"] is False
    assert [u["UserName"] for page in iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 1})
            for u in page["Users"]] == names


def test_names_are_not_distinguished_by_case(iam: Any) -> None:
    name = unique("Bob")
    iam.create_user(UserName=name)
    for again in (name, name.lower()):
        with pytest.raises(ClientError) as exc:
            iam.create_user(UserName=again)
        assert code(exc) == ("EntityAlreadyExists", 409)
    assert iam.get_user(UserName=name.upper())["User"]["UserName"] == name  # found as created
    key = iam.create_access_key(UserName=name.lower())["AccessKey"]
    assert key["UserName"] == name
    group = unique("Team")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group.lower(), UserName=name.upper())
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [name]
    iam.put_user_policy(UserName=name.lower(), PolicyName="p", PolicyDocument=doc(allow("s3:GetObject")))
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["p"]
    iam.remove_user_from_group(GroupName=group, UserName=name.lower())
    iam.delete_user_policy(UserName=name.upper(), PolicyName="p")
    iam.delete_access_key(UserName=name.lower(), AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name.lower())
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert code(exc) == ("NoSuchEntity", 404)


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "slash/no", "semi;colon"])
def test_invalid_user_names_are_validation_errors(raw: Any, bad: str) -> None:
    with pytest.raises(ClientError) as exc:
        raw.create_user(UserName=bad)
    assert code(exc) == ("ValidationError", 400)
    assert "failed to satisfy constraint" in exc.value.response["Error"]["Message"]


@pytest.mark.parametrize("path", ["no-slashes", "/missing-end", "//"[:1] + "bad path/"])
def test_invalid_paths_are_validation_errors(raw: Any, path: str) -> None:
    with pytest.raises(ClientError) as exc:
        raw.create_user(UserName=unique("p"), Path=path)
    assert code(exc) == ("ValidationError", 400)


def test_a_missing_required_parameter_is_a_validation_error(raw: Any) -> None:
    with pytest.raises(ClientError) as exc:
        raw.create_user()
    assert code(exc) == ("ValidationError", 400)
    assert "Value null at 'userName'" in exc.value.response["Error"]["Message"]


def test_unknown_users_are_no_such_entity(iam: Any) -> None:
    for call in (lambda: iam.get_user(UserName="nobody-here"), lambda: iam.delete_user(UserName="nobody-here"),
                 lambda: iam.update_user(UserName="nobody-here", NewPath="/x/"),
                 lambda: iam.list_groups_for_user(UserName="nobody-here")):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NoSuchEntity", 404)
        assert "nobody-here" in exc.value.response["Error"]["Message"]


def test_update_user_renames_and_moves_keeping_keys_policies_and_groups(iam: Any, server: ServerInfo, account_id: str) -> None:
    user = new_user(iam, server.endpoint)
    group = unique("g")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    iam.put_user_policy(UserName=user.name, PolicyName="p", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    user.s3.list_buckets()  # the key is now cached with the user's old name
    renamed = unique("renamed")
    iam.update_user(UserName=user.name, NewUserName=renamed, NewPath="/moved/")
    got = iam.get_user(UserName=renamed)["User"]
    assert got["Arn"] == f"arn:aws:iam::{account_id}:user/moved/{renamed}" and got["UserId"] != ""
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName=renamed)["AccessKeyMetadata"]] == [user.key_id]
    assert iam.list_user_policies(UserName=renamed)["PolicyNames"] == ["p"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=renamed)["Groups"]] == [group]
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=user.name)
    assert code(exc) == ("NoSuchEntity", 404)
    user.s3.list_buckets()  # the key still signs, now as the renamed user (its inline policy allows this)


def test_renaming_onto_an_existing_user_is_entity_already_exists(iam: Any) -> None:
    a, b = unique("a"), unique("b")
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=a, NewUserName=b)
    assert code(exc) == ("EntityAlreadyExists", 409)
    assert iam.get_user(UserName=a)["User"]["UserName"] == a


def test_delete_user_is_refused_while_anything_hangs_off_it(iam: Any, account_id: str) -> None:
    name, group = unique("busy"), unique("g")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(allow("s3:GetObject")))
    arn = iam.create_policy(PolicyName=unique("m"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    undo = [
        ("access keys", lambda: iam.delete_access_key(UserName=name, AccessKeyId=key)),
        ("policies", lambda: iam.delete_user_policy(UserName=name, PolicyName="inline")),
        ("detach", lambda: iam.detach_user_policy(UserName=name, PolicyArn=arn)),
        ("group", lambda: iam.remove_user_from_group(GroupName=group, UserName=name)),
    ]
    for what, step in undo:
        with pytest.raises(ClientError) as exc:
            iam.delete_user(UserName=name)
        assert code(exc) == ("DeleteConflict", 409), what
        assert iam.get_user(UserName=name)["User"]["UserName"] == name
        step()
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert code(exc) == ("NoSuchEntity", 404)


def test_permissions_boundary_is_set_shown_counted_and_removed(iam: Any) -> None:
    name = unique("bounded")
    boundary = iam.create_policy(PolicyName=unique("boundary"), PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    user = iam.create_user(UserName=name, PermissionsBoundary=boundary)["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=boundary)
    assert code(exc) == ("DeleteConflict", 409)
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary


def test_a_boundary_must_be_an_existing_policy_of_the_account(iam: Any, account_id: str) -> None:
    name = unique("b")
    iam.create_user(UserName=name)
    missing = f"arn:aws:iam::{account_id}:policy/no-such-policy"
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=missing)
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=unique("b"), PermissionsBoundary=missing)
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="not-an-arn-at-all-of-any-kind")
    assert code(exc) == ("InvalidInput", 400)


def test_an_unknown_action_is_invalid_action(server: ServerInfo) -> None:
    iam = make_iam(server.endpoint)
    with pytest.raises(ClientError) as exc:
        iam._make_api_call("GetAccountAuthorizationDetails", {})  # a real IAM operation this server does not serve
    assert code(exc) == ("InvalidAction", 400)


TRUST_ANYONE = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


def test_listings_sort_names_ignoring_case(iam: Any) -> None:
    path = f"/case-{uuid.uuid4().hex[:8]}/"
    names = ["Ad", "ac", "Ab", "aa"]
    for name in names:
        iam.create_user(UserName=f"{name}-{path[6:-1]}", Path=path)
        iam.create_role(RoleName=f"{name}-{path[6:-1]}", Path=path, AssumeRolePolicyDocument=TRUST_ANYONE)
        iam.create_group(GroupName=f"{name}-{path[6:-1]}", Path=path)
    expected = [f"{n}-{path[6:-1]}" for n in ("aa", "Ab", "ac", "Ad")]
    assert [u["UserName"] for u in iam.list_users(PathPrefix=path)["Users"]] == expected
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix=path)["Roles"]] == expected
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix=path)["Groups"]] == expected


def test_list_pages_keep_name_order_whatever_the_case(iam: Any) -> None:
    path = f"/{unique('order')}/"
    names = [f"{p}-{unique('x')}" for p in ("aa", "Ab", "ac", "Ad")]
    for name, sub in zip(reversed(names), "wxyz", strict=True):
        iam.create_user(UserName=name, Path=f"{path}{sub}/")
    assert [u["UserName"] for u in iam.list_users(PathPrefix=path)["Users"]] == names
    assert [u["UserName"] for page in iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 1})
            for u in page["Users"]] == names


def test_account_summary_counts_entities_and_names_the_quotas(iam: Any, server: ServerInfo) -> None:
    before = iam.get_account_summary()["SummaryMap"]
    iam.create_user(UserName=unique("counted"))
    after = iam.get_account_summary()["SummaryMap"]
    assert after["Users"] == before["Users"] + 1
    assert (after["UsersQuota"], after["GroupsQuota"], after["AccessKeysPerUserQuota"], after["AccountAccessKeysPresent"]) == (5000, 300, 2, 1)
    user = new_user(iam, server.endpoint)
    with pytest.raises(ClientError) as exc:
        user.iam.get_account_summary()
    assert code(exc) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user.name, PolicyName="summary", PolicyDocument=doc(allow("iam:GetAccountSummary")))
    assert "Groups" in user.iam.get_account_summary()["SummaryMap"]
