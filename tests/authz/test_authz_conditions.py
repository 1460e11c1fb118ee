"""Condition operators deciding real requests: s3:prefix (StringLike), s3:max-keys
(NumericLessThanEquals), aws:SourceIp (IpAddress/NotIpAddress, clients on other loopback addresses),
s3:x-amz-acl, s3:RequestObjectTag/<k>, s3:RequestObjectTagKeys and s3:ExistingObjectTag/<k>, aws:CurrentTime (DateLessThan,
DateGreaterThan), aws:PrincipalAccount and aws:PrincipalArn, and the seed's "uploads must use aws:kms,
never SSE-C" (StringNotEquals and Null on the SSE headers)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from authzmatrix import (
    ALLOW,
    DENY,
    account_ids,
    arn,
    bound_client,
    bucket_state,
    expect,
    fresh_bucket,
    put_policy,
)
from botocore import UNSIGNED
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, ServerInfo, make_client

OBJECTS = {"seed.txt": b"seed", "public/a.txt": b"public", "private/b.txt": b"private"}
OTHER_ADDRESS = "127.0.0.2"
Statements = Callable[[str, str, str], list[dict[str, Any]]]  # (bucket, main id, alt id) -> the policy's statements
Request = Callable[[Any, str], object]  # (client, bucket) -> one request


def _alt(actions: Any, resource: str, condition: dict[str, Any]) -> Statements:
    """One Allow of the alt account on the bucket ("") or its objects ("*"), under a condition."""
    return lambda b, main, alt: [{"Effect": "Allow", "Principal": {"AWS": alt}, "Action": actions,
                                  "Resource": arn(b) if resource == "" else arn(b, resource), "Condition": condition}]


def _deny_all(actions: Any, condition: dict[str, Any]) -> Statements:
    """One Deny of everyone on the bucket's objects, under a condition."""
    return lambda b, main, alt: [{"Effect": "Deny", "Principal": "*", "Action": actions, "Resource": arn(b, "*"), "Condition": condition}]


def _principal_account(b: str, main: str, alt: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(b, "*"),
             "Condition": {"StringEquals": {"aws:PrincipalAccount": alt}}}]


def _only_main_account(b: str, main: str, alt: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Principal": {"AWS": alt}, "Action": "s3:*", "Resource": [arn(b), arn(b, "*")]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": arn(b, "*"),
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": main}}}]


def _principal_arn(b: str, main: str, alt: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Principal": {"AWS": alt}, "Action": "s3:GetObject", "Resource": arn(b, "*"),
             "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{alt}:*"}}}]


