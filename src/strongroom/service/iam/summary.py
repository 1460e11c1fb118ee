"""GetAccountSummary: an account's entity counts and IAM's quotas, as the SummaryMap names them."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from ...meta import schema
from .attachments import MAX_ATTACHED_POLICIES
from .documents import INLINE_QUOTA, MANAGED_POLICY_MAX_CHARS
from .keys import MAX_KEYS_PER_USER
from .limits import ENTITY_QUOTAS, count_entities
from .managed import MAX_POLICY_VERSIONS
from .tags import MAX_TAGS

__all__ = ["account_summary"]


def account_summary(conn: Connection, account_id: str) -> dict[str, int]:
    """The SummaryMap of an account (read in one transaction)."""
    summary: dict[str, int] = {}
    for kind, (count_name, quota_name, quota) in ENTITY_QUOTAS.items():
        summary[count_name] = count_entities(conn, kind, account_id)
        summary[quota_name] = quota
    k = schema.access_keys
    root_keys = conn.execute(select(func.count()).select_from(k).where((k.c.account_id == account_id) & k.c.user_name.is_(None))).scalar_one()
    summary.update({
        "AccessKeysPerUserQuota": MAX_KEYS_PER_USER,
        "AccountAccessKeysPresent": 1 if root_keys else 0,
        "AttachedPoliciesPerUserQuota": MAX_ATTACHED_POLICIES,
        "AttachedPoliciesPerGroupQuota": MAX_ATTACHED_POLICIES,
        "AttachedPoliciesPerRoleQuota": MAX_ATTACHED_POLICIES,
        "VersionsPerPolicyQuota": MAX_POLICY_VERSIONS,
        "PolicySizeQuota": MANAGED_POLICY_MAX_CHARS,
        "UserPolicySizeQuota": INLINE_QUOTA["user"],
        "GroupPolicySizeQuota": INLINE_QUOTA["group"],
        "TagsPerUserQuota": MAX_TAGS,
        "TagsPerRoleQuota": MAX_TAGS,
    })
    return summary
