"""Multipart uploads through boto3: create, parts, complete, abort, errors, GET by part, blob cleanup."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def _etag_of(*parts: bytes) -> str:
    """The multipart ETag S3 computes: md5 of the concatenated binary part md5s, then -N."""
    return '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}"'


def _upload(s3: Any, bucket: str, key: str, parts: list[bytes], **create: Any) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)["ETag"]
        done.append({"PartNumber": number, "ETag": etag})
    return upload_id, done


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _upload_ids(s3: Any, bucket: str) -> list[str]:
    return [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_three_part_upload_round_trip_returns_concatenation_and_dash_3_etag(s3: Any, bucket: str) -> None:
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"x"]
    created = s3.create_multipart_upload(Bucket=bucket, Key="big/file.bin", ContentType="text/plain", Metadata={"color": "blue"})
    assert created["Bucket"] == bucket and created["Key"] == "big/file.bin"
    assert created["ServerSideEncryption"] == "AES256"
    upload_id = created["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key="big/file.bin", UploadId=upload_id, PartNumber=number, Body=data)
        assert response["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
        assert response["ServerSideEncryption"] == "AES256"
        done.append({"PartNumber": number, "ETag": response["ETag"]})
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="big/file.bin", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ETag"] == _etag_of(*parts)
    assert completed["ETag"].endswith('-3"')
    assert completed["Bucket"] == bucket and completed["Key"] == "big/file.bin"
    assert completed["Location"].endswith(f"/{bucket}/big/file.bin")
    assert completed["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="big/file.bin")
    assert got["Body"].read() == b"".join(parts)
    assert got["ETag"] == completed["ETag"]
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"color": "blue"}
    assert got["ContentLength"] == 10 * MiB + 1
    assert _upload_ids(s3, bucket) == []


def test_ranged_get_across_part_boundary_returns_the_right_bytes(s3: Any, bucket: str) -> None:
    parts = [os.urandom(5 * MiB), os.urandom(1000)]
    upload_id, done = _upload(s3, bucket, "k", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    whole = b"".join(parts)
    start, end = 5 * MiB - 10, 5 * MiB + 9
    got = s3.get_object(Bucket=bucket, Key="k", Range=f"bytes={start}-{end}")
    assert got["Body"].read() == whole[start : end + 1]


def test_parts_uploaded_out_of_order_in_parallel_threads_assemble_in_part_number_order(s3: Any, bucket: str) -> None:
    parts = {n: os.urandom(5 * MiB + n) for n in range(1, 6)}
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="parallel")["UploadId"]

    def send(number: int) -> dict[str, Any]:
        etag = s3.upload_part(Bucket=bucket, Key="parallel", UploadId=upload_id, PartNumber=number, Body=parts[number])["ETag"]
        return {"PartNumber": number, "ETag": etag}

    with ThreadPoolExecutor(max_workers=5) as pool:
        done = list(pool.map(send, [5, 3, 1, 4, 2]))
    done.sort(key=lambda p: p["PartNumber"])
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="parallel", UploadId=upload_id, MultipartUpload={"Parts": done})
    ordered = [parts[n] for n in range(1, 6)]
    assert completed["ETag"] == _etag_of(*ordered)
    assert s3.get_object(Bucket=bucket, Key="parallel")["Body"].read() == b"".join(ordered)


def test_uploading_a_part_number_again_replaces_the_earlier_part(s3: Any, bucket: str) -> None:
    upload_id, _ = _upload(s3, bucket, "k", [b"first version"])
    etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"second")["ETag"]
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, etag, 6)]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"second"


def test_complete_with_a_small_non_last_part_is_entity_too_small_and_changes_nothing(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"a" * 100, b"b" * 100])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert _error(err) == ("EntityTooSmall", 400)
    assert _upload_ids(s3, bucket) == [upload_id]
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 2
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="k")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # The same upload still completes with the small part as its last (only) part.
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done[:1]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"a" * 100


def test_complete_with_descending_part_numbers_is_invalid_part_order(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [os.urandom(5 * MiB), b"tail"])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": list(reversed(done))})
    assert _error(err) == ("InvalidPartOrder", 400)
    assert _upload_ids(s3, bucket) == [upload_id]
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="k")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_complete_with_a_wrong_etag_or_unknown_part_is_invalid_part(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"only part"])
    wrong = [{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}]
    for parts in (wrong, [{"PartNumber": 2, "ETag": done[0]["ETag"]}]):
        with pytest.raises(ClientError) as err:
            s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts})
        assert _error(err) == ("InvalidPart", 400)
    assert _upload_ids(s3, bucket) == [upload_id]
    # ETags match with or without their quotes.
    unquoted = [{"PartNumber": 1, "ETag": done[0]["ETag"].strip('"')}]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": unquoted})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"only part"


def test_complete_with_no_parts_is_malformed_xml(s3: Any, bucket: str) -> None:
    upload_id, _ = _upload(s3, bucket, "k", [b"data"])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": []})
    assert _error(err) == ("MalformedXML", 400)
    assert _upload_ids(s3, bucket) == [upload_id]


def test_part_number_outside_1_to_10000_is_invalid_argument(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for number in (0, 10001):
        with pytest.raises(ClientError) as err:
            s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=b"x")
        assert _error(err) == ("InvalidArgument", 400)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)


def test_upload_part_to_an_unknown_upload_or_another_key_is_no_such_upload(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    for key, uid in (("k", "not-an-upload"), ("other-key", upload_id)):
        with pytest.raises(ClientError) as err:
            s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"x")
        assert _error(err) == ("NoSuchUpload", 404)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)


def test_after_abort_the_upload_is_gone_and_every_call_is_no_such_upload(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"data"])
    response = s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _upload_ids(s3, bucket) == []
    calls: list[Callable[[], object]] = [
        lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"x"),
        lambda: s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}),
        lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id),
        lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as missing:
        s3.head_object(Bucket=bucket, Key="k")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_retried_complete_succeeds_with_the_same_etag_while_the_object_is_current(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"data"])
    first = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    again = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert again["ETag"] == first["ETag"] and again["Key"] == "k"
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == first["ETag"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_a_completed_upload_is_gone_for_every_call_but_a_retried_complete(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"data"])
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert _upload_ids(s3, bucket) == []
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    calls: list[Callable[[], object]] = [
        lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, Body=b"x"),
        lambda: s3.upload_part_copy(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=2, CopySource=f"{bucket}/src"),
        lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id),
        lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id),
    ]
    for call in calls:
        with pytest.raises(ClientError) as err:
            call()
        assert _error(err) == ("NoSuchUpload", 404)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


@pytest.mark.parametrize("replace", ["overwrite", "delete"])
def test_retried_complete_after_the_object_was_replaced_or_deleted_is_no_such_upload(s3: Any, bucket: str, replace: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [b"data"])
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    if replace == "overwrite":
        s3.put_object(Bucket=bucket, Key="k", Body=b"newer")
    else:
        s3.delete_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert _error(err) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as other_key:
        s3.complete_multipart_upload(Bucket=bucket, Key="other", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert _error(other_key) == ("NoSuchUpload", 404)


def test_sweeper_forgets_completed_uploads_after_a_day() -> None:
    from sqlalchemy import create_engine, select

    from strongroom.meta import schema
    from strongroom.service.multipart import COMPLETED_UPLOAD_KEEP_SECONDS, forget_completed_uploads

    engine = create_engine("sqlite://")
    schema.metadata.create_all(engine)
    row = {"bucket": "b", "key": "k", "initiated": 0.0, "owner_account": "1", "initiator_arn": "a", "headers": "{}"}
    now = 10 * COMPLETED_UPLOAD_KEEP_SECONDS
    with engine.begin() as conn:
        conn.execute(schema.uploads.insert(), [
            {**row, "upload_id": "old", "completed": now - COMPLETED_UPLOAD_KEEP_SECONDS - 1, "completed_etag": '"e-1"'},
            {**row, "upload_id": "recent", "completed": now - 60, "completed_etag": '"e-1"'},
            {**row, "upload_id": "in-progress", "completed": None, "completed_etag": None},
        ])
        assert forget_completed_uploads(conn, now - COMPLETED_UPLOAD_KEEP_SECONDS) == 1
        left = {r[0] for r in conn.execute(select(schema.uploads.c.upload_id)).all()}
    assert left == {"recent", "in-progress"}


def test_complete_listing_a_part_number_twice_uses_the_later_entry(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    stale = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"B" * 8)["ETag"]
    fresh = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"A" * 8)["ETag"]
    parts = [{"PartNumber": 1, "ETag": stale}, {"PartNumber": 1, "ETag": fresh}]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"A" * 8


def test_list_parts_pages_with_max_parts_and_part_number_marker(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(s3, bucket, "k", [bytes([n]) * n for n in range(1, 8)], StorageClass="STANDARD")
    seen: list[int] = []
    marker = 0
    pages = 0
    while True:
        page = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=3, PartNumberMarker=marker)
        pages += 1
        assert page["MaxParts"] == 3 and page["PartNumberMarker"] == marker
        assert page["StorageClass"] == "STANDARD"
        assert page["Initiator"]["ID"] and page["Owner"]["ID"]
        seen += [p["PartNumber"] for p in page["Parts"]]
        for p in page["Parts"]:
            assert p["Size"] == p["PartNumber"] and p["ETag"] == done[p["PartNumber"] - 1]["ETag"]
        if not page["IsTruncated"]:
            break
        marker = page["NextPartNumberMarker"]
        assert marker == seen[-1]
    assert seen == list(range(1, 8)) and pages == 3
    paginated = [p["PartNumber"] for page in s3.get_paginator("list_parts").paginate(Bucket=bucket, Key="k", UploadId=upload_id, PaginationConfig={"PageSize": 2}) for p in page.get("Parts", [])]
    assert paginated == list(range(1, 8))


def test_list_parts_with_a_bad_max_parts_is_invalid_argument(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    with pytest.raises(ClientError) as err:
        s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id, MaxParts=-1)
    assert _error(err) == ("InvalidArgument", 400)


def test_list_multipart_uploads_with_prefix_delimiter_and_paging(s3: Any, bucket: str) -> None:
    keys = ["a/1", "a/2", "b", "c/x/1", "c/y", "d", "d"]
    ids = [s3.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"] for k in keys]
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in listed["Uploads"]] == keys
    assert [u["UploadId"] for u in listed["Uploads"]][-2:] == ids[-2:]  # same key: by initiation time
    assert listed["IsTruncated"] is False
    assert listed["Uploads"][0]["Initiator"]["ID"] and listed["Uploads"][0]["Owner"]["ID"]

    rolled = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in rolled["Uploads"]] == ["b", "d", "d"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/", "c/"]

    nested = s3.list_multipart_uploads(Bucket=bucket, Prefix="c/", Delimiter="/")
    assert [u["Key"] for u in nested["Uploads"]] == ["c/y"]
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["c/x/"]

    entries: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Delimiter": "/", "MaxUploads": 2}
    pages = 0
    while True:
        page = s3.list_multipart_uploads(**kwargs)
        pages += 1
        got = [u["Key"] + "#" + u["UploadId"] for u in page.get("Uploads", [])] + [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert len(got) <= 2
        entries += got
        if not page["IsTruncated"]:
            break
        kwargs["KeyMarker"] = page["NextKeyMarker"]
        kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker", "")
    assert pages == 3
    assert sorted(entries) == sorted(["a/", "b#" + ids[2], "c/", "d#" + ids[5], "d#" + ids[6]])

    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="d", UploadIdMarker=ids[5])
    assert [u["UploadId"] for u in after["Uploads"]] == [ids[6]]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, KeyMarker="c/y")["Uploads"]] == ["d", "d"]


def test_list_multipart_uploads_url_encodes_keys_when_asked(s3: Any, bucket: str) -> None:
    s3.create_multipart_upload(Bucket=bucket, Key="sp ace+plus")
    listed = s3.list_multipart_uploads(Bucket=bucket, EncodingType="url", Prefix="sp ")
    # botocore decodes only the listings whose encoding it set itself, so these arrive as sent.
    assert listed["EncodingType"] == "url"
    assert listed["Uploads"][0]["Key"] == "sp%20ace%2Bplus"
    assert listed["Prefix"] == "sp%20"
    assert s3.list_multipart_uploads(Bucket=bucket)["Uploads"][0]["Key"] == "sp ace+plus"


def test_get_and_head_with_part_number_return_that_part_and_the_parts_count(s3: Any, bucket: str) -> None:
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"last"]
    upload_id, done = _upload(s3, bucket, "k", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    for number, data in enumerate(parts, start=1):
        got = s3.get_object(Bucket=bucket, Key="k", PartNumber=number)
        assert got["Body"].read() == data
        assert got["PartsCount"] == 3
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        start = sum(len(p) for p in parts[: number - 1])
        assert got["ContentRange"] == f"bytes {start}-{start + len(data) - 1}/{10 * MiB + 4}"
    head = s3.head_object(Bucket=bucket, Key="k", PartNumber=2)
    assert head["PartsCount"] == 3 and head["ContentLength"] == 5 * MiB
    assert s3.head_object(Bucket=bucket, Key="k")["PartsCount"] == 3
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as err:
            call(Bucket=bucket, Key="k", PartNumber=4)
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="k", PartNumber=4)
    assert _error(err) == ("InvalidPart", 400)


def test_get_of_a_non_multipart_object_by_part_number_one_is_the_whole_object_and_beyond_is_invalid_part(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="single", Body=b"body")["ETag"]
    got = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert got["Body"].read() == b"body" and got["ETag"] == etag
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="single", PartNumber=2)
    assert _error(err) == ("InvalidPart", 400)


def test_create_keeps_content_headers_metadata_and_tags_for_the_object(s3: Any, bucket: str) -> None:
    upload_id, done = _upload(
        s3, bucket, "k", [b"hello"],
        ContentType="application/json", ContentDisposition="attachment", CacheControl="no-cache",
        Metadata={"owner": "me"}, Tagging="team=blue&tier=1",
    )
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert (head["ContentType"], head["ContentDisposition"], head["CacheControl"]) == ("application/json", "attachment", "no-cache")
    assert head["Metadata"] == {"owner": "me"}
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["TagCount"] == 2


def _blob_files(data_dir: Path) -> int:
    return sum(1 for p in (data_dir / "blobs").rglob("*") if p.is_file())


def test_replaced_and_unchosen_part_blobs_are_removed_and_aborted_ones_too(s3: Any, bucket: str, server: Any) -> None:
    server.cli("admin", "sweep", "--grace-seconds", "0")
    before = _blob_files(server.data_dir)
    upload_id, done = _upload(s3, bucket, "k", [os.urandom(5 * MiB), b"unchosen", b"last"])
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=os.urandom(5 * MiB))  # replaced
    done[0]["ETag"] = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"][0]["ETag"]
    aborted, _ = _upload(s3, bucket, "gone", [b"one", b"two"])
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted)
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [done[0], done[2]]})
    server.cli("admin", "sweep", "--grace-seconds", "0")
    assert _blob_files(server.data_dir) == before + 2  # the object's two parts, nothing else
    assert s3.get_object(Bucket=bucket, Key="k")["ContentLength"] == 5 * MiB + 4
    # Overwriting the object makes its part blobs garbage too (the small new one is stored inline).
    s3.put_object(Bucket=bucket, Key="k", Body=b"small")
    server.cli("admin", "sweep", "--grace-seconds", "0")
    assert _blob_files(server.data_dir) == before


def test_upload_part_copy_copies_a_source_range_into_a_part(s3: Any, bucket: str) -> None:
    source = os.urandom(6 * MiB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dest")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="dest", UploadId=upload_id, PartNumber=1, CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    assert first["CopyPartResult"]["ETag"] == '"' + hashlib.md5(source[: 5 * MiB]).hexdigest() + '"'
    second = s3.upload_part_copy(Bucket=bucket, Key="dest", UploadId=upload_id, PartNumber=2, CopySource=f"{bucket}/source")
    parts = [{"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]
    s3.complete_multipart_upload(Bucket=bucket, Key="dest", UploadId=upload_id, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="dest")["Body"].read() == source[: 5 * MiB] + source


def test_upload_part_copy_errors_leave_the_upload_unchanged(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"0123456789")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dest")["UploadId"]
    cases = [
        ({"CopySource": f"{bucket}/missing"}, ("NoSuchKey", 404)),
        ({"CopySource": f"{bucket}/source", "CopySourceRange": "bytes=5-20"}, ("InvalidRange", 416)),
        ({"CopySource": f"{bucket}/source", "CopySourceRange": "bytes=5-2"}, ("InvalidArgument", 400)),
        ({"CopySource": f"{bucket}/source", "CopySourceIfMatch": '"nope"'}, ("PreconditionFailed", 412)),
    ]
    for kwargs, expected in cases:
        with pytest.raises(ClientError) as err:
            s3.upload_part_copy(Bucket=bucket, Key="dest", UploadId=upload_id, PartNumber=1, **kwargs)
        assert _error(err) == expected
    with pytest.raises(ClientError) as err:
        s3.upload_part_copy(Bucket=bucket, Key="dest", UploadId="nope", PartNumber=1, CopySource=f"{bucket}/source")
    assert _error(err) == ("NoSuchUpload", 404)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="dest", UploadId=upload_id)


def test_upload_part_copy_from_another_accounts_private_bucket_is_access_denied(s3: Any, s3_alt: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="secret", Body=b"private")
    alt_bucket = f"{bucket}-alt"
    s3_alt.create_bucket(Bucket=alt_bucket)
    upload_id = s3_alt.create_multipart_upload(Bucket=alt_bucket, Key="stolen")["UploadId"]
    with pytest.raises(ClientError) as err:
        s3_alt.upload_part_copy(Bucket=alt_bucket, Key="stolen", UploadId=upload_id, PartNumber=1, CopySource=f"{bucket}/secret")
    assert _error(err) == ("AccessDenied", 403)
    assert "Parts" not in s3_alt.list_parts(Bucket=alt_bucket, Key="stolen", UploadId=upload_id)


def test_concurrent_uploads_of_the_same_part_number_leave_exactly_one(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    bodies = {hashlib.md5(b).hexdigest(): b for b in (os.urandom(256 * 1024) for _ in range(6))}

    def send(body: bytes) -> str:
        return str(s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=body)["ETag"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        etags = list(pool.map(send, bodies.values()))
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]
    assert len(listed) == 1 and listed[0]["ETag"] in etags
    winner = listed[0]["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": winner}]})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == bodies[winner.strip('"')]


def test_complete_with_if_none_match_on_an_existing_key_is_precondition_failed(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"already here")
    upload_id, done = _upload(s3, bucket, "k", [b"new"])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, IfNoneMatch="*")
    assert _error(err) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"already here"
    assert _upload_ids(s3, bucket) == [upload_id]
