"""The operator's admin surface on the server's endpoint, under the reserved path prefix ``/_strongroom/``
(bucket names cannot contain '_', so it never collides with path-style S3 requests)."""

from __future__ import annotations

from .dispatch import ADMIN_PREFIX, handle_admin, is_admin_request

__all__ = ["ADMIN_PREFIX", "handle_admin", "is_admin_request"]
