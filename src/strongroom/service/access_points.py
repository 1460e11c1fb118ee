"""S3 access points: named entrances to one bucket, each with its own policy, Block Public Access flags
and network origin (the Internet, or one configured "VPC" network), reached through an alias that S3
requests use as a bucket name.

Aliases look like AWS's (``<name>-<random>-s3alias``, at most 63 characters) so they can never be a
bucket's name: bucket names may not end in ``-s3alias``. Lookups by alias are cached for a second,
like bucket configurations; this gateway's own changes are seen at once.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from ..errors import S3Error
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from ..policy import MalformedPolicy, PolicyKind, parse_policy
from ..policy.document import Policy
from .access_controls import ALL_BLOCKED, PublicAccessBlock
from .ttl_cache import MISSING, TtlCache

__all__ = ["AccessPoint", "AccessPoints", "ALIAS_SUFFIX", "validate_access_point_name", "parse_access_point_policy"]

ALIAS_SUFFIX = "-s3alias"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")
_ALIAS_RANDOM = string.ascii_lowercase + string.digits
_ALIAS_TTL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class AccessPoint:
    """One access point as stored."""

    account_id: str
    name: str
    bucket: str
    alias: str
    vpc_id: str | None
    public_access_block: PublicAccessBlock
    policy: str | None
    created: float

    @property
    def network_origin(self) -> str:
        return "VPC" if self.vpc_id is not None else "Internet"

    def arn(self, region: str) -> str:
        return f"arn:aws:s3:{region}:{self.account_id}:accesspoint/{self.name}"


def validate_access_point_name(name: str) -> str:
    """AWS's naming rules: 3-50 lowercase letters, digits and hyphens, no hyphen at either end."""
    if not _NAME.match(name) or "--" in name or name.endswith(ALIAS_SUFFIX):
        raise S3Error("InvalidRequest", f"Access point name {name!r} is not valid: 3-50 lowercase letters, numbers and hyphens, "
                      "starting and ending with a letter or number.")
    return name


def parse_access_point_policy(document: str, point: AccessPoint, region: str) -> Policy:
    """An access point policy: the grammar, a Principal, S3 actions, resources inside this access point."""
    arn = point.arn(region)
    try:
        policy = parse_policy(document, kind=PolicyKind.RESOURCE, name=f"policy of access point {point.name}")
    except MalformedPolicy as exc:
        raise S3Error("MalformedPolicy", str(exc)) from None
    raw = json.loads(document)
    statements = raw["Statement"] if isinstance(raw["Statement"], list) else [raw["Statement"]]
    for number, statement in enumerate(statements, start=1):
        resources = statement.get("Resource", statement.get("NotResource"))
        for resource in [resources] if isinstance(resources, str) else resources:
            if resource != arn and not resource.startswith(arn + "/object/"):
                raise S3Error("MalformedPolicy", f"Statement {number}: Policy has invalid resource {resource!r} (must be in {arn}).")
    return policy


def _new_alias(name: str) -> str:
    random_part = "".join(secrets.choice(_ALIAS_RANDOM) for _ in range(12))
    return f"{name[: 63 - len(ALIAS_SUFFIX) - len(random_part) - 1]}-{random_part}{ALIAS_SUFFIX}"


def _access_point(row: Row[tuple[object, ...]]) -> AccessPoint:
    m = row._mapping
    block = PublicAccessBlock.from_json(str(m["public_access_block"])) or ALL_BLOCKED
    return AccessPoint(str(m["account_id"]), str(m["name"]), str(m["bucket"]), str(m["alias"]), m["vpc_id"], block,
                       m["policy"], float(m["created"]))


class AccessPoints:
    """Create, read, list and delete access points and their policies."""

    def __init__(self, meta: MetaStore) -> None:
        self._meta = meta
        self._by_alias: TtlCache[str, AccessPoint | None] = TtlCache(_ALIAS_TTL_SECONDS)

    async def create(self, grant: Grant, account_id: str, name: str, bucket: str, vpc_id: str | None, block: PublicAccessBlock) -> AccessPoint:
        """A new access point; AccessPointAlreadyOwnedByYou if the account has one of that name."""
        assert grant.account_id == account_id
        point = AccessPoint(account_id, name, bucket, _new_alias(name), vpc_id, block, None, time.time())
        t = schema.access_points

        def insert(conn: Connection) -> None:
            conn.execute(t.insert().values(
                account_id=account_id, name=name, bucket=bucket, alias=point.alias, vpc_id=vpc_id,
                public_access_block=block.to_json(), policy=None, created=point.created,
            ))

        try:
            await self._meta.write(insert)
        except IntegrityError:
            raise S3Error("AccessPointAlreadyOwnedByYou") from None
        return point

    async def get(self, account_id: str, name: str) -> AccessPoint:
        """The account's access point of that name, or NoSuchAccessPoint."""
        t = schema.access_points
        where = (t.c.account_id == account_id) & (t.c.name == name)
        row = await self._meta.read(lambda c: c.execute(select(t).where(where)).first())
        if row is None:
            raise S3Error("NoSuchAccessPoint", resource=name, extra={"AccessPointName": name})
        return _access_point(row)

    async def list(self, account_id: str, bucket: str | None, after: str | None, limit: int) -> list[AccessPoint]:
        """The account's access points in name order (optionally one bucket's), after a name."""
        t = schema.access_points
        where = t.c.account_id == account_id
        if bucket is not None:
            where = where & (t.c.bucket == bucket)
        if after is not None:
            where = where & (t.c.name > after)
        rows = await self._meta.read(lambda c: c.execute(select(t).where(where).order_by(t.c.name).limit(limit)).all())
        return [_access_point(r) for r in rows]

    async def delete(self, grant: Grant, point: AccessPoint) -> None:
        t = schema.access_points
        where = (t.c.account_id == point.account_id) & (t.c.name == point.name)
        await self._meta.write(lambda c: c.execute(t.delete().where(where)))
        self._by_alias.drop(point.alias)

    async def set_policy(self, grant: Grant, point: AccessPoint, policy: str | None) -> None:
        """Replace (None: remove) the access point's policy."""
        t = schema.access_points
        where = (t.c.account_id == point.account_id) & (t.c.name == point.name)
        await self._meta.write(lambda c: c.execute(t.update().where(where).values(policy=policy)))
        self._by_alias.drop(point.alias)

    async def by_alias(self, alias: str) -> AccessPoint | None:
        """The access point an alias names (None if none), at most a second stale."""
        hit = self._by_alias.get(alias)
        if hit is not MISSING:
            return hit
        t = schema.access_points
        row = await self._meta.read(lambda c: c.execute(select(t).where(t.c.alias == alias)).first())
        point = _access_point(row) if row is not None else None
        self._by_alias.put(alias, point)
        return point
