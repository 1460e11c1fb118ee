"""Sealed blob format v1: round trips, committed vectors, tamper detection and range arithmetic."""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto import (
    HEADER_BYTES,
    SEGMENT_BYTES,
    TAG_BYTES,
    DataKey,
    IntegrityError,
    Opener,
    Sealer,
    open_all,
    seal_all,
    sealed_length,
    segment_count,
    span_for_range,
)

SEG = 16
VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors" / "sealed_v1.json").read_text())
KEY = DataKey.generate()
BLOB_ID = bytes.fromhex("00112233445566778899aabbccddeeff")


LENGTHS: dict[str, Callable[[int], int]] = {
    "0": lambda seg: 0,
    "1": lambda seg: 1,
    "seg-1": lambda seg: seg - 1,
    "seg": lambda seg: seg,
    "seg+1": lambda seg: seg + 1,
    "3*seg": lambda seg: 3 * seg,
    "3*seg+5": lambda seg: 3 * seg + 5,
}


def _payload(n: int) -> bytes:
    return os.urandom(n)


def _segments(blob: bytes, seg: int) -> list[bytes]:
    body, stride = blob[HEADER_BYTES:], seg + TAG_BYTES
    return [body[i : i + stride] for i in range(0, len(body), stride)]


# Round trips


@pytest.mark.parametrize("seg", [16, 17, 64])
@pytest.mark.parametrize("length", sorted(LENGTHS))
def test_round_trip_preserves_plaintext_and_predicted_length(seg: int, length: str) -> None:
    n = LENGTHS[length](seg)
    plaintext = _payload(n)
    blob = seal_all(KEY, BLOB_ID, plaintext, seg)
    assert len(blob) == sealed_length(n, seg) == HEADER_BYTES + n + TAG_BYTES * segment_count(n, seg)
    assert open_all(KEY, BLOB_ID, blob, n) == plaintext


def test_empty_object_is_one_empty_last_segment() -> None:
    assert segment_count(0, SEG) == 1
    assert len(seal_all(KEY, BLOB_ID, b"", SEG)) == HEADER_BYTES + TAG_BYTES


def test_default_segment_size_is_one_mebibyte_and_header_has_fixed_size() -> None:
    assert SEGMENT_BYTES == 1 << 20
    blob = seal_all(KEY, BLOB_ID, b"x" * (SEGMENT_BYTES + 1))
    assert len(Sealer(KEY, BLOB_ID).header) == HEADER_BYTES == 49
    assert open_all(KEY, BLOB_ID, blob, SEGMENT_BYTES + 1) == b"x" * (SEGMENT_BYTES + 1)


def test_two_seals_of_same_plaintext_differ() -> None:
    assert seal_all(KEY, BLOB_ID, b"same", SEG) != seal_all(KEY, BLOB_ID, b"same", SEG)


# Committed vectors


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: str(c["name"]))
def test_vectors_seal_and_open_byte_for_byte(case: dict[str, Any]) -> None:
    key = DataKey.from_bytes(bytes.fromhex(VECTORS["key_hex"]))
    blob_id = bytes.fromhex(VECTORS["blob_id_hex"])
    fixed = (bytes.fromhex(VECTORS["salt_hex"]), bytes.fromhex(VECTORS["nonce_prefix_hex"]))
    plaintext, sealed = bytes.fromhex(case["plaintext_hex"]), bytes.fromhex(case["sealed_hex"])
    outer = bool(case["outer_layer"])
    blob = seal_all(
        key, blob_id, plaintext, case["segment_bytes"], outer_layer=outer, _salt_and_prefix_for_tests=fixed
    )
    assert blob == sealed
    assert open_all(key, blob_id, sealed, len(plaintext), outer_layer=outer) == plaintext


def test_two_layer_vector_seals_the_inner_blob_again_and_opens_layer_by_layer() -> None:
    # DSSE-KMS (docs/formats/sealed-blob.md, "two layers"): the inner blob is the outer blob's plaintext.
    two = VECTORS["two_layer"]
    case = next(c for c in VECTORS["cases"] if c["name"] == two["inner_case"])
    blob_id = bytes.fromhex(VECTORS["blob_id_hex"])
    inner_key = DataKey.from_bytes(bytes.fromhex(VECTORS["key_hex"]))
    outer_key = DataKey.from_bytes(bytes.fromhex(two["outer_key_hex"]))
    inner, sealed = bytes.fromhex(case["sealed_hex"]), bytes.fromhex(two["sealed_hex"])
    fixed = (bytes.fromhex(two["outer_salt_hex"]), bytes.fromhex(two["outer_nonce_prefix_hex"]))
    assert seal_all(outer_key, blob_id, inner, two["segment_bytes"], outer_layer=True, _salt_and_prefix_for_tests=fixed) == sealed
    peeled = open_all(outer_key, blob_id, sealed, len(inner), outer_layer=True)
    assert peeled == inner
    assert open_all(inner_key, blob_id, peeled, len(bytes.fromhex(case["plaintext_hex"]))) == bytes.fromhex(case["plaintext_hex"])
    with pytest.raises(IntegrityError):  # each layer opens only with its own key
        open_all(inner_key, blob_id, sealed, len(inner), outer_layer=True)
    with pytest.raises(IntegrityError):  # and only as the layer it is
        open_all(outer_key, blob_id, sealed, len(inner))


