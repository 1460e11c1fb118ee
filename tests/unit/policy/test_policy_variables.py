"""Policy variables: substitution, specials, defaults, literal substitution, absent keys."""

from __future__ import annotations

import pytest

from strongroom.policy.matching import Literal, wildcard_match
from strongroom.policy.variables import Variable, VariableSyntaxError, parse_template, resolve


def test_template_cuts_text_variables_and_specials() -> None:
    assert parse_template("home/${aws:username}/*") == ("home/", Variable("aws:username"), "/*")
    assert parse_template("${*}${?}${$}") == (Literal("*"), Literal("?"), Literal("$"))
    assert parse_template("${aws:PrincipalTag/team, 'none'}") == (Variable("aws:principaltag/team", "none"),)
    assert parse_template("no variables") == ("no variables",)


def test_bad_variable_is_refused() -> None:
    with pytest.raises(VariableSyntaxError):
        parse_template("${not valid}")


def test_substituted_values_are_literal_not_wildcards() -> None:
    pattern = resolve(parse_template("home/${aws:username}/*"), {"aws:username": "a*"})
    assert pattern is not None
    assert wildcard_match(pattern, "home/a*/x")
    assert not wildcard_match(pattern, "home/abc/x")


def test_absent_key_uses_default_or_matches_nothing() -> None:
    template = parse_template("${aws:username, 'guest'}")
    assert resolve(template, {}) == [Literal("guest")]
    assert resolve(parse_template("${aws:username}"), {}) is None
    assert resolve(parse_template("${aws:tagkeys}"), {"aws:tagkeys": ("a", "b")}) is None


def test_special_characters_are_literal() -> None:
    pattern = resolve(parse_template("a${*}b"), {})
    assert pattern is not None
    assert wildcard_match(pattern, "a*b") and not wildcard_match(pattern, "axb")
