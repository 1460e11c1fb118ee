"""PostObject: browser-based uploads with HTML forms, signed by boto3's generate_presigned_post (SigV4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, start_server, stop_server

TIMEOUT_SECONDS = 30


def presigned(s3, bucket: str, key: str = "uploads/${filename}", fields: dict[str, str] | None = None, conditions: list[object] | None = None, expires: int = 600) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A SigV4 POST form from boto3: the URL and the signed fields."""
    conds: list[object] = [["starts-with", "$key", "uploads/"]] if conditions is None else conditions
    post = s3.generate_presigned_post(bucket, key, Fields=fields or {}, Conditions=[*conds, *({k: v} for k, v in (fields or {}).items())], ExpiresIn=expires)
    return post["url"], dict(post["fields"])


def send(url: str, fields: dict[str, str], data: bytes | None = b"hello", filename: str = "hello.txt", after: dict[str, str] | None = None) -> requests.Response:
    """POST the form the way a browser does: fields, then the file (then anything after it)."""
    parts: list[tuple[str, tuple[str | None, bytes | str]]] = [(k, (None, v)) for k, v in fields.items()]
    if data is not None:
        parts.append(("file", (filename, data)))
    parts.extend((k, (None, v)) for k, v in (after or {}).items())
    return requests.post(url, files=parts, allow_redirects=False, timeout=TIMEOUT_SECONDS)


def error_code(response: requests.Response) -> str | None:
    return ElementTree.fromstring(response.content).findtext("Code")


def assert_absent(s3, bucket: str, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=bucket, Key=key)
    assert info.value.response["Error"]["Code"] == "404"


def body_of(s3, bucket: str, key: str) -> bytes:  # type: ignore[no-untyped-def]
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]


