"""The S3 Control API (account-level settings): today account-level Block Public Access."""

from .dispatch import handle_control, is_control_request

__all__ = ["handle_control", "is_control_request"]
