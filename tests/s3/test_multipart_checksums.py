"""Multipart checksums: COMPOSITE and FULL_OBJECT values, per-part verification, and what GET returns.

Expected values are computed here independently of the server: composite = checksum of the
concatenated part digests + "-N"; full object = the checksum of the whole body.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from awscrt import checksums as crt  # type: ignore[import-untyped]
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_client

MiB = 1024 * 1024


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _crc64nvme(data: bytes) -> bytes:
    return int(crt.crc64nvme(data)).to_bytes(8, "big")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _composite(fn: Callable[[bytes], bytes], parts: list[bytes]) -> str:
    return _b64(fn(b"".join(fn(p) for p in parts))) + f"-{len(parts)}"


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _upload_with(s3: Any, bucket: str, key: str, algorithm: str, parts: list[bytes], **create: Any) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, **create)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        response = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data, ChecksumAlgorithm=algorithm)
        member = "Checksum" + algorithm
        done.append({"PartNumber": number, "ETag": response["ETag"], member: response[member]})
    return upload_id, done


PARTS = [os.urandom(5 * MiB), os.urandom(5 * MiB), b"tail bytes"]


@pytest.mark.parametrize(("algorithm", "fn"), [("CRC32", _crc32), ("SHA256", _sha256)])
def test_composite_checksum_is_the_checksum_of_part_checksums_dash_n(s3: Any, bucket: str, algorithm: str, fn: Callable[[bytes], bytes]) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm)
    assert created["ChecksumAlgorithm"] == algorithm and created["ChecksumType"] == "COMPOSITE"
    upload_id, member = created["UploadId"], "Checksum" + algorithm
    done = []
    for number, data in enumerate(PARTS, start=1):
        response = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=number, Body=data, ChecksumAlgorithm=algorithm)
        assert response[member] == _b64(fn(data))
        done.append({"PartNumber": number, "ETag": response["ETag"], member: response[member]})
    listed = s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)
    assert [p[member] for p in listed["Parts"]] == [_b64(fn(p)) for p in PARTS]
    assert listed["ChecksumAlgorithm"] == algorithm and listed["ChecksumType"] == "COMPOSITE"
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    expected = _composite(fn, PARTS)
    assert completed[member] == expected and completed["ChecksumType"] == "COMPOSITE"
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(PARTS)
    assert got[member] == expected and got["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head[member] == expected
    assert member not in s3.head_object(Bucket=bucket, Key="k")


@pytest.mark.parametrize(("algorithm", "fn", "create"), [("CRC64NVME", _crc64nvme, {}), ("CRC32", _crc32, {"ChecksumType": "FULL_OBJECT"})])
def test_full_object_checksum_is_the_checksum_of_the_whole_body(
    s3: Any, bucket: str, algorithm: str, fn: Callable[[bytes], bytes], create: dict[str, str]
) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", algorithm, PARTS, **create)
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    whole = b"".join(PARTS)
    member = "Checksum" + algorithm
    assert completed[member] == _b64(fn(whole)) and completed["ChecksumType"] == "FULL_OBJECT"
    # botocore validates a FULL_OBJECT checksum against the body it reads.
    got = s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == whole
    assert got[member] == _b64(fn(whole)) and got["ChecksumType"] == "FULL_OBJECT"


def test_full_object_checksum_sent_on_complete_is_verified(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "CRC64NVME", PARTS[:2])
    wrong = _b64(_crc64nvme(b"something else"))
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumCRC64NVME=wrong, ChecksumType="FULL_OBJECT")
    assert _error(err) == ("BadDigest", 400)
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 2
    right = _b64(_crc64nvme(b"".join(PARTS[:2])))
    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumCRC64NVME=right, ChecksumType="FULL_OBJECT", MpuObjectSize=10 * MiB
    )
    assert completed["ChecksumCRC64NVME"] == right


def test_complete_with_a_different_checksum_type_than_create_is_invalid_request(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "CRC32", [b"data"])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumType="FULL_OBJECT")
    assert _error(err) == ("InvalidRequest", 400)
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 1


def test_complete_with_a_wrong_part_checksum_is_invalid_part_and_changes_nothing(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "SHA256", [b"one"])
    bad = [{**done[0], "ChecksumSHA256": _b64(_sha256(b"two"))}]
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": bad})
    assert _error(err) == ("InvalidPart", 400)
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload_id]
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})


def test_composite_complete_without_part_checksums_is_invalid_request(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "CRC32", [b"one"])
    bare = [{"PartNumber": 1, "ETag": done[0]["ETag"]}]
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": bare})
    assert _error(err) == ("InvalidRequest", 400)
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 1


def test_part_with_a_wrong_checksum_is_bad_digest_and_not_stored(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")["UploadId"]
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"data", ChecksumSHA256=_b64(_sha256(b"other")))
    assert _error(err) == ("BadDigest", 400)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)


def test_part_with_another_algorithm_than_the_upload_is_invalid_request(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")["UploadId"]
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"data", ChecksumAlgorithm="CRC32")
    assert _error(err) == ("InvalidRequest", 400)
    assert "Parts" not in s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)


@pytest.mark.parametrize(("algorithm", "checksum_type"), [("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")])
def test_create_with_an_unsupported_algorithm_and_type_pair_is_invalid_request(s3: Any, bucket: str, algorithm: str, checksum_type: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=algorithm, ChecksumType=checksum_type)
    assert _error(err) == ("InvalidRequest", 400)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_server_computes_part_checksums_when_the_client_sends_none(server: ServerInfo, bucket: str) -> None:
    quiet = make_client(server.endpoint, request_checksum_calculation="when_required", response_checksum_validation="when_required")
    sent: list[str] = []
    quiet.meta.events.register("before-send.s3.UploadPart", lambda request, **_: sent.extend(k.lower() for k in request.headers))
    upload_id = quiet.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
    response = quiet.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"quiet part")
    assert sent and not [h for h in sent if h.startswith("x-amz-checksum") or h == "x-amz-trailer"]
    assert response["ChecksumCRC32"] == _b64(_crc32(b"quiet part"))
    part = quiet.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"][0]
    assert part["ChecksumCRC32"] == _b64(_crc32(b"quiet part"))
    done = [{"PartNumber": 1, "ETag": response["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]}]
    completed = quiet.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ChecksumCRC32"] == _composite(_crc32, [b"quiet part"])


def test_upload_without_checksum_algorithm_accepts_boto3_default_crc32_parts(s3: Any, bucket: str) -> None:
    # boto3 sends a CRC32 with every part by default (request_checksum_calculation=when_supported).
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    response = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"plain")
    assert response["ChecksumCRC32"] == _b64(_crc32(b"plain"))
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": response["ETag"]}]})
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 5 and "ChecksumType" not in head


def test_list_multipart_uploads_shows_each_uploads_checksum_algorithm(s3: Any, bucket: str) -> None:
    s3.create_multipart_upload(Bucket=bucket, Key="a", ChecksumAlgorithm="SHA1")
    s3.create_multipart_upload(Bucket=bucket, Key="b")
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert (uploads[0].get("ChecksumAlgorithm"), uploads[0].get("ChecksumType")) == ("SHA1", "COMPOSITE")
    assert "ChecksumAlgorithm" not in uploads[1]


def test_upload_part_copy_computes_the_part_checksum_of_the_upload(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="source", Body=b"copied bytes")
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dest", ChecksumAlgorithm="SHA256")["UploadId"]
    copied = s3.upload_part_copy(Bucket=bucket, Key="dest", UploadId=upload_id, PartNumber=1, CopySource=f"{bucket}/source", CopySourceRange="bytes=0-5")
    assert copied["CopyPartResult"]["ChecksumSHA256"] == _b64(_sha256(b"copied"))
    done = [{"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"], "ChecksumSHA256": copied["CopyPartResult"]["ChecksumSHA256"]}]
    completed = s3.complete_multipart_upload(Bucket=bucket, Key="dest", UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ChecksumSHA256"] == _composite(_sha256, [b"copied"])
    assert s3.get_object(Bucket=bucket, Key="dest")["Body"].read() == b"copied"


def test_complete_with_a_malformed_object_checksum_is_bad_digest_and_changes_nothing(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "SHA256", [b"one"])
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumSHA256="bad")
    assert _error(err) == ("BadDigest", 400)
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=upload_id)["Parts"]) == 1


def test_retried_complete_returns_the_same_etag_and_checksum(s3: Any, bucket: str) -> None:
    upload_id, done = _upload_with(s3, bucket, "k", "SHA256", PARTS)
    expected = _composite(_sha256, PARTS)
    first = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumSHA256=expected)
    again = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": done}, ChecksumSHA256=expected)
    assert first["ChecksumSHA256"] == again["ChecksumSHA256"] == expected
    assert first["ETag"] == again["ETag"] and again["ChecksumType"] == "COMPOSITE"


@pytest.mark.parametrize(("algorithm", "checksum_type"), [("CRC32", "COMPOSITE"), ("CRC64NVME", "FULL_OBJECT"), ("SHA1", "COMPOSITE")])
def test_complete_head_and_part_gets_report_checksums_and_type(s3, bucket: str, algorithm: str, checksum_type: str) -> None:
    import os as _os

    key = "three"
    bodies = [_os.urandom(5 * 1024 * 1024), _os.urandom(5 * 1024 * 1024), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, ChecksumType=checksum_type)["UploadId"]
    field = "Checksum" + algorithm
    parts = []
    for number, body in enumerate(bodies, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=body, ChecksumAlgorithm=algorithm)
        parts.append({"ETag": r["ETag"], "PartNumber": number, field: r[field]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    assert done["ChecksumType"] == checksum_type
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert (head["ChecksumType"], head[field]) == (checksum_type, done[field])
    for part in parts:
        got = s3.get_object(Bucket=bucket, Key=key, PartNumber=part["PartNumber"])
        assert (got["ChecksumType"], got[field]) == (checksum_type, part[field])
