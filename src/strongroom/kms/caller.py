"""Who uses a KMS key, and through what: what key policies and audit events need to know of a call.

Built by the HTTP surface (the KMS API, or S3 when it uses a key for its caller) and passed down, so
kms/ never imports api/.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..policy import Policy

__all__ = ["KmsCaller", "s3_via_service"]


@dataclass(frozen=True, slots=True)
class KmsCaller:
    """The principal behind a key use; ``via_service`` is set when a service (S3) calls KMS for it."""

    principal_arn: str | None
    account_id: str | None
    via_service: str | None = None
    source_ip: str | None = None
    request_id: str | None = None
    user_agent: str | None = None  # for audit events only
    # The caller's identity-based policies and permissions boundary (service/iam/identity.py); None:
    # every right of its account (an account's root).
    identity: tuple[Policy, ...] | None = None
    boundaries: tuple[Policy, ...] | None = None
    session: tuple[Policy, ...] | None = None  # an STS session's policies
    aliases: tuple[str, ...] = ()  # other ARNs the caller answers to (a role session: its role)
    principal_tags: tuple[tuple[str, str], ...] = ()  # aws:PrincipalTag/<key> values


def s3_via_service(region: str) -> str:
    """The kms:ViaService value of S3 in a region, as AWS spells it."""
    return f"s3.{region}.amazonaws.com"
