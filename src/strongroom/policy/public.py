"""Is a resource policy public? AWS's definition (S3 Block Public Access, "The meaning of public").

A policy is non-public when every Allow grants only to fixed principals (no "*", no NotPrincipal), or
is pinned by a condition on a key that names fixed callers or networks: aws:SourceIp with a block no
wider than /8 (IPv4) or /32 (IPv6), aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount,
aws:SourceOwner, aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID, aws:userid,
s3:DataAccessPointArn, s3:DataAccessPointAccount (a bucket delegating to its access points), with fixed
values (no wildcards, no policy variables) under a positive operator.
"""

from __future__ import annotations

import ipaddress

from .conditions import Clause
from .document import Policy, Statement
from .matching import Literal

__all__ = ["is_public"]

_FIXING_KEYS = frozenset({
    "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount", "aws:sourceowner",
    "aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:userid",
    "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
})
_FIXING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "StringLike", "ArnLike"})
_MIN_PREFIX = {4: 8, 6: 32}


def _fixed_text(value: object) -> bool:
    """A string/ARN condition value with neither wildcards nor variables."""
    if not isinstance(value, tuple):
        return False
    for part in value:
        if isinstance(part, Literal):
            continue
        if not isinstance(part, str) or "*" in part or "?" in part:
            return False
    return True


def _pins_callers(clause: Clause) -> bool:
    if clause.if_exists or clause.qualifier == "ForAllValues":
        return False  # an absent key or an empty set would let anyone through
    if clause.key == "aws:sourceip" and clause.base == "IpAddress":
        return all(isinstance(v, ipaddress.IPv4Network | ipaddress.IPv6Network) and v.prefixlen >= _MIN_PREFIX[v.version]
                   for v in clause.values)
    return clause.key in _FIXING_KEYS and clause.base in _FIXING_OPERATORS and all(_fixed_text(v) for v in clause.values)


def _statement_is_public(statement: Statement) -> bool:
    if statement.effect != "Allow":
        return False
    principals = statement.principals
    open_to_anyone = statement.not_principal or (principals is not None and principals.anyone)
    return open_to_anyone and not any(_pins_callers(c) for c in statement.conditions)


def is_public(policy: Policy | None) -> bool:
    """True when some Allow statement of the policy reaches callers outside fixed principals."""
    return policy is not None and any(_statement_is_public(s) for s in policy.statements)
