"""The one crypto failure: ``IntegrityError``.

This module owns the single exception that ``strongroom.crypto`` raises for any failed authentication,
decryption or format check. Like Tink's ``TinkError`` it never says *which* check failed, so an attacker
probing with forged blobs learns nothing from the message; callers log the context they have.
"""

from __future__ import annotations

__all__ = ["IntegrityError", "INTEGRITY_MESSAGE"]

INTEGRITY_MESSAGE = "integrity check failed"


class IntegrityError(Exception):
    """Authentication, decryption or format check failed; deliberately does not say which."""

    def __init__(self, message: str = INTEGRITY_MESSAGE) -> None:
        super().__init__(message)
