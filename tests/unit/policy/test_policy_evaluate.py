"""The evaluation function: explicit deny wins, then allow, else implicit deny; accounts and delegation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.errors import S3Error
from strongroom.policy import (
    ACCOUNT_PRINCIPAL,
    ANONYMOUS,
    Caller,
    PolicyKind,
    PolicySet,
    RequestContext,
    authorize,
    decide,
    parse_policy,
)

A, B = "111111111111", "222222222222"
ROOT_A = Caller(f"arn:aws:iam::{A}:root", A)
ALICE_A = Caller(f"arn:aws:iam::{A}:user/alice", A)
ROOT_B = Caller(f"arn:aws:iam::{B}:root", B)
KEY = f"arn:aws:kms:us-east-1:{A}:key/k1"


def policy(*statements: dict[str, Any], kind: PolicyKind = PolicyKind.RESOURCE, name: str = "key policy") -> Any:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind=kind, name=name)


def root_statement(account: str = A) -> dict[str, Any]:
    return {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}


def ask(caller: Caller, action: str = "kms:Decrypt", keys: dict[str, Any] | None = None, resource: str = KEY, owner: str = A) -> RequestContext:
    return RequestContext(action, resource, caller, owner, keys or {})


def kms_set(*resource: Any) -> PolicySet:
    return PolicySet(resource=tuple(resource), identity=(ACCOUNT_PRINCIPAL,), resource_policy_required=True)


def test_default_key_policy_allows_own_account_and_not_others() -> None:
    p = policy(root_statement())
    d = decide(ask(ROOT_A), kms_set(p))
    assert d.allowed and [s.sid for s in d.statements] == ["Enable IAM User Permissions"]
    assert decide(ask(ALICE_A), kms_set(p)).allowed  # delegated to IAM; the user's identity allows
    denied = decide(ask(ROOT_B), kms_set(p))
    assert denied.effect == "ImplicitDeny" and "no resource-based policy allows the kms:Decrypt action" in denied.reason


def test_delegation_needs_an_identity_allow() -> None:
    p = policy(root_statement())
    assert not decide(ask(ALICE_A), PolicySet(resource=(p,), resource_policy_required=True)).allowed
    # The root user needs none: the statement names it.
    assert decide(ask(ROOT_A), PolicySet(resource=(p,), resource_policy_required=True)).allowed


def test_key_policy_is_required_even_for_the_owner() -> None:
    p = policy({**root_statement(), "Principal": {"AWS": f"arn:aws:iam::{A}:user/alice"}})
    assert not decide(ask(ROOT_A), kms_set(p)).allowed
    assert decide(ask(ALICE_A), kms_set(p)).allowed
    # Without that requirement (S3), the owner's identity suffices.
    assert decide(ask(ROOT_A), PolicySet(resource=(p,), identity=(ACCOUNT_PRINCIPAL,))).allowed


def test_explicit_deny_wins_and_is_reported() -> None:
    deny = {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    p = policy(root_statement(), deny)
    d = decide(ask(ROOT_A), kms_set(p))
    assert d.effect == "ExplicitDeny" and [s.sid for s in d.statements] == ["NoDecrypt"]
    assert "explicit deny in a resource-based policy" in d.reason
    assert decide(ask(ROOT_A, "kms:Encrypt"), kms_set(p)).allowed
    identity_deny = policy({"Effect": "Deny", "Action": "*", "Resource": "*"}, kind=PolicyKind.IDENTITY, name="deny-all")
    d2 = decide(ask(ROOT_A), PolicySet(resource=(policy(root_statement()),), identity=(ACCOUNT_PRINCIPAL, identity_deny)))
    assert d2.effect == "ExplicitDeny" and "identity-based policy" in d2.reason


def test_deny_naming_the_account_applies_to_its_users() -> None:
    deny = {"Effect": "Deny", "Principal": {"AWS": A}, "Action": "kms:*", "Resource": "*"}
    assert decide(ask(ALICE_A), kms_set(policy(root_statement(), deny))).effect == "ExplicitDeny"


def test_cross_account_needs_the_resource_policy_and_the_identity() -> None:
    grant_b = {"Sid": "B", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
    p = policy(root_statement(), grant_b)
    d = decide(ask(ROOT_B), kms_set(p))
    assert d.allowed and {s.sid for s in d.statements} >= {"B", "AccountPrincipal"}
    assert not decide(ask(ROOT_B, "kms:Encrypt"), kms_set(p)).allowed
    assert not decide(ask(ROOT_B), PolicySet(resource=(p,), resource_policy_required=True)).allowed  # no identity side


def test_not_action_not_resource_not_principal() -> None:
    p = policy(
        root_statement(),
        {"Sid": "OnlyDescribe", "Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{A}:root"}, "NotAction": "kms:Describe*", "Resource": "*"},
    )
    assert decide(ask(ROOT_A), kms_set(p)).allowed
    assert decide(ask(ALICE_A), kms_set(p)).effect == "ExplicitDeny"
    assert decide(ask(ALICE_A, "kms:DescribeKey"), kms_set(p)).allowed
    not_resource = {k: v for k, v in root_statement().items() if k != "Resource"}
    q = policy({**not_resource, "NotResource": f"arn:aws:kms:us-east-1:{A}:key/other"})
    assert decide(ask(ROOT_A), kms_set(q)).allowed
    assert not decide(ask(ROOT_A, resource=f"arn:aws:kms:us-east-1:{A}:key/other"), kms_set(q)).allowed


def test_actions_are_case_insensitive_and_resources_are_not() -> None:
    p = policy({**root_statement(), "Action": "KMS:decrypt", "Resource": f"arn:aws:kms:us-east-1:{A}:key/K*"})
    assert decide(ask(ROOT_A, "kms:Decrypt", resource=f"arn:aws:kms:us-east-1:{A}:key/K1"), kms_set(p)).allowed
    assert not decide(ask(ROOT_A, "kms:Decrypt", resource=f"arn:aws:kms:us-east-1:{A}:key/k1"), kms_set(p)).allowed


def test_conditions_and_variables_take_part() -> None:
    p = policy({
        **root_statement(),
        "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "${aws:PrincipalAccount}"}},
    })
    via = {"kms:ViaService": "s3.us-east-1.amazonaws.com", "aws:PrincipalAccount": A, "kms:CallerAccount": A}
    assert decide(ask(ROOT_A, keys=via), kms_set(p)).allowed
    assert not decide(ask(ROOT_A, keys={**via, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}), kms_set(p)).allowed
    assert not decide(ask(ROOT_A, keys={"aws:PrincipalAccount": A, "kms:CallerAccount": A}), kms_set(p)).allowed


def test_anonymous_service_and_canonical_principals() -> None:
    public = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, name="bucket policy")
    s3_ask = RequestContext("s3:GetObject", "arn:aws:s3:::b/k", ANONYMOUS, A)
    assert decide(s3_ask, PolicySet(resource=(public,))).allowed
    assert not decide(s3_ask, PolicySet()).allowed
    svc = policy({"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"})
    assert decide(RequestContext("s3:PutObject", "arn:aws:s3:::b/k", Caller(service="logging.s3.amazonaws.com"), A), PolicySet(resource=(svc,))).allowed
    canon = policy({"Effect": "Allow", "Principal": {"CanonicalUser": "c-b"}, "Action": "s3:GetObject", "Resource": "*"})
    caller_b = Caller(f"arn:aws:iam::{B}:root", B, canonical_id="c-b")
    assert decide(RequestContext("s3:GetObject", "arn:aws:s3:::b/k", caller_b, A), PolicySet(resource=(canon,), identity=(ACCOUNT_PRINCIPAL,))).allowed


def test_boundaries_and_session_policies_limit_identity_allows() -> None:
    only_get = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, kind=PolicyKind.IDENTITY, name="boundary")
    ctx_put = RequestContext("s3:PutObject", "arn:aws:s3:::b/k", ALICE_A, A)
    ctx_get = RequestContext("s3:GetObject", "arn:aws:s3:::b/k", ALICE_A, A)
    assert decide(ctx_put, PolicySet(identity=(ACCOUNT_PRINCIPAL,))).allowed
    assert not decide(ctx_put, PolicySet(identity=(ACCOUNT_PRINCIPAL,), boundaries=(only_get,))).allowed
    assert decide(ctx_get, PolicySet(identity=(ACCOUNT_PRINCIPAL,), boundaries=(only_get,))).allowed
    d = decide(ctx_put, PolicySet(identity=(ACCOUNT_PRINCIPAL,), session=(only_get,)))
    assert not d.allowed and "session policy" in d.reason


def test_owner_only_behaviour_of_s3_today() -> None:
    s3 = PolicySet(identity=(ACCOUNT_PRINCIPAL,))
    assert decide(RequestContext("s3:PutObject", "arn:aws:s3:::b/k", ALICE_A, A), s3).allowed
    assert decide(RequestContext("s3:CreateBucket", "arn:aws:s3:::b", ROOT_B, None), s3).allowed
    assert not decide(RequestContext("s3:GetObject", "arn:aws:s3:::b/k", ROOT_B, A), s3).allowed
    assert not decide(RequestContext("s3:GetObject", "arn:aws:s3:::b/k", ANONYMOUS, A), PolicySet()).allowed


def test_authorize_issues_a_grant_or_the_named_error() -> None:
    grant = authorize(ask(ROOT_A), kms_set(policy(root_statement())))
    assert grant.principal_arn == ROOT_A.arn and grant.account_id == A and grant.action == "kms:Decrypt"
    with pytest.raises(S3Error) as caught:
        authorize(ask(ROOT_B), kms_set(policy(root_statement())), error="AccessDeniedException", explain=True)
    assert caught.value.code == "AccessDeniedException"
    assert f"User: arn:aws:iam::{B}:root is not authorized to perform: kms:Decrypt" in caught.value.message


def test_implicit_deny_names_the_allows_that_applied_but_were_not_enough() -> None:
    bucket = policy({"Sid": "B", "Effect": "Allow", "Principal": {"AWS": A}, "Action": "s3:GetObject", "Resource": "*"}, name="bucket policy")
    d = decide(ask(ROOT_B, "s3:PutObject", resource="arn:aws:s3:::b/k"), PolicySet(resource=(bucket,), identity=(ACCOUNT_PRINCIPAL,)))
    assert d.effect == "ImplicitDeny" and d.statements == ()
    assert [(s.policy, s.sid) for s in d.considered] == [("account principal", "AccountPrincipal")]
    assert decide(ask(ROOT_A, "s3:GetObject", resource="arn:aws:s3:::b/k"), PolicySet(resource=(bucket,))).considered == ()
