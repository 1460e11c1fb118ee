"""Managed policies: the account's own with their versions (v1, v2, ...; at most five; one is the
default), and the AWS managed policies this server knows (aws_managed.py; read-only).

A policy cannot be deleted while attached, used as a permissions boundary or holding versions other
than its default (DeleteConflict), and the default version cannot be deleted, as IAM answers.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, Connection, func, select, update

from ... import clock
from ...errors import S3Error
from ...grant import Grant
from ...meta import schema
from .aws_managed import AWS_ACCOUNT, AWS_VERSION, aws_managed_document, aws_managed_policies
from .base import IamStoreBase
from .documents import check_identity_document
from .entities import ManagedPolicy, PolicyVersion
from .limits import check_entity_quota
from .names import new_unique_id, policy_arn
from .rows import name_taken, policy_of, require_policy

__all__ = ["ManagedPolicies", "MAX_POLICY_VERSIONS"]

MAX_POLICY_VERSIONS = 5  # IAM's quota


def _versions(account_id: str, name: str) -> ColumnElement[bool]:
    v = schema.iam_policy_versions
    return (v.c.account_id == account_id) & (v.c.policy_name == name)


def _policy(account_id: str, name: str) -> ColumnElement[bool]:
    t = schema.iam_policies
    return (t.c.account_id == account_id) & (t.c.policy_name == name)


def _usage(conn: Connection, account_id: str, policy: ManagedPolicy) -> ManagedPolicy:
    """The policy with its attachment and permissions-boundary counts in the account."""
    a, u, r = schema.iam_attachments, schema.users, schema.iam_roles
    attached = conn.execute(select(func.count()).select_from(a).where((a.c.account_id == account_id) & (a.c.policy_arn == policy.arn))).scalar_one()
    bounded = sum(
        conn.execute(select(func.count()).select_from(t).where((t.c.account_id == account_id) & (t.c.boundary_arn == policy.arn))).scalar_one()
        for t in (u, r)
    )
    return replace(policy, attachment_count=attached, boundary_count=bounded)


def _own(conn: Connection, account_id: str, arn: str) -> ManagedPolicy:
    """A policy of the account itself, which it may change; AWS managed policies are refused as AWS does."""
    policy = require_policy(conn, account_id, arn)
    if policy.account_id != account_id:
        raise S3Error("AccessDenied", "Cannot change or delete policies outside your own account.")
    return policy


def _aws_version(policy: ManagedPolicy) -> PolicyVersion:
    return PolicyVersion(AWS_VERSION, aws_managed_document(policy.name), True, policy.created)


class ManagedPolicies(IamStoreBase):
    """An account's customer managed policies."""

    def create(self, grant: Grant, account_id: str, name: str, path: str, document: str, description: str | None) -> ManagedPolicy:
        """A new policy whose version v1 is the document (validated) and the default."""
        check_identity_document(document)
        now = clock.now_seconds()
        policy = ManagedPolicy(account_id, name, new_unique_id("policy"), path, description, "v1", now, now)

        def insert(conn: Connection) -> ManagedPolicy:
            if name_taken(conn, "policy", account_id, name):
                raise S3Error("EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed.")
            check_entity_quota(conn, "policy", account_id)
            conn.execute(schema.iam_policies.insert().values(
                account_id=account_id, policy_name=name, policy_id=policy.policy_id, path=path, description=description,
                default_version="v1", next_version=2, created=now, updated=now,
            ))
            conn.execute(schema.iam_policy_versions.insert().values(account_id=account_id, policy_name=name, version_id="v1", document=document, created=now))
            return policy

        return self._write(grant, account_id, insert)

    def get(self, account_id: str, arn: str) -> ManagedPolicy:
        """The policy an ARN names (with its usage counts), or NoSuchEntity."""
        return self._read(lambda c: _usage(c, account_id, require_policy(c, account_id, arn)))

    def list_in(self, account_id: str, path_prefix: str = "/", only_attached: bool = False, scope: str = "All") -> list[ManagedPolicy]:
        """The policies of a scope (Local: the account's, AWS: AWS managed, All: both) under a path
        prefix, by name (only those in use in the account when asked)."""
        t = schema.iam_policies

        def read(conn: Connection) -> list[ManagedPolicy]:
            rows = conn.execute(select(t).where(t.c.account_id == account_id)).all() if scope != "AWS" else []
            candidates = [policy_of(r) for r in rows] + (aws_managed_policies() if scope != "Local" else [])
            found = sorted((_usage(conn, account_id, p) for p in candidates if p.path.startswith(path_prefix)), key=lambda p: p.name)
            return [p for p in found if p.attachment_count] if only_attached else found

        return self._read(read)

    def delete(self, grant: Grant, account_id: str, arn: str) -> None:
        """Delete an unused policy with only its default version left."""

        def remove(conn: Connection) -> None:
            policy = _usage(conn, account_id, _own(conn, account_id, arn))
            if policy.attachment_count:
                raise S3Error("DeleteConflict", "Cannot delete a policy attached to entities.")
            if policy.boundary_count:
                raise S3Error("DeleteConflict", "Cannot delete a policy used as a permissions boundary.")
            versions = conn.execute(select(func.count()).select_from(schema.iam_policy_versions).where(_versions(account_id, policy.name))).scalar_one()
            if versions > 1:
                raise S3Error("DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
            conn.execute(schema.iam_policy_versions.delete().where(_versions(account_id, policy.name)))
            conn.execute(schema.iam_policies.delete().where(_policy(account_id, policy.name)))

        self._write(grant, account_id, remove)

    def create_version(self, grant: Grant, account_id: str, arn: str, document: str, set_default: bool) -> PolicyVersion:
        """A new version (LimitExceeded past five), made the default when asked."""
        check_identity_document(document)
        v, t = schema.iam_policy_versions, schema.iam_policies

        def insert(conn: Connection) -> PolicyVersion:
            policy = _own(conn, account_id, arn)
            if conn.execute(select(func.count()).select_from(v).where(_versions(account_id, policy.name))).scalar_one() >= MAX_POLICY_VERSIONS:
                raise S3Error("LimitExceeded", f"A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.")
            number = conn.execute(select(t.c.next_version).where(_policy(account_id, policy.name))).scalar_one()
            version, now = PolicyVersion(f"v{number}", document, set_default, clock.now_seconds()), clock.now_seconds()
            conn.execute(v.insert().values(account_id=account_id, policy_name=policy.name, version_id=version.version_id, document=document, created=now))
            values: dict[str, object] = {"next_version": number + 1, "updated": now}
            if set_default:
                values["default_version"] = version.version_id
            conn.execute(update(t).where(_policy(account_id, policy.name)).values(**values))
            return version

        return self._write(grant, account_id, insert)

    def get_version(self, account_id: str, arn: str, version_id: str) -> PolicyVersion:
        """One version, or NoSuchEntity."""
        v = schema.iam_policy_versions

        def read(conn: Connection) -> PolicyVersion:
            policy = require_policy(conn, account_id, arn)
            if policy.account_id == AWS_ACCOUNT and version_id == AWS_VERSION:
                return _aws_version(policy)
            row = conn.execute(select(v).where(_versions(account_id, policy.name) & (v.c.version_id == version_id))).first()
            if row is None:
                raise S3Error("NoSuchEntity", f"Policy {arn} version {version_id} does not exist or is not attachable.")
            return PolicyVersion(row.version_id, row.document, row.version_id == policy.default_version, row.created)

        return self._read(read)

    def versions(self, account_id: str, arn: str) -> list[PolicyVersion]:
        """Every version, newest first (as IAM lists them)."""
        v = schema.iam_policy_versions

        def read(conn: Connection) -> list[PolicyVersion]:
            policy = require_policy(conn, account_id, arn)
            if policy.account_id == AWS_ACCOUNT:
                return [_aws_version(policy)]
            rows = conn.execute(select(v).where(_versions(account_id, policy.name))).all()
            found = [PolicyVersion(r.version_id, r.document, r.version_id == policy.default_version, r.created) for r in rows]
            return sorted(found, key=lambda p: int(p.version_id[1:]), reverse=True)

        return self._read(read)

    def delete_version(self, grant: Grant, account_id: str, arn: str, version_id: str) -> None:
        """Delete a version other than the default."""
        v = schema.iam_policy_versions

        def remove(conn: Connection) -> None:
            policy = _own(conn, account_id, arn)
            if version_id == policy.default_version:
                raise S3Error("DeleteConflict", "Cannot delete the default version of a policy.")
            if not conn.execute(v.delete().where(_versions(account_id, policy.name) & (v.c.version_id == version_id))).rowcount:
                raise S3Error("NoSuchEntity", f"Policy {arn} version {version_id} does not exist or is not attachable.")

        self._write(grant, account_id, remove)

    def set_default(self, grant: Grant, account_id: str, arn: str, version_id: str) -> None:
        """Make an existing version the default (what evaluation uses from now on)."""
        v, t = schema.iam_policy_versions, schema.iam_policies

        def change(conn: Connection) -> None:
            policy = _own(conn, account_id, arn)
            if conn.execute(select(v.c.version_id).where(_versions(account_id, policy.name) & (v.c.version_id == version_id))).first() is None:
                raise S3Error("NoSuchEntity", f"Policy {arn} version {version_id} does not exist or is not attachable.")
            conn.execute(update(t).where(_policy(account_id, policy.name)).values(default_version=version_id, updated=clock.now_seconds()))

        self._write(grant, account_id, change)

    @staticmethod
    def arn_of(account_id: str, path: str, name: str) -> str:
        """A customer managed policy's ARN."""
        return policy_arn(account_id, path, name)
