"""The test-only clock resource (/_strongroom/clock): off unless allow_clock_override, only for an
account's root, and moving the rules clock (expiry) without locking out clients that sign with theirs."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from clockcontrol import (
    DAY_SECONDS,
    advance,
    clock_request,
    offset,
    running_movable_server,
    server_now,
    set_offset,
)
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client
from rawclient import send, sign_headers


@pytest.fixture(scope="module")
def moved() -> Iterator[ServerInfo]:
    """A server whose clock tests may move."""
    with running_movable_server() as info:
        yield info


def test_clock_resource_is_access_denied_when_the_setting_is_off(server: ServerInfo) -> None:
    refused = clock_request(server, "PUT", "offset-seconds=86400")
    assert refused.status == 403 and b"<Code>AccessDenied</Code>" in refused.body
    assert clock_request(server, "GET").status == 403


def test_root_moves_the_clock_and_reads_it_back(moved: ServerInfo) -> None:
    before = server_now(moved)
    now = advance(moved, days=400)
    assert now - before >= 400 * DAY_SECONDS - 5
    assert offset(moved) >= 400 * DAY_SECONDS
    set_offset(moved, 0)
    assert abs(server_now(moved) - time.time()) < 60


def test_anonymous_callers_and_bad_offsets_are_refused(moved: ServerInfo) -> None:
    anonymous = send(moved.endpoint, "PUT", "/_strongroom/clock", {}, query="offset-seconds=5")
    assert anonymous.status == 403 and b"AccessDenied" in anonymous.body
    for query in ("offset-seconds=soon", "offset-seconds=nan", "offset-seconds=1e300", ""):
        bad = clock_request(moved, "PUT", query)
        assert bad.status == 400 and b"<Code>InvalidArgument</Code>" in bad.body, query
    assert clock_request(moved, "DELETE").status == 405
    assert clock_request(moved, "GET", key="AKIANOSUCHKEY0000000", secret="x").status == 403


def test_signed_requests_still_work_on_a_moved_clock_but_presigned_urls_expire(moved: ServerInfo) -> None:
    s3 = make_client(moved.endpoint)
    bucket = f"clock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="k", Body=b"hello")  # type: ignore[attr-defined]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=3600)  # type: ignore[attr-defined]
    with urllib.request.urlopen(url) as ok:
        assert ok.read() == b"hello"
    advance(moved, days=2)
    try:
        # Header-signed: skew is measured against the real time, as the client signed with it.
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"  # type: ignore[attr-defined]
        # Presigned: expiry is a rule, measured on the moved clock.
        with pytest.raises(urllib.error.HTTPError) as expired:
            urllib.request.urlopen(url)
        assert expired.value.code == 403 and b"Request has expired" in expired.value.read()
    finally:
        advance(moved, days=-2)


def test_a_virtual_host_key_named_like_the_admin_prefix_is_an_object(moved: ServerInfo) -> None:
    s3 = make_client(moved.endpoint)
    bucket = f"clock-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="_strongroom/clock", Body=b"just a key")  # type: ignore[attr-defined]
    host = f"{bucket}.localhost:{moved.port}"
    headers = sign_headers(f"http://{host}", "GET", "/_strongroom/clock", MAIN_KEY, MAIN_SECRET, {}, "UNSIGNED-PAYLOAD")
    got = send(moved.endpoint, "GET", "/_strongroom/clock", {**headers, "Host": host})
    assert got.status == 200 and got.body == b"just a key"


def test_a_user_of_the_account_is_not_its_root_and_is_refused(moved: ServerInfo) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    moved.cli("admin", "user", "add", "main", name)
    user_key, user_secret = f"AKIAUSER{uuid.uuid4().hex[:12].upper()}", "user-secret-for-the-clock-test-000000001"
    moved.cli("admin", "key", "create", "main", "--user", name, "--access-key", user_key, "--secret-key", user_secret)
    refused = clock_request(moved, "PUT", "offset-seconds=86400", key=user_key, secret=user_secret)
    assert refused.status == 403 and b"AccessDenied" in refused.body
    assert offset(moved) == 0
