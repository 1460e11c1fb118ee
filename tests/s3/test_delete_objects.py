"""DeleteObjects: many keys at once, quiet mode, per-key errors, limits and body digests."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest
from botocore.exceptions import ClientError

from strongroom.api.s3.deletes import DeleteRequest, parse_delete
from strongroom.errors import S3Error


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _keys(s3, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def _delete(keys: list[str], quiet: bool = False) -> dict[str, object]:
    return {"Objects": [{"Key": k} for k in keys], "Quiet": quiet}


def _raw_delete(s3, bucket: str, body: bytes, md5: bool = True) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Send a hand-written <Delete> document (boto3 validates what it serialises)."""

    def replace_body(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        request.data = body
        for name in [h for h in request.headers if h.lower().startswith(("x-amz-checksum", "x-amz-sdk-checksum", "content-md5"))]:
            del request.headers[name]
        if md5:
            request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        request.headers["Content-Length"] = str(len(body))

    s3.meta.events.register("before-sign.s3.DeleteObjects", replace_body)
    try:
        return s3.delete_objects(Bucket=bucket, Delete=_delete(["placeholder"]))  # type: ignore[no-any-return]
    finally:
        s3.meta.events.unregister("before-sign.s3.DeleteObjects", replace_body)


def test_delete_objects_deletes_each_key_and_reports_it(s3, bucket: str) -> None:
    for key in ("a", "b/c", "d e+%"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete=_delete(["a", "b/c", "d e+%"]))
    assert sorted(d["Key"] for d in out["Deleted"]) == ["a", "b/c", "d e+%"]
    assert "Errors" not in out
    assert _keys(s3, bucket) == ["kept"]


def test_delete_objects_reports_missing_keys_as_deleted(s3, bucket: str) -> None:
    out = s3.delete_objects(Bucket=bucket, Delete=_delete(["never-existed"]))
    assert out["Deleted"] == [{"Key": "never-existed"}]
    assert "Errors" not in out


def test_delete_objects_with_1000_keys_deletes_them_all(s3, bucket: str) -> None:
    keys = [f"k/{i:04d}" for i in range(1000)]
    for key in keys[:50]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    started = time.monotonic()
    out = s3.delete_objects(Bucket=bucket, Delete=_delete(keys))
    assert time.monotonic() - started < 60
    assert len(out["Deleted"]) == 1000
    assert {d["Key"] for d in out["Deleted"]} == set(keys)
    assert _keys(s3, bucket) == []


def test_delete_objects_with_more_than_1000_keys_is_malformed_xml_and_deletes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k/0000", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.delete_objects(Bucket=bucket, Delete=_delete([f"k/{i:04d}" for i in range(1001)]))
    assert _error(err) == ("MalformedXML", 400)
    assert _keys(s3, bucket) == ["k/0000"]


def test_delete_objects_in_quiet_mode_reports_only_errors(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete=_delete(["a", "b"], quiet=True))
    assert "Deleted" not in out
    assert "Errors" not in out
    assert _keys(s3, bucket) == []


def test_delete_objects_reports_a_too_long_key_as_a_per_key_error(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    long_key = "k" * 1025
    out = s3.delete_objects(Bucket=bucket, Delete=_delete(["a", long_key], quiet=True))
    assert out["Errors"] == [{"Key": long_key, "Code": "KeyTooLongError", "Message": "Your key is too long."}]
    assert "Deleted" not in out
    assert _keys(s3, bucket) == []


def test_delete_objects_with_unknown_version_reports_no_such_version_and_keeps_the_object(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": "nope"}]})
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in out["Errors"]] == [("a", "nope", "NoSuchVersion")]
    assert _keys(s3, bucket) == ["a"]


def test_delete_objects_of_the_null_version_deletes_it(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": "null"}]})
    assert out["Deleted"] == [{"Key": "a", "VersionId": "null"}]
    assert _keys(s3, bucket) == []


def test_delete_objects_with_content_md5_instead_of_a_checksum_works(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    out = _raw_delete(s3, bucket, b"<Delete><Object><Key>a</Key></Object></Delete>")
    assert out["Deleted"] == [{"Key": "a"}]
    assert _keys(s3, bucket) == []


def test_delete_objects_without_content_md5_or_checksum_is_invalid_request_and_deletes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    with pytest.raises(ClientError) as err:
        _raw_delete(s3, bucket, b"<Delete><Object><Key>a</Key></Object></Delete>", md5=False)
    assert _error(err) == ("InvalidRequest", 400)
    assert _keys(s3, bucket) == ["a"]


def test_delete_objects_with_wrong_content_md5_is_bad_digest_and_deletes_nothing(s3, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")

    def wrong_md5(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        for name in [h for h in request.headers if h.lower().startswith(("x-amz-checksum", "x-amz-sdk-checksum"))]:
            del request.headers[name]
        request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(b"something else").digest()).decode()

    s3.meta.events.register("before-sign.s3.DeleteObjects", wrong_md5)
    try:
        with pytest.raises(ClientError) as err:
            s3.delete_objects(Bucket=bucket, Delete=_delete(["a"]))
    finally:
        s3.meta.events.unregister("before-sign.s3.DeleteObjects", wrong_md5)
    assert _error(err) == ("BadDigest", 400)
    assert _keys(s3, bucket) == ["a"]


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete></Delete>",
        b"<Delete><Object><VersionId>v</VersionId></Object></Delete>",
        b"<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>",
        b"<Remove><Object><Key>a</Key></Object></Remove>",
        b"<Delete><Object><Key>a</Key></Object>",
    ],
    ids=["no-objects", "object-without-key", "bad-quiet", "wrong-root", "truncated"],
)
def test_delete_objects_with_malformed_document_is_malformed_xml_and_deletes_nothing(s3, bucket: str, body: bytes) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    with pytest.raises(ClientError) as err:
        _raw_delete(s3, bucket, body)
    assert _error(err) == ("MalformedXML", 400)
    assert _keys(s3, bucket) == ["a"]


def test_delete_objects_in_another_accounts_bucket_is_access_denied_and_deletes_nothing(s3, s3_alt, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3_alt.delete_objects(Bucket=bucket, Delete=_delete(["a"]))
    assert _error(err) == ("AccessDenied", 403)
    assert _keys(s3, bucket) == ["a"]


def test_delete_objects_in_missing_bucket_is_no_such_bucket(s3, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.delete_objects(Bucket=bucket + "-missing", Delete=_delete(["a"]))
    assert _error(err) == ("NoSuchBucket", 404)


def test_parse_delete_reads_quiet_keys_and_versions_in_order() -> None:
    body = (
        b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>TRUE</Quiet>'
        b"<Object><Key>b</Key></Object><Object><Key>a &amp; c</Key><VersionId>null</VersionId></Object></Delete>"
    )
    assert parse_delete(body) == DeleteRequest(True, (("b", None), ("a & c", "null")))


def test_parse_delete_rejects_an_entity_declaration() -> None:
    with pytest.raises(S3Error) as err:
        parse_delete(b'<!DOCTYPE d [<!ENTITY x "y">]><Delete><Object><Key>&x;</Key></Object></Delete>')
    assert err.value.code == "MalformedXML"
