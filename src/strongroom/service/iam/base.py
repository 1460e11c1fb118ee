"""What every IAM store module shares: the metadata store, the grant check and the change signal.

Every method is blocking (a metadata transaction): the api layer calls them off the event loop, the
CLI directly. A write tells ``on_change`` so this gateway's cached identity policies are dropped at once
(other gateways see the change within the cache's TTL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from ...errors import S3Error
from ...grant import Grant
from ...meta.engine import MetaStore

__all__ = ["IamStoreBase"]

T = TypeVar("T")


class IamStoreBase:
    """The metadata store plus the write discipline of the IAM store."""

    def __init__(self, meta: MetaStore, on_change: Callable[[], None] = lambda: None) -> None:
        self._meta = meta
        self._on_change = on_change

    def _read(self, fn: Callable[[Connection], T]) -> T:
        return self._meta.read_sync(fn)

    def _write(self, grant: Grant, account_id: str, fn: Callable[[Connection], T], *, exists: str = "") -> T:
        """One write transaction for the grant's account; a unique-key clash is EntityAlreadyExists."""
        if grant.account_id != account_id or not (grant.action.startswith("iam:") or grant.action.startswith("worker:")):
            raise S3Error("AccessDenied", "The grant does not cover this IAM change.")
        try:
            result = self._meta.write_sync(fn)
        except DbIntegrityError:
            raise S3Error("EntityAlreadyExists", exists or None) from None
        finally:
            self._on_change()
        return result
