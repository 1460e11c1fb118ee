"""Wiring: settings -> metadata, blobs, keys, services -> the ASGI app. Validates at start-up."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from .api.app import S3App
from .api.asgi import ASGIApp
from .api.context import Services
from .api.counters_json import CountersJson
from .auth.credentials import CredentialCache
from .blob.local import LocalBlobStore
from .config import Settings
from .kms.audited import AuditedProvider, KmsAudit
from .kms.bucket_keys import BucketKeys, UseCheck
from .kms.builtin import BuiltinKms
from .kms.cache import BUCKET_KEY_CACHE, DATA_KEY_CACHE, CacheLimits, CountedKms, KeyCache
from .kms.provider import KeyProvider
from .kms.root_key import RootKeyring, open_root_keyring
from .kms.server_keys import ServerKeyProvider
from .meta.engine import MetaStore
from .observe.audit import AuditLog
from .service.access_points import AccessPoints
from .service.account_configs import AccountConfigs
from .service.accounts import AccessKey, Accounts
from .service.buckets import Buckets
from .service.iam import Iam
from .service.listing import Listing
from .service.multipart import Uploads
from .service.objects import Objects
from .service.storage import Storage
from .workers.key_rotation import KeyLifecycleWorker
from .workers.sweeper import Sweeper

__all__ = ["Runtime", "open_runtime", "build_app", "ensure_root_account"]

log = logging.getLogger("strongroom")


@dataclass(slots=True)
class Runtime:
    """Everything a process opens once."""

    settings: Settings
    root_key: RootKeyring
    meta: MetaStore
    storage: Storage
    services: Services


def open_runtime(settings: Settings) -> Runtime:
    """Create the data dir, metadata, root key and storage; build the services."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    root_key = open_root_keyring(settings.root_key_path)
    meta = MetaStore(settings.metadata_url)
    sse_s3 = ServerKeyProvider(root_key, meta)
    kms = BuiltinKms(root_key, meta, settings.region)
    kms_audit = KmsAudit(AuditLog(settings.audit_log_path, settings.region))
    storage = Storage(
        meta=meta,
        blobs=LocalBlobStore(settings.data_dir),
        # S3's uses of KMS keys are audited (GenerateDataKey on writes, Decrypt on reads): innermost,
        # so that only real KMS calls are recorded, never a cache hit or a bucket key's local wrap.
        providers=_object_key_providers(settings, meta, sse_s3, AuditedProvider(kms, kms_audit), kms.policies.check_s3_use),
        sse_s3=sse_s3,
        segment_bytes=settings.segment_bytes,
        inline_max_bytes=settings.inline_max_bytes,
    )
    accounts = Accounts(meta, root_key)
    services = Services(
        settings=settings,
        accounts=accounts,
        credentials=CredentialCache(accounts),
        buckets=Buckets(meta, settings.region),
        objects=Objects(storage),
        uploads=Uploads(storage),
        listing=Listing(meta),
        kms=kms,
        account_configs=AccountConfigs(meta),
        access_points=AccessPoints(meta),
        iam=Iam(meta, root_key),
        kms_audit=kms_audit,
    )
    return Runtime(settings, root_key, meta, storage, services)


def _object_key_providers(
    settings: Settings, meta: MetaStore, sse_s3: KeyProvider, kms: KeyProvider, check_use: UseCheck
) -> dict[str, KeyProvider]:
    """The providers that wrap object data keys: the server's hierarchy, the built-in KMS (calls
    counted, unwraps cached for reads) and the S3 Bucket Keys it wraps (their own cache)."""
    limits = CacheLimits(settings.key_cache_ttl_seconds, settings.key_cache_max_uses, settings.key_cache_max_entries)
    bucket_key_limits = CacheLimits(settings.bucket_key_ttl_seconds, settings.key_cache_max_uses, settings.key_cache_max_entries)
    bucket_keys = BucketKeys(
        CountedKms(kms), meta, KeyCache(BUCKET_KEY_CACHE, bucket_key_limits),
        ttl_seconds=settings.bucket_key_ttl_seconds, max_uses=settings.bucket_key_max_uses, check_use=check_use,
    )
    counted = CountedKms(kms, KeyCache(DATA_KEY_CACHE, limits))
    return {sse_s3.name: sse_s3, counted.name: counted, bucket_keys.name: bucket_keys}


def ensure_root_account(runtime: Runtime) -> AccessKey | None:
    """On first start create the first account and its root key; return it so it can be printed once."""
    s = runtime.settings
    accounts = runtime.services.accounts
    account = accounts.get_account_sync(s.root_account_name)
    if account is None:
        account = accounts.create_account_sync(s.root_account_name)
        return accounts.create_key_sync(account, None, s.root_access_key, s.root_secret_key)
    if s.root_access_key and s.root_secret_key:
        known = {k for k, _, _ in accounts.list_keys_sync(account)}
        if s.root_access_key not in known:
            return accounts.create_key_sync(account, None, s.root_access_key, s.root_secret_key)
    return None


def build_app(settings: Settings) -> ASGIApp:
    """The ASGI app for one worker process, with its background sweeper and key-lifecycle worker."""
    runtime = open_runtime(settings)
    sweeper = Sweeper(runtime.storage, settings.orphan_grace_seconds)
    key_lifecycle = KeyLifecycleWorker(runtime.services.kms)
    tasks: list[asyncio.Task[None]] = []

    async def on_startup() -> None:
        tasks.append(asyncio.create_task(sweeper.run_forever(settings.sweep_interval_seconds)))
        tasks.append(asyncio.create_task(key_lifecycle.run_forever()))

    async def on_shutdown() -> None:
        for task in tasks:
            task.cancel()
        runtime.services.kms_audit.close()
        runtime.meta.close()

    app = S3App(runtime.services, on_startup=on_startup, on_shutdown=on_shutdown)
    return CountersJson(app) if settings.expose_counters_json else app
