"""Wildcard matching as IAM does it: ``*`` is any run of characters, ``?`` any one character.

A pattern is a sequence of parts: text written in the policy (whose ``*`` and ``?`` are wildcards) and
literal text (a substituted policy variable, or ``${*}``), which never is. Matching is whole-string.
ARNs match component by component, so a wildcard never spans the ``:`` between service, region and
account (AWS's ArnLike rule).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Literal", "Pattern", "wildcard_match", "compile_pattern", "arn_match", "split_arn"]


@dataclass(frozen=True, slots=True)
class Literal:
    """Text matched character for character (wildcards in it are not wildcards)."""

    text: str


Pattern = Sequence["str | Literal"]


def _to_regex(parts: Pattern) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, Literal):
            out.append(re.escape(part.text))
            continue
        for ch in part:
            if ch == "*":
                out.append(".*")
            elif ch == "?":
                out.append(".")
            else:
                out.append(re.escape(ch))
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _compiled(parts: tuple[str | Literal, ...], ignore_case: bool) -> re.Pattern[str]:
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_to_regex(parts), flags)


def compile_pattern(pattern: str | Pattern, *, ignore_case: bool = False) -> re.Pattern[str]:
    """The compiled whole-string matcher of a pattern (cached)."""
    parts = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    return _compiled(parts, ignore_case)


def wildcard_match(pattern: str | Pattern, value: str, *, ignore_case: bool = False) -> bool:
    """Whether ``value`` matches ``pattern`` as a whole."""
    if isinstance(pattern, str):
        if "*" not in pattern and "?" not in pattern:
            return pattern.casefold() == value.casefold() if ignore_case else pattern == value
        if pattern == "*":
            return True
    return compile_pattern(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def split_arn(value: str) -> list[str] | None:
    """An ARN's six components (the last keeps its colons), or None when it is not an ARN."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def _split_pattern(pattern: Pattern) -> list[list[str | Literal]] | None:
    """A pattern cut at its first five colons, each component rebuilt as parts."""
    chars = [(ch, isinstance(part, Literal)) for part in pattern for ch in (part.text if isinstance(part, Literal) else part)]
    components: list[list[tuple[str, bool]]] = [[]]
    for ch, literal in chars:
        if ch == ":" and len(components) < 6:
            components.append([])
        else:
            components[-1].append((ch, literal))
    if len(components) != 6:
        return None
    rebuilt: list[list[str | Literal]] = []
    for component in components:
        parts: list[str | Literal] = []
        for ch, literal in component:
            if parts and isinstance(parts[-1], Literal) == literal:
                last = parts[-1]
                parts[-1] = Literal(last.text + ch) if isinstance(last, Literal) else last + ch
            else:
                parts.append(Literal(ch) if literal else ch)
        rebuilt.append(parts)
    return rebuilt


def arn_match(pattern: str | Pattern, value: str) -> bool:
    """ArnLike/ArnEquals: six components, each matched with wildcards, case-sensitively.

    A lone ``*`` pattern matches any ARN; a value that is not an ARN matches nothing.
    """
    target = split_arn(value)
    if target is None:
        return False
    parts: Pattern = (pattern,) if isinstance(pattern, str) else pattern
    if len(parts) == 1 and parts[0] == "*":
        return True
    components = _split_pattern(parts)
    if components is None:
        return False
    return all(wildcard_match(c, t) for c, t in zip(components, target, strict=True))
