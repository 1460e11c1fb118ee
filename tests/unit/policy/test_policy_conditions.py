"""Condition operators: every family, IfExists, ForAnyValue/ForAllValues, absent and multi-valued keys."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.conditions import OPERATORS, ConditionError, clause_matches, parse_clause


def holds(operator: str, key: str, policy_value: Any, context: dict[str, Any], *, variables: bool = True) -> bool:
    return clause_matches(parse_clause(operator, key, policy_value, variables=variables), {k.lower(): v for k, v in context.items()})


WORDS = st.text(alphabet="abAB-/", min_size=0, max_size=6)


def test_string_family() -> None:
    assert holds("StringEquals", "s3:prefix", "home/", {"s3:prefix": "home/"})
    assert not holds("StringEquals", "s3:prefix", "home/", {"s3:prefix": "Home/"})
    assert holds("StringEquals", "s3:prefix", ["a", "home/"], {"s3:prefix": "home/"})
    assert not holds("StringEquals", "s3:prefix", "a*", {"s3:prefix": "abc"})  # no wildcards in Equals
    assert holds("StringNotEquals", "s3:prefix", ["a", "b"], {"s3:prefix": "c"})
    assert not holds("StringNotEquals", "s3:prefix", ["a", "b"], {"s3:prefix": "b"})
    assert holds("StringEqualsIgnoreCase", "s3:prefix", "HOME", {"s3:prefix": "home"})
    assert not holds("StringNotEqualsIgnoreCase", "s3:prefix", "HOME", {"s3:prefix": "home"})
    assert holds("StringLike", "s3:prefix", "home/*", {"s3:prefix": "home/x/y"})
    assert holds("StringNotLike", "s3:prefix", "home/*", {"s3:prefix": "other"})


@given(WORDS, WORDS)
def test_string_negations_are_complements_when_present(policy_value: str, request_value: str) -> None:
    ctx = {"k:k": request_value}
    for positive, negative in [("StringEquals", "StringNotEquals"), ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"), ("StringLike", "StringNotLike")]:
        assert holds(positive, "k:k", policy_value, ctx) != holds(negative, "k:k", policy_value, ctx)
    assert holds("StringEqualsIgnoreCase", "k:k", policy_value, ctx) == (policy_value.lower() == request_value.lower())


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_numeric_family_is_integer_comparison(a: int, b: int) -> None:
    ctx = {"s3:max-keys": str(a)}
    assert holds("NumericEquals", "s3:max-keys", b, ctx) == (a == b)
    assert holds("NumericNotEquals", "s3:max-keys", str(b), ctx) == (a != b)
    assert holds("NumericLessThan", "s3:max-keys", b, ctx) == (a < b)
    assert holds("NumericLessThanEquals", "s3:max-keys", b, ctx) == (a <= b)
    assert holds("NumericGreaterThan", "s3:max-keys", b, ctx) == (a > b)
    assert holds("NumericGreaterThanEquals", "s3:max-keys", b, ctx) == (a >= b)


@given(st.integers(0, 4_000_000_000), st.integers(0, 4_000_000_000))
def test_date_family_compares_moments_in_either_notation(a: int, b: int) -> None:
    from datetime import UTC, datetime

    iso = datetime.fromtimestamp(b, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx = {"aws:CurrentTime": datetime.fromtimestamp(a, UTC).isoformat()}
    assert holds("DateLessThan", "aws:CurrentTime", iso, ctx) == (a < b)
    assert holds("DateGreaterThanEquals", "aws:CurrentTime", b, ctx) == (a >= b)
    assert holds("DateEquals", "aws:EpochTime", b, {"aws:EpochTime": str(a)}) == (a == b)
    assert holds("DateNotEquals", "aws:EpochTime", iso, {"aws:EpochTime": str(a)}) == (a != b)


def test_bool_binary_null() -> None:
    assert holds("Bool", "aws:SecureTransport", False, {"aws:SecureTransport": "false"})
    assert holds("Bool", "aws:SecureTransport", "TRUE", {"aws:SecureTransport": "true"})
    assert not holds("Bool", "aws:SecureTransport", "false", {})  # absent: false
    data = base64.b64encode(b"\x00\x01").decode()
    assert holds("BinaryEquals", "k:bin", data, {"k:bin": data})
    assert not holds("BinaryEquals", "k:bin", data, {"k:bin": base64.b64encode(b"x").decode()})
    assert holds("Null", "aws:TokenIssueTime", "true", {})
    assert not holds("Null", "aws:TokenIssueTime", "true", {"aws:TokenIssueTime": "x"})
    assert holds("Null", "aws:TokenIssueTime", False, {"aws:TokenIssueTime": "x"})
    assert holds("Null", "aws:TagKeys", "true", {"aws:TagKeys": ()})  # an empty set is null


@given(st.integers(0, 2**32 - 1), st.integers(0, 32), st.integers(0, 2**32 - 1))
def test_ip_address_is_network_membership(network: int, prefix: int, address: int) -> None:
    import ipaddress

    net = ipaddress.ip_network((network, prefix), strict=False)
    ip = ipaddress.ip_address(address)
    ctx = {"aws:SourceIp": str(ip)}
    assert holds("IpAddress", "aws:SourceIp", str(net), ctx) == (ip in net)
    assert holds("NotIpAddress", "aws:SourceIp", str(net), ctx) == (ip not in net)


def test_ip_address_v6_and_mixed_families() -> None:
    assert holds("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"})
    assert not holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "2001:db8::1"})
    assert not holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "garbage"})
    assert holds("IpAddress", "aws:SourceIp", ["192.0.2.0/24", "127.0.0.1"], {"aws:SourceIp": "127.0.0.1"})


def test_arn_family() -> None:
    ctx = {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"}
    assert holds("ArnLike", "aws:PrincipalArn", "arn:aws:iam::111111111111:user/*", ctx)
    assert holds("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:user/alice", ctx)
    assert holds("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::222222222222:*", ctx)
    assert not holds("ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::111111111111:user/alice", ctx)
    assert not holds("ArnLike", "aws:PrincipalArn", "arn:aws:iam::111111111111:user/*", {"aws:PrincipalArn": "alice"})


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_absent_key_rules_for_every_operator(operator: str) -> None:
    kind = OPERATORS[operator]
    value = {"numeric": "1", "date": "2020-01-01", "bool": "true", "binary": "AA==", "ip": "10.0.0.0/8", "null": "true"}.get(kind.kind, "x")
    if operator == "Null":
        assert holds(operator, "k:absent", value, {})
        return
    # Absent key: false, except negated operators (true); IfExists always true.
    assert holds(operator, "k:absent", value, {}) == kind.negated
    assert holds(operator + "IfExists", "k:absent", value, {})
    assert holds("ForAllValues:" + operator, "k:absent", value, {})
    assert not holds("ForAnyValue:" + operator, "k:absent", value, {})


def test_if_exists_applies_the_operator_when_present() -> None:
    assert not holds("StringEqualsIfExists", "s3:x-amz-acl", "private", {"s3:x-amz-acl": "public-read"})
    assert holds("StringEqualsIfExists", "s3:x-amz-acl", "private", {"s3:x-amz-acl": "private"})


@given(st.lists(st.sampled_from("abcd"), max_size=4), st.lists(st.sampled_from("abcd"), max_size=4))
def test_set_qualifiers(request_values: list[str], policy_values: list[str]) -> None:
    ctx = {"aws:TagKeys": tuple(request_values)}
    allowed = set(policy_values)
    assert holds("ForAllValues:StringEquals", "aws:TagKeys", policy_values, ctx) == all(v in allowed for v in request_values)
    assert holds("ForAnyValue:StringEquals", "aws:TagKeys", policy_values, ctx) == any(v in allowed for v in request_values)
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", policy_values, ctx) == any(v not in allowed for v in request_values)
    assert holds("ForAllValues:StringNotEquals", "aws:TagKeys", policy_values, ctx) == all(v not in allowed for v in request_values)


def test_key_names_are_case_insensitive_and_values_are_not() -> None:
    assert holds("StringEquals", "AWS:USERNAME", "alice", {"aws:username": "alice"})
    assert not holds("StringEquals", "aws:username", "Alice", {"aws:username": "alice"})


def test_policy_variables_in_string_values() -> None:
    ctx = {"aws:username": "alice", "s3:prefix": "home/alice/docs"}
    assert holds("StringLike", "s3:prefix", "home/${aws:username}/*", ctx)
    assert not holds("StringLike", "s3:prefix", "home/${aws:username}/*", {**ctx, "aws:username": "bob"})
    # 2008-10-17 policies have no variables: the text is literal.
    assert not holds("StringLike", "s3:prefix", "home/${aws:username}/*", ctx, variables=False)


@pytest.mark.parametrize(
    ("operator", "value", "fragment"),
    [
        ("StringEqualz", "x", "Invalid Condition type"),
        ("ForSomeValues:StringEquals", "x", "Invalid Condition type"),
        ("NullIfExists", "true", "Invalid Condition type"),
        ("NumericEquals", "ten", "not a number"),
        ("DateLessThan", "yesterday", "not a date"),
        ("Bool", "yes", '"true" or "false"'),
        ("Null", "maybe", '"true" or "false"'),
        ("IpAddress", "10.0.0.300/8", "IP address"),
        ("BinaryEquals", "***", "base64"),
        ("StringEquals", {"nested": 1}, "strings, numbers or booleans"),
    ],
)
def test_malformed_conditions_name_the_problem(operator: str, value: Any, fragment: str) -> None:
    with pytest.raises(ConditionError, match=fragment):
        parse_clause(operator, "k:k", value, variables=True)
