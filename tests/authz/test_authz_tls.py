"""The seed's "force encryption in transit" (Deny GetObject when aws:SecureTransport is false) and "no
SSE-C uploads" (Null on s3:x-amz-server-side-encryption-customer-algorithm), against one server that
answers plain HTTP and HTTPS side by side: the same request is refused over HTTP and served over HTTPS."""

from __future__ import annotations

import functools
import gc
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from authzmatrix import ALLOW, DENY, arn, bucket_state, expect, expect_http, fresh_bucket, put_policy
from conftest import TLSServerInfo, make_client, running_tls_server

TIMEOUT_SECONDS = 30
OBJECTS = {"seed.txt": b"seed"}
SSE_C_KEY = os.urandom(32)
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}


@pytest.fixture(scope="module")
def tls() -> Iterator[TLSServerInfo]:
    """HTTP and HTTPS from one server (SSE-C allowed on new buckets, so only the policy refuses it)."""
    with running_tls_server({"STRONGROOM_ALLOW_SSEC_ON_NEW_BUCKETS": "true"}) as info:
        yield info


@pytest.fixture(scope="module")
def clients(tls: TLSServerInfo) -> Iterator[dict[str, Any]]:
    out = {"http": make_client(tls.server.endpoint), "https": make_client(tls.https_endpoint, verify=tls.ca_cert)}
    yield out
    # An open connection holds the server's graceful shutdown for 10 s: close the pools, and collect the
    # refused requests' connections that pytest.raises' tracebacks still hold in reference cycles.
    for client in out.values():
        client.close()
    gc.collect()


def _deny_get_over_http(bucket: str) -> list[dict[str, Any]]:
    return [{"Sid": "DenyGetWithoutTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(bucket, "*"),
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]


def _deny_everything_over_http(bucket: str) -> list[dict[str, Any]]:
    return [{"Sid": "DenyAllWithoutTLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]


def _deny_sse_c(bucket: str) -> list[dict[str, Any]]:
    return [{"Sid": "DenySSEC", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": arn(bucket, "*"),
             "Condition": {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}}}]


SCENARIOS: dict[str, Callable[[str], list[dict[str, Any]]]] = {
    "deny-get-over-http": _deny_get_over_http, "deny-all-over-http": _deny_everything_over_http, "deny-sse-c": _deny_sse_c,
}


def _key() -> str:
    return f"up-{uuid.uuid4().hex[:12]}"


Request = Callable[[Any, str], object]
REQUESTS: dict[str, Request] = {
    "get": lambda c, b: c.get_object(Bucket=b, Key="seed.txt")["Body"].read(),
    "head": lambda c, b: c.head_object(Bucket=b, Key="seed.txt"),
    "put": lambda c, b: c.put_object(Bucket=b, Key=_key(), Body=b"x"),
    "list": lambda c, b: c.list_objects_v2(Bucket=b),
    "put-sse-c": lambda c, b: c.put_object(Bucket=b, Key=_key(), Body=b"x", **SSE_C),
    "put-sse-kms": lambda c, b: c.put_object(Bucket=b, Key=_key(), Body=b"x", ServerSideEncryption="aws:kms"),
    "create-upload-sse-c": lambda c, b: c.create_multipart_upload(Bucket=b, Key=_key(), **SSE_C),
    "copy-to-sse-c": lambda c, b: c.copy_object(Bucket=b, Key=_key(), CopySource={"Bucket": b, "Key": "seed.txt"}, **SSE_C),
}

# (scenario, transport, request, allowed?)
CASES: list[tuple[str, str, str, bool]] = [
    ("deny-get-over-http", "http", "get", DENY),
    ("deny-get-over-http", "https", "get", ALLOW),
    ("deny-get-over-http", "http", "head", DENY),
    ("deny-get-over-http", "https", "head", ALLOW),
    ("deny-get-over-http", "http", "put", ALLOW),
    ("deny-get-over-http", "http", "list", ALLOW),
    ("deny-all-over-http", "http", "put", DENY),
    ("deny-all-over-http", "http", "list", DENY),
    ("deny-all-over-http", "https", "put", ALLOW),
    ("deny-all-over-http", "https", "list", ALLOW),
    ("deny-sse-c", "https", "put-sse-c", DENY),
    ("deny-sse-c", "https", "create-upload-sse-c", DENY),
    ("deny-sse-c", "https", "copy-to-sse-c", DENY),
    ("deny-sse-c", "https", "put", ALLOW),
    ("deny-sse-c", "https", "put-sse-kms", ALLOW),
]


@pytest.fixture(scope="module")
def scenario_bucket(clients: dict[str, Any]) -> Callable[[str], str]:
    """A bucket with the scenario's policy (once per scenario)."""

    @functools.cache
    def bucket_for(scenario: str) -> str:
        owner = clients["https"]
        name = fresh_bucket(owner, "tls", objects=OBJECTS)
        put_policy(owner, name, *SCENARIOS[scenario](name))
        return name

    return bucket_for


@pytest.mark.parametrize(("scenario", "transport", "request_", "allowed"), CASES,
                         ids=[f"{s}-{t}-{r}-{'allow' if ok else 'deny'}" for s, t, r, ok in CASES])
def test_transport_and_sse_c_conditions(clients: dict[str, Any], scenario_bucket: Callable[[str], str],
                                        scenario: str, transport: str, request_: str, allowed: bool) -> None:
    bucket = scenario_bucket(scenario)
    expect(allowed, lambda: REQUESTS[request_](clients[transport], bucket), lambda: bucket_state(clients["https"], bucket))


@pytest.mark.parametrize(("transport", "allowed"), [("http", DENY), ("https", ALLOW)])
def test_a_presigned_get_is_refused_over_http_and_served_over_https(tls: TLSServerInfo, clients: dict[str, Any],
                                                                    scenario_bucket: Callable[[str], str], transport: str, allowed: bool) -> None:
    bucket = scenario_bucket("deny-get-over-http")
    url = clients[transport].generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "seed.txt"}, ExpiresIn=300)
    expect_http(allowed, lambda: requests.get(url, timeout=TIMEOUT_SECONDS, verify=str(tls.ca_cert)),
                lambda: bucket_state(clients["https"], bucket))

