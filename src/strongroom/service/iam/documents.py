"""Validating the policy documents IAM stores: identity policies (inline and managed) and trust policies.

The policy library checks the grammar; IAM adds its size quotas (counted without whitespace, as IAM
counts) and, for trust policies, that only STS actions appear. Failures are MalformedPolicyDocument
(grammar) or LimitExceeded (size), as IAM answers.
"""

from __future__ import annotations

from ...errors import S3Error
from ...policy import MalformedPolicy, Policy, PolicyKind, parse_policy

__all__ = [
    "check_identity_document",
    "check_trust_document",
    "significant_chars",
    "INLINE_QUOTA",
    "MANAGED_POLICY_MAX_CHARS",
    "TRUST_POLICY_MAX_CHARS",
]

# Aggregate inline policy size per entity (IAM quotas: user 2,048, group 5,120, role 10,240 characters).
INLINE_QUOTA = {"user": 2048, "group": 5120, "role": 10240}
MANAGED_POLICY_MAX_CHARS = 6144
TRUST_POLICY_MAX_CHARS = 2048
_READ_CAP_BYTES = 131072  # no document larger than this is even parsed


def significant_chars(document: str) -> int:
    """A document's size as IAM counts it: characters other than whitespace."""
    return sum(1 for ch in document if not ch.isspace())


def _parse(document: str, kind: PolicyKind) -> Policy:
    try:
        return parse_policy(document, kind=kind, max_bytes=_READ_CAP_BYTES)
    except MalformedPolicy as exc:
        raise S3Error("MalformedPolicyDocument", str(exc)) from None


def check_identity_document(document: str, max_chars: int | None = None) -> Policy:
    """An identity policy document IAM would store (MANAGED_POLICY_MAX_CHARS unless told)."""
    limit = MANAGED_POLICY_MAX_CHARS if max_chars is None else max_chars
    if significant_chars(document) > limit:
        raise S3Error("LimitExceeded", f"Cannot exceed quota for PolicySize: {limit}")
    return _parse(document, PolicyKind.IDENTITY)


def check_trust_document(document: str) -> Policy:
    """A role trust policy: names principals, has no Resource, allows only sts:* actions."""
    if significant_chars(document) > TRUST_POLICY_MAX_CHARS:
        raise S3Error("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX_CHARS}")
    policy = _parse(document, PolicyKind.TRUST)
    for statement in policy.statements:
        if statement.not_action or not all(a.lower().startswith("sts:") for a in statement.actions):
            raise S3Error("MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions.")
    return policy