def test_vector_matches_the_documented_construction() -> None:
    # Rebuilds one vector from docs/formats/sealed-blob.md with raw primitives, independently of sealed.py.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    case = next(c for c in VECTORS["cases"] if c["name"] == "three-segments-short-last")
    ikm, blob_id = bytes.fromhex(VECTORS["key_hex"]), bytes.fromhex(VECTORS["blob_id_hex"])
    salt, prefix = bytes.fromhex(VECTORS["salt_hex"]), bytes.fromhex(VECTORS["nonce_prefix_hex"])
    plaintext, seg = bytes.fromhex(case["plaintext_hex"]), case["segment_bytes"]
    header = b"SRSB" + bytes([1, 0]) + struct.pack(">I", seg) + salt + prefix
    info = b"strongroom sealed v1" + blob_id
    aead = AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm))
    chunks = [plaintext[i : i + seg] for i in range(0, len(plaintext), seg)]
    body = b"".join(
        aead.encrypt(
            prefix + struct.pack(">IB", i, i == len(chunks) - 1),
            chunk,
            blob_id + struct.pack(">QB", i, i == len(chunks) - 1),
        )
        for i, chunk in enumerate(chunks)
    )
    assert header + body == bytes.fromhex(case["sealed_hex"])


# Tamper detection: every failure is the same IntegrityError

TAMPER_PLAINTEXT = bytes(range(3 * SEG + 5))
TAMPER_BLOB = seal_all(KEY, BLOB_ID, TAMPER_PLAINTEXT, SEG)


@settings(max_examples=300)
@given(position=st.integers(0, len(TAMPER_BLOB) - 1), bit=st.integers(0, 7))
def test_flipping_any_bit_is_integrity_error(position: int, bit: int) -> None:
    tampered = bytearray(TAMPER_BLOB)
    tampered[position] ^= 1 << bit
    with pytest.raises(IntegrityError) as raised:
        open_all(KEY, BLOB_ID, bytes(tampered), len(TAMPER_PLAINTEXT))
    assert str(raised.value) == "integrity check failed"


def _open_fails(blob: bytes, plaintext_length: int, *, blob_id: bytes = BLOB_ID, key: DataKey = KEY) -> None:
    with pytest.raises(IntegrityError):
        open_all(key, blob_id, blob, plaintext_length)


def test_dropping_last_segment_is_integrity_error_even_with_matching_length() -> None:
    segments = _segments(TAMPER_BLOB, SEG)
    truncated = TAMPER_BLOB[:HEADER_BYTES] + b"".join(segments[:-1])
    _open_fails(truncated, len(TAMPER_PLAINTEXT))
    _open_fails(truncated, 3 * SEG)  # metadata lying about the length does not help
    opener = Opener(KEY, BLOB_ID, TAMPER_BLOB[:HEADER_BYTES])
    with pytest.raises(IntegrityError):  # the new final segment was sealed with last = 0
        opener.open_segment(2, segments[2], last=True)


@pytest.mark.parametrize("cut", [1, TAG_BYTES, SEG + 1])
def test_cutting_the_blob_mid_segment_is_integrity_error(cut: int) -> None:
    _open_fails(TAMPER_BLOB[:-cut], len(TAMPER_PLAINTEXT))
    _open_fails(TAMPER_BLOB[:-cut], len(TAMPER_PLAINTEXT) - cut)


def test_truncating_into_the_header_is_integrity_error() -> None:
    _open_fails(TAMPER_BLOB[: HEADER_BYTES - 1], 0)
    _open_fails(b"", 0)


def test_reordering_two_segments_is_integrity_error() -> None:
    s = _segments(TAMPER_BLOB, SEG)
    _open_fails(TAMPER_BLOB[:HEADER_BYTES] + s[1] + s[0] + s[2] + s[3], len(TAMPER_PLAINTEXT))


def test_splicing_a_segment_from_another_blob_with_same_key_is_integrity_error() -> None:
    other = seal_all(KEY, BLOB_ID, TAMPER_PLAINTEXT, SEG)  # same key, same id, same plaintext
    s, o = _segments(TAMPER_BLOB, SEG), _segments(other, SEG)
    _open_fails(TAMPER_BLOB[:HEADER_BYTES] + s[0] + o[1] + s[2] + s[3], len(TAMPER_PLAINTEXT))


def test_opening_blob_a_as_blob_b_is_integrity_error() -> None:
    other_id = os.urandom(16)
    blob_b = seal_all(KEY, other_id, b"b" * len(TAMPER_PLAINTEXT), SEG)
    _open_fails(TAMPER_BLOB, len(TAMPER_PLAINTEXT), blob_id=other_id)
    _open_fails(blob_b, len(TAMPER_PLAINTEXT), blob_id=BLOB_ID)


