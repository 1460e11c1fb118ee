"""Range GETs: open, suffix, unsatisfiable, across segment boundaries; random ranges equal the slices."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEGMENT = 1 << 20


@pytest.fixture(scope="module")
def big_object(s3) -> tuple[str, bytes]:
    import uuid

    bucket = f"ranges-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(3 * SEGMENT + 12345)
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    return bucket, data


def _get(s3, bucket: str, spec: str) -> tuple[bytes, dict]:
    r = s3.get_object(Bucket=bucket, Key="big", Range=spec)
    return r["Body"].read(), r


def test_closed_range_returns_206_with_content_range(s3, big_object) -> None:
    bucket, data = big_object
    body, r = _get(s3, bucket, "bytes=10-19")
    assert body == data[10:20]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == f"bytes 10-19/{len(data)}"
    assert r["ContentLength"] == 10


def test_open_range_returns_the_rest(s3, big_object) -> None:
    bucket, data = big_object
    body, _ = _get(s3, bucket, f"bytes={len(data) - 100}-")
    assert body == data[-100:]


def test_suffix_range_returns_last_bytes(s3, big_object) -> None:
    bucket, data = big_object
    body, r = _get(s3, bucket, "bytes=-500")
    assert body == data[-500:]
    assert r["ContentRange"] == f"bytes {len(data) - 500}-{len(data) - 1}/{len(data)}"


def test_range_past_the_end_is_clamped(s3, big_object) -> None:
    bucket, data = big_object
    body, _ = _get(s3, bucket, f"bytes={len(data) - 5}-{len(data) + 1000}")
    assert body == data[-5:]


def test_range_crossing_segment_boundaries(s3, big_object) -> None:
    bucket, data = big_object
    body, _ = _get(s3, bucket, f"bytes={SEGMENT - 3}-{2 * SEGMENT + 3}")
    assert body == data[SEGMENT - 3 : 2 * SEGMENT + 4]


def test_range_starting_past_the_end_is_invalid_range_416(s3, big_object) -> None:
    bucket, data = big_object
    with pytest.raises(ClientError) as err:
        _get(s3, bucket, f"bytes={len(data)}-")
    assert err.value.response["Error"]["Code"] == "InvalidRange"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_any_range_of_an_empty_object_is_invalid_range(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="empty", Range="bytes=0-")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_malformed_range_is_ignored_and_returns_the_whole_object(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="k", Range="bytes=abc")
    assert r["Body"].read() == b"0123456789"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_part_number_one_of_a_simple_object_is_the_whole_object(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert r["Body"].read() == b"0123456789"


def test_response_overrides_set_headers(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ContentType="text/plain")
    r = s3.get_object(Bucket=bucket, Key="k", ResponseContentType="application/json", ResponseContentDisposition="attachment", ResponseCacheControl="no-cache")
    assert r["ContentType"] == "application/json"
    assert r["ContentDisposition"] == "attachment"
    assert r["CacheControl"] == "no-cache"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_ranges_equal_the_plaintext_slices(s3, big_object, data) -> None:
    bucket, blob = big_object
    start = data.draw(st.integers(0, len(blob) - 1))
    end = data.draw(st.integers(start, min(len(blob) - 1, start + 3 * SEGMENT)))
    body, _ = _get(s3, bucket, f"bytes={start}-{end}")
    assert body == blob[start : end + 1]
