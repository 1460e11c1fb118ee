"""The seed's bucket restricted to a VPC endpoint (aws:SourceVpce), self-hosted: the server maps client
networks to endpoint ids (vpc_endpoint_networks) and VPC ids (vpc_networks); clients bind to other
127.0.0.0/8 addresses to come from inside the endpoint's network, from another endpoint's, or from none;
X-Forwarded-For names the client only when a trusted proxy sends it.
A Deny of everything not through the endpoint refuses every request from elsewhere (the owner's root
still manages the policy); a public-looking policy pinned to one endpoint is not public, so Block Public
Access lets it in and anonymous callers inside the network read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from authzmatrix import (
    ALLOW,
    DENY,
    arn,
    attempt,
    bound_client,
    bucket_state,
    expect,
    fresh_bucket,
    put_policy,
)
from botocore import UNSIGNED
from conftest import ServerInfo, running_server

ENDPOINT, OTHER_ENDPOINT, VPC = "vpce-1a2b3c4d", "vpce-99999999", "vpc-0a1b2c3d"
INSIDE, OTHER, OUTSIDE, PROXY = "127.0.0.9", "127.0.0.17", "127.0.0.1", "127.0.0.33"
NETWORKS = {"127.0.0.8/29": ENDPOINT, "127.0.0.16/29": OTHER_ENDPOINT}
OBJECTS = {"seed.txt": b"seed", "public/a.txt": b"public"}


@pytest.fixture(scope="module")
def vpce_server() -> Iterator[ServerInfo]:
    """A server that knows which loopback networks are which endpoint (and VPC)."""
    with running_server({"STRONGROOM_VPC_ENDPOINT_NETWORKS": json.dumps(NETWORKS),
                         "STRONGROOM_VPC_NETWORKS": json.dumps({"127.0.0.8/29": VPC}),
                         "STRONGROOM_TRUSTED_PROXIES": json.dumps([f"{PROXY}/32"])}) as info:
        yield info


@pytest.fixture(scope="module")
def clients(vpce_server: ServerInfo) -> dict[str, Any]:
    """The main account's root from each network, and anonymous callers from each."""
    out = {}
    for where, address in (("inside", INSIDE), ("other", OTHER), ("outside", OUTSIDE)):
        out[where] = bound_client(vpce_server.endpoint, address)
        out[f"anon-{where}"] = bound_client(vpce_server.endpoint, address, signature_version=UNSIGNED)
    # X-Forwarded-For claiming the endpoint's network: believed from the trusted proxy only.
    out["proxy-for-inside"] = _forwarded_for(bound_client(vpce_server.endpoint, PROXY), INSIDE)
    out["proxy-for-outside"] = _forwarded_for(bound_client(vpce_server.endpoint, PROXY), OUTSIDE)
    out["outside-claiming-inside"] = _forwarded_for(bound_client(vpce_server.endpoint, OUTSIDE), INSIDE)
    return out


def _forwarded_for(client: Any, address: str) -> Any:
    """The client sends X-Forwarded-For: ``address`` on every request (as a proxy in front of us would)."""
    def add_header(request: Any, **_: object) -> None:
        request.headers["X-Forwarded-For"] = address
    client.meta.events.register("before-sign.s3", add_header)
    return client


