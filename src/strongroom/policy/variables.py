"""Policy variables: ``${aws:username}`` in Resource and in String/Arn condition values.

Only Version 2012-10-17 policies have variables (in 2008-10-17 ``${...}`` is plain text). A variable
names a request-context key (case-insensitive); ``${*}``, ``${?}`` and ``${$}`` are the literal
characters; ``${key, 'default'}`` gives a value when the key is absent. The substituted value is
literal text, never a wildcard. A variable whose key is absent (with no default) or multi-valued makes
the element match nothing, as in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .matching import Literal, Pattern

__all__ = ["Variable", "Template", "parse_template", "resolve", "has_variables"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_WITH_DEFAULT = re.compile(r"^\s*([^,'\s]+)\s*,\s*'([^']*)'\s*$")
_KEY = re.compile(r"^[A-Za-z0-9_.:/+=@-]+$")


class VariableSyntaxError(ValueError):
    """A ``${...}`` the grammar does not allow (the parser reports it as a malformed policy)."""


@dataclass(frozen=True, slots=True)
class Variable:
    """A reference to a request-context key, with an optional default."""

    key: str  # lower-cased
    default: str | None = None


Template = tuple["str | Literal | Variable", ...]


def has_variables(text: str) -> bool:
    """Whether a policy string contains ``${``."""
    return "${" in text


def parse_template(text: str) -> Template:
    """Cut a policy string into policy text, literals and variables."""
    parts: list[str | Literal | Variable] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        body = m.group(1)
        if body in _SPECIAL:
            parts.append(Literal(_SPECIAL[body]))
        else:
            d = _WITH_DEFAULT.match(body)
            key, default = (d.group(1), d.group(2)) if d else (body.strip(), None)
            if not _KEY.match(key):
                raise VariableSyntaxError(f"invalid policy variable ${{{body}}}")
            parts.append(Variable(key.lower(), default))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return tuple(parts)


def resolve(template: Template, context: Mapping[str, str | Sequence[str]]) -> Pattern | None:
    """The template with its variables replaced by literal values; None when one has no single value.

    ``context`` maps lower-cased key names to values.
    """
    out: list[str | Literal] = []
    for part in template:
        if not isinstance(part, Variable):
            out.append(part)
            continue
        value = context.get(part.key)
        if value is None:
            if part.default is None:
                return None
            out.append(Literal(part.default))
        elif isinstance(value, str):
            out.append(Literal(value))
        else:
            return None
    return out
