"""Whether one statement applies to a request: principal, action, resource and conditions.

Principal matches come in two strengths. A statement that names the caller (its ARN, "*", or an
account whose root is the caller) grants *directly*. One that names the caller's account while the
caller is some other principal of it grants *by delegation*: the account's own identity policies must
allow too (AWS's meaning of ``"AWS": "arn:aws:iam::<account>:root"``). For Deny both count.
"""

from __future__ import annotations

from enum import Enum

from .conditions import conditions_match
from .document import Principals, Statement
from .matching import wildcard_match
from .request import Caller, RequestContext
from .variables import resolve

__all__ = ["Reach", "principal_reach", "statement_applies"]


class Reach(Enum):
    """How a statement's principal element reaches the caller."""

    DIRECT = "direct"
    ACCOUNT = "account"


def _named(principals: Principals, caller: Caller) -> Reach | None:
    if principals.anyone:
        return Reach.DIRECT
    if caller.arn is not None and (caller.arn in principals.aws or any(a in principals.aws for a in caller.aliases)):
        return Reach.DIRECT
    if caller.service is not None and caller.service in principals.service:
        return Reach.DIRECT
    if caller.federated is not None and caller.federated in principals.federated:
        return Reach.DIRECT
    if caller.account is not None and caller.arn is not None:
        account_named = f"arn:aws:iam::{caller.account}:root" in principals.aws or (
            caller.canonical_id is not None and caller.canonical_id in principals.canonical_user
        )
        if account_named:
            return Reach.DIRECT if caller.is_account_root else Reach.ACCOUNT
    return None


def principal_reach(statement: Statement, caller: Caller) -> Reach | None:
    """How the statement's Principal/NotPrincipal reaches the caller (identity statements: directly)."""
    if statement.principals is None:
        return Reach.DIRECT
    reach = _named(statement.principals, caller)
    if statement.not_principal:
        # Naming an account in NotPrincipal excludes its root only, not its other principals (AWS).
        return None if reach is Reach.DIRECT else Reach.DIRECT
    return reach


def _action_matches(statement: Statement, action: str) -> bool:
    hit = any(wildcard_match(a, action, ignore_case=True) for a in statement.actions)
    return hit != statement.not_action


def _resource_matches(statement: Statement, context: RequestContext) -> bool:
    hit = False
    for template in statement.resources:
        pattern = resolve(template, context.keys)
        if pattern is not None and wildcard_match(pattern, context.resource):
            hit = True
            break
    return hit != statement.not_resource


def statement_applies(statement: Statement, context: RequestContext) -> Reach | None:
    """The statement's reach when it applies to the request, else None."""
    reach = principal_reach(statement, context.caller)
    if reach is None:
        return None
    if not _action_matches(statement, context.action) or not _resource_matches(statement, context):
        return None
    if not conditions_match(statement.conditions, context.keys):
        return None
    return reach
