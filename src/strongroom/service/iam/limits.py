"""IAM's account quotas on entity counts (the defaults AWS documents): checked when an entity is created
(LimitExceeded past the quota) and reported by GetAccountSummary (summary.py)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from ...errors import S3Error
from ...meta import schema

__all__ = ["ENTITY_QUOTAS", "check_entity_quota", "count_entities"]

# kind -> (SummaryMap name of the count, of the quota, the quota)
ENTITY_QUOTAS = {
    "user": ("Users", "UsersQuota", 5000),
    "group": ("Groups", "GroupsQuota", 300),
    "role": ("Roles", "RolesQuota", 1000),
    "policy": ("Policies", "PoliciesQuota", 1500),
}
_TABLES = {"user": schema.users, "group": schema.iam_groups, "role": schema.iam_roles, "policy": schema.iam_policies}


def count_entities(conn: Connection, kind: str, account_id: str) -> int:
    """How many users, groups, roles or managed policies the account has."""
    table = _TABLES[kind]
    return int(conn.execute(select(func.count()).select_from(table).where(table.c.account_id == account_id)).scalar_one())


def check_entity_quota(conn: Connection, kind: str, account_id: str) -> None:
    """LimitExceeded when the account already has as many entities of the kind as IAM allows."""
    _, quota_name, quota = ENTITY_QUOTAS[kind]
    if count_entities(conn, kind, account_id) >= quota:
        raise S3Error("LimitExceeded", f"Cannot exceed quota for {quota_name}: {quota}")
