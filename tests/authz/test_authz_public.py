"""Anonymous callers and Block Public Access: anonymous access through a public policy and through
public ACLs (Block Public Access off), over boto3 unsigned and plain HTTP; Block Public Access refusing
a public policy and public ACLs; IgnorePublicAcls and RestrictPublicBuckets taking public access away."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from authzmatrix import (
    ALLOW,
    DENY,
    account_ids,
    arn,
    bucket_state,
    expect,
    expect_http,
    fresh_bucket,
    policy_document,
    put_policy,
)
from botocore import UNSIGNED
from conftest import ServerInfo, make_client

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
OBJECTS = {"public/a.txt": b"public", "private/b.txt": b"private"}
TIMEOUT_SECONDS = 30
Setup = Callable[[Any, str, str], None]  # (owner, bucket, alt canonical id)


def _unblocked(then: Setup) -> Setup:
    def setup(owner: Any, bucket: str, alt: str) -> None:
        owner.delete_public_access_block(Bucket=bucket)
        then(owner, bucket, alt)
    return setup


def _public_policy(owner: Any, bucket: str, alt: str) -> None:
    put_policy(owner, bucket, {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(bucket, "public/*")})


def _object_public_read(owner: Any, bucket: str, alt: str) -> None:
    owner.put_object_acl(Bucket=bucket, Key="public/a.txt", ACL="public-read")


def _bucket_acl(acl: str) -> Setup:
    return lambda owner, bucket, alt: owner.put_bucket_acl(Bucket=bucket, ACL=acl)


def _public_acls_then_ignored(owner: Any, bucket: str, alt: str) -> None:
    owner.put_object_acl(Bucket=bucket, Key="public/a.txt", ACL="public-read")
    owner.put_object_acl(Bucket=bucket, Key="private/b.txt", GrantRead=f'id="{alt}"')
    owner.put_bucket_acl(Bucket=bucket, ACL="public-read")
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})


def _public_policy_then_restricted(owner: Any, bucket: str, alt: str) -> None:
    _public_policy(owner, bucket, alt)
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})


def _only_block_public_policy(owner: Any, bucket: str, alt: str) -> None:
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})


SCENARIOS: dict[str, Setup] = {
    "unblocked-no-grant": _unblocked(lambda owner, bucket, alt: None),
    "public-policy": _unblocked(_public_policy),
    "object-public-read": _unblocked(_object_public_read),
    "bucket-public-read": _unblocked(_bucket_acl("public-read")),
    "bucket-public-read-write": _unblocked(_bucket_acl("public-read-write")),
    "bucket-authenticated-read": _unblocked(_bucket_acl("authenticated-read")),
    "ignore-public-acls": _unblocked(_public_acls_then_ignored),
    "restrict-public-buckets": _unblocked(_public_policy_then_restricted),
    "all-blocks-on": lambda owner, bucket, alt: None,  # a new bucket's default
    "block-public-policy-only": _unblocked(_only_block_public_policy),
}


def _new_key() -> str:
    return f"up/{uuid.uuid4().hex[:12]}"


def _public_document(bucket: str, **extra: Any) -> str:
    return policy_document({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(bucket, "*"), **extra})


Boto = Callable[[Any, str], object]
BOTO: dict[str, Boto] = {
    "get-public": lambda c, b: c.get_object(Bucket=b, Key="public/a.txt")["Body"].read(),
    "get-private": lambda c, b: c.get_object(Bucket=b, Key="private/b.txt")["Body"].read(),
    "head-public": lambda c, b: c.head_object(Bucket=b, Key="public/a.txt"),
    "list": lambda c, b: c.list_objects_v2(Bucket=b),
    "put": lambda c, b: c.put_object(Bucket=b, Key=_new_key(), Body=b"anon"),
    "get-acl-public": lambda c, b: c.get_object_acl(Bucket=b, Key="public/a.txt"),
    "put-acl-public": lambda c, b: c.put_object_acl(Bucket=b, Key="public/a.txt", ACL="public-read-write"),
    "put-public-policy": lambda c, b: c.put_bucket_policy(Bucket=b, Policy=_public_document(b)),
    "put-world-ip-policy": lambda c, b: c.put_bucket_policy(Bucket=b, Policy=_public_document(b, Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})),
    "put-pinned-ip-policy": lambda c, b: c.put_bucket_policy(Bucket=b, Policy=_public_document(b, Condition={"IpAddress": {"aws:SourceIp": "10.1.2.0/24"}})),
    "put-bucket-acl-public-read": lambda c, b: c.put_bucket_acl(Bucket=b, ACL="public-read"),
    "put-bucket-grant-all-users": lambda c, b: c.put_bucket_acl(Bucket=b, GrantRead=f'uri="{ALL_USERS}"'),
    "put-object-public-read": lambda c, b: c.put_object(Bucket=b, Key=_new_key(), Body=b"x", ACL="public-read"),
    "put-object-authenticated-read": lambda c, b: c.put_object(Bucket=b, Key=_new_key(), Body=b"x", ACL="authenticated-read"),
    "put-object-private": lambda c, b: c.put_object(Bucket=b, Key=_new_key(), Body=b"x", ACL="private"),
    "put-object-acl-public-read": lambda c, b: c.put_object_acl(Bucket=b, Key="public/a.txt", ACL="public-read"),
}

Raw = Callable[[str, str], requests.Response]
RAW: dict[str, Raw] = {
    "raw-get-public": lambda e, b: requests.get(f"{e}/{b}/public/a.txt", timeout=TIMEOUT_SECONDS),
    "raw-get-private": lambda e, b: requests.get(f"{e}/{b}/private/b.txt", timeout=TIMEOUT_SECONDS),
    "raw-list": lambda e, b: requests.get(f"{e}/{b}?list-type=2", timeout=TIMEOUT_SECONDS),
    "raw-put": lambda e, b: requests.put(f"{e}/{b}/{_new_key()}", data=b"anon", timeout=TIMEOUT_SECONDS),
    "raw-delete-public": lambda e, b: requests.delete(f"{e}/{b}/public/a.txt", timeout=TIMEOUT_SECONDS),
}

# (scenario, caller, request, allowed?)
CASES: list[tuple[str, str, str, bool]] = [
    ("unblocked-no-grant", "anon", "get-public", DENY),
    ("unblocked-no-grant", "raw", "raw-get-public", DENY),
    ("unblocked-no-grant", "anon", "list", DENY),
    ("unblocked-no-grant", "raw", "raw-put", DENY),
    ("public-policy", "anon", "get-public", ALLOW),
    ("public-policy", "raw", "raw-get-public", ALLOW),
    ("public-policy", "anon", "head-public", ALLOW),
    ("public-policy", "alt", "get-public", ALLOW),
    ("public-policy", "anon", "get-private", DENY),
    ("public-policy", "raw", "raw-get-private", DENY),
    ("public-policy", "anon", "list", DENY),
    ("public-policy", "anon", "put", DENY),
    ("public-policy", "raw", "raw-delete-public", DENY),
    ("object-public-read", "anon", "get-public", ALLOW),
    ("object-public-read", "raw", "raw-get-public", ALLOW),
    ("object-public-read", "anon", "get-private", DENY),
    ("object-public-read", "anon", "get-acl-public", DENY),
    ("object-public-read", "anon", "put-acl-public", DENY),
    ("object-public-read", "anon", "list", DENY),
    ("bucket-public-read", "anon", "list", ALLOW),
    ("bucket-public-read", "raw", "raw-list", ALLOW),
    ("bucket-public-read", "anon", "get-private", DENY),
    ("bucket-public-read", "raw", "raw-put", DENY),
    ("bucket-public-read-write", "raw", "raw-put", ALLOW),
    ("bucket-public-read-write", "anon", "put", ALLOW),
    ("bucket-public-read-write", "anon", "get-private", DENY),
    ("bucket-authenticated-read", "alt", "list", ALLOW),
    ("bucket-authenticated-read", "anon", "list", DENY),
    ("ignore-public-acls", "anon", "get-public", DENY),
    ("ignore-public-acls", "raw", "raw-list", DENY),
    ("ignore-public-acls", "alt", "get-private", ALLOW),
    ("restrict-public-buckets", "anon", "get-public", DENY),
    ("restrict-public-buckets", "alt", "get-public", DENY),
    ("restrict-public-buckets", "main", "get-public", ALLOW),
    ("all-blocks-on", "main", "put-public-policy", DENY),
    ("all-blocks-on", "main", "put-world-ip-policy", DENY),
    ("all-blocks-on", "main", "put-bucket-acl-public-read", DENY),
    ("all-blocks-on", "main", "put-bucket-grant-all-users", DENY),
    ("all-blocks-on", "main", "put-object-public-read", DENY),
    ("all-blocks-on", "main", "put-object-authenticated-read", DENY),
    ("all-blocks-on", "main", "put-object-acl-public-read", DENY),
    ("all-blocks-on", "main", "put-object-private", ALLOW),
    ("all-blocks-on", "main", "put-pinned-ip-policy", ALLOW),
    ("block-public-policy-only", "main", "put-public-policy", DENY),
    ("block-public-policy-only", "main", "put-object-acl-public-read", ALLOW),
    ("unblocked-no-grant", "main", "put-public-policy", ALLOW),
    ("unblocked-no-grant", "main", "put-bucket-acl-public-read", ALLOW),
]


@pytest.fixture(scope="module")
def clients(server: ServerInfo, s3: Any, s3_alt: Any) -> dict[str, Any]:
    return {"main": s3, "alt": s3_alt, "anon": make_client(server.endpoint, signature_version=UNSIGNED)}


@pytest.fixture(scope="module")
def scenario_bucket(server: ServerInfo, s3: Any, s3_alt: Any) -> Callable[[str], str]:
    """A bucket of the main account with ACLs enabled (ObjectWriter), set up as the scenario says (once each)."""
    account_ids(server)  # both accounts exist and answer
    alt_canonical = str(s3_alt.list_buckets()["Owner"]["ID"])

    @functools.cache
    def bucket_for(scenario: str) -> str:
        name = fresh_bucket(s3, "pub", objects=OBJECTS)
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        SCENARIOS[scenario](s3, name, alt_canonical)
        return name

    return bucket_for


def _state(owner: Any, bucket: str) -> dict[str, Any]:
    """bucket_state plus the ACLs and the Block Public Access settings a refused request must not change."""
    state = bucket_state(owner, bucket)
    state["bucket-acl"] = owner.get_bucket_acl(Bucket=bucket)["Grants"]
    state["object-acls"] = {k: owner.get_object_acl(Bucket=bucket, Key=k)["Grants"] for k in state["objects"]}
    return state


@pytest.mark.parametrize(("scenario", "who", "request_", "allowed"), CASES,
                         ids=[f"{s}-{w}-{r}-{'allow' if ok else 'deny'}" for s, w, r, ok in CASES])
def test_public_access_decides_real_request(server: ServerInfo, s3: Any, clients: dict[str, Any], scenario_bucket: Callable[[str], str],
                                            scenario: str, who: str, request_: str, allowed: bool) -> None:
    bucket = scenario_bucket(scenario)
    if who == "raw":
        expect_http(allowed, lambda: RAW[request_](server.endpoint, bucket), lambda: _state(s3, bucket))
    else:
        expect(allowed, lambda: BOTO[request_](clients[who], bucket), lambda: _state(s3, bucket))
