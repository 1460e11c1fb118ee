"""A principal's identity-based policies, resolved for evaluation and cached for a second.

A user's identity policies are its inline policies, the default versions of the managed policies
attached to it, and the same of every group it belongs to; its permissions boundary (a managed
policy's default version), when set, limits them. A role's are its own inline and attached policies
and boundary (STS sessions will add their session policies). Users and roles bring their tags
(aws:PrincipalTag/<key>). An account's root keeps every right of its account (ACCOUNT_PRINCIPAL). All of
it is read in one transaction.

Every S3, KMS and IAM request of a user needs this, so it is cached per principal for
IDENTITY_TTL_SECONDS (like bucket configurations): another gateway's IAM change is seen within that
second, this gateway's at once (every IAM write calls ``forget_all``).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from sqlalchemy import Connection, select

from ...meta import schema
from ...meta.engine import MetaStore
from ...policy import ACCOUNT_PRINCIPAL, Policy, PolicyKind, parse_policy
from ..model import Principal
from .aws_managed import AWS_ACCOUNT, aws_managed_document, aws_managed_policy
from .names import EntityKind, parse_policy_arn
from .tags import tags_of

__all__ = ["Identity", "IdentityPolicies", "ROOT_IDENTITY", "NO_IDENTITY", "IDENTITY_TTL_SECONDS"]

IDENTITY_TTL_SECONDS = 1.0
_CACHE_ENTRIES = 10_000
_PARSED_ENTRIES = 4096


@dataclass(frozen=True, slots=True)
class Identity:
    """What a PolicySet needs of its caller: identity policies and (None: not set) boundaries."""

    identity: tuple[Policy, ...]
    boundaries: tuple[Policy, ...] | None = None
    session: tuple[Policy, ...] | None = None  # an STS session's policies: they cap the role's (None: none given)
    tags: tuple[tuple[str, str], ...] = ()  # the principal's tags: its aws:PrincipalTag/<key> values

    def principal_keys(self) -> dict[str, str]:
        """The condition keys the principal's tags make (aws:PrincipalTag/<key>)."""
        return {f"aws:PrincipalTag/{k}": v for k, v in self.tags}

    def add_principal_keys(self, keys: dict[str, str | list[str]]) -> None:
        """Add the tags' keys where the request has none of that name: a session's own tags (already
        there) win over its role's, as AWS has it."""
        present = {k.lower() for k in keys}
        keys.update({k: v for k, v in self.principal_keys().items() if k.lower() not in present})


ROOT_IDENTITY = Identity((ACCOUNT_PRINCIPAL,))
NO_IDENTITY = Identity(())

_parsed: OrderedDict[tuple[str, str], Policy] = OrderedDict()
_parsed_lock = threading.Lock()


def _parse(label: str, document: str) -> Policy:
    """A stored (hence validated) document, parsed once per process."""
    with _parsed_lock:
        hit = _parsed.get((label, document))
    if hit is not None:
        return hit
    policy = parse_policy(document, kind=PolicyKind.IDENTITY, name=label, max_bytes=1 << 20)
    with _parsed_lock:
        _parsed[(label, document)] = policy
        while len(_parsed) > _PARSED_ENTRIES:
            _parsed.popitem(last=False)
    return policy


def _inline(conn: Connection, account_id: str, kind: str, names: list[str]) -> list[Policy]:
    t = schema.iam_inline_policies
    rows = conn.execute(
        select(t.c.principal_name, t.c.policy_name, t.c.document)
        .where((t.c.account_id == account_id) & (t.c.principal_kind == kind) & t.c.principal_name.in_(names))
    ).all()
    return [_parse(f"{kind} {r.principal_name} inline policy {r.policy_name}", r.document) for r in rows]


def _attached_arns(conn: Connection, account_id: str, kind: str, names: list[str]) -> list[str]:
    a = schema.iam_attachments
    return list(conn.execute(
        select(a.c.policy_arn).where((a.c.account_id == account_id) & (a.c.principal_kind == kind) & a.c.principal_name.in_(names))
    ).scalars())


def _managed(conn: Connection, account_id: str, arns: list[str]) -> dict[str, Policy]:
    """ARN -> the managed policy's default version, for those that exist in the account."""
    wanted, found = {}, {}
    for arn in arns:
        owner, path, name = parse_policy_arn(arn)
        if owner == account_id:
            wanted[name] = (arn, path)
        elif owner == AWS_ACCOUNT and aws_managed_policy(name) is not None:
            found[arn] = _parse(f"managed policy {arn}", aws_managed_document(name))
    if not wanted:
        return found
    p, v = schema.iam_policies, schema.iam_policy_versions
    rows = conn.execute(
        select(p.c.policy_name, p.c.path, v.c.document)
        .join(v, (v.c.account_id == p.c.account_id) & (v.c.policy_name == p.c.policy_name) & (v.c.version_id == p.c.default_version))
        .where((p.c.account_id == account_id) & p.c.policy_name.in_(list(wanted)))
    ).all()
    found.update({wanted[r.policy_name][0]: _parse(f"managed policy {wanted[r.policy_name][0]}", r.document)
                  for r in rows if wanted[r.policy_name][1] == r.path})
    return found


