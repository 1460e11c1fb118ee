"""The KMS ciphertext blob: round trip, the header names the key, and every tamper is an IntegrityError."""

from __future__ import annotations

import pytest

from strongroom.crypto.envelope import encode_context
from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.crypto.kmsblob import BlobHeader, open_ciphertext, read_header, seal_ciphertext

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CTX = encode_context({"purpose": "test"})


def test_round_trip_and_header_names_the_key() -> None:
    key = DataKey.generate()
    blob = seal_ciphertext(key, KEY_ID, 0, b"secret", CTX)
    assert read_header(blob) == BlobHeader(KEY_ID, 0)
    assert open_ciphertext(key, blob, CTX) == b"secret"
    assert b"secret" not in blob


def test_two_encryptions_differ() -> None:
    key = DataKey.generate()
    assert seal_ciphertext(key, KEY_ID, 0, b"x", CTX) != seal_ciphertext(key, KEY_ID, 0, b"x", CTX)


def test_other_context_or_key_fails() -> None:
    key = DataKey.generate()
    blob = seal_ciphertext(key, KEY_ID, 0, b"secret", CTX)
    with pytest.raises(IntegrityError):
        open_ciphertext(key, blob, encode_context({"purpose": "other"}))
    with pytest.raises(IntegrityError):
        open_ciphertext(key, blob, encode_context({}))
    with pytest.raises(IntegrityError):
        open_ciphertext(DataKey.generate(), blob, CTX)


def test_relabelled_header_fails() -> None:
    key = DataKey.generate()
    blob = seal_ciphertext(key, KEY_ID, 0, b"secret", CTX)
    other_id = blob.replace(KEY_ID.encode(), KEY_ID[:-1].encode() + b"c")
    with pytest.raises(IntegrityError):
        open_ciphertext(key, other_id, CTX)
    generation = 2 + len(KEY_ID)
    bumped = blob[:generation] + b"\x00\x00\x00\x01" + blob[generation + 4 :]
    with pytest.raises(IntegrityError):
        open_ciphertext(key, bumped, CTX)


@pytest.mark.parametrize("index", [0, 1, 10, 45, -1, -17])
def test_any_flipped_byte_fails(index: int) -> None:
    key = DataKey.generate()
    blob = bytearray(seal_ciphertext(key, KEY_ID, 0, b"secret", CTX))
    blob[index] ^= 0x01
    with pytest.raises(IntegrityError):
        open_ciphertext(key, bytes(blob), CTX)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x02" + b"\x00" * 80, b"\x01\x00" + b"\x00" * 80, b"\x01\x24" + b"a" * 30, b"\x01\x01\xff" + b"\x00" * 40])
def test_malformed_blobs_are_integrity_errors(blob: bytes) -> None:
    with pytest.raises(IntegrityError):
        read_header(blob)


def test_truncated_blob_fails() -> None:
    key = DataKey.generate()
    blob = seal_ciphertext(key, KEY_ID, 0, b"secret", CTX)
    for cut in (1, 5, len(blob) - 1):
        with pytest.raises(IntegrityError):
            open_ciphertext(key, blob[:cut], CTX)
