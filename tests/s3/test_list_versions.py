"""ListObjectVersions over unversioned buckets (every version is "null"), and deleting by VersionId."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pytest
import requests
from botocore.exceptions import ClientError
from defusedxml.ElementTree import fromstring

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
KEYS = [f"{d}/{n:02d}" for d in ("a", "b", "c") for n in range(4)] + ["a", "b0", "c/", "d", "é/x"]


def _put(s3: Any, bucket: str, keys: Iterable[str]) -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _raw_versions(s3: Any, bucket: str, query: list[tuple[str, str]]) -> requests.Response:
    """GET ?versions with exactly this query string, presigned."""

    def rewrite(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        request.url = urlunsplit(parts._replace(query=urlencode([("versions", ""), *query], quote_via=quote)))

    s3.meta.events.register_first("before-sign.s3.ListObjectVersions", rewrite, unique_id="versions-raw")
    try:
        url = s3.generate_presigned_url("list_object_versions", Params={"Bucket": bucket}, ExpiresIn=300)
    finally:
        s3.meta.events.unregister("before-sign.s3.ListObjectVersions", unique_id="versions-raw")
    return requests.get(url, timeout=30)


def _all_versions(s3: Any, bucket: str, **params: Any) -> list[dict[str, Any]]:
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, **params)
    return [v for p in pages for v in p.get("Versions", [])]


def test_list_versions_shows_each_object_as_its_null_latest_version(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="sized", Body=b"12345", ChecksumAlgorithm="SHA256")
    _put(s3, bucket, ["b", "a"])
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["Key"] for v in listed["Versions"]] == ["a", "b", "sized"]
    assert all(v["VersionId"] == "null" and v["IsLatest"] is True for v in listed["Versions"])
    sized = listed["Versions"][2]
    assert sized["Size"] == 5 and sized["ETag"] == put["ETag"] and sized["StorageClass"] == "STANDARD"
    assert sized["ChecksumAlgorithm"] == ["SHA256"]
    assert sized["LastModified"] == s3.head_object(Bucket=bucket, Key="sized")["LastModified"]
    assert sized["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]
    assert listed["IsTruncated"] is False and listed["Name"] == bucket and listed["MaxKeys"] == 1000
    assert "DeleteMarkers" not in listed and "NextKeyMarker" not in listed


def test_list_versions_of_empty_bucket_and_after_deleting_everything_is_empty(s3: Any, bucket: str) -> None:
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)
    _put(s3, bucket, ["x", "y"])
    s3.delete_object(Bucket=bucket, Key="x")
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == ["y"]
    s3.delete_object(Bucket=bucket, Key="y")
    listed = s3.list_object_versions(Bucket=bucket)
    assert "Versions" not in listed and "DeleteMarkers" not in listed


def test_list_versions_paginator_returns_every_version_once_in_order(s3: Any, bucket: str) -> None:
    _put(s3, bucket, KEYS)
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 4}))
    assert [v["Key"] for p in pages for v in p.get("Versions", [])] == sorted(KEYS, key=lambda k: k.encode())
    assert len(pages) == (len(KEYS) + 3) // 4
    assert all(p["IsTruncated"] for p in pages[:-1]) and not pages[-1]["IsTruncated"]
    assert pages[0]["NextKeyMarker"] == pages[0]["Versions"][-1]["Key"] and pages[0]["NextVersionIdMarker"] == "null"
    assert pages[1]["KeyMarker"] == pages[0]["NextKeyMarker"] and pages[1]["VersionIdMarker"] == "null"


def test_list_versions_key_marker_and_version_id_marker_resume_after_them(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a", "b", "c", "d"])
    after_key = s3.list_object_versions(Bucket=bucket, KeyMarker="b")
    assert [v["Key"] for v in after_key["Versions"]] == ["c", "d"]
    assert after_key["KeyMarker"] == "b"
    after_version = s3.list_object_versions(Bucket=bucket, KeyMarker="b", VersionIdMarker="null")
    assert [v["Key"] for v in after_version["Versions"]] == ["c", "d"]
    between = s3.list_object_versions(Bucket=bucket, KeyMarker="bb", MaxKeys=1)
    assert [v["Key"] for v in between["Versions"]] == ["c"]
    assert between["IsTruncated"] is True and between["NextKeyMarker"] == "c"


def test_list_versions_with_prefix_and_delimiter_rolls_up_common_prefixes(s3: Any, bucket: str) -> None:
    _put(s3, bucket, KEYS)
    listed = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [v["Key"] for v in listed["Versions"]] == ["a", "b0", "d"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/", "c/", "é/"]
    under = s3.list_object_versions(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [v["Key"] for v in under["Versions"]] == [f"b/{n:02d}" for n in range(4)]
    assert under["Prefix"] == "b/" and "CommonPrefixes" not in under


def test_list_versions_paged_with_delimiter_returns_each_common_prefix_once(s3: Any, bucket: str) -> None:
    _put(s3, bucket, KEYS)
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
    keys = [v["Key"] for p in pages for v in p.get("Versions", [])]
    prefixes = [c["Prefix"] for p in pages for c in p.get("CommonPrefixes", [])]
    assert keys == ["a", "b0", "d"] and prefixes == ["a/", "b/", "c/", "é/"]
    assert len(pages) == 7
    ended_at_prefix = next(p for p in pages if p.get("CommonPrefixes") and p["IsTruncated"])
    assert ended_at_prefix["NextKeyMarker"] == ended_at_prefix["CommonPrefixes"][0]["Prefix"]
    assert "NextVersionIdMarker" not in ended_at_prefix


def test_list_versions_with_max_keys_zero_is_empty_and_not_truncated(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["a"])
    listed = s3.list_object_versions(Bucket=bucket, MaxKeys=0)
    assert "Versions" not in listed and listed["IsTruncated"] is False and listed["MaxKeys"] == 0


def test_list_versions_with_encoding_type_url_encodes_keys_and_markers(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["d ir/a+b", "d ir/sub dir/x", "q"])
    root = fromstring(_raw_versions(s3, bucket, [("encoding-type", "url"), ("prefix", "d ir/"), ("delimiter", "/"), ("max-keys", "1")]).content)
    assert root.tag == NS + "ListVersionsResult"
    assert root.findtext(NS + "EncodingType") == "url"
    assert root.findtext(NS + "Prefix") == "d%20ir/"
    assert [e.text for e in root.findall(f"{NS}Version/{NS}Key")] == ["d%20ir/a%2Bb"]
    assert root.findtext(NS + "NextKeyMarker") == "d%20ir/a%2Bb"
    # Through boto3, which asks for url encoding itself and decodes it back.
    listed = s3.list_object_versions(Bucket=bucket, Prefix="d ir/", Delimiter="/")
    assert [v["Key"] for v in listed["Versions"]] == ["d ir/a+b"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["d ir/sub dir/"]


def test_list_versions_with_version_id_marker_but_no_key_marker_is_invalid_argument(s3: Any, bucket: str) -> None:
    response = _raw_versions(s3, bucket, [("version-id-marker", "null")])
    assert (fromstring(response.content).findtext("Code"), response.status_code) == ("InvalidArgument", 400)


def test_list_versions_of_another_accounts_bucket_is_access_denied(s3_alt: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3_alt.list_object_versions(Bucket=bucket)
    assert _error(err) == ("AccessDenied", 403)


# -- VersionId "null" on unversioned objects ---------------------------------------------------------


def test_get_and_head_with_version_id_null_return_the_object(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"body")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"body"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["ContentLength"] == 4


def test_delete_each_listed_version_by_its_version_id_empties_the_bucket(s3: Any, bucket: str) -> None:
    _put(s3, bucket, KEYS)
    for version in _all_versions(s3, bucket):
        out = s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 204 and out["VersionId"] == "null"
    assert _all_versions(s3, bucket) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)


def test_delete_with_version_id_null_of_a_missing_key_succeeds(s3: Any, bucket: str) -> None:
    out = s3.delete_object(Bucket=bucket, Key="never-there", VersionId="null")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_with_unknown_version_id_is_invalid_argument_and_deletes_nothing(s3: Any, bucket: str) -> None:
    _put(s3, bucket, ["k"])
    for version_id in ("nope", "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"):
        with pytest.raises(ClientError) as err:
            s3.delete_object(Bucket=bucket, Key="k", VersionId=version_id)
        assert _error(err) == ("InvalidArgument", 400)
    assert [v["Key"] for v in _all_versions(s3, bucket)] == ["k"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"
