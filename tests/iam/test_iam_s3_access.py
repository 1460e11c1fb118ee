"""S3 with identities: a user may do exactly what its identity policies allow (inline, attached managed
policies at their default version, and its groups' policies), an explicit Deny anywhere wins, a
permissions boundary limits, and across accounts both the caller's identity policy and the bucket
policy must allow. A bucket policy naming the user itself allows on its own, as AWS has it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, ServerInfo, make_control_client
from iamclients import IamUserClients, allow, code, deny, doc, iam_fixtures, make_iam, new_user, unique

iam, raw, account_id = iam_fixtures()


@pytest.fixture
def data(s3: Any) -> str:
    """A bucket of the main account holding one object, "seed.txt"."""
    name = unique("iam-data")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="seed.txt", Body=b"seed")
    return name


def denied(call: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    assert code(exc) == ("AccessDenied", 403)


def test_a_user_without_policies_is_denied_everything_in_s3(iam: Any, server: ServerInfo, data: str) -> None:
    user = new_user(iam, server.endpoint)
    denied(lambda: user.s3.list_buckets())
    denied(lambda: user.s3.create_bucket(Bucket=unique("nope")))
    denied(lambda: user.s3.get_object(Bucket=data, Key="seed.txt"))
    denied(lambda: user.s3.put_object(Bucket=data, Key="new.txt", Body=b"x"))
    denied(lambda: user.s3.list_objects_v2(Bucket=data))


def test_an_inline_policy_allows_exactly_its_actions_on_its_resources(iam: Any, server: ServerInfo, s3: Any, data: str) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="read", PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{data}/*")))
    assert user.s3.get_object(Bucket=data, Key="seed.txt")["Body"].read() == b"seed"
    denied(lambda: user.s3.put_object(Bucket=data, Key="new.txt", Body=b"x"))
    denied(lambda: user.s3.list_objects_v2(Bucket=data))
    other = unique("iam-other")
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=other, Key="seed.txt", Body=b"other")
    denied(lambda: user.s3.get_object(Bucket=other, Key="seed.txt"))
    iam.delete_user_policy(UserName=user.name, PolicyName="read")
    denied(lambda: user.s3.get_object(Bucket=data, Key="seed.txt"))  # this gateway forgets at once


def test_a_managed_policy_allows_through_its_default_version(iam: Any, server: ServerInfo, data: str) -> None:
    user = new_user(iam, server.endpoint)
    arn = iam.create_policy(PolicyName=unique("writers"), PolicyDocument=doc(allow("s3:PutObject", f"arn:aws:s3:::{data}/*")))["Policy"]["Arn"]
    denied(lambda: user.s3.put_object(Bucket=data, Key="a.txt", Body=b"x"))
    iam.attach_user_policy(UserName=user.name, PolicyArn=arn)
    user.s3.put_object(Bucket=data, Key="a.txt", Body=b"x")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{data}/*")), SetAsDefault=True)
    denied(lambda: user.s3.put_object(Bucket=data, Key="b.txt", Body=b"x"))
    assert user.s3.get_object(Bucket=data, Key="a.txt")["Body"].read() == b"x"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    user.s3.put_object(Bucket=data, Key="b.txt", Body=b"x")
    iam.detach_user_policy(UserName=user.name, PolicyArn=arn)
    denied(lambda: user.s3.put_object(Bucket=data, Key="c.txt", Body=b"x"))


def test_group_policies_apply_to_members_only_while_they_are_members(iam: Any, server: ServerInfo, data: str) -> None:
    user, group = new_user(iam, server.endpoint), unique("readers")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=doc(allow("s3:ListBucket", f"arn:aws:s3:::{data}")))
    arn = iam.create_policy(PolicyName=unique("get"), PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{data}/*")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    denied(lambda: user.s3.list_objects_v2(Bucket=data))
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    assert [o["Key"] for o in user.s3.list_objects_v2(Bucket=data)["Contents"]] == ["seed.txt"]
    assert user.s3.get_object(Bucket=data, Key="seed.txt")["Body"].read() == b"seed"
    iam.remove_user_from_group(GroupName=group, UserName=user.name)
    denied(lambda: user.s3.list_objects_v2(Bucket=data))


def test_an_explicit_deny_in_a_group_beats_the_users_own_allow(iam: Any, server: ServerInfo, data: str) -> None:
    user, group = new_user(iam, server.endpoint), unique("no-deletes")
    iam.put_user_policy(UserName=user.name, PolicyName="all", PolicyDocument=doc(allow("s3:*")))
    user.s3.put_object(Bucket=data, Key="mine.txt", Body=b"x")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="deny", PolicyDocument=doc(deny("s3:DeleteObject", f"arn:aws:s3:::{data}/*")))
    iam.add_user_to_group(GroupName=group, UserName=user.name)
    denied(lambda: user.s3.delete_object(Bucket=data, Key="mine.txt"))
    assert user.s3.get_object(Bucket=data, Key="mine.txt")["Body"].read() == b"x"  # nothing changed


def test_a_permissions_boundary_limits_an_allow(iam: Any, server: ServerInfo, data: str) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="all", PolicyDocument=doc(allow("s3:*")))
    boundary = iam.create_policy(PolicyName=unique("read-only"), PolicyDocument=doc(allow(["s3:GetObject", "s3:ListBucket"])))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=user.name, PermissionsBoundary=boundary)
    assert user.s3.get_object(Bucket=data, Key="seed.txt")["Body"].read() == b"seed"
    denied(lambda: user.s3.put_object(Bucket=data, Key="w.txt", Body=b"x"))
    denied(lambda: user.s3.create_bucket(Bucket=unique("bounded")))
    iam.delete_user_permissions_boundary(UserName=user.name)
    user.s3.put_object(Bucket=data, Key="w.txt", Body=b"x")


def test_a_bucket_policy_naming_the_user_allows_it_without_an_identity_policy(iam: Any, server: ServerInfo, s3: Any, data: str) -> None:
    user = new_user(iam, server.endpoint)
    s3.put_bucket_policy(Bucket=data, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{data}/*"}]}))
    assert user.s3.get_object(Bucket=data, Key="seed.txt")["Body"].read() == b"seed"
    denied(lambda: user.s3.put_object(Bucket=data, Key="w.txt", Body=b"x"))


def test_policy_variables_resolve_to_the_user(iam: Any, server: ServerInfo, data: str) -> None:
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="home", PolicyDocument=doc(
        allow(["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::{data}/home/${{aws:username}}/*")))
    user.s3.put_object(Bucket=data, Key=f"home/{user.name}/notes.txt", Body=b"mine")
    denied(lambda: user.s3.put_object(Bucket=data, Key="home/someone-else/notes.txt", Body=b"x"))


def _alt_user(server: ServerInfo) -> IamUserClients:
    return new_user(make_iam(server.endpoint, ALT_KEY, ALT_SECRET), server.endpoint, "alt-user")


def test_across_accounts_both_the_identity_policy_and_the_bucket_policy_must_allow(iam: Any, server: ServerInfo, s3: Any, data: str) -> None:
    alt_iam, user = make_iam(server.endpoint, ALT_KEY, ALT_SECRET), _alt_user(server)
    alt_account = alt_iam.get_user()["User"]["Arn"].split(":")[4]
    alt_iam.put_user_policy(UserName=user.name, PolicyName="read", PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{data}/*")))
    denied(lambda: user.s3.get_object(Bucket=data, Key="seed.txt"))  # the identity side alone is not enough
    s3.put_bucket_policy(Bucket=data, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{alt_account}:root"}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{data}/*"}]}))
    assert user.s3.get_object(Bucket=data, Key="seed.txt")["Body"].read() == b"seed"
    alt_iam.delete_user_policy(UserName=user.name, PolicyName="read")
    denied(lambda: user.s3.get_object(Bucket=data, Key="seed.txt"))  # nor the bucket policy alone


def test_s3_control_needs_the_users_identity_policy(iam: Any, server: ServerInfo, account_id: str) -> None:
    user = new_user(iam, server.endpoint)
    control = make_control_client(server.endpoint, user.key_id, user.secret)
    with pytest.raises(ClientError) as exc:
        control.get_public_access_block(AccountId=account_id)
    assert code(exc) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user.name, PolicyName="read", PolicyDocument=doc(allow("s3:GetAccountPublicAccessBlock")))
    with pytest.raises(ClientError) as exc:  # allowed now: the account simply has no configuration
        control.get_public_access_block(AccountId=account_id)
    assert code(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
