"""Policy grammar through real requests: NotPrincipal, NotAction, NotResource, wildcards in actions and
resources, explicit Deny beating every Allow (the owner's, an ACL's), cross-account grants by bucket
policy and by ACL, and the owner's root never locked out of its bucket policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from authzmatrix import ALLOW, DENY, account_ids, arn, attempt, bucket_state, expect, fresh_bucket, put_policy
from conftest import ServerInfo

OBJECTS = {"seed.txt": b"seed", "public/a.txt": b"public", "private/b.txt": b"private", "logs/2026/c.log": b"log line"}


@dataclass(frozen=True)
class Ids:
    """The accounts' ids (12-digit) and the alt account's canonical user id."""

    main: str
    alt: str
    alt_canonical: str


Scenario = Callable[[Any, str, Ids], None]  # (owner client, bucket, ids): policy and ACLs of the bucket


def _alt_may(actions: Any, resources: Callable[[str], Any] = lambda b: [arn(b), arn(b, "*")], *,
             not_action: bool = False, not_resource: bool = False) -> Scenario:
    """An Allow of the alt account (Action or NotAction, Resource or NotResource)."""
    def setup(owner: Any, bucket: str, ids: Ids) -> None:
        put_policy(owner, bucket, {"Effect": "Allow", "Principal": {"AWS": ids.alt},
                                   "NotAction" if not_action else "Action": actions,
                                   "NotResource" if not_resource else "Resource": resources(bucket)})
    return setup


def _not_principal_deny(owner: Any, bucket: str, ids: Ids) -> None:
    put_policy(owner, bucket,
               {"Sid": "AltAll", "Effect": "Allow", "Principal": {"AWS": ids.alt}, "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")]},
               {"Sid": "OnlyOwnerReads", "Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{ids.main}:root"}, "Action": "s3:GetObject",
                "Resource": arn(bucket, "*")})


def _deny_not_action(owner: Any, bucket: str, ids: Ids) -> None:
    put_policy(owner, bucket,
               {"Sid": "AltAll", "Effect": "Allow", "Principal": {"AWS": ids.alt}, "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")]},
               {"Sid": "AltOnlyGets", "Effect": "Deny", "Principal": {"AWS": ids.alt}, "NotAction": "s3:Get*", "Resource": [arn(bucket), arn(bucket, "*")]})


def _deny_not_resource(owner: Any, bucket: str, ids: Ids) -> None:
    put_policy(owner, bucket,
               {"Sid": "AltAll", "Effect": "Allow", "Principal": {"AWS": ids.alt}, "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")]},
               {"Sid": "AltOnlyPublic", "Effect": "Deny", "Principal": {"AWS": ids.alt}, "Action": "s3:*", "NotResource": [arn(bucket), arn(bucket, "public/*")]})


def _allow_then_deny_delete(owner: Any, bucket: str, ids: Ids) -> None:
    put_policy(owner, bucket,
               {"Sid": "AltAll", "Effect": "Allow", "Principal": {"AWS": ids.alt}, "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")]},
               {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": arn(bucket, "*")},
               {"Sid": "LockedPrefix", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": arn(bucket, "locked/*")})


def _acl_read_for_alt(owner: Any, bucket: str, ids: Ids) -> None:
    owner.put_object_acl(Bucket=bucket, Key="public/a.txt", GrantRead=f'id="{ids.alt_canonical}"')
    owner.put_object_acl(Bucket=bucket, Key="private/b.txt", GrantReadACP=f'id="{ids.alt_canonical}"')
    owner.put_bucket_acl(Bucket=bucket, GrantRead=f'id="{ids.alt_canonical}"', GrantFullControl=f'id="{owner_canonical(owner)}"')


def _acl_write_for_alt_but_policy_denies(owner: Any, bucket: str, ids: Ids) -> None:
    owner.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{ids.alt_canonical}"', GrantFullControl=f'id="{owner_canonical(owner)}"')
    owner.put_object_acl(Bucket=bucket, Key="public/a.txt", GrantRead=f'id="{ids.alt_canonical}"')
    put_policy(owner, bucket, {"Sid": "NoAltReads", "Effect": "Deny", "Principal": {"AWS": ids.alt}, "Action": "s3:GetObject", "Resource": arn(bucket, "public/*")})


def owner_canonical(client: Any) -> str:
    """The canonical user id of a client's account."""
    return str(client.list_buckets()["Owner"]["ID"])


