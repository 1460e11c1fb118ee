"""The IAM policy language (parse, validate, conditions, variables) and the one evaluation function.

A pure library: it imports nothing of ours but errors and grant.
"""

from .document import MalformedPolicy, Policy, PolicyKind, Statement, parse_policy
from .evaluate import ACCOUNT_PRINCIPAL, Decision, MatchedStatement, PolicySet, authorize, decide
from .request import ANONYMOUS, Caller, RequestContext

__all__ = [
    "ACCOUNT_PRINCIPAL",
    "ANONYMOUS",
    "Caller",
    "Decision",
    "MalformedPolicy",
    "MatchedStatement",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "RequestContext",
    "Statement",
    "authorize",
    "decide",
    "parse_policy",
]
