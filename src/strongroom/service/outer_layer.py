"""DSSE-KMS's second layer: the inner sealed blob's bytes, sealed again as a sealed blob of their own.

Dual-layer encryption (docs/formats/sealed-blob.md, "DSSE-KMS: two layers"): the inner blob (header
and segments, under the KMS-wrapped data key) is the plaintext of an outer blob under an independent
data key of the server's own hierarchy, with the same blob id and the outer-layer header flag. On the
write path ``OuterWriter`` sits between the inner sealer and the blob writer; on the read path
``OuterLayerReader`` answers the inner reader's byte-range reads by opening only the outer segments
those ranges cover, so a range read stays O(segment size) and touches only what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..crypto.sealed import HEADER_BYTES, TAG_BYTES, Opener, Sealer, segment_count

__all__ = ["OuterWriter", "OuterLayerReader", "outer_context", "LAYER_CONTEXT_KEY"]

# Added to the outer data key's encryption context so it can never pass for the inner one: part of
# the metadata format (every DSSE extent's outer key is wrapped under it).
LAYER_CONTEXT_KEY = "strongroom:layer"


def outer_context(context: Mapping[str, str]) -> dict[str, str]:
    """The encryption context of an extent's outer data key: the inner one's, marked as the outer layer."""
    return {**context, LAYER_CONTEXT_KEY: "outer"}


class _Sink(Protocol):
    def write(self, data: bytes | memoryview) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...

    @property
    def inline_bytes(self) -> bytes | None: ...


class OuterWriter:
    """Seals everything written to it (the inner blob) into outer segments, then passes them on.

    Holds at most one outer segment of bytes; the last outer segment is sealed on ``commit``.
    """

    def __init__(self, sealer: Sealer, sink: _Sink) -> None:
        self._sealer = sealer
        self._sink = sink
        self._buffer = bytearray()
        sink.write(sealer.header)

    def write(self, data: bytes | memoryview) -> None:
        self._buffer += data
        size = self._sealer.segment_bytes
        while len(self._buffer) > size:  # more follows, so this segment is not the last
            with memoryview(self._buffer) as view:
                sealed = self._sealer.seal_segment(view[:size], last=False)
            self._sink.write(sealed)
            del self._buffer[:size]

    def commit(self) -> None:
        self._sink.write(self._sealer.seal_segment(bytes(self._buffer), last=True))
        self._buffer = bytearray()
        self._sink.commit()

    def abort(self) -> None:
        self._buffer = bytearray()
        self._sink.abort()

    @property
    def inline_bytes(self) -> bytes | None:
        """The whole two-layer blob, if it stayed small enough to live in the metadata."""
        return self._sink.inline_bytes


class _Source(Protocol):
    def read_range(self, blob_id: str, offset: int, length: int) -> bytes: ...


class OuterLayerReader:
    """Reads inner-blob bytes out of a two-layer blob; IntegrityError on any failure (blocking)."""

    def __init__(self, source: _Source, blob_id: str, key: DataKey, inner_length: int) -> None:
        self._source = source
        self._blob_id = blob_id
        self._key = key
        self._inner_length = inner_length
        self._opener: Opener | None = None
        self._last: tuple[int, bytes] | None = None  # the outer segment opened last (reads move forward)

    def read_range(self, blob_id: str, offset: int, length: int) -> bytes:
        """Inner-blob bytes offset..offset+length (fewer only past the inner blob's end)."""
        opener = self._open_header()
        size = opener.segment_bytes
        end = min(offset + length, self._inner_length)
        out = bytearray()
        if offset >= end:
            return b""
        for index in range(offset // size, (end - 1) // size + 1):
            plaintext = self._segment(opener, index)
            base = index * size
            out += plaintext[max(offset, base) - base : min(end, base + size) - base]
        return bytes(out)

    def _open_header(self) -> Opener:
        if self._opener is None:
            header = self._source.read_range(self._blob_id, 0, HEADER_BYTES)
            if len(header) != HEADER_BYTES:
                raise IntegrityError("short outer header")
            self._opener = Opener(self._key, bytes.fromhex(self._blob_id), header, outer_layer=True)
        return self._opener

    def _segment(self, opener: Opener, index: int) -> bytes:
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        size = opener.segment_bytes
        last_index = segment_count(self._inner_length, size) - 1
        if index > last_index:
            raise IntegrityError("read past the outer layer")
        plain_len = size if index < last_index else self._inner_length - index * size
        sealed = self._source.read_range(self._blob_id, HEADER_BYTES + index * (size + TAG_BYTES), plain_len + TAG_BYTES)
        if len(sealed) != plain_len + TAG_BYTES:
            raise IntegrityError("short outer segment")
        plaintext = opener.open_segment(index, sealed, last=index == last_index)
        self._last = (index, plaintext)
        return plaintext
