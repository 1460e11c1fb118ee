"""Parsing and validating policy documents: the grammar, and refusals that name the problem."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.policy import MalformedPolicy, PolicyKind, parse_policy

ACCOUNT = "111111111111"


def stmt(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return json.dumps(body)


def test_default_key_policy_parses() -> None:
    policy = parse_policy(doc(stmt(Sid="Enable IAM User Permissions")))
    (s,) = policy.statements
    assert policy.version == "2012-10-17" and s.sid == "Enable IAM User Permissions" and s.effect == "Allow"
    assert s.principals is not None and s.principals.aws == {f"arn:aws:iam::{ACCOUNT}:root"}
    assert s.actions == ("kms:*",) and s.resources == (("*",),)


def test_statement_may_be_a_single_object_and_version_defaults_to_2008() -> None:
    policy = parse_policy(json.dumps({"Statement": stmt()}))
    assert policy.version == "2008-10-17" and len(policy.statements) == 1


def test_principal_forms() -> None:
    s = parse_policy(doc(stmt(Principal={"AWS": [ACCOUNT, "*"], "Service": "s3.amazonaws.com", "CanonicalUser": "abc", "Federated": "cognito-identity.amazonaws.com"}))).statements[0]
    assert s.principals is not None
    assert s.principals.anyone and s.principals.aws == {f"arn:aws:iam::{ACCOUNT}:root"}
    assert s.principals.service == {"s3.amazonaws.com"} and s.principals.canonical_user == {"abc"}
    assert parse_policy(doc(stmt(Principal="*"))).statements[0].principals.anyone  # type: ignore[union-attr]
    not_p = parse_policy(doc(stmt(Effect="Deny", Principal=None, NotPrincipal={"AWS": ACCOUNT}))).statements[0]
    assert not_p.not_principal


def test_identity_policies_have_no_principal() -> None:
    parse_policy(doc(stmt(Principal=None)), kind=PolicyKind.IDENTITY)
    with pytest.raises(MalformedPolicy, match="must not specify a Principal"):
        parse_policy(doc(stmt()), kind=PolicyKind.IDENTITY)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"Version": "2012-10-17"}', "no Statement"),
        (doc(version="2020-01-01"), "Invalid policy Version"),
        (json.dumps({"Version": "2012-10-17", "Statement": []}), "non-empty list"),
        (json.dumps({"Version": "2012-10-17", "Statement": [stmt()], "Extra": 1}), "Unknown policy element 'Extra'"),
        (doc(stmt(Effect="allow")), "Effect must be"),
        (doc(stmt(Principal=None)), "Principal or NotPrincipal is required"),
        (doc(stmt(NotPrincipal="*")), "cannot both be present"),
        (doc(stmt(Action=None)), "Action or NotAction is required"),
        (doc(stmt(NotAction="kms:Decrypt")), "cannot both be present"),
        (doc(stmt(Resource=None)), "Resource or NotResource is required"),
        (doc(stmt(Action="Decrypt")), "invalid action 'Decrypt'"),
        (doc(stmt(Action=[])), "Action must not be empty"),
        (doc(stmt(Action=[3])), "non-empty string"),
        (doc(stmt(Resource="bucket")), "invalid resource 'bucket'"),
        (doc(stmt(Principal={"AWS": "alice"})), "invalid principal 'alice'"),
        (doc(stmt(Principal={"AWS": "arn:aws:iam::111111111111:user/*"})), "wildcards are not allowed"),
        (doc(stmt(Principal={"Group": "x"})), "invalid principal type 'Group'"),
        (doc(stmt(Principal="everyone")), "must be \"\\*\" or an object"),
        (doc(stmt(Condition={"StringEqualz": {"a:b": "c"}})), "Invalid Condition type : StringEqualz"),
        (doc(stmt(Condition={"StringEquals": "x"})), "non-empty object of keys"),
        (doc(stmt(Condition=[1])), "Condition must be an object"),
        (doc(stmt(Sid="a"), stmt(Sid="a")), "must be unique"),
        (doc(stmt(Sid=5)), "Sid must be a string"),
        (doc(stmt(Extra="x")), "unknown element 'Extra'"),
        (doc(stmt(Resource="arn:aws:s3:::b/${bad var}")), "invalid policy variable"),
        ('{"Statement": [], "Statement": []}', "Duplicate key 'Statement'"),
        ("[" * 10000 + "]" * 10000, "not valid JSON|must be a JSON object|nested too deeply"),
        (json.dumps({"Statement": stmt(Condition={"a": {"b": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}})}), "nested too deeply"),
    ],
)
def test_malformed_documents_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(MalformedPolicy, match=fragment):
        parse_policy(text)


def test_the_problem_names_the_statement() -> None:
    with pytest.raises(MalformedPolicy, match="Statement 'Second'"):
        parse_policy(doc(stmt(Sid="First"), stmt(Sid="Second", Effect="Maybe")))
    with pytest.raises(MalformedPolicy, match="Statement 2"):
        parse_policy(doc(stmt(), stmt(Effect="Maybe")))


def test_size_cap() -> None:
    big = doc(stmt(Sid="x" * 40000))
    with pytest.raises(MalformedPolicy, match="larger than 32768 bytes"):
        parse_policy(big)
    with pytest.raises(MalformedPolicy, match="larger than 100 bytes"):
        parse_policy(doc(stmt()), max_bytes=100)


def test_variables_only_in_2012_policies() -> None:
    new = parse_policy(doc(stmt(Resource="arn:aws:s3:::b/${aws:username}/*")))
    old = parse_policy(doc(stmt(Resource="arn:aws:s3:::b/${aws:username}/*"), version="2008-10-17"))
    assert len(new.statements[0].resources[0]) == 3
    assert old.statements[0].resources[0] == ("arn:aws:s3:::b/${aws:username}/*",)
