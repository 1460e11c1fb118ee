"""Object and bucket tagging: round trips, limits, the x-amz-tagging header, malformed documents."""

from __future__ import annotations

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

from strongroom.api.s3.tagging import parse_tagging_xml
from strongroom.errors import S3Error


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _tag_set(pairs: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs.items()]}


def _tags(s3, bucket: str, key: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def _raw_put(s3, bucket: str, key: str | None, body: bytes, md5: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Send a hand-written tagging document (boto3 would refuse to serialise a malformed one)."""

    def replace_body(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        request.data = body
        for name in [h for h in request.headers if h.lower().startswith(("x-amz-checksum", "x-amz-sdk-checksum", "content-md5"))]:
            del request.headers[name]
        if md5:
            request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        request.headers["Content-Length"] = str(len(body))

    op = "PutObjectTagging" if key is not None else "PutBucketTagging"
    s3.meta.events.register(f"before-sign.s3.{op}", replace_body)
    try:
        if key is not None:
            s3.put_object_tagging(Bucket=bucket, Key=key, Tagging=_tag_set({"x": "y"}))
        else:
            s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({"x": "y"}))
    finally:
        s3.meta.events.unregister(f"before-sign.s3.{op}", replace_body)


# -- object tagging ----------------------------------------------------------------------------------


def test_put_then_get_object_tagging_round_trips(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    tags = {"project": "strongroom", "empty": "", "unicode €": "välue with spaces"}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set(tags))
    assert _tags(s3, bucket, "k") == tags
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "3"
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 3


def test_put_object_tagging_replaces_the_whole_set(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1&b=2")
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set({"c": "3"}))
    assert _tags(s3, bucket, "k") == {"c": "3"}


def test_get_object_tagging_without_tags_returns_empty_tag_set(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    assert "x-amz-tagging-count" not in s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]


def test_put_object_with_tagging_header_is_visible_through_get_object_tagging(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="team=storage&cost%20center=42")
    assert _tags(s3, bucket, "k") == {"team": "storage", "cost center": "42"}
    assert s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"


def test_delete_object_tagging_removes_all_tags_and_keeps_the_object(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"kept", Tagging="a=1")
    out = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _tags(s3, bucket, "k") == {}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"


def test_put_object_tagging_with_empty_tag_set_clears_tags(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": []})
    assert _tags(s3, bucket, "k") == {}


def test_object_tagging_accepts_ten_tags_and_limit_sized_keys_and_values(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    tags = {f"{i}".ljust(128, "k"): "v" * 256 for i in range(10)}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set(tags))
    assert _tags(s3, bucket, "k") == tags


@pytest.mark.parametrize(
    "tags",
    [
        {f"k{i}": "v" for i in range(11)},
        {"k" * 129: "v"},
        {"k": "v" * 257},
        {"aws:reserved": "v"},
    ],
    ids=["eleven-tags", "key-129", "value-257", "aws-prefix"],
)
def test_put_object_tagging_beyond_limits_is_invalid_tag_and_changes_nothing(s3, bucket: str, tags: dict[str, str]) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    with pytest.raises(ClientError) as err:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set(tags))
    assert _error(err) == ("InvalidTag", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_put_object_tagging_with_duplicate_keys_is_invalid_tag_and_changes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    with pytest.raises(ClientError) as err:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]})
    assert _error(err) == ("InvalidTag", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_put_object_tagging_with_empty_key_is_invalid_tag_and_changes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    with pytest.raises(ClientError) as err:
        _raw_put(s3, bucket, "k", b"<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>")
    assert _error(err) == ("InvalidTag", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_put_object_with_eleven_tags_in_header_is_invalid_tag_and_stores_nothing(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="&".join(f"k{i}=v" for i in range(11)))
    assert _error(err) == ("InvalidTag", 400)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
        b"<Tagging><Tag><Key>a</Key><Value>b</Value></Tag></Tagging>",
        b"<Nope><TagSet/></Nope>",
        b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><Tagging><TagSet/></Tagging>',
    ],
    ids=["no-value", "no-tagset", "wrong-root", "truncated", "dtd"],
)
def test_put_object_tagging_with_malformed_xml_is_malformed_xml_and_changes_nothing(s3, bucket: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    with pytest.raises(ClientError) as err:
        _raw_put(s3, bucket, "k", body)
    assert _error(err) == ("MalformedXML", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_put_object_tagging_over_size_cap_is_rejected_and_changes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    body = b"<Tagging><TagSet>" + b" " * (70 * 1024) + b"</TagSet></Tagging>"
    with pytest.raises(ClientError) as err:
        _raw_put(s3, bucket, "k", body)
    assert _error(err) == ("MalformedXML", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_put_object_tagging_without_body_digest_is_invalid_request(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="keep=me")
    body = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"
    with pytest.raises(ClientError) as err:
        _raw_put(s3, bucket, "k", body, md5=False)
    assert _error(err) == ("InvalidRequest", 400)
    assert _tags(s3, bucket, "k") == {"keep": "me"}


def test_object_tagging_on_missing_key_is_no_such_key(s3, bucket: str) -> None:
    for call in (
        lambda: s3.get_object_tagging(Bucket=bucket, Key="missing"),
        lambda: s3.put_object_tagging(Bucket=bucket, Key="missing", Tagging=_tag_set({"a": "1"})),
        lambda: s3.delete_object_tagging(Bucket=bucket, Key="missing"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err) == ("NoSuchKey", 404)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_object_tagging_of_another_accounts_object_is_access_denied(s3, s3_alt, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="owner=main")
    for call in (
        lambda: s3_alt.get_object_tagging(Bucket=bucket, Key="k"),
        lambda: s3_alt.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set({"owner": "alt"})),
        lambda: s3_alt.delete_object_tagging(Bucket=bucket, Key="k"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err) == ("AccessDenied", 403)
    assert _tags(s3, bucket, "k") == {"owner": "main"}


# -- bucket tagging ----------------------------------------------------------------------------------


def test_get_bucket_tagging_without_tags_is_no_such_tag_set(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _error(err) == ("NoSuchTagSet", 404)


def test_put_get_delete_bucket_tagging_round_trip(s3, bucket: str) -> None:
    tags = {f"key{i}": f"value{i}" for i in range(50)}
    out = s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set(tags))
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert {t["Key"]: t["Value"] for t in got} == tags
    s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({"only": "one"}))
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _error(err) == ("NoSuchTagSet", 404)
    s3.delete_bucket_tagging(Bucket=bucket)  # deleting again is fine


def test_put_bucket_tagging_with_51_tags_is_invalid_tag_and_changes_nothing(s3, bucket: str) -> None:
    s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({"keep": "me"}))
    with pytest.raises(ClientError) as err:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({f"k{i}": "v" for i in range(51)}))
    assert _error(err) == ("InvalidTag", 400)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "keep", "Value": "me"}]


def test_put_bucket_tagging_with_malformed_xml_changes_nothing(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        _raw_put(s3, bucket, None, b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>")
    assert _error(err) == ("MalformedXML", 400)
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _error(err) == ("NoSuchTagSet", 404)


def test_bucket_tagging_of_another_account_is_access_denied(s3, s3_alt, bucket: str) -> None:
    s3.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({"owner": "main"}))
    with pytest.raises(ClientError) as err:
        s3_alt.put_bucket_tagging(Bucket=bucket, Tagging=_tag_set({"owner": "alt"}))
    assert _error(err) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as err:
        s3_alt.delete_bucket_tagging(Bucket=bucket)
    assert _error(err) == ("AccessDenied", 403)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "owner", "Value": "main"}]


def test_bucket_tagging_on_missing_bucket_is_no_such_bucket(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.get_bucket_tagging(Bucket=bucket + "-missing")
    assert _error(err) == ("NoSuchBucket", 404)


# -- the parser --------------------------------------------------------------------------------------


def test_parse_tagging_xml_accepts_the_s3_namespace_and_empty_values() -> None:
    body = b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value/></Tag></TagSet></Tagging>'
    assert parse_tagging_xml(body) == {"a": ""}


def test_parse_tagging_xml_rejects_extra_elements_in_a_tag() -> None:
    with pytest.raises(S3Error) as err:
        parse_tagging_xml(b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value><Other/></Tag></TagSet></Tagging>")
    assert err.value.code == "MalformedXML"
