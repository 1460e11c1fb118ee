"""IAM names, paths, unique ids and ARNs: the constraints the IAM API reference states, checked once.

A value that breaks a constraint is a ValidationError worded as AWS words it ("1 validation error
detected: Value '...' at 'userName' failed to satisfy constraint: ..."), so clients see the same text.
"""

from __future__ import annotations

import re
import secrets
import string
from enum import StrEnum

from ...errors import S3Error

__all__ = [
    "EntityKind",
    "check_name",
    "check_path",
    "check_path_prefix",
    "new_unique_id",
    "entity_arn",
    "policy_arn",
    "parse_policy_arn",
    "validation_error",
]

# IAM's pattern for user, group, role and policy names (the API reference's "[\w+=,.@-]+").
_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
# Paths: "/" or "/" + printable ASCII + "/", at most 512 characters.
_PATH = re.compile(r"^(/|/[\x21-\x7e]+/)$")
_PATH_PREFIX = re.compile(r"^/[\x21-\x7e]*$")
_ID_ALPHABET = string.ascii_uppercase + string.digits
# The longest name each kind allows (IAM API reference).
_MAX_NAME = {"user": 64, "group": 128, "role": 64, "policy": 128}


class EntityKind(StrEnum):
    """What an inline policy or an attachment hangs off; valued as the ARN resource type."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"


# Unique id prefixes, as AWS shapes them (AIDA... users, AGPA... groups, AROA... roles, ANPA... policies).
_ID_PREFIX = {"user": "AIDA", "group": "AGPA", "role": "AROA", "policy": "ANPA"}


def validation_error(value: str, member: str, constraint: str) -> S3Error:
    """AWS's wording of one failed constraint."""
    shown = value if len(value) <= 256 else value[:256] + "..."
    return S3Error("ValidationError", f"1 validation error detected: Value '{shown}' at '{member}' failed to satisfy constraint: {constraint}")


def check_name(kind: str, value: str, member: str) -> str:
    """A user, group, role or policy name, or ValidationError."""
    if not 1 <= len(value) <= _MAX_NAME[kind]:
        raise validation_error(value, member, f"Member must have length less than or equal to {_MAX_NAME[kind]}")
    if not _NAME.match(value):
        raise validation_error(value, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    return value


def check_path(value: str | None, member: str = "path") -> str:
    """An entity path ("/" when absent), or ValidationError."""
    if value is None:
        return "/"
    if len(value) > 512 or not _PATH.match(value):
        raise validation_error(value, member, "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)")
    return value


def check_path_prefix(value: str | None) -> str:
    """A List* PathPrefix ("/" when absent), or ValidationError."""
    if value is None:
        return "/"
    if len(value) > 512 or not _PATH_PREFIX.match(value):
        raise validation_error(value, "pathPrefix", "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*")
    return value


def new_unique_id(kind: str) -> str:
    """A fresh 21-character unique id with the kind's prefix."""
    return _ID_PREFIX[kind] + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def entity_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """arn:aws:iam::<account>:<kind><path><name>."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def policy_arn(account_id: str, path: str, name: str) -> str:
    """A customer managed policy's ARN."""
    return entity_arn(account_id, "policy", path, name)


_POLICY_ARN = re.compile(r"^arn:aws:iam::(\d{12}|aws):policy(/|/[\x21-\x7e]*/)([\w+=,.@-]+)$", re.ASCII)


def parse_policy_arn(value: str, member: str = "policyArn") -> tuple[str, str, str]:
    """(account, path, name) of a managed policy ARN, or InvalidInput as IAM answers a malformed one."""
    match = _POLICY_ARN.match(value)
    if match is None:
        raise S3Error("InvalidInput", f"ARN {value} is not valid.")
    return match.group(1), match.group(2), match.group(3)
