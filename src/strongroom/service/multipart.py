"""Multipart uploads (being built)."""

from __future__ import annotations

from .storage import Storage

__all__ = ["Uploads"]


class Uploads:
    """Multipart uploads over one storage."""

    def __init__(self, storage: Storage) -> None:
        self._s = storage
