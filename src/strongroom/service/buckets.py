"""Buckets: names, creation, lookup, deletion, location, tags and generic per-bucket configuration."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from .. import clock
from ..errors import S3Error
from ..grant import Grant
from ..meta import schema
from ..meta.engine import MetaStore
from .blobrefs import mark_garbage
from .model import Bucket, BucketName
from .ttl_cache import MISSING, TtlCache

__all__ = ["Buckets", "validate_bucket_name"]

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_BUCKETS_PER_ACCOUNT = 10_000
BUCKET_CACHE_TTL_SECONDS = 1.0
BUCKET_CACHE_ENTRIES = 10_000


def require_in(conn: Connection, name: str) -> None:
    """Inside a write transaction: the bucket still exists (NoSuchBucket otherwise)."""
    t = schema.buckets
    if conn.execute(select(t.c.name).where(t.c.name == name)).first() is None:
        raise S3Error("NoSuchBucket", resource=name, extra={"BucketName": name})


def validate_bucket_name(name: str) -> BucketName:
    """Apply the general-purpose bucket naming rules (AWS "Bucket naming rules")."""
    bad = (
        not _BUCKET_NAME.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
    )
    if not bad:
        try:
            ipaddress.IPv4Address(name)
            bad = True
        except ValueError:
            pass
    if bad:
        raise S3Error("InvalidBucketName", resource=name)
    return BucketName(name)


def _bucket(row: object) -> Bucket:
    m = row._mapping  # type: ignore[attr-defined]
    return Bucket(BucketName(m["name"]), m["account_id"], m["region"], m["created"], m["versioning"], bool(m["object_lock"]))


class Buckets:
    """Bucket rows and their configuration documents."""

    def __init__(self, meta: MetaStore, default_region: str) -> None:
        self._meta = meta
        self.default_region = default_region
        # name -> (monotonic expiry, bucket). Short-lived, since another gateway may delete a bucket;
        # writes re-check the bucket inside their commit transaction (require_in), so a stale entry
        # can never make an object outlive its bucket.
        self._cache: TtlCache[str, Bucket] = TtlCache(BUCKET_CACHE_TTL_SECONDS, BUCKET_CACHE_ENTRIES)
        # (name, kind) -> (monotonic expiry, document): the configuration every write consults
        # (default encryption), cached as briefly and for the same reason as buckets.
        self._config_cache: TtlCache[tuple[str, str], str | None] = TtlCache(BUCKET_CACHE_TTL_SECONDS, BUCKET_CACHE_ENTRIES)

    async def get(self, name: str) -> Bucket | None:
        """A bucket by name, or None (a read-only lookup authorisation may make first)."""
        hit = self._cache.get(name)
        if hit is not MISSING:
            return hit
        t = schema.buckets
        row = await self._meta.read(lambda c: c.execute(select(t).where(t.c.name == name)).first())
        if row is None:
            self._cache.drop(name)
            return None
        bucket = _bucket(row)
        self._cache.put(name, bucket)
        return bucket

    async def require(self, name: str) -> Bucket:
        """A bucket by name, or NoSuchBucket."""
        bucket = await self.get(name)
        if bucket is None:
            raise S3Error("NoSuchBucket", resource=name, extra={"BucketName": name})
        return bucket

    async def create(self, grant: Grant, name: str, region: str | None, configs: Mapping[str, str] | None = None) -> Bucket:
        """Create a bucket owned by the grant's account (BucketAlreadyOwnedByYou / BucketAlreadyExists),
        with its first configuration documents (``configs``: kind -> document) in the same transaction."""
        bucket_name = validate_bucket_name(name)
        region = region or self.default_region
        now = clock.now_seconds()

        def insert(conn: Connection) -> Bucket:
            t = schema.buckets
            existing = conn.execute(select(t.c.account_id, t.c.region).where(t.c.name == bucket_name)).first()
            if existing is not None:
                if existing.account_id != grant.account_id:
                    raise S3Error("BucketAlreadyExists", resource=bucket_name, extra={"BucketName": bucket_name})
                # AWS CreateBucket: "in us-east-1, for legacy compatibility, re-creating a bucket you
                # already own returns 200 OK"; every other region answers BucketAlreadyOwnedByYou.
                if existing.region == "us-east-1" and region == "us-east-1":
                    return _bucket(conn.execute(select(t).where(t.c.name == bucket_name)).one())
                raise S3Error("BucketAlreadyOwnedByYou", resource=bucket_name, extra={"BucketName": bucket_name})
            count = conn.execute(select(t.c.name).where(t.c.account_id == grant.account_id).limit(MAX_BUCKETS_PER_ACCOUNT)).all()
            if len(count) >= MAX_BUCKETS_PER_ACCOUNT:
                raise S3Error("TooManyBuckets")
            conn.execute(t.insert().values(name=bucket_name, account_id=grant.account_id, region=region, created=now, object_lock=False))
            for kind, document in (configs or {}).items():
                conn.execute(schema.bucket_configs.insert().values(bucket=bucket_name, kind=kind, document=document))
            return Bucket(bucket_name, grant.account_id, region, now)

        try:
            return await self._meta.write(insert)
        except DbIntegrityError as exc:  # lost a race with another gateway
            raise S3Error("BucketAlreadyExists", resource=bucket_name) from exc

    async def list_owned(self, grant: Grant, *, prefix: str = "", after: str = "", limit: int | None = None) -> list[Bucket]:
        """The grant's account's buckets in name order: those starting with prefix, after a name, at most limit."""
        t = schema.buckets
        query = select(t).where(t.c.account_id == grant.account_id).order_by(t.c.name)
        if prefix:
            query = query.where(t.c.name >= prefix)
        if after:
            query = query.where(t.c.name > after)
        if limit is not None:
            query = query.limit(limit)
        rows = await self._meta.read(lambda c: c.execute(query).all())
        return [b for b in (_bucket(r) for r in rows) if b.name.startswith(prefix)]

    async def delete(self, grant: Grant, name: str) -> None:
        """Delete an empty bucket; in-progress multipart uploads are aborted with it."""

        def remove(conn: Connection) -> list[str]:
            o, u, p = schema.objects, schema.uploads, schema.parts
            if conn.execute(select(o.c.row_id).where(o.c.bucket == name).limit(1)).first() is not None:
                raise S3Error("BucketNotEmpty", resource=name, extra={"BucketName": name})
            upload_ids = [r[0] for r in conn.execute(select(u.c.upload_id).where(u.c.bucket == name)).all()]
            garbage: list[str] = []
            for upload_id in upload_ids:
                for (extent,) in conn.execute(select(p.c.extent).where(p.c.upload_id == upload_id)).all():
                    garbage.append(json.loads(extent)["b"])
                conn.execute(p.delete().where(p.c.upload_id == upload_id))
            conn.execute(u.delete().where(u.c.bucket == name))
            conn.execute(schema.bucket_configs.delete().where(schema.bucket_configs.c.bucket == name))
            if conn.execute(schema.buckets.delete().where(schema.buckets.c.name == name)).rowcount == 0:
                raise S3Error("NoSuchBucket", resource=name)
            now = clock.now_seconds()
            mark_garbage(conn, garbage, now)
            return garbage

        self._cache.drop(name)
        await self._meta.write(remove)
        self._cache.drop(name)
        self._forget_configs(name)

    # -- configuration documents (tagging, encryption; policy, cors... later) ------------------
    async def get_config(self, name: str, kind: str) -> str | None:
        """A stored configuration document, or None."""
        t = schema.bucket_configs
        row = await self._meta.read(lambda c: c.execute(select(t.c.document).where((t.c.bucket == name) & (t.c.kind == kind))).first())
        return None if row is None else str(row[0])

    async def cached_config(self, name: str, kind: str) -> str | None:
        """get_config for the write path: may be up to BUCKET_CACHE_TTL_SECONDS stale when another
        gateway changed it; this gateway's own changes are seen at once."""
        hit = self._config_cache.get((name, kind))
        if hit is not MISSING:
            return hit
        document = await self.get_config(name, kind)
        self._config_cache.put((name, kind), document)
        return document

    def _forget_configs(self, name: str) -> None:
        self._config_cache.drop_where(lambda cached: cached[0] == name)

    async def put_config(self, grant: Grant, name: str, kind: str, document: str) -> None:
        """Store (replace) a configuration document."""
        t = schema.bucket_configs

        def upsert(conn: Connection) -> None:
            conn.execute(t.delete().where((t.c.bucket == name) & (t.c.kind == kind)))
            conn.execute(t.insert().values(bucket=name, kind=kind, document=document))

        self._config_cache.drop((name, kind))
        await self._meta.write(upsert)
        self._config_cache.drop((name, kind))

    async def delete_config(self, grant: Grant, name: str, kind: str) -> None:
        """Remove a configuration document (absent is fine)."""
        t = schema.bucket_configs
        self._config_cache.drop((name, kind))
        await self._meta.write(lambda c: c.execute(t.delete().where((t.c.bucket == name) & (t.c.kind == kind))))
        self._config_cache.drop((name, kind))
