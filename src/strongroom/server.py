"""Wiring: settings -> metadata, blobs, keys, services -> the ASGI app. Validates at start-up."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from .api.app import S3App
from .api.context import Services
from .auth.credentials import CredentialCache
from .blob.local import LocalBlobStore
from .config import Settings
from .crypto.keys import DataKey
from .kms.builtin import BuiltinKms
from .kms.server_keys import ServerKeyProvider, load_or_create_root_key
from .meta.engine import MetaStore
from .service.accounts import AccessKey, Accounts
from .service.buckets import Buckets
from .service.listing import Listing
from .service.multipart import Uploads
from .service.objects import Objects
from .service.storage import Storage
from .workers.sweeper import Sweeper

__all__ = ["Runtime", "open_runtime", "build_app", "ensure_root_account"]

log = logging.getLogger("strongroom")


@dataclass(slots=True)
class Runtime:
    """Everything a process opens once."""

    settings: Settings
    root_key: DataKey
    meta: MetaStore
    storage: Storage
    services: Services


def open_runtime(settings: Settings) -> Runtime:
    """Create the data dir, metadata, root key and storage; build the services."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    root_key = load_or_create_root_key(settings.root_key_path)
    meta = MetaStore(settings.metadata_url)
    sse_s3 = ServerKeyProvider(root_key, meta)
    kms = BuiltinKms(root_key, meta, settings.region)
    storage = Storage(
        meta=meta,
        blobs=LocalBlobStore(settings.data_dir),
        providers={sse_s3.name: sse_s3, kms.name: kms},
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
    )
    return Runtime(settings, root_key, meta, storage, services)


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


def build_app(settings: Settings) -> S3App:
    """The ASGI app for one worker process, with its background sweeper."""
    runtime = open_runtime(settings)
    sweeper = Sweeper(runtime.storage, settings.orphan_grace_seconds)
    task: asyncio.Task[None] | None = None

    async def on_startup() -> None:
        nonlocal task
        task = asyncio.create_task(sweeper.run_forever(settings.sweep_interval_seconds))

    async def on_shutdown() -> None:
        if task is not None:
            task.cancel()
        runtime.meta.close()

    return S3App(runtime.services, on_startup=on_startup, on_shutdown=on_shutdown)
