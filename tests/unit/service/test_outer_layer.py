"""service/outer_layer.py: DSSE's second layer. Written through OuterWriter, an inner sealed blob is a
valid outer-layer sealed blob; OuterLayerReader gives back any byte range of the inner blob, and
fails (IntegrityError, never bytes) for a wrong key, a truncated or tampered outer layer."""

from __future__ import annotations

import os

import pytest

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import DataKey
from strongroom.crypto.sealed import Sealer, open_all, seal_all, sealed_length
from strongroom.service.outer_layer import OuterLayerReader, OuterWriter, outer_context

SEG = 32
BLOB_ID = os.urandom(16).hex()


class _Memory:
    """The smallest sink and source: a bytearray."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = bytearray(data)
        self.committed = self.aborted = False

    def write(self, data: bytes | memoryview) -> None:
        self.data += data

    def commit(self) -> None:
        self.committed = True

    def abort(self) -> None:
        self.aborted = True

    @property
    def inline_bytes(self) -> bytes | None:
        return bytes(self.data)

    def read_range(self, blob_id: str, offset: int, length: int) -> bytes:
        return bytes(self.data[offset : offset + length])


def _two_layers(inner: bytes, outer_key: DataKey, pieces: int = 7) -> bytes:
    sink = _Memory()
    writer = OuterWriter(Sealer(outer_key, bytes.fromhex(BLOB_ID), SEG, outer_layer=True), sink)
    step = max(1, len(inner) // pieces)
    for i in range(0, len(inner), step):  # uneven writes, as the inner sealer produces them
        writer.write(inner[i : i + step])
    writer.commit()
    assert sink.committed and writer.inline_bytes == bytes(sink.data)
    return bytes(sink.data)


@pytest.mark.parametrize("plain_len", [0, 1, SEG, 3 * SEG + 5])
def test_outer_writer_output_is_an_outer_layer_blob_of_the_inner_blob(plain_len: int) -> None:
    inner_key, outer_key = DataKey.generate(), DataKey.generate()
    inner = seal_all(inner_key, bytes.fromhex(BLOB_ID), os.urandom(plain_len), SEG)
    stored = _two_layers(inner, outer_key)
    assert len(stored) == sealed_length(len(inner), SEG)
    assert open_all(outer_key, bytes.fromhex(BLOB_ID), stored, len(inner), outer_layer=True) == inner


def test_reader_returns_every_range_of_the_inner_blob() -> None:
    outer_key = DataKey.generate()
    inner = seal_all(DataKey.generate(), bytes.fromhex(BLOB_ID), os.urandom(5 * SEG + 3), SEG)
    reader = OuterLayerReader(_Memory(_two_layers(inner, outer_key)), BLOB_ID, outer_key, len(inner))
    for offset in range(0, len(inner), 7):
        for length in (1, SEG - 1, SEG + 16, 3 * SEG):
            assert reader.read_range(BLOB_ID, offset, length) == inner[offset : offset + length], (offset, length)
    assert reader.read_range(BLOB_ID, len(inner), 10) == b""


def test_wrong_key_truncation_and_tampering_raise() -> None:
    outer_key = DataKey.generate()
    inner = seal_all(DataKey.generate(), bytes.fromhex(BLOB_ID), os.urandom(4 * SEG), SEG)
    stored = _two_layers(inner, outer_key)
    with pytest.raises(IntegrityError):
        OuterLayerReader(_Memory(stored), BLOB_ID, DataKey.generate(), len(inner)).read_range(BLOB_ID, 0, 10)
    with pytest.raises(IntegrityError):
        OuterLayerReader(_Memory(stored[:-5]), BLOB_ID, outer_key, len(inner)).read_range(BLOB_ID, len(inner) - 3, 3)
    flipped = bytearray(stored)
    flipped[len(stored) // 2] ^= 1
    with pytest.raises(IntegrityError):
        OuterLayerReader(_Memory(bytes(flipped)), BLOB_ID, outer_key, len(inner)).read_range(BLOB_ID, 0, len(inner))
    with pytest.raises(IntegrityError):  # a one-layer blob is not an outer layer (the header flag says so)
        OuterLayerReader(_Memory(inner), BLOB_ID, outer_key, len(inner)).read_range(BLOB_ID, 0, 1)


def test_outer_context_marks_the_layer_and_keeps_the_rest() -> None:
    context = {"aws:s3:arn": "arn:aws:s3:::b/k", "strongroom:blob": BLOB_ID}
    assert outer_context(context) == {**context, "strongroom:layer": "outer"}
