"""The one evaluation function: a request context and its policies in, a decision out.

AWS's logic. Any applicable Deny in any policy wins. Otherwise, in the resource's own account, a
resource policy that names the caller allows on its own; else the caller's identity policies must
allow (and, when set, its permissions boundary and session policy too) — and where only the resource
policy may open the door (``resource_policy_required``, a KMS key policy) it must at least allow the
caller's account. Across accounts both sides must allow. Nothing applicable is an implicit deny
(invariant 7: default deny).

``authorize`` turns an Allow into the Grant service operations demand; it is the only issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import S3Error
from ..grant import Grant
from .applies import Reach, statement_applies
from .document import Policy, PolicyKind, parse_policy
from .request import RequestContext

__all__ = ["PolicySet", "MatchedStatement", "Decision", "decide", "authorize", "ACCOUNT_PRINCIPAL"]

Effect = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]

# Until IAM users and their policies exist (issue 5), an account's principals may do anything their
# account may: this identity policy stands for that.
ACCOUNT_PRINCIPAL = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Sid": "AccountPrincipal", "Effect": "Allow", "Action": "*", "Resource": "*"}]},
    kind=PolicyKind.IDENTITY,
    name="account principal",
)


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that bears on one request; None for boundaries/session means "none set"."""

    resource: tuple[Policy, ...] = ()
    identity: tuple[Policy, ...] = ()
    boundaries: tuple[Policy, ...] | None = None
    session: tuple[Policy, ...] | None = None
    resource_policy_required: bool = False
    # An S3 ACL grants the caller the permission this action needs: a resource-side allow that names
    # the caller directly (AWS evaluates ACLs beside the bucket policy; an explicit Deny still wins).
    acl_allows: bool = False


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that took part in a decision."""

    policy: str
    index: int
    sid: str | None
    effect: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome, the statements that made it, and a sentence saying why.

    ``considered`` explains an ImplicitDeny: the Allow statements that did apply but were not enough
    (an identity allow without the resource side across accounts, a limit the boundary lacks). Empty
    for Allow and ExplicitDeny, whose ``statements`` are the whole story.
    """

    effect: Effect
    statements: tuple[MatchedStatement, ...]
    reason: str
    considered: tuple[MatchedStatement, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


def _applicable(policies: tuple[Policy, ...], context: RequestContext) -> list[tuple[Policy, int, Reach]]:
    hits = []
    for policy in policies:
        for statement in policy.statements:
            reach = statement_applies(statement, context)
            if reach is not None:
                hits.append((policy, statement.index, reach))
    return hits


def _matched(hits: list[tuple[Policy, int, Reach]]) -> tuple[MatchedStatement, ...]:
    out = []
    for policy, index, _ in hits:
        statement = policy.statements[index]
        out.append(MatchedStatement(policy.name, index, statement.sid, statement.effect))
    return tuple(out)


def _effect(policy: Policy, index: int) -> str:
    return policy.statements[index].effect


def decide(context: RequestContext, policies: PolicySet) -> Decision:
    """Evaluate a request against its policies (pure; no Grant)."""
    who = context.caller.arn or "anonymous"
    head = f"User: {who} is not authorized to perform: {context.action} on resource: {context.resource}"
    groups = {
        "resource": _applicable(policies.resource, context),
        "identity": _applicable(policies.identity, context),
        "boundary": _applicable(policies.boundaries or (), context),
        "session": _applicable(policies.session or (), context),
    }
    denies = [h for hits in groups.values() for h in hits if _effect(h[0], h[1]) == "Deny"]
    if denies:
        where = "a resource-based policy" if any(h in groups["resource"] for h in denies) else "an identity-based policy"
        return Decision("ExplicitDeny", _matched(denies), f"{head} with an explicit deny in {where}")
    allows = {name: [h for h in hits if _effect(h[0], h[1]) == "Allow"] for name, hits in groups.items()}
    direct = [h for h in allows["resource"] if h[2] is Reach.DIRECT]
    account = [h for h in allows["resource"] if h[2] is Reach.ACCOUNT]
    identity = allows["identity"]
    boundary_ok = policies.boundaries is None or bool(allows["boundary"])
    session_ok = policies.session is None or bool(allows["session"])
    limits = (allows["boundary"] if policies.boundaries is not None else []) + (allows["session"] if policies.session is not None else [])

    # Callers of no account (anonymous, service principals) have no identity side: the resource policy decides.
    if context.same_account or context.caller.account is None:
        if direct and session_ok:
            return Decision("Allow", _matched(direct), "allowed by a resource-based policy")
        if policies.acl_allows and session_ok:
            return Decision("Allow", (), "allowed by an access control list")
        resource_ok = not policies.resource_policy_required or bool(account)
        if identity and boundary_ok and session_ok and resource_ok:
            return Decision("Allow", _matched(account + identity + limits), "allowed by an identity-based policy")
    elif (direct or account) and identity and boundary_ok and session_ok:
        return Decision("Allow", _matched(direct + account + identity + limits), "allowed by resource- and identity-based policies")
    elif policies.acl_allows and identity and boundary_ok and session_ok:
        return Decision("Allow", _matched(identity + limits), "allowed by an access control list and identity-based policies")

    if policies.resource_policy_required and not (direct or account):
        why = f"because no resource-based policy allows the {context.action} action"
    elif not identity and not (direct or account):
        why = f"because no identity-based policy allows the {context.action} action"
    elif not boundary_ok:
        why = "because no permissions boundary allows the action"
    elif not session_ok:
        why = "because no session policy allows the action"
    elif not context.same_account and not (direct or account):
        why = f"because no resource-based policy allows the {context.action} action"
    else:
        why = f"because no identity-based policy allows the {context.action} action"
    considered = _matched([h for hits in allows.values() for h in hits])
    return Decision("ImplicitDeny", (), f"{head} {why}", considered)


def authorize(context: RequestContext, policies: PolicySet, *, error: str = "AccessDenied", explain: bool = False) -> Grant:
    """A Grant when the decision is Allow, else the error ``error`` (with the reason when ``explain``)."""
    decision = decide(context, policies)
    if not decision.allowed:
        raise S3Error(error, decision.reason) if explain else S3Error(error)
    caller = context.caller
    principal = caller.arn or caller.service or caller.federated or "anonymous"
    account = caller.account or context.resource_account or ""
    return Grant._issue(principal, account, context.action, context.resource)
