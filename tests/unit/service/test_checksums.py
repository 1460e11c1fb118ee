"""Object checksums: known vectors, incremental updates, composite and full-object multipart values."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.errors import S3Error
from strongroom.service.checksums import (
    ALLOWED_CHECKSUM_TYPES,
    ChecksumAlgorithm,
    ChecksumType,
    combine_full_object,
    composite_checksum,
    new_checksum,
    parse_checksum_algorithm,
    parse_checksum_header_value,
    require_checksum_type,
)

CRCS = [ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.CRC64NVME]


def _digest(algorithm: ChecksumAlgorithm, data: bytes) -> bytes:
    checksum = new_checksum(algorithm)
    checksum.update(data)
    return checksum.digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- vectors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "check_value"),
    [
        # The catalogue "check" values: the CRC of b"123456789".
        (ChecksumAlgorithm.CRC32, 0xCBF43926),
        (ChecksumAlgorithm.CRC32C, 0xE3069283),
        (ChecksumAlgorithm.CRC64NVME, 0xAE8B14860A799888),
    ],
)
def test_crc_check_values(algorithm: ChecksumAlgorithm, check_value: int) -> None:
    assert _digest(algorithm, b"123456789") == check_value.to_bytes(algorithm.digest_size, "big")


def test_crc32_matches_zlib() -> None:
    for data in [b"", b"hello world", bytes(range(256)) * 10]:
        assert _digest(ChecksumAlgorithm.CRC32, data) == zlib.crc32(data).to_bytes(4, "big")


def test_crc32c_of_the_aws_chunked_example_payload_matches_its_trailer() -> None:
    checksum = new_checksum(ChecksumAlgorithm.CRC32C)
    checksum.update(b"a" * 66560)
    assert checksum.b64() == "sOO8/Q=="  # the trailer value in the AWS sigv4-streaming-trailers example


@pytest.mark.parametrize("algorithm", [ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256])
def test_sha_checksums_match_hashlib(algorithm: ChecksumAlgorithm) -> None:
    expected = hashlib.new(algorithm.value.lower(), b"hello world").digest()
    assert _digest(algorithm, b"hello world") == expected
    assert len(expected) == algorithm.digest_size


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6))
def test_incremental_updates_equal_one_shot(data: bytes, cuts: list[int]) -> None:
    points = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    for algorithm in ChecksumAlgorithm:
        checksum = new_checksum(algorithm)
        for start, end in zip(points, points[1:], strict=False):
            checksum.update(data[start:end])
        assert checksum.digest() == _digest(algorithm, data)
        assert checksum.algorithm is algorithm


def test_header_names_are_wire_names() -> None:
    assert ChecksumAlgorithm.CRC32.header_name == "x-amz-checksum-crc32"
    assert ChecksumAlgorithm.CRC32C.header_name == "x-amz-checksum-crc32c"
    assert ChecksumAlgorithm.CRC64NVME.header_name == "x-amz-checksum-crc64nvme"
    assert ChecksumAlgorithm.SHA1.header_name == "x-amz-checksum-sha1"
    assert ChecksumAlgorithm.SHA256.header_name == "x-amz-checksum-sha256"


# --- multipart ----------------------------------------------------------------------------------------


def test_allowed_types_follow_the_s3_table() -> None:
    full = {a for a, types in ALLOWED_CHECKSUM_TYPES.items() if ChecksumType.FULL_OBJECT in types}
    composite = {a for a, types in ALLOWED_CHECKSUM_TYPES.items() if ChecksumType.COMPOSITE in types}
    assert full == set(CRCS)
    assert composite == {
        ChecksumAlgorithm.CRC32,
        ChecksumAlgorithm.CRC32C,
        ChecksumAlgorithm.SHA1,
        ChecksumAlgorithm.SHA256,
    }


@pytest.mark.parametrize(
    ("algorithm", "checksum_type"),
    [
        (ChecksumAlgorithm.CRC64NVME, ChecksumType.COMPOSITE),
        (ChecksumAlgorithm.SHA256, ChecksumType.FULL_OBJECT),
    ],
)
def test_disallowed_combination_is_invalid_request(
    algorithm: ChecksumAlgorithm, checksum_type: ChecksumType
) -> None:
    with pytest.raises(S3Error) as caught:
        require_checksum_type(algorithm, checksum_type)
    assert caught.value.code == "InvalidRequest" and caught.value.status == 400


def test_composite_is_checksum_of_concatenated_part_digests_with_part_count() -> None:
    parts = [b"a" * 100, b"b" * 50, b"c"]
    for algorithm in [
        ChecksumAlgorithm.CRC32,
        ChecksumAlgorithm.CRC32C,
        ChecksumAlgorithm.SHA1,
        ChecksumAlgorithm.SHA256,
    ]:
        digests = [_digest(algorithm, part) for part in parts]
        expected = _b64(_digest(algorithm, b"".join(digests))) + "-3"
        assert composite_checksum(algorithm, digests) == expected


def test_composite_sha256_known_value() -> None:
    digests = [hashlib.sha256(b"part1").digest(), hashlib.sha256(b"part2").digest()]
    expected = _b64(hashlib.sha256(digests[0] + digests[1]).digest()) + "-2"
    assert composite_checksum(ChecksumAlgorithm.SHA256, digests) == expected


def test_composite_rejects_crc64nvme() -> None:
    with pytest.raises(S3Error):
        composite_checksum(ChecksumAlgorithm.CRC64NVME, [bytes(8)])


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.binary(max_size=600), max_size=6))
def test_full_object_combine_equals_crc_of_concatenation(parts: list[bytes]) -> None:
    for algorithm in CRCS:
        combined = combine_full_object(algorithm, [(_digest(algorithm, p), len(p)) for p in parts])
        assert combined == _b64(_digest(algorithm, b"".join(parts)))


def test_full_object_combine_of_large_parts() -> None:
    parts = [b"x" * (5 * 1024 * 1024), b"y" * 12345]
    for algorithm in CRCS:
        combined = combine_full_object(algorithm, [(_digest(algorithm, p), len(p)) for p in parts])
        assert combined == _b64(_digest(algorithm, b"".join(parts)))


def test_full_object_rejects_sha() -> None:
    with pytest.raises(S3Error):
        combine_full_object(ChecksumAlgorithm.SHA1, [(bytes(20), 1)])


# --- parsing ------------------------------------------------------------------------------------------


def test_checksum_header_value_round_trips() -> None:
    for algorithm in ChecksumAlgorithm:
        digest = _digest(algorithm, b"hello world")
        assert parse_checksum_header_value(algorithm, _b64(digest)) == digest


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [
        (ChecksumAlgorithm.CRC32, "AAAA"),  # 3 bytes
        (ChecksumAlgorithm.CRC32, "AAAAAAAA"),  # 6 bytes
        (ChecksumAlgorithm.CRC32, "not base64!"),
        (ChecksumAlgorithm.CRC32, "AAAAAA"),  # missing padding
        (ChecksumAlgorithm.CRC32, "AAAAAB=="),  # non-canonical padding bits
        (ChecksumAlgorithm.CRC32, ""),
        (ChecksumAlgorithm.CRC32, "ÄAAAAA=="),
        (ChecksumAlgorithm.SHA256, _b64(bytes(20))),
        (ChecksumAlgorithm.CRC64NVME, _b64(bytes(4))),
    ],
)
def test_malformed_checksum_value_is_invalid_request(algorithm: ChecksumAlgorithm, value: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_checksum_header_value(algorithm, value)
    assert caught.value.code == "InvalidRequest"
    assert caught.value.message == f"Value for {algorithm.header_name} header is invalid."


def test_checksum_algorithm_parses_case_insensitively() -> None:
    assert parse_checksum_algorithm("crc32c") is ChecksumAlgorithm.CRC32C
    assert parse_checksum_algorithm("SHA256") is ChecksumAlgorithm.SHA256
    with pytest.raises(S3Error) as caught:
        parse_checksum_algorithm("MD5")
    assert caught.value.code == "InvalidRequest"
