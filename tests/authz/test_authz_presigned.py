"""Presigned URLs under the server's own clock (tests/clockcontrol.py moves it): a URL works until it
expires and is refused after, with nothing changed; it carries its signer's rights only (another
account's URL needs that account's grant); s3:authType tells URLs from header-signed requests; and
aws:CurrentTime follows the server's clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
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
    put_policy,
)
from clockcontrol import running_movable_server, server_now, set_offset
from conftest import ALT_KEY, ALT_SECRET, ServerInfo, make_client

TIMEOUT_SECONDS = 30
EXPIRES_SECONDS = 600
DATED_SECONDS = 300
SIGNATURE_AGE_MS = 300_000  # s3:signatureAge counts milliseconds
MOVED_PAST_DATED_SECONDS = 600  # within SigV4's 15 minutes of allowed skew, so header-signed requests still pass
OBJECTS = {"seed.txt": b"seed", "shared/a.txt": b"shared"}


@pytest.fixture(scope="module")
def movable() -> Iterator[ServerInfo]:
    with running_movable_server() as info:
        info.cli("admin", "account", "add", "alt", "--access-key", ALT_KEY, "--secret-key", ALT_SECRET)
        yield info


@pytest.fixture(scope="module")
def owner(movable: ServerInfo) -> Any:
    return make_client(movable.endpoint)


@pytest.fixture(scope="module")
def alt(movable: ServerInfo) -> Any:
    return make_client(movable.endpoint, ALT_KEY, ALT_SECRET)


@pytest.fixture(autouse=True)
def clock_back(movable: ServerInfo) -> Iterator[None]:
    """Each case starts and ends with the server's clock on the wall clock."""
    set_offset(movable, 0)
    yield
    set_offset(movable, 0)


@pytest.fixture(scope="module")
def bucket(movable: ServerInfo, owner: Any) -> str:
    """The main account's bucket: the alt account may read shared/*; dated/ may be read only until five
    minutes from now (aws:CurrentTime), fresh/ only under signatures at most five minutes old
    (s3:signatureAge), and private/ never through a URL (s3:authType)."""
    _, alt_id = account_ids(movable)
    until = datetime.fromtimestamp(server_now(movable) + DATED_SECONDS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = fresh_bucket(owner, "presign", objects={**OBJECTS, "dated/d.txt": b"dated", "private/p.txt": b"private", "fresh/f.txt": b"fresh"})
    put_policy(owner, name,
               {"Sid": "AltReadsShared", "Effect": "Allow", "Principal": {"AWS": alt_id}, "Action": "s3:GetObject", "Resource": arn(name, "shared/*")},
               {"Sid": "DatedUntil", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(name, "dated/*"),
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": until}}},
               {"Sid": "FreshSignaturesOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(name, "fresh/*"),
                "Condition": {"NumericGreaterThan": {"s3:signatureAge": str(SIGNATURE_AGE_MS)}}},
               {"Sid": "NoUrlsForPrivate", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": arn(name, "private/*"),
                "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}})
    return name


Url = Callable[[Any, Any, str], Callable[[], requests.Response]]  # (owner, alt, bucket) -> send


def _get(signer: str, key: str) -> Url:
    def make(owner: Any, alt: Any, bucket: str) -> Callable[[], requests.Response]:
        url = {"owner": owner, "alt": alt}[signer].generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=EXPIRES_SECONDS)
        return lambda: requests.get(url, timeout=TIMEOUT_SECONDS)
    return make


def _put(signer: str) -> Url:
    def make(owner: Any, alt: Any, bucket: str) -> Callable[[], requests.Response]:
        client = {"owner": owner, "alt": alt}[signer]
        url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": f"up-{uuid.uuid4().hex[:12]}"}, ExpiresIn=EXPIRES_SECONDS)
        return lambda: requests.put(url, data=b"via url", timeout=TIMEOUT_SECONDS)
    return make


# (what, URL, seconds the server's clock moves before the request, allowed?)
CASES: list[tuple[str, Url, float, bool]] = [
    ("owner-get-fresh", _get("owner", "seed.txt"), 0, ALLOW),
    ("owner-get-just-before-expiry", _get("owner", "seed.txt"), EXPIRES_SECONDS - 60, ALLOW),
    ("owner-get-expired", _get("owner", "seed.txt"), EXPIRES_SECONDS + 60, DENY),
    ("owner-get-long-expired", _get("owner", "seed.txt"), 7 * 86400, DENY),
    ("owner-put-fresh", _put("owner"), 0, ALLOW),
    ("owner-put-expired", _put("owner"), EXPIRES_SECONDS + 60, DENY),
    ("alt-get-granted", _get("alt", "shared/a.txt"), 0, ALLOW),
    ("alt-get-granted-expired", _get("alt", "shared/a.txt"), EXPIRES_SECONDS + 60, DENY),
    ("alt-get-not-granted", _get("alt", "seed.txt"), 0, DENY),
    ("alt-put-not-granted", _put("alt"), 0, DENY),
    ("owner-get-private-by-url", _get("owner", "private/p.txt"), 0, DENY),
    ("owner-get-dated-now", _get("owner", "dated/d.txt"), 0, ALLOW),
    ("owner-get-fresh-signature", _get("owner", "fresh/f.txt"), 0, ALLOW),
    ("owner-get-signature-older-than-allowed", _get("owner", "fresh/f.txt"), SIGNATURE_AGE_MS / 1000 + 60, DENY),
]


@pytest.mark.parametrize(("what", "url", "moved", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_presigned_url_decided_under_the_servers_clock(movable: ServerInfo, owner: Any, alt: Any, bucket: str,
                                                       what: str, url: Url, moved: float, allowed: bool) -> None:
    send = url(owner, alt, bucket)

    def at_moved_clock() -> requests.Response:  # the state is read at the wall clock, where header signatures are fresh
        set_offset(movable, moved)
        try:
            return send()
        finally:
            set_offset(movable, 0)

    expect_http(allowed, at_moved_clock, lambda: bucket_state(owner, bucket))


@pytest.mark.parametrize(("moved", "allowed"), [(False, ALLOW), (True, DENY)], ids=["before-the-date", "after-the-date"])
def test_current_time_condition_follows_the_servers_clock(movable: ServerInfo, owner: Any, bucket: str, moved: bool, allowed: bool) -> None:
    if moved:
        set_offset(movable, MOVED_PAST_DATED_SECONDS)
    expect(allowed, lambda: owner.get_object(Bucket=bucket, Key="dated/d.txt")["Body"].read(), lambda: bucket_state(owner, bucket))


def test_header_signed_read_of_what_urls_may_not_read(owner: Any, bucket: str) -> None:
    expect(ALLOW, lambda: owner.get_object(Bucket=bucket, Key="private/p.txt")["Body"].read(), lambda: bucket_state(owner, bucket))
