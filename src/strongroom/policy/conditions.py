"""Condition operators and the Condition block, with AWS's rules for absent and multi-valued keys.

A block is true when every operator is; an operator when every key is; a key when any of its policy
values matches (for negated operators: when none does). A key absent from the request makes a
condition false, except for negated operators (true), ``...IfExists`` (true) and ``Null`` (which tests
exactly that). ``ForAnyValue:`` needs one request value to match (false when the key is absent or
empty); ``ForAllValues:`` needs every request value to match (true when absent or empty). Key names
are case-insensitive; values are case-sensitive except for the IgnoreCase operators and Bool.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .matching import Literal, Pattern, arn_match, wildcard_match
from .variables import Template, VariableSyntaxError, parse_template, resolve

__all__ = ["Clause", "ConditionError", "OPERATORS", "parse_clause", "clause_matches", "conditions_match", "ContextKeys"]

ContextKeys = Mapping[str, "str | Sequence[str]"]


class ConditionError(ValueError):
    """A condition the grammar does not allow; the message names the problem."""


@dataclass(frozen=True, slots=True)
class _Operator:
    kind: str  # string, arn, numeric, date, bool, binary, ip, null
    negated: bool
    compare: Callable[[Any, Any], bool] | None  # (request value, policy value) -> match


def _text(pattern: Pattern) -> str:
    return "".join(p.text if isinstance(p, Literal) else p for p in pattern)


def _string_equals(value: str, pattern: Pattern) -> bool:
    return value == _text(pattern)


def _string_equals_ic(value: str, pattern: Pattern) -> bool:
    return value.casefold() == _text(pattern).casefold()


def _string_like(value: str, pattern: Pattern) -> bool:
    return wildcard_match(pattern, value)


def _arn_like(value: str, pattern: Pattern) -> bool:
    return arn_match(pattern, value)


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    return bool(a >= b)


def _in_network(value: Any, network: Any) -> bool:
    return bool(value.version == network.version and value in network)


def _ordered(kind: str, prefix: str) -> dict[str, _Operator]:
    return {
        f"{prefix}Equals": _Operator(kind, False, _eq),
        f"{prefix}NotEquals": _Operator(kind, True, _eq),
        f"{prefix}LessThan": _Operator(kind, False, _lt),
        f"{prefix}LessThanEquals": _Operator(kind, False, _le),
        f"{prefix}GreaterThan": _Operator(kind, False, _gt),
        f"{prefix}GreaterThanEquals": _Operator(kind, False, _ge),
    }


OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator("string", False, _string_equals),
    "StringNotEquals": _Operator("string", True, _string_equals),
    "StringEqualsIgnoreCase": _Operator("string", False, _string_equals_ic),
    "StringNotEqualsIgnoreCase": _Operator("string", True, _string_equals_ic),
    "StringLike": _Operator("string", False, _string_like),
    "StringNotLike": _Operator("string", True, _string_like),
    **_ordered("numeric", "Numeric"),
    **_ordered("date", "Date"),
    "Bool": _Operator("bool", False, _eq),
    "BinaryEquals": _Operator("binary", False, _eq),
    "IpAddress": _Operator("ip", False, _in_network),
    "NotIpAddress": _Operator("ip", True, _in_network),
    # ArnEquals behaves as ArnLike in AWS: both take wildcards, component by component.
    "ArnEquals": _Operator("arn", False, _arn_like),
    "ArnLike": _Operator("arn", False, _arn_like),
    "ArnNotEquals": _Operator("arn", True, _arn_like),
    "ArnNotLike": _Operator("arn", True, _arn_like),
    "Null": _Operator("null", False, None),
}
_BY_LOWER = {name.lower(): name for name in OPERATORS}
_QUALIFIERS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}


@dataclass(frozen=True, slots=True)
class Clause:
    """One key under one operator, with its parsed policy values."""

    operator: str  # as written in the policy
    base: str  # canonical operator name without qualifier or IfExists
    qualifier: str | None
    if_exists: bool
    key: str  # lower-cased
    values: tuple[Any, ...]


# --- policy and request values, by kind --------------------------------------------------------------


def _number(text: str) -> Decimal | None:
    try:
        n = Decimal(text.strip())
    except InvalidOperation:
        return None
    return n if n.is_finite() else None


def _date(text: str) -> float | None:
    """ISO 8601 (date, or date-time with Z or an offset; naive means UTC) or epoch seconds."""
    text = text.strip()
    try:
        if text.lstrip("-").isdigit():
            return float(int(text))
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        stamp = moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    return stamp if math.isfinite(stamp) else None


def _bool(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered == "true" else False if lowered == "false" else None


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


_REQUEST: dict[str, Callable[[str], Any]] = {
    "numeric": _number,
    "date": _date,
    "bool": _bool,
    "binary": _binary,
    "ip": _ip,
}
_POLICY: dict[str, tuple[Callable[[str], Any], str]] = {
    "numeric": (_number, "a number"),
    "date": (_date, "a date (ISO 8601 or epoch seconds)"),
    "bool": (_bool, '"true" or "false"'),
    "null": (_bool, '"true" or "false"'),
    "binary": (_binary, "base64"),
    "ip": (_network, "an IP address or CIDR block"),
}


def _stringify(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    raise ConditionError(f"{where}: condition values must be strings, numbers or booleans")


def _split_operator(name: str) -> tuple[str, str | None, bool]:
    qualifier = None
    if ":" in name:
        prefix, _, rest = name.partition(":")
        qualifier = _QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            raise ConditionError(f"Invalid Condition type : {name}")
        name = rest
    if_exists = name.lower().endswith("ifexists") and name.lower() != "ifexists"
    base = _BY_LOWER.get((name[: -len("IfExists")] if if_exists else name).lower())
    if base is None or (if_exists and base == "Null"):
        raise ConditionError(f"Invalid Condition type : {name if qualifier is None else qualifier + ':' + name}")
    return base, qualifier, if_exists


def parse_clause(operator: str, key: object, raw: object, *, variables: bool) -> Clause:
    """Validate one ``"Operator": {"key": value | [values]}`` entry; ``variables`` for 2012-10-17 policies."""
    base, qualifier, if_exists = _split_operator(operator)
    if not isinstance(key, str) or not key:
        raise ConditionError(f"{operator}: condition keys must be non-empty strings")
    where = f"{operator} {key}"
    raw_values = raw if isinstance(raw, list) else [raw]
    texts = [_stringify(v, where) for v in raw_values]
    kind = OPERATORS[base].kind
    values: list[Any] = []
    for text in texts:
        if kind in ("string", "arn"):
            try:
                template: Template = parse_template(text) if variables else (text,)
            except VariableSyntaxError as exc:
                raise ConditionError(f"{where}: {exc}") from None
            values.append(template)
            continue
        convert, expected = _POLICY[kind]
        value = convert(text)
        if value is None:
            raise ConditionError(f"{where}: {text!r} is not {expected}")
        values.append(value)
    if kind == "null" and len(values) != 1:
        raise ConditionError(f"{where}: Null takes exactly one value")
    return Clause(operator, base, qualifier, if_exists, key.lower(), tuple(values))


# --- evaluation -------------------------------------------------------------------------------------


def _request_values(raw: str | Sequence[str] | None) -> list[str]:
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else list(raw)


def _value_matches(op: _Operator, clause: Clause, value: str, keys: ContextKeys) -> bool:
    """Whether one request value matches any policy value (before negation)."""
    assert op.compare is not None
    if op.kind in ("string", "arn"):
        for template in clause.values:
            pattern = resolve(template, keys)
            if pattern is not None and op.compare(value, pattern):
                return True
        return False
    converted = _REQUEST[op.kind](value)
    if converted is None:
        return False
    return any(op.compare(converted, p) for p in clause.values)


def clause_matches(clause: Clause, keys: ContextKeys) -> bool:
    """Evaluate one clause against the request's condition keys (lower-cased names)."""
    op = OPERATORS[clause.base]
    values = _request_values(keys.get(clause.key))
    present = bool(values)
    if op.kind == "null":
        return bool((not present) == clause.values[0])
    if not present:
        if clause.if_exists:
            return True
        if clause.qualifier == "ForAllValues":
            return True
        if clause.qualifier == "ForAnyValue":
            return False
        return op.negated

    def one(value: str) -> bool:
        return _value_matches(op, clause, value, keys) != op.negated

    if clause.qualifier == "ForAllValues":
        return all(one(v) for v in values)
    if clause.qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    # A single-valued operator over several values: any match for a positive operator, none for a negated one.
    return all(one(v) for v in values) if op.negated else any(one(v) for v in values)


def conditions_match(clauses: Sequence[Clause], keys: ContextKeys) -> bool:
    """A Condition block: every clause must hold."""
    return all(clause_matches(c, keys) for c in clauses)
