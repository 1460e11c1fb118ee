"""Shared by the IAM tests: boto3 iam clients for the server, users made through the IAM API with their
own keys (and S3/KMS clients signing as them), policy documents, and error checks."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client

__all__ = ["iam_fixtures", "make_iam", "IamUserClients", "new_user", "doc", "allow", "deny", "code", "unique", "settle"]

# The server caches a principal's resolved policies for a second (this test's own writes are seen at
# once by the same gateway, but a test that needs another gateway's view waits this long).
IDENTITY_TTL_SECONDS = 1.0


def make_iam(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET, *, validate: bool = True) -> Any:
    """A boto3 iam client for the server (IAM signs for us-east-1); no retries: a failure is the answer.
    ``validate=False`` sends what boto3 would refuse itself, so the server's own checks are tested."""
    return boto3.client("iam", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, parameter_validation=validate))


def iam_fixtures() -> tuple[Any, Any, Any]:
    """Module fixtures ``iam`` (the main account root's client), ``raw`` (the same without boto3's own
    parameter checks) and ``account_id`` (the main account's id); a test module binds them to those names."""

    @pytest.fixture(scope="module")
    def iam(server: ServerInfo) -> Any:
        return make_iam(server.endpoint)

    @pytest.fixture(scope="module")
    def raw(server: ServerInfo) -> Any:
        return make_iam(server.endpoint, validate=False)

    @pytest.fixture(scope="module")
    def account_id(iam: Any) -> str:
        return str(iam.get_user()["User"]["Arn"].split(":")[4])

    return iam, raw, account_id


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class IamUserClients:
    """A user made through IAM, with an access key and clients signing as it."""

    name: str
    arn: str
    key_id: str
    secret: str
    s3: Any
    kms: Any
    iam: Any


def new_user(iam: Any, endpoint: str, prefix: str = "user") -> IamUserClients:
    """CreateUser + CreateAccessKey, and clients of the new user."""
    name = unique(prefix)
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
    return IamUserClients(name, arn, key_id, secret, make_client(endpoint, key_id, secret),
                          make_kms_client(endpoint, key_id, secret), make_iam(endpoint, key_id, secret))


def doc(*statements: dict[str, Any]) -> str:
    """A 2012-10-17 identity policy of these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    """A Deny statement."""
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    """(error code, HTTP status) of a client error."""
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def settle() -> None:
    """Wait out the server's identity cache (for changes the gateway cannot know of at once)."""
    time.sleep(IDENTITY_TTL_SECONDS + 0.1)