def _boundary(conn: Connection, account_id: str, arn: str | None) -> tuple[Policy, ...] | None:
    if arn is None:
        return None
    found = _managed(conn, account_id, [arn])
    return (found[arn],) if arn in found else ()  # a vanished boundary allows nothing (fail closed)


def load_identity(conn: Connection, account_id: str, kind: EntityKind, name: str) -> Identity:
    """Resolve a user's or role's policies in one read transaction (no entity: no rights at all)."""
    if kind is EntityKind.USER:
        u, m = schema.users, schema.iam_group_members
        row = conn.execute(select(u.c.boundary_arn).where((u.c.account_id == account_id) & (u.c.user_name == name))).first()
        groups = list(conn.execute(select(m.c.group_name).where((m.c.account_id == account_id) & (m.c.user_name == name))).scalars())
    else:
        r = schema.iam_roles
        row = conn.execute(select(r.c.boundary_arn).where((r.c.account_id == account_id) & (r.c.role_name == name))).first()
        groups = []
    if row is None:
        return NO_IDENTITY
    policies = _inline(conn, account_id, kind.value, [name]) + _inline(conn, account_id, "group", groups)
    arns = _attached_arns(conn, account_id, kind.value, [name]) + _attached_arns(conn, account_id, "group", groups)
    managed = _managed(conn, account_id, arns)
    policies += [managed[a] for a in dict.fromkeys(arns) if a in managed]
    tags = tuple(tags_of(conn, account_id, kind, name).items())
    return Identity(tuple(policies), _boundary(conn, account_id, row.boundary_arn), tags=tags)


def _session_tags(role_tags: tuple[tuple[str, str], ...], session_tags: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A role session's principal tags: the role's, with the session's own in their place (AWS: session
    tags win over the role's tags of the same key)."""
    merged = {k.lower(): (k, v) for k, v in role_tags}
    merged.update({k.lower(): (k, v) for k, v in session_tags})
    return tuple(merged.values())


def _cache_key(principal: Principal) -> tuple[str, str, str]:
    """A user's entry, or a role session's (its role, policies and tags: sessions that carry the same share it)."""
    session = principal.role_session
    if session is None:
        assert principal.user_name is not None
        return (principal.account.account_id, EntityKind.USER.value, principal.user_name)
    shape = "\0".join([session.role_name, session.policy or "", *session.policy_arns, repr(session.tags)])
    return (principal.account.account_id, "session", shape)


class IdentityPolicies:
    """Principal -> Identity, cached per principal for IDENTITY_TTL_SECONDS."""

    def __init__(self, meta: MetaStore, ttl_seconds: float = IDENTITY_TTL_SECONDS) -> None:
        self._meta = meta
        self._ttl = ttl_seconds
        self._cache: dict[tuple[str, str, str], tuple[float, Identity]] = {}
        self._lock = threading.Lock()

    def forget_all(self) -> None:
        """Drop every cached identity (after an IAM write through this gateway)."""
        with self._lock:
            self._cache.clear()

    def resolve_sync(self, account_id: str, kind: EntityKind, name: str) -> Identity:
        """A user's or role's identity (blocking: a metadata read on a miss)."""
        key = (account_id, kind.value, name)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        identity = self._meta.read_sync(lambda c: load_identity(c, account_id, kind, name))
        with self._lock:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = (now + self._ttl, identity)
        return identity

    async def of(self, principal: Principal | None) -> Identity:
        """The caller's identity side: none for anonymous, every right for an account's root."""
        if principal is None:
            return NO_IDENTITY
        if principal.user_name is None and principal.role_session is None:
            return ROOT_IDENTITY
        key = _cache_key(principal)
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        resolve = self._session_identity if principal.role_session is not None else self._resolve_in
        identity = await self._meta.read(lambda c: resolve(c, principal))
        with self._lock:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self._ttl, identity)
        return identity

    def _session_identity(self, conn: Connection, principal: Principal) -> Identity:  # cached by ``of`` per session
        """A role session: the role's policies and boundary, capped by the session's policies."""
        session = principal.role_session
        assert session is not None
        account_id = principal.account.account_id
        key = (account_id, EntityKind.ROLE.value, session.role_name)
        with self._lock:
            hit = self._cache.get(key)
        role = hit[1] if hit is not None and hit[0] > time.monotonic() else load_identity(conn, account_id, EntityKind.ROLE, session.role_name)
        with self._lock:
            self._cache[key] = (time.monotonic() + self._ttl, role)
        tags = _session_tags(role.tags, session.tags)
        if session.policy is None and not session.policy_arns:
            return replace(role, tags=tags)
        policies = [_parse(f"session policy of {principal.arn}", session.policy)] if session.policy is not None else []
        managed = _managed(conn, account_id, list(session.policy_arns))
        policies += [managed[a] for a in session.policy_arns if a in managed]
        return Identity(role.identity, role.boundaries, tuple(policies), tags=tags)

    def _resolve_in(self, conn: Connection, principal: Principal) -> Identity:
        assert principal.user_name is not None
        return load_identity(conn, principal.account.account_id, EntityKind.USER, principal.user_name)
