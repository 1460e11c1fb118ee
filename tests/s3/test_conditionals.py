"""Conditional requests: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since; If-None-Match: * on PUT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError


def _status(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture
def obj(s3, bucket: str) -> tuple[str, str]:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    return bucket, etag


def test_if_match_with_the_etag_returns_the_object(s3, obj) -> None:
    bucket, etag = obj
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"v1"


def test_if_match_with_another_etag_is_412(s3, obj) -> None:
    bucket, _ = obj
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"0000"')
    assert _status(err) == 412 and err.value.response["Error"]["Code"] == "PreconditionFailed"


def test_if_none_match_with_the_etag_is_304(s3, obj) -> None:
    bucket, etag = obj
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert _status(err) == 304


def test_if_modified_since_the_future_is_304_and_the_past_returns_it(s3, obj) -> None:
    bucket, _ = obj
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=datetime.now(UTC) + timedelta(hours=1))
    assert _status(err) == 304
    r = s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=datetime.now(UTC) - timedelta(hours=1))
    assert r["Body"].read() == b"v1"


def test_if_unmodified_since_the_past_is_412(s3, obj) -> None:
    bucket, _ = obj
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=datetime.now(UTC) - timedelta(hours=1))
    assert _status(err) == 412


def test_if_match_true_overrides_if_unmodified_since_false(s3, obj) -> None:
    bucket, etag = obj
    r = s3.get_object(Bucket=bucket, Key="k", IfMatch=etag, IfUnmodifiedSince=datetime.now(UTC) - timedelta(hours=1))
    assert r["Body"].read() == b"v1"


def test_head_honours_conditions(s3, obj) -> None:
    bucket, etag = obj
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert _status(err) == 304


def test_put_if_none_match_star_refuses_to_overwrite(s3, obj) -> None:
    bucket, _ = obj
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfNoneMatch="*")
    assert _status(err) == 412
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v1"


def test_put_if_none_match_star_creates_a_new_key(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="new", Body=b"v", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == b"v"


def test_put_if_match_replaces_only_the_matching_version(s3, obj) -> None:
    bucket, etag = obj
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch='"0000"')
    assert _status(err) == 412
    s3.put_object(Bucket=bucket, Key="k", Body=b"v3", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v3"


def test_put_if_none_match_with_the_current_etag_is_412_and_another_etag_writes(s3, obj) -> None:
    bucket, etag = obj
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfNoneMatch=etag)
    assert _status(err) == 412
    s3.put_object(Bucket=bucket, Key="k", Body=b"v3", IfNoneMatch='"someotheretag"')
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v3"


def test_put_if_match_on_a_missing_key_is_no_such_key(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"v", IfMatch="*")
    assert _status(err) == 404 and err.value.response["Error"]["Code"] == "NoSuchKey"