def _kms_only(b: str, main: str, alt: str) -> list[dict[str, Any]]:
    """The seed's policy: refuse uploads not under aws:kms, and refuse SSE-C uploads."""
    return [{"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": arn(b, "*"),
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
            {"Sid": "DenySSEC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": arn(b, "*"),
             "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}}]


SCENARIOS: dict[str, Statements] = {
    "prefix": _alt("s3:ListBucket", "", {"StringLike": {"s3:prefix": "public/*"}}),
    "max-keys": _alt("s3:ListBucket", "", {"NumericLessThanEquals": {"s3:max-keys": "10"}}),
    "source-ip": _alt("s3:GetObject", "*", {"IpAddress": {"aws:SourceIp": f"{OTHER_ADDRESS}/32"}}),
    "not-source-ip": _deny_all("s3:PutObject", {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}),
    "x-amz-acl": _alt("s3:PutObject", "*", {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
    "request-tag": _alt("s3:PutObject", "*", {"StringEquals": {"s3:RequestObjectTag/project": "apollo"}}),
    "request-tag-keys": _deny_all("s3:PutObject", {"ForAnyValue:StringNotEquals": {"s3:RequestObjectTagKeys": ["project", "owner"]}}),
    "until-2000": _alt("s3:GetObject", "*", {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}),
    "until-2100": _alt("s3:GetObject", "*", {"DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"}}),
    "from-2100": _alt("s3:GetObject", "*", {"DateGreaterThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"}}),
    "existing-tag": _alt("s3:GetObject", "*", {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}),
    "principal-account": _principal_account,
    "only-main-writes": _only_main_account,
    "principal-arn": _principal_arn,
    "kms-only": _kms_only,
    "no-ssec-only": lambda b, main, alt: _kms_only(b, main, alt)[1:],
}


def _put(**extra: Any) -> Request:
    return lambda c, b: c.put_object(Bucket=b, Key=f"up-{uuid.uuid4().hex[:12]}", Body=b"upload", **extra)


def _list(**extra: Any) -> Request:
    return lambda c, b: c.list_objects_v2(Bucket=b, **extra)


def _get(key: str = "seed.txt") -> Request:
    return lambda c, b: c.get_object(Bucket=b, Key=key)["Body"].read()


def _create_upload(**extra: Any) -> Request:
    return lambda c, b: c.create_multipart_upload(Bucket=b, Key=f"mpu-{uuid.uuid4().hex[:12]}", **extra)


def _copy(**extra: Any) -> Request:
    return lambda c, b: c.copy_object(Bucket=b, Key=f"copy-{uuid.uuid4().hex[:12]}", CopySource={"Bucket": b, "Key": "seed.txt"}, **extra)


# (scenario, caller, what, request, allowed?)
CASES: list[tuple[str, str, str, Request, bool]] = [
    ("prefix", "alt", "list-prefix-public", _list(Prefix="public/"), ALLOW),
    ("prefix", "alt", "list-prefix-public-deeper", _list(Prefix="public/a"), ALLOW),
    ("prefix", "alt", "list-prefix-private", _list(Prefix="private/"), DENY),
    ("prefix", "alt", "list-no-prefix", _list(), DENY),
    ("max-keys", "alt", "list-max-5", _list(MaxKeys=5), ALLOW),
    ("max-keys", "alt", "list-max-10", _list(MaxKeys=10), ALLOW),
    ("max-keys", "alt", "list-max-11", _list(MaxKeys=11), DENY),
    ("max-keys", "alt", "list-no-max-keys", _list(), DENY),
    ("source-ip", "alt@other", "get-from-listed-address", _get(), ALLOW),
    ("source-ip", "alt", "get-from-127.0.0.1", _get(), DENY),
    ("not-source-ip", "main", "put-from-127.0.0.1", _put(), ALLOW),
    ("not-source-ip", "main@other", "put-from-other-address", _put(), DENY),
    ("not-source-ip", "main@other", "get-from-other-address", _get(), ALLOW),
    ("x-amz-acl", "alt", "put-bucket-owner-full-control", _put(ACL="bucket-owner-full-control"), ALLOW),
    ("x-amz-acl", "alt", "put-private", _put(ACL="private"), DENY),
    ("x-amz-acl", "alt", "put-no-acl", _put(), DENY),
    ("request-tag", "alt", "put-tag-apollo", _put(Tagging="project=apollo"), ALLOW),
    ("request-tag", "alt", "put-tag-apollo-and-more", _put(Tagging="project=apollo&team=x"), ALLOW),
    ("request-tag", "alt", "put-tag-gemini", _put(Tagging="project=gemini"), DENY),
    ("request-tag", "alt", "put-untagged", _put(), DENY),
    ("request-tag", "alt", "create-upload-tag-apollo", _create_upload(Tagging="project=apollo"), ALLOW),
    ("request-tag-keys", "main", "put-known-tag-keys", _put(Tagging="project=a&owner=b"), ALLOW),
    ("request-tag-keys", "main", "put-unknown-tag-key", _put(Tagging="project=a&secret=b"), DENY),
    ("request-tag-keys", "main", "put-untagged", _put(), ALLOW),
    ("until-2000", "alt", "get", _get(), DENY),
    ("until-2100", "alt", "get", _get(), ALLOW),
    ("from-2100", "alt", "get", _get(), DENY),
    ("existing-tag", "alt", "get-tagged-public", _get("public/a.txt"), ALLOW),
    ("existing-tag", "alt", "get-tagged-secret", _get("private/b.txt"), DENY),
    ("existing-tag", "alt", "get-untagged", _get("seed.txt"), DENY),
    ("principal-account", "alt", "get", _get(), ALLOW),
    ("principal-account", "anon", "get", _get(), DENY),
    ("principal-account", "main", "get", _get(), ALLOW),
    ("only-main-writes", "alt", "put", _put(), DENY),
    ("only-main-writes", "alt", "get", _get(), ALLOW),
    ("only-main-writes", "main", "put", _put(), ALLOW),
    ("principal-arn", "alt", "get", _get(), ALLOW),
    ("kms-only", "main", "put-without-sse", _put(), DENY),
    ("kms-only", "main", "put-sse-s3", _put(ServerSideEncryption="AES256"), DENY),
    ("kms-only", "main", "put-sse-kms", _put(ServerSideEncryption="aws:kms"), ALLOW),
    ("kms-only", "main", "create-upload-without-sse", _create_upload(), DENY),
    ("kms-only", "main", "create-upload-sse-kms", _create_upload(ServerSideEncryption="aws:kms"), ALLOW),
    ("kms-only", "main", "copy-without-sse", _copy(), DENY),
    ("kms-only", "main", "copy-sse-kms", _copy(ServerSideEncryption="aws:kms"), ALLOW),
    ("no-ssec-only", "main", "put-without-sse", _put(), ALLOW),
]


@pytest.fixture(scope="module")
def clients(server: ServerInfo, s3: Any, s3_alt: Any) -> dict[str, Any]:
    return {
        "main": s3, "alt": s3_alt, "anon": make_client(server.endpoint, signature_version=UNSIGNED),
        "main@other": bound_client(server.endpoint, OTHER_ADDRESS, MAIN_KEY, MAIN_SECRET),
        "alt@other": bound_client(server.endpoint, OTHER_ADDRESS, ALT_KEY, ALT_SECRET),
    }


@pytest.fixture(scope="module")
def scenario_bucket(server: ServerInfo, s3: Any) -> Callable[[str], str]:
    """A bucket of the main account (ACLs on, Block Public Access off) with the scenario's policy (once each)."""
    main, alt = account_ids(server)

    @functools.cache
    def bucket_for(scenario: str) -> str:
        name = fresh_bucket(s3, "cond", open_access=True, objects=OBJECTS)
        for key, label in (("public/a.txt", "public"), ("private/b.txt", "secret")):
            s3.put_object_tagging(Bucket=name, Key=key, Tagging={"TagSet": [{"Key": "classification", "Value": label}]})
        put_policy(s3, name, *SCENARIOS[scenario](name, main, alt))
        return name

    return bucket_for


@pytest.mark.parametrize(("scenario", "who", "what", "request_", "allowed"), CASES,
                         ids=[f"{s}-{w}-{what}-{'allow' if ok else 'deny'}" for s, w, what, _, ok in CASES])
def test_condition_decides_real_request(s3: Any, clients: dict[str, Any], scenario_bucket: Callable[[str], str],
                                        scenario: str, who: str, what: str, request_: Request, allowed: bool) -> None:
    bucket = scenario_bucket(scenario)
    expect(allowed, lambda: request_(clients[who], bucket), lambda: bucket_state(s3, bucket))