def test_wrong_key_is_integrity_error() -> None:
    _open_fails(TAMPER_BLOB, len(TAMPER_PLAINTEXT), key=DataKey.generate())


def test_appending_bytes_is_integrity_error() -> None:
    _open_fails(TAMPER_BLOB + b"\x00", len(TAMPER_PLAINTEXT))
    _open_fails(TAMPER_BLOB + TAMPER_BLOB[-(SEG + TAG_BYTES) :], len(TAMPER_PLAINTEXT) + SEG)


def test_opening_segment_of_wrong_size_is_integrity_error() -> None:
    opener = Opener(KEY, BLOB_ID, TAMPER_BLOB[:HEADER_BYTES])
    first = _segments(TAMPER_BLOB, SEG)[0]
    for bad in (first[:-1], first + b"\x00", b""):
        with pytest.raises(IntegrityError):
            opener.open_segment(0, bad, last=False)
    assert opener.open_segment(0, first, last=False) == TAMPER_PLAINTEXT[:SEG]


@pytest.mark.parametrize(
    "patch",
    [
        (0, b"XRSB"),  # magic
        (4, b"\x02"),  # version
        (5, b"\x80"),  # reserved flag bit
        (5, b"\x01"),  # outer-layer bit when an inner blob was expected
        (6, struct.pack(">I", 15)),  # segment size below the minimum
        (6, struct.pack(">I", (16 << 20) + 1)),  # segment size above the maximum
    ],
)
def test_opener_rejects_bad_header(patch: tuple[int, bytes]) -> None:
    offset, replacement = patch
    header = bytearray(TAMPER_BLOB[:HEADER_BYTES])
    header[offset : offset + len(replacement)] = replacement
    with pytest.raises(IntegrityError):
        Opener(KEY, BLOB_ID, bytes(header))


def test_outer_layer_bit_must_match_what_the_caller_expects() -> None:
    inner = seal_all(KEY, BLOB_ID, b"secret", SEG)
    outer_key = DataKey.generate()
    outer = seal_all(outer_key, BLOB_ID, inner, SEG, outer_layer=True)
    with pytest.raises(IntegrityError):
        open_all(outer_key, BLOB_ID, outer, len(inner))
    opened = open_all(outer_key, BLOB_ID, outer, len(inner), outer_layer=True)
    assert open_all(KEY, BLOB_ID, opened, 6) == b"secret"


# Sealer misuse is a programmer error (ValueError), not an integrity failure


def test_sealer_refuses_short_middle_segment_calls_after_last_and_oversize_last() -> None:
    sealer = Sealer(KEY, BLOB_ID, SEG)
    with pytest.raises(ValueError):
        sealer.seal_segment(b"x" * (SEG - 1), last=False)
    with pytest.raises(ValueError):
        sealer.seal_segment(b"x" * (SEG + 1), last=True)
    sealer.seal_segment(b"x" * SEG, last=False)
    with pytest.raises(ValueError):  # an empty last segment only for an empty blob
        sealer.seal_segment(b"", last=True)
    sealer.seal_segment(b"x", last=True)
    with pytest.raises(ValueError):
        sealer.seal_segment(b"x", last=True)


@pytest.mark.parametrize("blob_id", [b"", b"x" * 15, b"x" * 17])
def test_blob_id_must_be_sixteen_bytes(blob_id: bytes) -> None:
    with pytest.raises(ValueError):
        Sealer(KEY, blob_id, SEG)


@pytest.mark.parametrize("seg", [0, 15, (16 << 20) + 1])
def test_segment_size_out_of_range_is_refused(seg: int) -> None:
    with pytest.raises(ValueError):
        Sealer(KEY, BLOB_ID, seg)


# Ranges decrypt only the segments they cover


@settings(max_examples=200)
@given(data=st.data(), seg=st.sampled_from([16, 17, 32]), length=st.integers(1, 150))
def test_span_for_range_opens_only_covered_segments(data: st.DataObject, seg: int, length: int) -> None:
    start = data.draw(st.integers(0, length - 1))
    end = data.draw(st.integers(start, length - 1))
    plaintext = bytes(i % 251 for i in range(length))
    blob = seal_all(KEY, BLOB_ID, plaintext, seg)
    span = span_for_range(start, end, length, seg)
    covered = blob[span.sealed_offset : span.sealed_offset + span.sealed_length]
    assert len(covered) == span.sealed_length
    opener = Opener(KEY, BLOB_ID, blob[:HEADER_BYTES])
    last_index = segment_count(length, seg) - 1
    stride = seg + TAG_BYTES
    out = b"".join(
        opener.open_segment(
            i, covered[(i - span.first) * stride : (i - span.first + 1) * stride], last=i == last_index
        )
        for i in range(span.first, span.last + 1)
    )
    assert out[span.skip : span.skip + end - start + 1] == plaintext[start : end + 1]


@pytest.mark.parametrize("bounds", [(-1, 0), (1, 0), (0, 10), (10, 10)])
def test_span_for_range_refuses_ranges_outside_the_plaintext(bounds: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        span_for_range(bounds[0], bounds[1], 10, SEG)
