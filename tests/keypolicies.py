"""Shared by the key policy tests (KMS API and SSE-KMS): clients of both accounts, the accounts' ids,
and small builders of policy documents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, ServerInfo
from kms.test_kms_api import make_kms


def account_fixtures() -> tuple[Any, Any, Any, Any]:
    """Module fixtures ``kms``, ``kms_alt`` (clients of the main and alt accounts) and ``main_account``,
    ``alt_account`` (their ids); a test module binds them to those names."""

    @pytest.fixture(scope="module")
    def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
        return make_kms(server.endpoint)

    @pytest.fixture(scope="module")
    def kms_alt(server: ServerInfo):  # type: ignore[no-untyped-def]
        return make_kms(server.endpoint, ALT_KEY, ALT_SECRET)

    @pytest.fixture(scope="module")
    def main_account(kms) -> str:  # type: ignore[no-untyped-def]
        return kms.create_key(Description="account probe")["KeyMetadata"]["AWSAccountId"]  # type: ignore[no-any-return]

    @pytest.fixture(scope="module")
    def alt_account(kms_alt) -> str:  # type: ignore[no-untyped-def]
        return kms_alt.create_key(Description="account probe")["KeyMetadata"]["AWSAccountId"]  # type: ignore[no-any-return]

    return kms, kms_alt, main_account, alt_account


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(error code, HTTP status) of a client error."""
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    """The error message of a client error."""
    return str(exc.value.response["Error"]["Message"])


def policy(*statements: dict[str, Any]) -> str:
    """A 2012-10-17 policy document of these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def root(account: str, actions: Any = "kms:*") -> dict[str, Any]:
    """The default policy's statement for an account's root (optionally fewer actions)."""
    return {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": actions, "Resource": "*"}
