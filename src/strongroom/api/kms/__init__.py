"""The AWS KMS JSON 1.1 protocol (X-Amz-Target: TrentService.<Operation>) over the built-in KMS."""

from __future__ import annotations

from .errors import kms_error_body
from .protocol import handle_kms, is_kms_request

__all__ = ["handle_kms", "is_kms_request", "kms_error_body"]
