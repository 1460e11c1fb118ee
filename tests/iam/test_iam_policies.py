"""IAM policies through boto3: inline user/group/role policies, managed policies with versions (at most
five, one default) and attachments (at most ten), and the validation of documents
(MalformedPolicyDocument, LimitExceeded for size)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from iamclients import allow, code, deny, doc, iam_fixtures, unique

iam, raw, account_id = iam_fixtures()

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})




def _entities(iam: Any) -> dict[str, str]:
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    return {"User": user, "Group": group, "Role": role}


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_inline_policies_put_get_list_replace_delete(iam: Any, kind: str) -> None:
    name = _entities(iam)[kind]
    who = {f"{kind}Name": name}
    put, get = getattr(iam, f"put_{kind.lower()}_policy"), getattr(iam, f"get_{kind.lower()}_policy")
    listed, delete = getattr(iam, f"list_{kind.lower()}_policies"), getattr(iam, f"delete_{kind.lower()}_policy")
    first = {"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "arn:aws:s3:::b/*")]}
    put(**who, PolicyName="read", PolicyDocument=json.dumps(first))
    put(**who, PolicyName="other", PolicyDocument=doc(deny("s3:DeleteObject")))
    got = get(**who, PolicyName="read")
    assert got[f"{kind}Name"] == name and got["PolicyName"] == "read" and got["PolicyDocument"] == first
    assert listed(**who)["PolicyNames"] == ["other", "read"]
    second = {"Version": "2012-10-17", "Statement": [allow("s3:PutObject", "arn:aws:s3:::b/*")]}
    put(**who, PolicyName="read", PolicyDocument=json.dumps(second))
    assert get(**who, PolicyName="read")["PolicyDocument"] == second
    delete(**who, PolicyName="read")
    assert listed(**who)["PolicyNames"] == ["other"]
    for call in (lambda: get(**who, PolicyName="read"), lambda: delete(**who, PolicyName="read"),
                 lambda: listed(**{f"{kind}Name": "no-such-entity"})):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NoSuchEntity", 404)


@pytest.mark.parametrize(("document", "fragment"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}), "Resource"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
     "must not specify a Principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}), "Effect"),
    (json.dumps({"Version": "2001-01-01", "Statement": [allow("s3:*")]}), "Version"),
])
def test_malformed_identity_policies_are_refused_naming_the_problem(iam: Any, document: str, fragment: str) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="bad", PolicyDocument=document)
    assert code(exc) == ("MalformedPolicyDocument", 400)
    assert fragment in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique("bad"), PolicyDocument=document)
    assert code(exc) == ("MalformedPolicyDocument", 400)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []


def test_inline_policies_of_a_user_share_a_2048_character_quota(iam: Any) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    big = doc(*[allow("s3:GetObject", f"arn:aws:s3:::bucket-{i:04d}/*") for i in range(11)])  # ~950 characters
    iam.put_user_policy(UserName=user, PolicyName="one", PolicyDocument=big)
    iam.put_user_policy(UserName=user, PolicyName="one", PolicyDocument=big)  # replacing counts once
    iam.put_user_policy(UserName=user, PolicyName="two", PolicyDocument=big)
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="three", PolicyDocument=big)
    assert code(exc) == ("LimitExceeded", 409)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["one", "two"]


def test_managed_policy_create_get_list_and_versions(iam: Any, account_id: str) -> None:
    name = unique("readers")
    policy = iam.create_policy(PolicyName=name, Path="/app/", PolicyDocument=doc(allow("s3:GetObject")), Description="read")["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{account_id}:policy/app/{name}"
    assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    arn = policy["Arn"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "read"
    assert arn in [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix="/app/")["Policies"]]
    assert arn not in [p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:PutObject")), SetAsDefault=True)["PolicyVersion"]
    assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert got["Document"]["Statement"][0]["Action"] == "s3:GetObject" and got["IsDefaultVersion"] is False
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:ListBucket")))
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        ("v3", False), ("v2", True), ("v1", False)]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v3", "v1"]


def test_version_rules_five_at_most_default_undeletable_ids_not_reused(iam: Any) -> None:
    arn = iam.create_policy(PolicyName=unique("v"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:GetObject")))
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:GetObject")))
    assert code(exc) == ("LimitExceeded", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert code(exc) == ("DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(allow("s3:GetObject")))["PolicyVersion"]["VersionId"] == "v6"
    for call in (lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v5"), lambda: iam.set_default_policy_version(PolicyArn=arn, VersionId="v9")):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:  # versions other than the default must go first
        iam.delete_policy(PolicyArn=arn)
    assert code(exc) == ("DeleteConflict", 409)


@pytest.mark.parametrize("kind", ["User", "Group", "Role"])
def test_attach_list_detach_and_delete_conflict(iam: Any, kind: str) -> None:
    name = _entities(iam)[kind]
    who = {f"{kind}Name": name}
    policy_name = unique("m")
    arn = iam.create_policy(PolicyName=policy_name, PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"]
    getattr(iam, f"attach_{kind.lower()}_policy")(**who, PolicyArn=arn)
    getattr(iam, f"attach_{kind.lower()}_policy")(**who, PolicyArn=arn)  # again: nothing changes
    listed = getattr(iam, f"list_attached_{kind.lower()}_policies")(**who)["AttachedPolicies"]
    assert listed == [{"PolicyName": policy_name, "PolicyArn": arn}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert arn in [p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert code(exc) == ("DeleteConflict", 409)
    getattr(iam, f"detach_{kind.lower()}_policy")(**who, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        getattr(iam, f"detach_{kind.lower()}_policy")(**who, PolicyArn=arn)
    assert code(exc) == ("NoSuchEntity", 404)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert code(exc) == ("NoSuchEntity", 404)


def test_attach_errors_and_the_ten_policy_quota(iam: Any, account_id: str) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=f"arn:aws:iam::{account_id}:policy/no-such-policy")
    assert code(exc) == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::111122223333:policy/of-another-account")
    assert code(exc) == ("NoSuchEntity", 404)
    arns = [iam.create_policy(PolicyName=unique("q"), PolicyDocument=doc(allow("s3:GetObject")))["Policy"]["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    assert code(exc) == ("LimitExceeded", 409)
    assert len(iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]) == 10


def test_duplicate_policy_names_are_entity_already_exists(iam: Any) -> None:
    name = unique("dup")
    iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("s3:GetObject")))
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name, Path="/elsewhere/", PolicyDocument=doc(allow("s3:GetObject")))
    assert code(exc) == ("EntityAlreadyExists", 409)
