"""The form parameters of one IAM request, typed, with IAM's ValidationError wording for bad ones."""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import S3Error
from ...service.iam.names import check_name, check_path, check_path_prefix, validation_error

__all__ = ["Params"]


def _member(name: str) -> str:
    """The member name IAM's messages use: UserName -> userName."""
    return name[:1].lower() + name[1:]


class Params:
    """Name -> value of a query-protocol request (the first value of a repeated name)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def optional(self, name: str) -> str | None:
        """The value, or None when absent."""
        return self._values.get(name)

    def required(self, name: str) -> str:
        """The value, or ValidationError (null) when absent."""
        value = self._values.get(name)
        if value is None:
            raise S3Error("ValidationError", f"1 validation error detected: Value null at '{_member(name)}' failed to satisfy constraint: Member must not be null")
        return value

    def name(self, kind: str, param: str, *, required: bool = True) -> str | None:
        """A user/group/role/policy name parameter, checked against IAM's pattern."""
        value = self.required(param) if required else self.optional(param)
        return None if value is None else check_name(kind, value, _member(param))

    def entity(self, kind: str, param: str) -> str:
        """A required name parameter."""
        value = self.name(kind, param)
        assert value is not None
        return value

    def path(self, param: str = "Path") -> str:
        """An entity path ("/" when absent)."""
        return check_path(self.optional(param), _member(param))

    def path_prefix(self) -> str:
        """PathPrefix of a List* call ("/" when absent)."""
        return check_path_prefix(self.optional("PathPrefix"))

    def integer(self, name: str) -> int | None:
        """An integer parameter, or None when absent."""
        value = self.optional(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise validation_error(value, _member(name), "Member must be an integer") from None

    def boolean(self, name: str) -> bool:
        """A boolean parameter (absent: false)."""
        value = self.optional(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise validation_error(value, _member(name), "Member must be a boolean")
        return value.lower() == "true"

    def members(self, name: str) -> list[str]:
        """A list parameter as the query protocol sends it: Name.member.1, Name.member.2, ..."""
        out, index = [], 1
        while (value := self._values.get(f"{name}.member.{index}")) is not None:
            out.append(value)
            index += 1
        return out

    def tags(self, name: str = "Tags") -> dict[str, str]:
        """A Tags list (Tags.member.N.Key / .Value), by key."""
        out: dict[str, str] = {}
        index = 1
        while (key := self._values.get(f"{name}.member.{index}.Key")) is not None:
            out[key] = self._values.get(f"{name}.member.{index}.Value", "")
            index += 1
        return out

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        """A required parameter that must be one of ``allowed``."""
        value = self.required(name)
        if value not in allowed:
            raise validation_error(value, _member(name), f"Member must satisfy enum value set: [{', '.join(allowed)}]")
        return value
