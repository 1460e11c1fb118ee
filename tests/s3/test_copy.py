"""CopyObject: within and across buckets, metadata and tagging directives, self-copy rules,
copy-source preconditions, access across accounts; plus the pure copy-source parsers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import zlib

import pytest
from botocore.exceptions import ClientError

from strongroom.api.s3.copysource import (
    CopySource,
    check_copy_source_conditions,
    parse_copy_source,
    parse_copy_source_range,
)
from strongroom.errors import S3Error
from strongroom.service.model import NULL_VERSION, BucketName, ObjectKey, ObjectVersion

SELF_COPY_MESSAGE = (
    "This copy request is illegal because it is trying to copy an object to itself without changing the "
    "object's metadata, storage class, website redirect location or encryption attributes."
)


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message", "")


def _keys(s3, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


# -- black box: the basic copy ------------------------------------------------------------------------


def test_copy_within_bucket_copies_bytes_metadata_and_content_headers(s3, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="src", Body=b"hello copy", ContentType="text/plain", CacheControl="max-age=5", Metadata={"color": "blue"})
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert out["CopyObjectResult"]["ETag"] == put["ETag"]
    assert out["ServerSideEncryption"] == "AES256"
    assert "CopySourceVersionId" not in out
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"hello copy"
    assert got["ContentType"] == "text/plain"
    assert got["CacheControl"] == "max-age=5"
    assert got["Metadata"] == {"color": "blue"}
    assert got["ServerSideEncryption"] == "AES256"


def test_copy_across_buckets_of_the_same_account(s3, bucket: str) -> None:
    other = bucket + "-dst"
    s3.create_bucket(Bucket=other)
    s3.put_object(Bucket=bucket, Key="a/b c+%.txt", Body=b"across")
    s3.copy_object(Bucket=other, Key="copied/€", CopySource={"Bucket": bucket, "Key": "a/b c+%.txt"})
    assert s3.get_object(Bucket=other, Key="copied/€")["Body"].read() == b"across"
    assert s3.get_object(Bucket=bucket, Key="a/b c+%.txt")["Body"].read() == b"across"


def test_copy_source_as_string_with_leading_slash_is_accepted(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/src key", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"/{bucket}/dir/src key")  # botocore URL-encodes a string source
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"x"


def test_copy_of_multi_mib_object_is_byte_identical(s3, bucket: str) -> None:
    data = os.urandom(5 * 1024 * 1024 + 123)
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    out = s3.copy_object(Bucket=bucket, Key="big-copy", CopySource={"Bucket": bucket, "Key": "big"})
    assert out["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="big-copy")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
    ranged = s3.get_object(Bucket=bucket, Key="big-copy", Range="bytes=1048570-1048600")["Body"].read()
    assert ranged == data[1048570:1048601]


def test_copy_of_empty_object(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    out = s3.copy_object(Bucket=bucket, Key="empty2", CopySource={"Bucket": bucket, "Key": "empty"})
    assert out["CopyObjectResult"]["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert s3.get_object(Bucket=bucket, Key="empty2")["Body"].read() == b""


def test_copy_gets_its_own_blob_so_deleting_the_source_keeps_the_copy(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"independent")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    s3.delete_object(Bucket=bucket, Key="src")
    s3.put_object(Bucket=bucket, Key="src", Body=b"replaced")
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"independent"


def test_copy_over_existing_destination_replaces_it(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"new")
    s3.put_object(Bucket=bucket, Key="dst", Body=b"old", Metadata={"old": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"new"
    assert got["Metadata"] == {}


# -- metadata and tagging directives ----------------------------------------------------------------


def test_copy_with_copy_directive_ignores_request_metadata(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Metadata={"a": "1"}, ContentType="text/plain")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, MetadataDirective="COPY", Metadata={"b": "2"}, ContentType="image/png")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"a": "1"}
    assert head["ContentType"] == "text/plain"


def test_copy_with_replace_directive_takes_new_metadata(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Metadata={"a": "1"}, ContentType="text/plain", ContentLanguage="en")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="image/png")
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"b": "2"}
    assert head["ContentType"] == "image/png"
    assert "ContentLanguage" not in head
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"a": "1"}


def test_copy_with_replace_and_no_content_type_gets_the_default(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", ContentType="text/plain")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, MetadataDirective="REPLACE")
    assert s3.head_object(Bucket=bucket, Key="dst")["ContentType"] == "binary/octet-stream"


def test_copy_with_unknown_metadata_directive_is_invalid_argument_and_writes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")

    def bad_directive(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        request.headers["x-amz-metadata-directive"] = "MERGE"

    s3.meta.events.register("before-sign.s3.CopyObject", bad_directive)
    try:
        with pytest.raises(ClientError) as err:
            s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    finally:
        s3.meta.events.unregister("before-sign.s3.CopyObject", bad_directive)
    assert _error(err)[:2] == ("InvalidArgument", 400)
    assert _keys(s3, bucket) == ["src"]


def test_copy_keeps_source_tags_by_default(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="k1=v1&k2=v2")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, Tagging="ignored=yes")
    tags = s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("k1", "v1"), ("k2", "v2")]
    assert s3.head_object(Bucket=bucket, Key="dst")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"


def test_copy_with_tagging_directive_replace_takes_request_tags(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="k1=v1")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="REPLACE", Tagging="new=tag")
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "new", "Value": "tag"}]
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="REPLACE")
    assert s3.get_object_tagging(Bucket=bucket, Key="dst2")["TagSet"] == []


def test_copy_with_invalid_replacement_tags_is_invalid_tag_and_writes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    too_many = "&".join(f"k{i}=v" for i in range(11))
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, TaggingDirective="REPLACE", Tagging=too_many)
    assert _error(err)[:2] == ("InvalidTag", 400)
    assert _keys(s3, bucket) == ["src"]


def test_copy_does_not_carry_storage_class_or_website_redirect_under_copy(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", StorageClass="STANDARD_IA", WebsiteRedirectLocation="/elsewhere")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert "StorageClass" not in head
    assert "WebsiteRedirectLocation" not in head


# -- self-copy ---------------------------------------------------------------------------------------


def test_copy_onto_itself_without_changes_is_invalid_request_and_changes_nothing(s3, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="self", Body=b"same", Metadata={"a": "1"})
    before = s3.head_object(Bucket=bucket, Key="self")
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert _error(err) == ("InvalidRequest", 400, SELF_COPY_MESSAGE)
    after = s3.head_object(Bucket=bucket, Key="self")
    assert (after["ETag"], after["LastModified"], after["Metadata"]) == (put["ETag"], before["LastModified"], {"a": "1"})


def test_copy_onto_itself_with_replace_directive_updates_metadata(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"same bytes", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, MetadataDirective="REPLACE", Metadata={"a": "2"})
    got = s3.get_object(Bucket=bucket, Key="self")
    assert got["Body"].read() == b"same bytes"
    assert got["Metadata"] == {"a": "2"}


def test_copy_onto_itself_changing_storage_class_is_allowed(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, StorageClass="STANDARD_IA")
    head = s3.head_object(Bucket=bucket, Key="self")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["Metadata"] == {"a": "1"}


def test_copy_onto_itself_with_encryption_header_is_allowed(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"x")
    out = s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, ServerSideEncryption="AES256")
    assert out["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="self")["Body"].read() == b"x"


# -- errors ------------------------------------------------------------------------------------------


def test_copy_from_missing_key_is_no_such_key_and_writes_nothing(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "missing"})
    assert _error(err)[:2] == ("NoSuchKey", 404)
    assert _keys(s3, bucket) == []


def test_copy_from_missing_bucket_is_no_such_bucket_and_writes_nothing(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket + "-nope", "Key": "k"})
    assert _error(err)[:2] == ("NoSuchBucket", 404)
    assert _keys(s3, bucket) == []


def test_copy_from_another_accounts_bucket_is_access_denied_and_writes_nothing(s3, s3_alt, bucket: str) -> None:
    alt_bucket = bucket + "-alt"
    s3_alt.create_bucket(Bucket=alt_bucket)
    s3_alt.put_object(Bucket=alt_bucket, Key="secret", Body=b"alt's bytes")
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="stolen", CopySource={"Bucket": alt_bucket, "Key": "secret"})
    assert _error(err)[:2] == ("AccessDenied", 403)
    assert _keys(s3, bucket) == []


def test_copy_into_another_accounts_bucket_is_access_denied_and_writes_nothing(s3, s3_alt, bucket: str) -> None:
    alt_bucket = bucket + "-alt"
    s3_alt.create_bucket(Bucket=alt_bucket)
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=alt_bucket, Key="pushed", CopySource={"Bucket": bucket, "Key": "src"})
    assert _error(err)[:2] == ("AccessDenied", 403)
    assert _keys(s3_alt, alt_bucket) == []


def test_copy_source_without_key_is_invalid_argument(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=bucket)
    assert _error(err) == ("InvalidArgument", 400, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
    assert _keys(s3, bucket) == []


def test_copy_of_unknown_source_version_is_no_such_version(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": "nope"})
    assert _error(err)[:2] == ("NoSuchVersion", 404)
    assert _keys(s3, bucket) == ["src"]


def test_copy_of_null_version_works(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": "null"})
    assert "CopySourceVersionId" not in out
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"x"


# -- copy-source preconditions -----------------------------------------------------------------------


def _copy_with(s3, bucket: str, **conditions: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, **conditions)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "conditions",
    [
        {"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
        {"CopySourceIfNoneMatch": "ETAG"},
        {"CopySourceIfUnmodifiedSince": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},
        {"CopySourceIfModifiedSince": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)},
        # AWS: if-none-match false and if-modified-since true -> 412.
        {"CopySourceIfNoneMatch": "ETAG", "CopySourceIfModifiedSince": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},
    ],
    ids=["if-match-differs", "if-none-match-matches", "unmodified-since-past", "modified-since-future", "none-match-false-modified-true"],
)
def test_copy_source_precondition_failure_is_412_and_writes_nothing(s3, bucket: str, conditions: dict[str, object]) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"conditional")["ETag"]
    resolved = {k: (etag if v == "ETAG" else v) for k, v in conditions.items()}
    with pytest.raises(ClientError) as err:
        _copy_with(s3, bucket, **resolved)
    assert _error(err)[:2] == ("PreconditionFailed", 412)
    assert _keys(s3, bucket) == ["src"]


@pytest.mark.parametrize(
    "conditions",
    [
        {"CopySourceIfMatch": "ETAG"},
        {"CopySourceIfNoneMatch": '"0123456789abcdef0123456789abcdef"'},
        {"CopySourceIfUnmodifiedSince": dt.datetime(2999, 1, 1, tzinfo=dt.UTC)},
        {"CopySourceIfModifiedSince": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},
        # AWS: if-match true and if-unmodified-since false -> 200 and the copy is made.
        {"CopySourceIfMatch": "ETAG", "CopySourceIfUnmodifiedSince": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},
    ],
    ids=["if-match-matches", "if-none-match-differs", "unmodified-since-future", "modified-since-past", "match-true-unmodified-false"],
)
def test_copy_source_precondition_that_holds_copies(s3, bucket: str, conditions: dict[str, object]) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"conditional")["ETag"]
    resolved = {k: (etag if v == "ETAG" else v) for k, v in conditions.items()}
    _copy_with(s3, bucket, **resolved)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"conditional"


# -- checksums ---------------------------------------------------------------------------------------


def test_copy_keeps_the_source_checksum_algorithm(s3, bucket: str) -> None:
    data = b"checksummed bytes"
    s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="SHA256")
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    expected = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert out["CopyObjectResult"]["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected


def test_copy_with_checksum_algorithm_computes_that_checksum(s3, bucket: str) -> None:
    data = b"some data to copy"
    s3.put_object(Bucket=bucket, Key="src", Body=data)
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, ChecksumAlgorithm="CRC32")
    expected = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert out["CopyObjectResult"]["ChecksumCRC32"] == expected
    assert s3.head_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")["ChecksumCRC32"] == expected


# -- pure parsers ------------------------------------------------------------------------------------


def test_parse_copy_source_forms() -> None:
    assert parse_copy_source("b/a%20b/c") == CopySource(BucketName("b"), ObjectKey("a b/c"))
    assert parse_copy_source("/b/k?versionId=v1") == CopySource(BucketName("b"), ObjectKey("k"), "v1")  # type: ignore[arg-type]
    assert parse_copy_source("b/%E2%82%AC").key == "€"
    assert parse_copy_source("b/a%3Fb").key == "a?b"


@pytest.mark.parametrize("value", ["", "b", "b/", "/b", "/", "b/k?versionId=", "b/%FF"])
def test_parse_copy_source_rejects_malformed_values(value: str) -> None:
    with pytest.raises(S3Error) as err:
        parse_copy_source(value)
    assert err.value.code == "InvalidArgument"


def test_parse_copy_source_rejects_too_long_key() -> None:
    with pytest.raises(S3Error) as err:
        parse_copy_source("b/" + "k" * 1025)
    assert err.value.code == "KeyTooLongError"


@pytest.mark.parametrize(("value", "size", "expected"), [(None, 5, None), ("bytes=0-4", 5, (0, 4)), ("bytes=2-2", 5, (2, 2))])
def test_parse_copy_source_range_accepts_ranges_within_the_object(value: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_copy_source_range(value, size) == expected


@pytest.mark.parametrize("value", ["0-4", "bytes=0-", "bytes=-4", "bytes=a-b", "bytes=0-1,2-3", "bytes=3-2"])
def test_parse_copy_source_range_rejects_malformed_or_reversed_ranges(value: str) -> None:
    with pytest.raises(S3Error) as err:
        parse_copy_source_range(value, 5)
    assert (err.value.code, err.value.status) == ("InvalidArgument", 400)


@pytest.mark.parametrize("value", ["bytes=0-5", "bytes=5-9", "bytes=0-21"])
def test_parse_copy_source_range_past_the_source_is_invalid_range(value: str) -> None:
    with pytest.raises(S3Error) as err:
        parse_copy_source_range(value, 5)
    assert (err.value.code, err.value.status) == ("InvalidRange", 416)


def test_check_copy_source_conditions_if_match_true_overrides_unmodified_since() -> None:
    version = ObjectVersion(BucketName("b"), ObjectKey("k"), NULL_VERSION, True, False, 1, '"abc"', 2_000_000_000.0, "acct")
    check_copy_source_conditions({"x-amz-copy-source-if-match": '"abc"', "x-amz-copy-source-if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, version)
    with pytest.raises(S3Error) as err:
        check_copy_source_conditions({"x-amz-copy-source-if-unmodified-since": "Sat, 01 Jan 2000 00:00:00 GMT"}, version)
    assert err.value.status == 412


def test_copy_of_source_larger_than_5_gib_is_invalid_request() -> None:
    import asyncio

    from strongroom.grant import Grant
    from strongroom.service.copy import MAX_COPY_SOURCE_BYTES, CopyPlan, Directive, copy_object
    from strongroom.service.model import Bucket

    huge = ObjectVersion(BucketName("b"), ObjectKey("k"), NULL_VERSION, True, False, MAX_COPY_SOURCE_BYTES + 1, '"e"', 0.0, "acct")
    plan = CopyPlan(huge, Bucket(BucketName("d"), "acct", "us-east-1", 0.0), ObjectKey("k2"), Directive.COPY, {}, Directive.COPY, None, None, False)
    grant = Grant.for_worker("test", "acct")
    with pytest.raises(S3Error) as err:
        asyncio.run(copy_object(None, grant, grant, plan))  # type: ignore[arg-type]  # rejected before any I/O
    assert (err.value.code, err.value.status) == ("InvalidRequest", 400)
    assert "maximum allowable size for a copy source: 5368709120" in err.value.message
