"""The AWS STS query protocol (POST "/", Action=..., SigV4 for the service sts): temporary credentials."""

from __future__ import annotations

from .protocol import handle_sts, is_sts_request

__all__ = ["handle_sts", "is_sts_request"]
