"""The key-lifecycle worker: rotates KMS keys whose next automatic rotation has come and destroys keys
past their deletion window, for keys nobody looks up (a lookup applies the same catch-up itself).

Restartable and idempotent: each key's catch-up is one transaction that records rotations at their
scheduled dates, so the worker, a request and another gateway racing on the same key agree.
"""

from __future__ import annotations

import asyncio
import logging

from ..kms.builtin import BuiltinKms

__all__ = ["KeyLifecycleWorker", "KEY_LIFECYCLE_INTERVAL_SECONDS"]

log = logging.getLogger("strongroom.key_rotation")

# Rotation periods are days long; a minute's delay is invisible, and lookups never wait for the worker.
KEY_LIFECYCLE_INTERVAL_SECONDS = 60.0


class KeyLifecycleWorker:
    """One pass at a time over the keys with a rotation or destruction due."""

    def __init__(self, kms: BuiltinKms) -> None:
        self._kms = kms

    def run_once_sync(self) -> int:
        """One pass on the calling thread; returns how many keys it visited."""
        return self._kms.catch_up_due()

    async def run_forever(self, interval_seconds: float = KEY_LIFECYCLE_INTERVAL_SECONDS) -> None:
        """A pass every interval; a failed pass is logged and retried next time."""
        while True:
            try:
                visited = await asyncio.to_thread(self.run_once_sync)
                if visited:
                    log.info("key lifecycle: %d keys rotated or destroyed", visited)
            except Exception:  # a worker loop: keep going, the next pass retries
                log.exception("key lifecycle pass failed")
            await asyncio.sleep(interval_seconds)
