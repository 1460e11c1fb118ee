"""Typed, validated reads of a KMS request's JSON members; every violation is a ValidationException.

Blobs travel base64-encoded in the JSON protocol; lengths are checked after decoding, as AWS states them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from ...errors import S3Error

__all__ = ["Params"]


def _invalid(message: str) -> S3Error:
    return S3Error("ValidationException", f"1 validation error detected: {message}")


class Params:
    """The members of one request's JSON object."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self._data = data

    def optional_string(self, name: str, max_len: int = 2048) -> str | None:
        """A string member, or None when absent."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise S3Error("SerializationException", f"{name} must be a string")
        if not 1 <= len(value) <= max_len:
            raise _invalid(f"Value at '{name}' failed to satisfy constraint: Member must have length between 1 and {max_len}")
        return value

    def string(self, name: str, max_len: int = 2048) -> str:
        """A required string member."""
        value = self.optional_string(name, max_len)
        if value is None:
            raise _invalid(f"Value null at '{name}' failed to satisfy constraint: Member must not be null")
        return value

    def optional_integer(self, name: str, low: int, high: int) -> int | None:
        """An integer member within [low, high], or None when absent."""
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise S3Error("SerializationException", f"{name} must be an integer")
        if not low <= value <= high:
            raise _invalid(f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have value between {low} and {high}")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer member within [low, high], ``default`` when absent."""
        value = self.optional_integer(name, low, high)
        return default if value is None else value

    def blob(self, name: str, max_bytes: int) -> bytes:
        """A required base64 blob member of 1..max_bytes bytes."""
        value = self._data.get(name)
        if value is None:
            raise _invalid(f"Value null at '{name}' failed to satisfy constraint: Member must not be null")
        if not isinstance(value, str):
            raise S3Error("SerializationException", f"{name} must be a base64 string")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise S3Error("SerializationException", f"{name} is not valid base64") from None
        if not 1 <= len(raw) <= max_bytes:
            raise _invalid(f"Value at '{name}' failed to satisfy constraint: Member must have length between 1 and {max_bytes}")
        return raw

    def string_map(self, name: str) -> dict[str, str]:
        """A map of strings (an encryption context); empty when absent."""
        value = self._data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise S3Error("SerializationException", f"{name} must be a map of strings")
        return dict(value)

    def string_list(self, name: str) -> list[str]:
        """A list of strings; empty when absent."""
        value = self._data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise S3Error("SerializationException", f"{name} must be a list of strings")
        return list(value)

    def tags(self, name: str) -> dict[str, str]:
        """A list of {TagKey, TagValue} as a mapping (a later duplicate key wins)."""
        value = self._data.get(name)
        if value is None:
            return {}
        if not isinstance(value, list):
            raise S3Error("SerializationException", f"{name} must be a list of tags")
        tags: dict[str, str] = {}
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get("TagKey"), str) or not isinstance(item.get("TagValue"), str):
                raise S3Error("SerializationException", "Each tag needs a TagKey and a TagValue string")
            tags[item["TagKey"]] = item["TagValue"]
        return tags

    def flag(self, name: str) -> bool:
        """A boolean member, False when absent."""
        value = self._data.get(name, False)
        if not isinstance(value, bool):
            raise S3Error("SerializationException", f"{name} must be a boolean")
        return value
