"""Listing: ListObjects (v1) and ListObjectsV2 through boto3, and raw XML through presigned URLs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from xml.etree.ElementTree import Element

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_client
from defusedxml.ElementTree import fromstring

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

ODD_KEYS = [
    "../up",
    "a//b",
    "dir/",
    "with space",
    "100%",
    "a+b",
    "a&b<c>",
    "quote\"'s",
    "ünïcödé/ключ/鍵",
    "emoji/😀",
    "tab\there",
    "~tilde*star(paren)",
    "k" * 1024,
    "é" * 512,
]


def _put(s3: Any, bucket: str, keys: Iterable[str]) -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")


def _sorted_bytewise(keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _raw_list(s3: Any, bucket: str, query: list[tuple[str, str]]) -> requests.Response:
    """GET the bucket with exactly this query string, presigned (boto3 would add or refuse params)."""

    def rewrite(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.url = urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))

    s3.meta.events.register_first("before-sign.s3.ListObjects", rewrite, unique_id="listing-raw")
    try:
        url = s3.generate_presigned_url("list_objects", Params={"Bucket": bucket}, ExpiresIn=300)
    finally:
        s3.meta.events.unregister("before-sign.s3.ListObjects", unique_id="listing-raw")
    return requests.get(url, timeout=30)


def _xml(response: requests.Response) -> Element:
    root: Element = fromstring(response.content)
    return root


def _ns(path: str) -> str:
    return "/".join(NS + part for part in path.split("/"))


def _raw_error(response: requests.Response) -> tuple[str, int]:
    code = fromstring(response.content).findtext("Code")
    return str(code), response.status_code


# -- contents and fields ------------------------------------------------------------------------


def test_list_v2_returns_keys_in_byte_order_with_their_fields(s3: Any, bucket: str) -> None:
    keys = ["b", "a", "B", "a/b", "é", "z", "_"]
    _put(s3, bucket, keys)
    put = s3.put_object(Bucket=bucket, Key="sized", Body=b"12345")
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == _sorted_bytewise([*keys, "sized"])
    assert listed["KeyCount"] == len(keys) + 1
    assert listed["MaxKeys"] == 1000
    assert listed["Name"] == bucket
    assert listed["IsTruncated"] is False
    assert "NextContinuationToken" not in listed
    sized = next(o for o in listed["Contents"] if o["Key"] == "sized")
    assert sized["Size"] == 5
    assert sized["ETag"] == put["ETag"]
    assert sized["StorageClass"] == "STANDARD"
    assert sized["LastModified"] == s3.head_object(Bucket=bucket, Key="sized")["LastModified"]
    assert "Owner" not in sized


def test_list_of_empty_bucket_has_no_contents(s3: Any, bucket: str) -> None:
    listed = s3.list_objects_v2(Bucket=bucket)
    assert "Contents" not in listed and listed["KeyCount"] == 0 and listed["IsTruncated"] is False
    assert "Contents" not in s3.list_objects(Bucket=bucket)


def test_list_omits_deleted_objects(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["keep", "gone"])
    s3.delete_object(Bucket=bucket, Key="gone")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep"]


def test_list_shows_storage_class_and_checksum_algorithm(s3: Any, server: ServerInfo, bucket: str) -> None:
    # This client sends no checksum unless asked (boto3 otherwise adds CRC32 to every PUT).
    plain = make_client(server.endpoint, request_checksum_calculation="when_required")
    plain.put_object(Bucket=bucket, Key="ia", Body=b"x", StorageClass="STANDARD_IA")  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="summed", Body=b"x", ChecksumAlgorithm="SHA256")
    by_key = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert by_key["ia"]["StorageClass"] == "STANDARD_IA"
    assert by_key["summed"]["ChecksumAlgorithm"] == ["SHA256"]
    assert "ChecksumAlgorithm" not in by_key["ia"]


# -- prefix and delimiter ------------------------------------------------------------------------


def test_list_v2_with_prefix_returns_only_keys_under_it(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["photos/a", "photos/b", "photos", "photo", "photos0", "music/a"])
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="photos/")
    assert [o["Key"] for o in listed["Contents"]] == ["photos/a", "photos/b"]
    assert listed["Prefix"] == "photos/"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="nothing")


def test_list_v2_with_delimiter_rolls_keys_into_common_prefixes(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a/1", "a/2", "a/b/3", "b/1", "top", "zz/"])
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["top"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/", "zz/"]
    assert listed["KeyCount"] == 4
    assert listed["Delimiter"] == "/"


def test_list_v2_with_prefix_and_delimiter_lists_one_level(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["notes/summer/july", "notes/summer/june", "notes/winter/jan", "notes/readme", "notes/", "other"])
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="notes/", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["notes/", "notes/readme"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["notes/summer/", "notes/winter/"]


def test_list_with_multi_character_delimiter(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["x--y--z", "x--w", "x-y", "q--", "plain"])
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="--")
    assert [o["Key"] for o in listed["Contents"]] == ["plain", "x-y"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["q--", "x--"]
    v1 = s3.list_objects(Bucket=bucket, Prefix="x--", Delimiter="--")
    assert [o["Key"] for o in v1["Contents"]] == ["x--w"]
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["x--y--"]


# -- paging --------------------------------------------------------------------------------------

PAGED_KEYS = [f"{d}/{n:02d}" for d in ("a", "b", "c") for n in range(6)] + ["a", "b0", "c/", "d", "é/x"]


def test_list_v1_paginator_returns_every_key_once_in_order(s3: Any, bucket: str) -> None:
    _put(s3, bucket, PAGED_KEYS)
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4}))
    assert len(pages) == (len(PAGED_KEYS) + 3) // 4
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == _sorted_bytewise(PAGED_KEYS)
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]


def test_list_v1_next_marker_only_with_a_delimiter(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a/1", "a/2", "b", "c/1", "d"])
    plain = s3.list_objects(Bucket=bucket, MaxKeys=2)
    assert plain["IsTruncated"] is True and "NextMarker" not in plain
    resumed = s3.list_objects(Bucket=bucket, MaxKeys=2, Marker=plain["Contents"][-1]["Key"])
    assert [o["Key"] for o in resumed["Contents"]] == ["b", "c/1"]
    assert resumed["Marker"] == "a/2"
    grouped = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/")
    assert grouped["IsTruncated"] is True and grouped["NextMarker"] == "b"
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/"]
    rest = s3.list_objects(Bucket=bucket, MaxKeys=2, Delimiter="/", Marker="b")
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["c/"]
    assert [o["Key"] for o in rest["Contents"]] == ["d"]
    assert rest["IsTruncated"] is False and "NextMarker" not in rest


def test_list_v1_paginator_with_delimiter_returns_each_common_prefix_once(s3: Any, bucket: str) -> None:
    _put(s3, bucket, PAGED_KEYS)
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 2}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    assert keys == ["a", "b0", "d"]
    assert prefixes == ["a/", "b/", "c/", "é/"]


def test_list_v2_paginator_returns_every_key_once_in_order(s3: Any, bucket: str) -> None:
    _put(s3, bucket, PAGED_KEYS)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 5}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == _sorted_bytewise(PAGED_KEYS)
    assert [p["KeyCount"] for p in pages] == [5] * (len(PAGED_KEYS) // 5) + ([len(PAGED_KEYS) % 5] if len(PAGED_KEYS) % 5 else [])
    assert all("NextContinuationToken" in p for p in pages[:-1]) and "NextContinuationToken" not in pages[-1]
    assert pages[1]["ContinuationToken"] == pages[0]["NextContinuationToken"]


def test_list_v2_paginator_with_delimiter_returns_each_common_prefix_once(s3: Any, bucket: str) -> None:
    _put(s3, bucket, PAGED_KEYS)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
    entries = [(o["Key"]) for p in pages for o in p.get("Contents", [])] + [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    assert sorted(entries) == sorted(["a", "b0", "d", "a/", "b/", "c/", "é/"])
    assert len(pages) == 7 and all(p["KeyCount"] == 1 for p in pages)


def test_list_v2_with_prefix_pages_within_the_prefix(s3: Any, bucket: str) -> None:
    _put(s3, bucket, PAGED_KEYS)
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="b/", PaginationConfig={"PageSize": 4}))
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == [f"b/{n:02d}" for n in range(6)]


def test_list_v2_start_after_lists_keys_strictly_after_it(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a", "b", "c", "d"])
    listed = s3.list_objects_v2(Bucket=bucket, StartAfter="b")
    assert [o["Key"] for o in listed["Contents"]] == ["c", "d"]
    assert listed["StartAfter"] == "b"
    between = s3.list_objects_v2(Bucket=bucket, StartAfter="bb")
    assert [o["Key"] for o in between["Contents"]] == ["c", "d"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, StartAfter="d")


def test_list_v2_start_after_inside_a_common_prefix_does_not_repeat_it(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a/1", "a/2", "a/3", "b"])
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/", StartAfter="a/1")
    assert "CommonPrefixes" not in listed
    assert [o["Key"] for o in listed["Contents"]] == ["b"]
    before = s3.list_objects_v2(Bucket=bucket, Delimiter="/", StartAfter="a")
    assert [p["Prefix"] for p in before["CommonPrefixes"]] == ["a/"]


def test_list_v2_continuation_token_wins_over_start_after(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a", "b", "c", "d"])
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    rest = s3.list_objects_v2(Bucket=bucket, ContinuationToken=first["NextContinuationToken"], StartAfter="a")
    assert [o["Key"] for o in rest["Contents"]] == ["c", "d"]


def test_list_with_max_keys_zero_is_empty_and_not_truncated(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a", "b/c"])
    for listed in (s3.list_objects_v2(Bucket=bucket, MaxKeys=0), s3.list_objects(Bucket=bucket, MaxKeys=0, Delimiter="/")):
        assert "Contents" not in listed and "CommonPrefixes" not in listed
        assert listed["IsTruncated"] is False
        assert listed["MaxKeys"] == 0


def test_list_caps_max_keys_at_1000(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a"])
    assert s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)["MaxKeys"] == 1000


# -- invalid arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", "99999999999"])
def test_list_with_invalid_max_keys_is_invalid_argument(s3: Any, bucket: str, value: str) -> None:
    for query in ([("max-keys", value)], [("list-type", "2"), ("max-keys", value)]):
        assert _raw_error(_raw_list(s3, bucket, query)) == ("InvalidArgument", 400)


def test_list_v2_with_negative_max_keys_through_boto3_is_invalid_argument(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket=bucket, MaxKeys=-1)
    assert _error(err) == ("InvalidArgument", 400)


@pytest.mark.parametrize("token", ["not-a-token!", "Zm9v", "AQ"])
def test_list_v2_with_invalid_continuation_token_is_invalid_argument(s3: Any, bucket: str, token: str) -> None:
    response = _raw_list(s3, bucket, [("list-type", "2"), ("continuation-token", token)])
    if token == "AQ":  # a well-formed token for the empty position: lists from the start
        assert response.status_code == 200
        return
    assert _raw_error(response) == ("InvalidArgument", 400)


def test_list_v2_with_empty_continuation_token_lists_from_the_start_and_echoes_it(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["bar", "baz", "foo"])
    listed = s3.list_objects_v2(Bucket=bucket, ContinuationToken="")
    assert listed["ContinuationToken"] == ""
    assert listed["IsTruncated"] is False
    assert [o["Key"] for o in listed["Contents"]] == ["bar", "baz", "foo"]
    after = s3.list_objects_v2(Bucket=bucket, ContinuationToken="", StartAfter="bar")
    assert [o["Key"] for o in after["Contents"]] == ["baz", "foo"]


def test_list_v2_with_garbage_continuation_token_through_boto3_is_invalid_argument(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="garbage")
    assert _error(err) == ("InvalidArgument", 400)


@pytest.mark.parametrize("query", [[("list-type", "3")], [("list-type", "")], [("encoding-type", "base64")], [("encoding-type", "URL")], [("list-type", "2"), ("fetch-owner", "maybe")]])
def test_list_with_invalid_list_type_encoding_or_fetch_owner_is_invalid_argument(s3: Any, bucket: str, query: list[tuple[str, str]]) -> None:
    assert _raw_error(_raw_list(s3, bucket, query)) == ("InvalidArgument", 400)


# -- encoding, escaping and odd keys -------------------------------------------------------------


def test_list_odd_keys_round_trip_through_boto3(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ODD_KEYS)
    expected = _sorted_bytewise(ODD_KEYS)
    v2 = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}) for o in p["Contents"]]
    v1 = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}) for o in p["Contents"]]
    assert v2 == expected and v1 == expected
    for key in ODD_KEYS:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"


def test_list_odd_prefixes_and_start_after_round_trip_through_boto3(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a b/1", "a b/2", "a+b/1", "100%/x", "ü/1"])
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="a b/")["Contents"]] == ["a b/1", "a b/2"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="a+b/")["Contents"]] == ["a+b/1"]
    listed = s3.list_objects_v2(Bucket=bucket, StartAfter="a b/1", Delimiter="/")
    assert listed["StartAfter"] == "a b/1"
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a+b/", "ü/"]


def test_list_without_encoding_type_escapes_keys_in_raw_xml(s3: Any, bucket: str) -> None:
    keys = ["a&b<c>", "q\"uote's", "plain", "ü 100%+"]
    _put(s3, bucket, keys)
    for query in ([], [("list-type", "2")]):
        response = _raw_list(s3, bucket, query)
        assert response.status_code == 200
        assert b"a&amp;b&lt;c&gt;" in response.content
        root = _xml(response)
        assert root.find(_ns("EncodingType")) is None
        assert [e.text for e in root.findall(_ns("Contents/Key"))] == _sorted_bytewise(keys)


def test_list_with_encoding_type_url_encodes_keys_prefixes_and_markers(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["d ir/a+b", "d ir/sub dir/x", "d ir/ü&%"])
    query = [("encoding-type", "url"), ("prefix", "d ir/"), ("delimiter", "/"), ("marker", "d ir/a b")]
    root = _xml(_raw_list(s3, bucket, query))
    assert root.findtext(_ns("EncodingType")) == "url"
    assert root.findtext(_ns("Prefix")) == "d%20ir/"
    assert root.findtext(_ns("Marker")) == "d%20ir/a%20b"
    assert root.findtext(_ns("Delimiter")) == "/"
    assert [e.text for e in root.findall(_ns("Contents/Key"))] == ["d%20ir/a%2Bb", "d%20ir/%C3%BC%26%25"]
    assert [e.text for e in root.findall(_ns("CommonPrefixes/Prefix"))] == ["d%20ir/sub%20dir/"]
    v2 = _xml(_raw_list(s3, bucket, [("list-type", "2"), ("encoding-type", "url"), ("start-after", "d ir/a b")]))
    assert v2.findtext(_ns("StartAfter")) == "d%20ir/a%20b"
    assert v2.findtext(_ns("Contents/Key")) == "d%20ir/a%2Bb"


def test_list_with_encoding_type_url_through_boto3_encodes_space_as_percent_20_and_plus_as_2b(s3: Any, bucket: str) -> None:
    # Asked for explicitly, so botocore hands back the encoded values untouched (s3-tests
    # test_bucket_list_encoding_basic checks exactly these).
    _put(s3, bucket, ["foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b", "t~il-de_.x"])
    for call in (s3.list_objects, s3.list_objects_v2):
        listed = call(Bucket=bucket, Delimiter="/", EncodingType="url")
        assert [o["Key"] for o in listed["Contents"]] == ["asdf%2Bb", "t~il-de_.x"]
        assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["foo%2B1/", "foo/", "quux%20ab/"]
    # Left to botocore (which adds encoding-type=url itself), the same keys decode back exactly.
    decoded = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in decoded["CommonPrefixes"]] == ["foo+1/", "foo/", "quux ab/"]
    assert [o["Key"] for o in decoded["Contents"]] == ["asdf+b", "t~il-de_.x"]


# -- owner ---------------------------------------------------------------------------------------


def test_list_v2_shows_owner_only_with_fetch_owner(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a"])
    owner = s3.list_buckets()["Owner"]
    with_owner = s3.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]
    assert with_owner["Owner"]["ID"] == owner["ID"]
    assert with_owner["Owner"]["DisplayName"] == owner["DisplayName"]
    assert "Owner" not in s3.list_objects_v2(Bucket=bucket, FetchOwner=False)["Contents"][0]


def test_list_v1_always_shows_owner(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a"])
    owner = s3.list_buckets()["Owner"]
    assert s3.list_objects(Bucket=bucket)["Contents"][0]["Owner"]["ID"] == owner["ID"]


# -- access and existence ------------------------------------------------------------------------


def test_list_of_another_accounts_bucket_is_access_denied(s3: Any, s3_alt: Any, bucket: str) -> None:
    _put(s3, bucket, ["secret"])
    for call in (s3_alt.list_objects_v2, s3_alt.list_objects):
        with pytest.raises(ClientError) as err:
            call(Bucket=bucket)
        assert _error(err) == ("AccessDenied", 403)


def test_list_of_missing_bucket_is_no_such_bucket(s3: Any) -> None:
    for call in (s3.list_objects_v2, s3.list_objects):
        with pytest.raises(ClientError) as err:
            call(Bucket="no-such-bucket-for-listing-tests")
        assert _error(err) == ("NoSuchBucket", 404)
