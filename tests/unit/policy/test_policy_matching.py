"""Wildcard and ARN matching: * and ? as IAM defines them, literals never wild, ARNs per component."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.matching import Literal, arn_match, wildcard_match

TEXT = st.text(alphabet="ab:/*?.-", max_size=12)


def _reference(pattern: str, value: str) -> bool:
    """An independent matcher: dynamic programming over pattern and value."""
    n, m = len(pattern), len(value)
    ok = [[False] * (m + 1) for _ in range(n + 1)]
    ok[0][0] = True
    for i in range(1, n + 1):
        ok[i][0] = ok[i - 1][0] and pattern[i - 1] == "*"
        for j in range(1, m + 1):
            c = pattern[i - 1]
            if c == "*":
                ok[i][j] = ok[i - 1][j] or ok[i][j - 1]
            elif c == "?":
                ok[i][j] = ok[i - 1][j - 1]
            else:
                ok[i][j] = ok[i - 1][j - 1] and c == value[j - 1]
    return ok[n][m]


@given(TEXT, TEXT)
def test_wildcard_match_agrees_with_reference(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value) == _reference(pattern, value)


@given(st.text(max_size=20))
def test_star_matches_everything_and_text_matches_itself(value: str) -> None:
    assert wildcard_match("*", value)
    assert wildcard_match([Literal(value)], value)


@given(st.text(max_size=20), st.text(max_size=20))
def test_a_literal_matches_only_itself(text: str, value: str) -> None:
    assert wildcard_match([Literal(text)], value) == (text == value)


@given(st.text(alphabet="abAB*?", max_size=10), st.text(alphabet="abAB", max_size=10))
def test_ignore_case_is_matching_of_folded_strings(pattern: str, value: str) -> None:
    assert wildcard_match(pattern, value, ignore_case=True) == _reference(pattern.lower(), value.lower())


def test_regex_metacharacters_are_plain_text() -> None:
    assert wildcard_match("a.b", "a.b") and not wildcard_match("a.b", "axb")
    assert wildcard_match("(x)+[y]", "(x)+[y]")
    assert not wildcard_match("a*", "b\na")
    assert wildcard_match("a*", "a\nb")  # newlines are ordinary characters


def test_question_mark_is_exactly_one_character() -> None:
    assert wildcard_match("a?c", "abc") and not wildcard_match("a?c", "ac") and not wildcard_match("a?c", "abbc")


def test_arn_wildcards_stay_within_a_component() -> None:
    assert arn_match("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b")
    assert arn_match("arn:aws:kms:*:111111111111:key/*", "arn:aws:kms:eu-west-1:111111111111:key/abc")
    assert not arn_match("arn:aws:kms:*:111111111111:key/*", "arn:aws:kms:eu-west-1:222222222222:key/abc")
    # "*" in the region does not swallow the account component.
    assert not arn_match("arn:aws:kms:*:key/*", "arn:aws:kms:eu-west-1:111111111111:key/abc")
    assert arn_match("*", "arn:aws:iam::1:root")
    assert not arn_match("*", "not-an-arn")
    assert arn_match("arn:aws:iam::111111111111:role/a:b", "arn:aws:iam::111111111111:role/a:b")  # colons in the last part
    assert not arn_match("arn:aws:iam::111111111111:ROOT", "arn:aws:iam::111111111111:root")


@given(st.lists(st.sampled_from(["aws", "s3", "kms", "", "x"]), min_size=5, max_size=5), st.text(alphabet="ab/:", max_size=8))
def test_an_arn_matches_itself_and_star_components(components: list[str], tail: str) -> None:
    arn = "arn:" + ":".join(components) + ":" + tail
    assert arn_match(arn, arn)
    assert arn_match("arn:*:*:*:*:*", arn)
    assert arn_match([Literal(arn)], arn)