@pytest.fixture(scope="module")
def endpoint_only(clients: dict[str, Any]) -> str:
    """The seed's bucket: every request not through the endpoint is denied."""
    owner = clients["inside"]
    bucket = fresh_bucket(owner, "vpce", objects=OBJECTS)
    put_policy(owner, bucket, {"Sid": "Access-to-specific-VPCE-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                               "Resource": [arn(bucket), arn(bucket, "*")], "Condition": {"StringNotEquals": {"aws:SourceVpce": ENDPOINT}}})
    return bucket


@pytest.fixture(scope="module")
def vpc_public(clients: dict[str, Any]) -> str:
    """Block Public Access on (a new bucket's default), and a policy open to anyone in one VPC."""
    owner = clients["inside"]
    bucket = fresh_bucket(owner, "vpcpub", objects=OBJECTS)
    put_policy(owner, bucket, {"Sid": "AnyoneInTheVpc", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": arn(bucket, "public/*"), "Condition": {"StringEquals": {"aws:SourceVpc": VPC}}})
    return bucket


# (caller, operation, allowed?) on the endpoint-only bucket
ENDPOINT_CASES: list[tuple[str, str, bool]] = [
    ("inside", "GetObject", ALLOW),
    ("inside", "HeadObject", ALLOW),
    ("inside", "PutObject", ALLOW),
    ("inside", "ListObjectsV2", ALLOW),
    ("inside", "DeleteObject", ALLOW),
    ("inside", "CopyObject", ALLOW),
    ("outside", "GetObject", DENY),
    ("outside", "HeadObject", DENY),
    ("outside", "PutObject", DENY),
    ("outside", "ListObjectsV2", DENY),
    ("outside", "DeleteObject", DENY),
    ("outside", "CopyObject", DENY),
    ("outside", "PutObjectTagging", DENY),
    ("outside", "CreateMultipartUpload", DENY),
    ("outside", "GetBucketPolicy", ALLOW),  # the owner's root is never locked out of its policy
    ("other", "GetObject", DENY),
    ("other", "PutObject", DENY),
    ("other", "ListObjectsV2", DENY),
    ("proxy-for-inside", "GetObject", ALLOW),
    ("proxy-for-inside", "PutObject", ALLOW),
    ("proxy-for-outside", "GetObject", DENY),
    ("outside-claiming-inside", "GetObject", DENY),
    ("outside-claiming-inside", "PutObject", DENY),
]


@pytest.mark.parametrize(("where", "operation", "allowed"), ENDPOINT_CASES,
                         ids=[f"{w}-{op}-{'allow' if ok else 'deny'}" for w, op, ok in ENDPOINT_CASES])
def test_only_requests_through_the_endpoint_are_served(clients: dict[str, Any], endpoint_only: str, where: str, operation: str, allowed: bool) -> None:
    owner = clients["inside"]
    expect(allowed, attempt(operation, clients[where], owner, endpoint_only), lambda: bucket_state(owner, endpoint_only))


Request = Callable[[Any, str], object]
VPC_CASES: list[tuple[str, str, Request, bool]] = [
    ("anon-inside", "get-public", lambda c, b: c.get_object(Bucket=b, Key="public/a.txt")["Body"].read(), ALLOW),
    ("anon-inside", "get-seed", lambda c, b: c.get_object(Bucket=b, Key="seed.txt")["Body"].read(), DENY),
    ("anon-inside", "list", lambda c, b: c.list_objects_v2(Bucket=b), DENY),
    ("anon-other", "get-public", lambda c, b: c.get_object(Bucket=b, Key="public/a.txt")["Body"].read(), DENY),
    ("anon-outside", "get-public", lambda c, b: c.get_object(Bucket=b, Key="public/a.txt")["Body"].read(), DENY),
]


@pytest.mark.parametrize(("where", "what", "request_", "allowed"), VPC_CASES,
                         ids=[f"{w}-{what}-{'allow' if ok else 'deny'}" for w, what, _, ok in VPC_CASES])
def test_a_policy_pinned_to_a_vpc_is_not_public_and_serves_only_that_vpc(clients: dict[str, Any], vpc_public: str,
                                                                         where: str, what: str, request_: Request, allowed: bool) -> None:
    owner = clients["inside"]
    expect(allowed, lambda: request_(clients[where], vpc_public), lambda: bucket_state(owner, vpc_public))


def test_the_vpc_pinned_policy_is_reported_not_public(clients: dict[str, Any], vpc_public: str) -> None:
    assert clients["inside"].get_bucket_policy_status(Bucket=vpc_public)["PolicyStatus"]["IsPublic"] is False
