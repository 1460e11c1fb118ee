"""The AWS IAM query protocol (POST "/", Action=..., SigV4 for the service iam) over service/iam."""

from __future__ import annotations

from .errors import iam_error_body
from .protocol import handle_iam, is_iam_request

__all__ = ["handle_iam", "is_iam_request", "iam_error_body"]
