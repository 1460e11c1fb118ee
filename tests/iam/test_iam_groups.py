"""IAM groups through boto3: create, get (with members), list, membership, delete, and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from iamclients import allow, code, doc, iam_fixtures, unique

iam, raw, account_id = iam_fixtures()


def test_create_get_list_and_membership(iam: Any, account_id: str) -> None:
    group, alice, bob = unique("devs"), unique("alice"), unique("bob")
    created = iam.create_group(GroupName=group, Path="/teams/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{account_id}:group/teams/{group}"
    assert created["GroupId"].startswith("AGPA") and len(created["GroupId"]) == 21
    for user in (alice, bob):
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=group, UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=alice)  # already a member: nothing changes
    got = iam.get_group(GroupName=group)
    assert got["Group"] == created
    assert sorted(u["UserName"] for u in got["Users"]) == sorted([alice, bob])
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=alice)["Groups"]] == [group]
    assert created in iam.list_groups(PathPrefix="/teams/")["Groups"]
    iam.remove_user_from_group(GroupName=group, UserName=bob)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [alice]
    assert iam.list_groups_for_user(UserName=bob)["Groups"] == []


def test_group_errors(iam: Any) -> None:
    group, user = unique("g"), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.create_group(GroupName=group.upper())
    assert code(exc) == ("EntityAlreadyExists", 409)
    for call in (lambda: iam.get_group(GroupName="no-such-group"), lambda: iam.delete_group(GroupName="no-such-group"),
                 lambda: iam.add_user_to_group(GroupName="no-such-group", UserName=user),
                 lambda: iam.add_user_to_group(GroupName=group, UserName="no-such-user"),
                 lambda: iam.remove_user_from_group(GroupName=group, UserName=user)):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NoSuchEntity", 404)


def test_delete_group_is_refused_while_it_has_members_or_policies(iam: Any) -> None:
    group, user = unique("g"), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=doc(allow("s3:GetObject")))
    arn = iam.create_policy(PolicyName=unique("m"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    for step in (lambda: iam.remove_user_from_group(GroupName=group, UserName=user),
                 lambda: iam.delete_group_policy(GroupName=group, PolicyName="p"),
                 lambda: iam.detach_group_policy(GroupName=group, PolicyArn=arn)):
        with pytest.raises(ClientError) as exc:
            iam.delete_group(GroupName=group)
        assert code(exc) == ("DeleteConflict", 409)
        step()
    iam.delete_group(GroupName=group)
    assert all(g["GroupName"] != group for g in iam.list_groups()["Groups"])


def test_update_group_renames_and_moves_keeping_members_and_policies(iam: Any, account_id: str) -> None:
    group, user, renamed = unique("g"), unique("u"), unique("renamed")
    group_id = iam.create_group(GroupName=group)["Group"]["GroupId"]
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=doc(allow("s3:GetObject")))
    iam.update_group(GroupName=group, NewGroupName=renamed, NewPath="/moved/")
    got = iam.get_group(GroupName=renamed)
    assert got["Group"]["Arn"] == f"arn:aws:iam::{account_id}:group/moved/{renamed}" and got["Group"]["GroupId"] == group_id
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert iam.list_group_policies(GroupName=renamed)["PolicyNames"] == ["p"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [renamed]
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=group)
    assert code(exc) == ("NoSuchEntity", 404)