SCENARIOS: dict[str, Scenario] = {
    "none": lambda owner, bucket, ids: None,
    "alt-by-account-id": _alt_may(["s3:GetObject", "s3:ListBucket"]),
    "alt-by-root-arn": lambda owner, bucket, ids: put_policy(owner, bucket, {
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ids.alt}:root"}, "Action": "s3:GetObject", "Resource": arn(bucket, "*")}),
    "alt-by-canonical-user": lambda owner, bucket, ids: put_policy(owner, bucket, {
        "Effect": "Allow", "Principal": {"CanonicalUser": ids.alt_canonical}, "Action": "s3:GetObject", "Resource": arn(bucket, "*")}),
    "not-principal": _not_principal_deny,
    "not-action-allow": _alt_may(["s3:DeleteObject", "s3:PutObject"], not_action=True),
    "not-action-deny": _deny_not_action,
    "not-resource-allow": _alt_may("s3:GetObject", lambda b: arn(b, "private/*"), not_resource=True),
    "not-resource-deny": _deny_not_resource,
    "resource-mid-wildcard": _alt_may("s3:GetObject", lambda b: arn(b, "logs/*/*.log")),
    "resource-single-char": _alt_may("s3:GetObject", lambda b: arn(b, "p?blic/*")),
    "action-prefix-wildcard": _alt_may("s3:Get*"),
    "action-suffix-wildcard": _alt_may("s3:*Object"),
    "action-any-case": _alt_may("S3:getobject"),
    "explicit-deny": _allow_then_deny_delete,
    "acl-grants": _acl_read_for_alt,
    "acl-then-deny": _acl_write_for_alt_but_policy_denies,
}

# (scenario, caller, operation, key, allowed?)
CASES: list[tuple[str, str, str, str, bool]] = [
    ("none", "alt", "GetObject", "public/a.txt", DENY),
    ("none", "alt", "ListObjectsV2", "", DENY),
    ("none", "alt", "PutObject", "public/new", DENY),
    ("alt-by-account-id", "alt", "GetObject", "private/b.txt", ALLOW),
    ("alt-by-account-id", "alt", "ListObjectsV2", "", ALLOW),
    ("alt-by-account-id", "alt", "PutObject", "public/new", DENY),
    ("alt-by-account-id", "alt", "DeleteObject", "public/del", DENY),
    ("alt-by-root-arn", "alt", "GetObject", "seed.txt", ALLOW),
    ("alt-by-root-arn", "alt", "GetObjectTagging", "seed.txt", DENY),
    ("alt-by-canonical-user", "alt", "GetObject", "seed.txt", ALLOW),
    ("alt-by-canonical-user", "alt", "ListObjectsV2", "", DENY),
    ("not-principal", "main", "GetObject", "private/b.txt", ALLOW),
    ("not-principal", "alt", "GetObject", "private/b.txt", DENY),
    ("not-principal", "alt", "ListObjectsV2", "", ALLOW),
    ("not-principal", "alt", "GetObjectTagging", "private/b.txt", ALLOW),
    ("not-action-allow", "alt", "GetObject", "seed.txt", ALLOW),
    ("not-action-allow", "alt", "ListObjectsV2", "", ALLOW),
    ("not-action-allow", "alt", "PutObject", "public/new", DENY),
    ("not-action-allow", "alt", "DeleteObject", "public/del", DENY),
    ("not-action-deny", "alt", "GetObject", "seed.txt", ALLOW),
    ("not-action-deny", "alt", "GetBucketLocation", "", ALLOW),
    ("not-action-deny", "alt", "ListObjectsV2", "", DENY),
    ("not-action-deny", "alt", "PutObject", "public/new", DENY),
    ("not-action-deny", "main", "PutObject", "public/new", ALLOW),
    ("not-resource-allow", "alt", "GetObject", "public/a.txt", ALLOW),
    ("not-resource-allow", "alt", "GetObject", "logs/2026/c.log", ALLOW),
    ("not-resource-allow", "alt", "GetObject", "private/b.txt", DENY),
    ("not-resource-deny", "alt", "GetObject", "public/a.txt", ALLOW),
    ("not-resource-deny", "alt", "ListObjectsV2", "", ALLOW),
    ("not-resource-deny", "alt", "GetObject", "private/b.txt", DENY),
    ("not-resource-deny", "alt", "PutObject", "logs/new", DENY),
    ("not-resource-deny", "alt", "PutObject", "public/new", ALLOW),
    ("resource-mid-wildcard", "alt", "GetObject", "logs/2026/c.log", ALLOW),
    ("resource-mid-wildcard", "alt", "GetObject", "seed.txt", DENY),
    ("resource-single-char", "alt", "GetObject", "public/a.txt", ALLOW),
    ("resource-single-char", "alt", "GetObject", "private/b.txt", DENY),
    ("action-prefix-wildcard", "alt", "GetObject", "seed.txt", ALLOW),
    ("action-prefix-wildcard", "alt", "GetObjectTagging", "seed.txt", ALLOW),
    ("action-prefix-wildcard", "alt", "GetBucketLocation", "", ALLOW),
    ("action-prefix-wildcard", "alt", "PutObject", "public/new", DENY),
    ("action-prefix-wildcard", "alt", "ListObjectsV2", "", DENY),
    ("action-suffix-wildcard", "alt", "GetObject", "seed.txt", ALLOW),
    ("action-suffix-wildcard", "alt", "PutObject", "public/new", ALLOW),
    ("action-suffix-wildcard", "alt", "DeleteObject", "public/del", ALLOW),
    ("action-suffix-wildcard", "alt", "GetObjectTagging", "seed.txt", DENY),
    ("action-any-case", "alt", "GetObject", "seed.txt", ALLOW),
    ("explicit-deny", "alt", "GetObject", "seed.txt", ALLOW),
    ("explicit-deny", "alt", "DeleteObject", "public/del", DENY),
    ("explicit-deny", "main", "DeleteObject", "public/del", DENY),
    ("explicit-deny", "main", "PutObject", "locked/new", DENY),
    ("explicit-deny", "alt", "PutObject", "locked/new", DENY),
    ("explicit-deny", "alt", "PutObject", "public/new", ALLOW),
    ("explicit-deny", "main", "GetObject", "seed.txt", ALLOW),
    ("acl-grants", "alt", "GetObject", "public/a.txt", ALLOW),
    ("acl-grants", "alt", "GetObject", "private/b.txt", DENY),
    ("acl-grants", "alt", "GetObjectAcl", "private/b.txt", ALLOW),
    ("acl-grants", "alt", "GetObjectAcl", "public/a.txt", DENY),
    ("acl-grants", "alt", "ListObjectsV2", "", ALLOW),
    ("acl-grants", "alt", "PutObject", "public/new", DENY),
    ("acl-then-deny", "alt", "PutObject", "public/new", ALLOW),
    ("acl-then-deny", "alt", "GetObject", "public/a.txt", DENY),
]


@pytest.fixture(scope="module")
def ids(server: ServerInfo, s3_alt: Any) -> Ids:
    main, alt = account_ids(server)
    return Ids(main, alt, owner_canonical(s3_alt))


@pytest.fixture(scope="module")
def scenario_bucket(s3: Any, ids: Ids) -> Callable[[str], str]:
    """A bucket of the main account set up as the scenario says (once per scenario)."""

    @functools.cache
    def bucket_for(scenario: str) -> str:
        name = fresh_bucket(s3, "gram", open_access=scenario.startswith("acl"), objects=OBJECTS)
        SCENARIOS[scenario](s3, name, ids)
        return name

    return bucket_for


@pytest.mark.parametrize(("scenario", "who", "operation", "key", "allowed"), CASES,
                         ids=[f"{s}-{w}-{op}-{k or 'bucket'}-{'allow' if ok else 'deny'}" for s, w, op, k, ok in CASES])
def test_policy_grammar_decides_real_requests(s3: Any, s3_alt: Any, scenario_bucket: Callable[[str], str],
                                              scenario: str, who: str, operation: str, key: str, allowed: bool) -> None:
    bucket = scenario_bucket(scenario)
    caller = {"main": s3, "alt": s3_alt}[who]
    expect(allowed, attempt(operation, caller, s3, bucket, key or "seed.txt"), lambda: bucket_state(s3, bucket))


# The owner's root may always read, replace and delete its bucket policy, even under "Deny everyone everything".
OWNER_CASES: list[tuple[str, bool]] = [
    ("GetBucketPolicy", ALLOW), ("PutBucketPolicy", ALLOW), ("DeleteBucketPolicy", ALLOW), ("GetObject", DENY), ("ListObjectsV2", DENY),
]


@pytest.mark.parametrize(("operation", "allowed"), OWNER_CASES, ids=[op for op, _ in OWNER_CASES])
def test_owner_root_is_never_locked_out_of_its_bucket_policy(s3: Any, operation: str, allowed: bool) -> None:
    bucket = fresh_bucket(s3, "lock", objects={"seed.txt": b"seed"})
    deny_all = {"Sid": "DenyEveryone", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn(bucket), arn(bucket, "*")]}
    put_policy(s3, bucket, deny_all)
    requests: dict[str, Callable[[], object]] = {
        "GetBucketPolicy": lambda: s3.get_bucket_policy(Bucket=bucket),
        "PutBucketPolicy": lambda: put_policy(s3, bucket, {**deny_all, "Action": "s3:DeleteObject"}),
        "DeleteBucketPolicy": lambda: s3.delete_bucket_policy(Bucket=bucket),
        "GetObject": lambda: s3.get_object(Bucket=bucket, Key="seed.txt"),
        "ListObjectsV2": lambda: s3.list_objects_v2(Bucket=bucket),
    }

    def state() -> object:  # the owner's view, with the deny lifted only for the look (then put back)
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        s3.delete_bucket_policy(Bucket=bucket)
        try:
            return bucket_state(s3, bucket)
        finally:
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)

    expect(allowed, requests[operation], state)
