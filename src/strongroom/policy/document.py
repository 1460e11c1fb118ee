"""Policy documents: parse JSON, validate the grammar, and keep a typed, ready-to-match form.

A document is checked once, when it is stored, so evaluation never meets a malformed statement. Every
refusal is a ``MalformedPolicy`` whose message names the problem (the KMS API answers it as
MalformedPolicyDocumentException, S3 as MalformedPolicy). Resource-based policies (bucket and key
policies) must name a Principal; identity policies must not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .conditions import Clause, ConditionError, parse_clause
from .variables import Template, VariableSyntaxError, parse_template

__all__ = [
    "MalformedPolicy",
    "PolicyKind",
    "Principals",
    "Statement",
    "Policy",
    "parse_policy",
    "VERSIONS",
    "MAX_POLICY_BYTES",
]

VERSIONS = ("2012-10-17", "2008-10-17")
MAX_POLICY_BYTES = 32 * 1024  # KMS key policies; S3 bucket policies pass 20 KiB
_MAX_DEPTH = 32
_ACTION = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]*$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PRINCIPAL_TYPES = ("AWS", "Service", "CanonicalUser", "Federated")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class MalformedPolicy(ValueError):
    """A policy document the grammar does not allow; ``str()`` names the problem."""


class PolicyKind(Enum):
    """Whether a document is attached to a resource (names principals) or to an identity."""

    RESOURCE = "resource"
    IDENTITY = "identity"
    # A role's trust policy: a resource policy of the role itself, so it names principals and has no
    # Resource element (IAM refuses one); its statements apply to the role whatever the request's resource.
    TRUST = "trust"


@dataclass(frozen=True, slots=True)
class Principals:
    """A Principal element: ``anyone`` for "*", else names by type (AWS values as ARNs, accounts as root ARNs)."""

    anyone: bool = False
    aws: frozenset[str] = frozenset()
    service: frozenset[str] = frozenset()
    canonical_user: frozenset[str] = frozenset()
    federated: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Statement:
    """One validated statement; Action/Resource lists are matched as written (negated when ``not_*``)."""

    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    principals: Principals | None
    not_principal: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[Template, ...]
    not_resource: bool
    conditions: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed document; ``name`` labels it in decisions (e.g. "key policy")."""

    version: str
    statements: tuple[Statement, ...]
    id: str | None = None
    name: str = "policy"
    kind: PolicyKind = PolicyKind.RESOURCE
    source: Any = field(default=None, compare=False, repr=False)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise MalformedPolicy(f"Duplicate key {key!r} in policy document")
        out[key] = value
    return out


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _strings(value: Any, element: str, where: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise MalformedPolicy(f"{where}: {element} must not be empty")
    for item in items:
        if not isinstance(item, str) or not item:
            raise MalformedPolicy(f"{where}: {element} must be a non-empty string or a list of them")
    return items


def _actions(value: Any, element: str, where: str) -> tuple[str, ...]:
    items = _strings(value, element, where)
    for item in items:
        if item != "*" and not _ACTION.match(item):
            raise MalformedPolicy(f"{where}: invalid action {item!r} in {element} (expected service:Action)")
    return tuple(items)


def _resources(value: Any, element: str, where: str, variables: bool) -> tuple[Template, ...]:
    out: list[Template] = []
    for item in _strings(value, element, where):
        if item != "*" and not (item.startswith("arn:") and item.count(":") >= 5):
            raise MalformedPolicy(f"{where}: invalid resource {item!r} in {element} (expected \"*\" or an ARN)")
        try:
            out.append(parse_template(item) if variables else (item,))
        except VariableSyntaxError as exc:
            raise MalformedPolicy(f"{where}: {element}: {exc}") from None
    return tuple(out)


def _aws_principal(item: str, where: str) -> str:
    if item == "*":
        return item
    if _ACCOUNT.match(item):
        return f"arn:aws:iam::{item}:root"
    parts = item.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts") and _ACCOUNT.match(parts[4]) and parts[5]:
        if "*" in item or "?" in item:
            raise MalformedPolicy(f"{where}: wildcards are not allowed in principal {item!r}")
        return item
    raise MalformedPolicy(f"{where}: invalid principal {item!r} (expected an account id, an IAM ARN or \"*\")")


def _principals(value: Any, element: str, where: str) -> Principals:
    if value == "*":
        return Principals(anyone=True)
    if not isinstance(value, dict) or not value:
        raise MalformedPolicy(f"{where}: {element} must be \"*\" or an object of principal types")
    names: dict[str, frozenset[str]] = {}
    anyone = False
    for kind, raw in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise MalformedPolicy(f"{where}: invalid principal type {kind!r} in {element}")
        items = _strings(raw, f"{element} {kind}", where)
        if kind == "AWS":
            items = [_aws_principal(i, where) for i in items]
            if "*" in items:
                anyone = True
        names[kind] = frozenset(items)
    return Principals(
        anyone=anyone,
        aws=names.get("AWS", frozenset()) - {"*"},
        service=names.get("Service", frozenset()),
        canonical_user=names.get("CanonicalUser", frozenset()),
        federated=names.get("Federated", frozenset()),
    )


def _conditions(value: Any, where: str, variables: bool) -> tuple[Clause, ...]:
    if not isinstance(value, dict):
        raise MalformedPolicy(f"{where}: Condition must be an object")
    clauses: list[Clause] = []
    for operator, block in value.items():
        if not isinstance(block, dict) or not block:
            raise MalformedPolicy(f"{where}: Condition {operator} must be a non-empty object of keys")
        for key, raw in block.items():
            try:
                clauses.append(parse_clause(operator, key, raw, variables=variables))
            except ConditionError as exc:
                raise MalformedPolicy(f"{where}: {exc}") from None
    return tuple(clauses)


def _exclusive(raw: dict[str, Any], a: str, b: str, where: str, *, required: bool) -> str | None:
    if a in raw and b in raw:
        raise MalformedPolicy(f"{where}: {a} and {b} cannot both be present")
    if a in raw:
        return a
    if b in raw:
        return b
    if required:
        raise MalformedPolicy(f"{where}: {a} or {b} is required")
    return None


def _statement(raw: Any, index: int, kind: PolicyKind, variables: bool) -> Statement:
    where = f"Statement {index + 1}"
    if not isinstance(raw, dict):
        raise MalformedPolicy(f"{where} must be an object")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise MalformedPolicy(f"{where}: unknown element {sorted(unknown)[0]!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicy(f"{where}: Sid must be a string")
    if sid:
        where = f"Statement {sid!r}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(f"{where}: Effect must be \"Allow\" or \"Deny\"")
    principal_key = _exclusive(raw, "Principal", "NotPrincipal", where, required=kind is not PolicyKind.IDENTITY)
    if principal_key is not None and kind is PolicyKind.IDENTITY:
        raise MalformedPolicy(f"{where}: an identity policy must not specify a {principal_key}")
    action_key = _exclusive(raw, "Action", "NotAction", where, required=True)
    resource_key = _exclusive(raw, "Resource", "NotResource", where, required=kind is not PolicyKind.TRUST)
    if resource_key is not None and kind is PolicyKind.TRUST:
        raise MalformedPolicy(f"{where}: Has prohibited field {resource_key}")
    assert action_key is not None
    return Statement(
        index=index,
        sid=sid or None,
        effect=effect,
        principals=_principals(raw[principal_key], principal_key, where) if principal_key else None,
        not_principal=principal_key == "NotPrincipal",
        actions=_actions(raw[action_key], action_key, where),
        not_action=action_key == "NotAction",
        resources=_resources(raw[resource_key], resource_key, where, variables) if resource_key else (("*",),),
        not_resource=resource_key == "NotResource",
        conditions=_conditions(raw["Condition"], where, variables) if "Condition" in raw else (),
    )


def parse_policy(
    document: str | bytes | dict[str, Any],
    *,
    kind: PolicyKind = PolicyKind.RESOURCE,
    name: str = "policy",
    max_bytes: int = MAX_POLICY_BYTES,
) -> Policy:
    """Parse and validate a policy document, or raise MalformedPolicy naming the problem."""
    if isinstance(document, str | bytes):
        size = len(document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document)
        if size > max_bytes:
            raise MalformedPolicy(f"Policy document is larger than {max_bytes} bytes")
        try:
            raw = json.loads(document, object_pairs_hook=_no_duplicates)
        except MalformedPolicy:
            raise
        except (ValueError, RecursionError, UnicodeDecodeError):
            raise MalformedPolicy("Policy document is not valid JSON") from None
    else:
        raw = document
    if not isinstance(raw, dict):
        raise MalformedPolicy("Policy document must be a JSON object")
    if _depth(raw) > _MAX_DEPTH:
        raise MalformedPolicy("Policy document is nested too deeply")
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise MalformedPolicy(f"Unknown policy element {sorted(unknown)[0]!r}")
    version = raw.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy(f"Invalid policy Version {version!r} (expected 2012-10-17 or 2008-10-17)")
    policy_id = raw.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicy("Id must be a string")
    if "Statement" not in raw:
        raise MalformedPolicy("Policy document has no Statement")
    statements = raw["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicy("Statement must be a statement object or a non-empty list of them")
    variables = version == "2012-10-17"
    parsed = tuple(_statement(s, i, kind, variables) for i, s in enumerate(statements))
    sids = [s.sid for s in parsed if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicy("Statement ids (Sid) must be unique within a policy")
    return Policy(version=version, statements=parsed, id=policy_id, name=name, kind=kind, source=raw)
