"""Who may call IAM: an account's root always; a user only what its identity policies allow, on the IAM
resource ARN of the operation (an explicit Deny wins; a permissions boundary limits); and only ever in
its own account."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, ServerInfo
from iamclients import allow, code, deny, doc, iam_fixtures, make_iam, new_user, unique

iam, raw, account_id = iam_fixtures()


def test_a_user_without_policies_may_do_nothing_in_iam(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    target = unique("victim")
    for call in (lambda: user.iam.create_user(UserName=target), lambda: user.iam.list_users(), lambda: user.iam.get_user(),
                 lambda: user.iam.create_access_key(), lambda: user.iam.list_roles()):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDenied", 403)
        assert f"User: {user.arn} is not authorized to perform: iam:" in exc.value.response["Error"]["Message"]
    assert all(u["UserName"] != target for u in iam.list_users()["Users"])


def test_a_user_may_do_exactly_what_its_policy_names_on_the_resources_it_names(iam: Any, server: ServerInfo, account_id: str) -> None:
    admin = new_user(iam, server.endpoint, "user-admin")
    iam.put_user_policy(UserName=admin.name, PolicyName="create-under-path", PolicyDocument=doc(
        allow(["iam:CreateUser", "iam:GetUser"], f"arn:aws:iam::{account_id}:user/managed/*")))
    made = unique("made")
    admin.iam.create_user(UserName=made, Path="/managed/")
    assert admin.iam.get_user(UserName=made)["User"]["Path"] == "/managed/"
    with pytest.raises(ClientError) as exc:  # another path is another resource
        admin.iam.create_user(UserName=unique("elsewhere"))
    assert code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:  # another action
        admin.iam.delete_user(UserName=made)
    assert code(exc) == ("AccessDenied", 403)
    assert iam.get_user(UserName=made)["User"]["UserName"] == made


def test_an_explicit_deny_in_a_group_beats_the_users_allow(iam: Any, server: ServerInfo) -> None:
    user, group = new_user(iam, server.endpoint), unique("no-iam-writes")
    iam.put_user_policy(UserName=user.name, PolicyName="all-iam", PolicyDocument=doc(allow("iam:*")))
    user.iam.list_users()
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="deny-create", PolicyDocument=doc(deny("iam:CreateUser")))
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    with pytest.raises(ClientError) as exc:
        user.iam.create_user(UserName=unique("x"))
    assert code(exc) == ("AccessDenied", 403) and "explicit deny" in exc.value.response["Error"]["Message"]
    user.iam.list_users()


def test_a_permissions_boundary_limits_what_the_users_policy_allows(iam: Any, server: ServerInfo) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="all-iam", PolicyDocument=doc(allow("iam:*")))
    boundary = iam.create_policy(PolicyName=unique("read-only-iam"), PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=user.name, PermissionsBoundary=boundary)
    user.iam.list_users()
    with pytest.raises(ClientError) as exc:
        user.iam.create_user(UserName=unique("x"))
    assert code(exc) == ("AccessDenied", 403) and "permissions boundary" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:  # nor may it lift its own boundary
        user.iam.delete_user_permissions_boundary(UserName=user.name)
    assert code(exc) == ("AccessDenied", 403)
    iam.delete_user_permissions_boundary(UserName=user.name)
    user.iam.create_user(UserName=unique("x"))


def test_attachment_can_be_limited_by_the_policy_arn_condition(iam: Any, server: ServerInfo, account_id: str) -> None:
    user = new_user(iam, server.endpoint)
    allowed = iam.create_policy(PolicyName=unique("ok"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    other = iam.create_policy(PolicyName=unique("no"), PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    iam.put_user_policy(UserName=user.name, PolicyName="attach-one", PolicyDocument=doc(
        allow("iam:AttachUserPolicy", "*", Condition={"ArnEquals": {"iam:PolicyARN": allowed}})))
    target = unique("t")
    iam.create_user(UserName=target)
    user.iam.attach_user_policy(UserName=target, PolicyArn=allowed)
    with pytest.raises(ClientError) as exc:
        user.iam.attach_user_policy(UserName=target, PolicyArn=other)
    assert code(exc) == ("AccessDenied", 403)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=target)["AttachedPolicies"]] == [allowed]


def test_accounts_see_only_their_own_identities(iam: Any, server: ServerInfo) -> None:
    name = unique("mine")
    iam.create_user(UserName=name)
    alt = make_iam(server.endpoint, ALT_KEY, ALT_SECRET)
    assert all(u["UserName"] != name for u in alt.list_users()["Users"])
    with pytest.raises(ClientError) as exc:
        alt.get_user(UserName=name)
    assert code(exc) == ("NoSuchEntity", 404)
    alt.create_user(UserName=name)  # the same name in another account is another user
    assert alt.get_user(UserName=name)["User"]["Arn"] != iam.get_user(UserName=name)["User"]["Arn"]


def test_unsigned_and_badly_signed_requests_are_refused(server: ServerInfo) -> None:
    bad = make_iam(server.endpoint, "AKIAMAINTESTKEY00001", "not-the-secret")
    with pytest.raises(ClientError) as exc:
        bad.list_users()
    assert code(exc) == ("SignatureDoesNotMatch", 403)
    unknown = make_iam(server.endpoint, "AKIANOSUCHKEYATALL00", "whatever")
    with pytest.raises(ClientError) as exc:
        unknown.list_users()
    assert code(exc) == ("InvalidClientTokenId", 403)