def test_post_stores_the_file_and_answers_204(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/a.txt")
    r = send(url, fields, b"hello world")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["ETag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'
    assert r.headers["Location"].endswith(f"/{bucket}/uploads/a.txt")
    assert body_of(s3, bucket, "uploads/a.txt") == b"hello world"


def test_key_with_filename_placeholder_uses_the_file_name(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket)
    assert send(url, fields, b"x", filename="photo.jpg").status_code == 204
    assert body_of(s3, bucket, "uploads/photo.jpg") == b"x"


def test_large_file_streams_into_several_segments(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * (12 * 1024 + 7)  # ~3 MiB, not segment-aligned
    url, fields = presigned(s3, bucket, key="uploads/big", conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", 0, 8 << 20]])
    assert send(url, fields, data).status_code == 204
    assert body_of(s3, bucket, "uploads/big") == data


def test_content_fields_metadata_and_tagging_are_stored(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>"
    extra = {"Content-Type": "text/plain", "Cache-Control": "max-age=60", "x-amz-meta-owner": "ann", "tagging": tagging}
    url, fields = presigned(s3, bucket, key="uploads/m.txt", fields=extra)
    assert send(url, fields).status_code == 204
    head = s3.head_object(Bucket=bucket, Key="uploads/m.txt")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == ("text/plain", "max-age=60", {"owner": "ann"})
    assert s3.get_object_tagging(Bucket=bucket, Key="uploads/m.txt")["TagSet"] == [{"Key": "team", "Value": "blue"}]


def test_starts_with_and_eq_conditions_hold(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    conditions = [["starts-with", "$key", "uploads/"], ["starts-with", "$Content-Type", "image/"], ["eq", "$x-amz-meta-kind", "avatar"]]
    url, fields = presigned(s3, bucket, key="uploads/c.png", conditions=conditions)
    ok = {**fields, "Content-Type": "image/png", "x-amz-meta-kind": "avatar"}
    assert send(url, ok).status_code == 204
    for bad in ({**ok, "Content-Type": "text/html"}, {**ok, "x-amz-meta-kind": "other"}, {**ok, "key": "elsewhere/c.png"}):
        s3.delete_object(Bucket=bucket, Key="uploads/c.png")
        r = send(url, bad)
        assert (r.status_code, error_code(r)) == (403, "AccessDenied")
        assert "Policy Condition failed" in r.text
        assert_absent(s3, bucket, bad["key"])


def test_field_not_named_by_the_policy_is_denied(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/x")
    r = send(url, {**fields, "x-amz-meta-sneaky": "1"})
    assert (r.status_code, error_code(r)) == (403, "AccessDenied") and "Extra input fields" in r.text
    assert_absent(s3, bucket, "uploads/x")


def test_policy_for_another_bucket_is_denied(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    other = f"test-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=other)
    url, fields = presigned(s3, other, key="uploads/x")
    r = send(url.replace(other, bucket), fields)
    assert (r.status_code, error_code(r)) == (403, "AccessDenied")
    assert_absent(s3, bucket, "uploads/x")


@pytest.mark.parametrize(("low", "high", "size", "code"), [(0, 10, 11, "EntityTooLarge"), (5, 10, 4, "EntityTooSmall"), (0, 0, 1, "EntityTooLarge")])
def test_content_length_range_is_enforced_and_nothing_stored(s3, bucket: str, low: int, high: int, size: int, code: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/r", conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", low, high]])
    r = send(url, fields, b"z" * size)
    assert (r.status_code, error_code(r)) == (400, code)
    assert_absent(s3, bucket, "uploads/r")
    assert send(url, fields, b"z" * high).status_code == 204


def test_too_large_is_refused_while_streaming(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/r", conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", 0, 1024]])
    r = send(url, fields, b"z" * (4 << 20))
    assert (r.status_code, error_code(r)) == (400, "EntityTooLarge")
    assert_absent(s3, bucket, "uploads/r")


def test_expired_policy_is_access_denied(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/e", expires=-60)
    r = send(url, fields)
    assert (r.status_code, error_code(r)) == (403, "AccessDenied") and "Policy expired" in r.text
    assert_absent(s3, bucket, "uploads/e")


def test_wrong_signature_does_not_match(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/s")
    fields["x-amz-signature"] = "0" * 64
    r = send(url, fields)
    assert (r.status_code, error_code(r)) == (403, "SignatureDoesNotMatch")
    assert_absent(s3, bucket, "uploads/s")


def test_unknown_access_key_is_refused(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/k")
    fields["x-amz-credential"] = "AKIANOSUCHKEY0000000" + fields["x-amz-credential"][len(MAIN_KEY) :]
    r = send(url, fields)
    assert (r.status_code, error_code(r)) == (403, "InvalidAccessKeyId")


def test_anonymous_form_is_access_denied(s3, bucket: str, server: ServerInfo) -> None:  # type: ignore[no-untyped-def]
    r = send(f"{server.endpoint}/{bucket}", {"key": "anon.txt", "Content-Type": "text/plain"})
    assert (r.status_code, error_code(r)) == (403, "AccessDenied")
    assert_absent(s3, bucket, "anon.txt")


def test_success_action_status_201_returns_post_response(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/201.txt", fields={"success_action_status": "201"})
    r = send(url, fields, b"abc")
    assert r.status_code == 201
    doc = ElementTree.fromstring(r.content)
    assert doc.tag == "PostResponse"
    assert (doc.findtext("Bucket"), doc.findtext("Key"), doc.findtext("ETag")) == (bucket, "uploads/201.txt", r.headers["ETag"])
    assert doc.findtext("Location", "").endswith(f"/{bucket}/uploads/201.txt")


@pytest.mark.parametrize(("value", "status"), [("200", 200), ("204", 204), ("404", 204), ("banana", 204)])
def test_other_success_action_statuses(s3, bucket: str, value: str, status: int) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/st", fields={"success_action_status": value})
    r = send(url, fields)
    assert (r.status_code, r.content) == (status, b"")


def test_success_action_redirect_answers_303_with_bucket_key_and_etag(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/r.txt", fields={"success_action_redirect": "https://example.com/done?from=form"})
    r = send(url, fields, b"abc")
    assert r.status_code == 303
    target = urlsplit(r.headers["Location"])
    assert (target.netloc, target.path) == ("example.com", "/done")
    assert parse_qs(target.query) == {"from": ["form"], "bucket": [bucket], "key": ["uploads/r.txt"], "etag": [f'"{hashlib.md5(b"abc").hexdigest()}"']}


def test_fields_after_the_file_are_ignored(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/late")
    r = send(url, fields, after={"x-amz-meta-late": "1", "acl": "public-read"})
    assert r.status_code == 204
    assert s3.head_object(Bucket=bucket, Key="uploads/late")["Metadata"] == {}


def test_missing_key_is_invalid_argument_and_missing_file_is_incorrect_number_of_files(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    url, fields = presigned(s3, bucket, key="uploads/m")
    no_key = {k: v for k, v in fields.items() if k != "key"}
    r = send(url, no_key)
    assert (r.status_code, error_code(r)) == (400, "InvalidArgument") and "must contain a field named 'key'" in r.text
    r = send(url, fields, data=None)
    assert (r.status_code, error_code(r)) == (400, "IncorrectNumberOfFilesInPostRequest")
    assert_absent(s3, bucket, "uploads/m")


def test_non_form_post_is_precondition_failed(server: ServerInfo, bucket: str) -> None:
    r = requests.post(f"{server.endpoint}/{bucket}", data=b"key=a", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=TIMEOUT_SECONDS)
    assert (r.status_code, error_code(r)) == (412, "PreconditionFailed")


def test_acl_field_follows_object_ownership(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    # A new bucket enforces bucket ownership: only bucket-owner-full-control (or the owner's private) is accepted.
    for acl, status in (("public-read", 400), ("private", 204), ("bucket-owner-full-control", 204)):
        url, fields = presigned(s3, bucket, key="uploads/acl", fields={"acl": acl})
        assert send(url, fields).status_code == status
    # With ACLs enabled and no Block Public Access, the form's ACL is the object's.
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=bucket)
    url, fields = presigned(s3, bucket, key="uploads/acl", fields={"acl": "public-read"})
    assert send(url, fields).status_code == 204
    grants = s3.get_object_acl(Bucket=bucket, Key="uploads/acl")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"} in grants


def test_checksum_field_is_verified(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    good = base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
    url, fields = presigned(s3, bucket, key="uploads/ck")
    assert send(url, {**fields, "x-amz-checksum-sha256": good}).status_code == 204
    s3.delete_object(Bucket=bucket, Key="uploads/ck")
    bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    r = send(url, {**fields, "x-amz-checksum-sha256": bad})
    assert (r.status_code, error_code(r)) == (400, "BadDigest")
    assert_absent(s3, bucket, "uploads/ck")


# --- SigV2 forms ----------------------------------------------------------------------------------


def sigv2_form(bucket: str, key: str) -> dict[str, str]:
    expires = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"expiration": expires, "conditions": [{"bucket": bucket}, ["starts-with", "$key", ""]]}
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(hmac.new(MAIN_SECRET.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return {"key": key, "AWSAccessKeyId": MAIN_KEY, "policy": policy, "signature": signature}


def test_sigv2_form_is_refused_by_default(s3, bucket: str, server: ServerInfo) -> None:  # type: ignore[no-untyped-def]
    r = send(f"{server.endpoint}/{bucket}", sigv2_form(bucket, "v2.txt"))
    assert (r.status_code, error_code(r)) == (400, "InvalidRequest")
    assert_absent(s3, bucket, "v2.txt")


@pytest.fixture(scope="module")
def sigv2_server() -> Iterator[ServerInfo]:
    """A second server with the legacy SigV2 setting on."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-sigv2-"))
    info = start_server(root / "data", {"STRONGROOM_ALLOW_SIGV2": "true"})
    yield info
    stop_server(info)
    shutil.rmtree(root, ignore_errors=True)


def test_sigv2_form_works_when_enabled(sigv2_server: ServerInfo) -> None:
    s3 = make_client(sigv2_server.endpoint)
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    form = sigv2_form(bucket, "v2.txt")
    assert send(f"{sigv2_server.endpoint}/{bucket}", form, b"legacy").status_code == 204
    assert body_of(s3, bucket, "v2.txt") == b"legacy"
    r = send(f"{sigv2_server.endpoint}/{bucket}", {**form, "signature": base64.b64encode(b"x" * 20).decode()})
    assert (r.status_code, error_code(r)) == (403, "SignatureDoesNotMatch")
