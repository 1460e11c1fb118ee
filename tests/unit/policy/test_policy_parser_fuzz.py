"""A bounded fuzz of the parser: any input is a Policy or a MalformedPolicy, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.policy import MalformedPolicy, PolicyKind, parse_policy

KEYS = ["Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
        "Condition", "AWS", "Service", "CanonicalUser", "Federated", "StringEquals", "ForAnyValue:StringLike", "NumericLessThanIfExists",
        "IpAddress", "DateGreaterThan", "Bool", "Null", "BinaryEquals", "ArnLike", "aws:SourceIp", "kms:ViaService"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["2012-10-17", "2008-10-17", "Allow", "Deny", "*", "kms:*", "s3:Get*", "arn:aws:s3:::b/*", "111111111111",
                     "arn:aws:iam::111111111111:root", "10.0.0.0/8", "true", "${aws:username}", "${x, 'd'}", "${", "AA=="]),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), children, max_size=5)),
    max_leaves=30,
)


def _parse(document: Any) -> None:
    for kind in PolicyKind:
        try:
            parse_policy(document, kind=kind)
        except MalformedPolicy:
            pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_structured_fuzz_never_crashes(document: Any) -> None:
    _parse(document)
    try:
        _parse(json.dumps(document))
    except ValueError:  # out-of-range floats json cannot write
        pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_byte_fuzz_never_crashes(text: str | bytes) -> None:
    _parse(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(KEYS[3:12]), SCALARS | st.lists(SCALARS, max_size=3), max_size=6), min_size=1, max_size=3))
def test_statement_shaped_fuzz_never_crashes(statements: list[dict[str, Any]]) -> None:
    _parse({"Version": "2012-10-17", "Statement": statements})
