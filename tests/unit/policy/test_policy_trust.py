"""Trust policies (PolicyKind.TRUST, a role's resource policy): they name principals, have no Resource
element, and their statements apply whatever the request's resource is."""

from __future__ import annotations

import pytest

from strongroom.policy import (
    Caller,
    MalformedPolicy,
    PolicyKind,
    PolicySet,
    RequestContext,
    decide,
    parse_policy,
)

A = "111111111111"


def trust(**statement: object) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", **statement}]}


def test_a_trust_policy_names_a_principal_and_matches_any_resource() -> None:
    policy = parse_policy(trust(Principal={"AWS": f"arn:aws:iam::{A}:root"}), kind=PolicyKind.TRUST)
    root = Caller(f"arn:aws:iam::{A}:root", A)
    context = RequestContext("sts:AssumeRole", f"arn:aws:iam::{A}:role/pod", root, A)
    assert decide(context, PolicySet(resource=(policy,))).allowed
    stranger = Caller("arn:aws:iam::222222222222:root", "222222222222")
    assert not decide(RequestContext("sts:AssumeRole", f"arn:aws:iam::{A}:role/pod", stranger, A), PolicySet(resource=(policy,))).allowed


@pytest.mark.parametrize(("statement", "fragment"), [
    ({"Principal": {"Service": "ec2.amazonaws.com"}, "Resource": "*"}, "prohibited field Resource"),
    ({"Principal": {"Service": "ec2.amazonaws.com"}, "NotResource": "*"}, "prohibited field NotResource"),
    ({}, "Principal or NotPrincipal is required"),
])
def test_trust_policy_grammar(statement: dict[str, object], fragment: str) -> None:
    with pytest.raises(MalformedPolicy, match=fragment):
        parse_policy(trust(**statement), kind=PolicyKind.TRUST)
