"""The sealed blob format v1: streaming AES-256-GCM segments (docs/formats/sealed-blob.md).

This module owns every byte layout of a stored blob: the header, per-blob key derivation (HKDF-SHA256 over
the data key with a random salt and the blob id), segment nonces and associated data, the sealed length and
the range-to-segment arithmetic. It follows Tink's AES-GCM-HKDF streaming AEAD; callers never pass nonces.

Guarantee: ``Opener`` releases a segment's plaintext only if that exact segment was sealed at that index, with
that last-segment flag, for this blob id and this data key; so truncation, reordering, splicing and swapping
blobs all raise ``IntegrityError``. ``Sealer``/``Opener`` are per-blob objects (one AESGCM each); the
module-level functions are stateless.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.crypto.errors import IntegrityError
from strongroom.crypto.keys import KEY_BYTES, DataKey

__all__ = [
    "BLOB_ID_BYTES",
    "FLAG_OUTER_LAYER",
    "HEADER_BYTES",
    "MAX_SEGMENT_BYTES",
    "MIN_SEGMENT_BYTES",
    "SEGMENT_BYTES",
    "TAG_BYTES",
    "Opener",
    "Sealer",
    "SegmentSpan",
    "open_all",
    "seal_all",
    "sealed_length",
    "segment_count",
    "span_for_range",
]

BytesLike = bytes | bytearray | memoryview

# Part of sealed format v1: changing it breaks every blob.
_MAGIC = b"SRSB"
# Part of sealed format v1: changing it breaks every blob.
_VERSION = 0x01
# Part of sealed format v1: changing it breaks every blob. magic, version, flags, segment size, salt, prefix.
_HEADER = struct.Struct(">4sBBI32s7s")
# Part of sealed format v1: changing it breaks every blob.
_HKDF_INFO = b"strongroom sealed v1"
# Part of sealed format v1: changing it breaks every blob.
_SALT_BYTES = 32
# Part of sealed format v1: changing it breaks every blob.
_NONCE_PREFIX_BYTES = 7
# Part of sealed format v1: changing it breaks every blob. Segment index (uint32) + last flag in the nonce.
_NONCE_SUFFIX = struct.Struct(">IB")
# Part of sealed format v1: changing it breaks every blob. Segment index (uint64) + last flag after blob id.
_AAD_SUFFIX = struct.Struct(">QB")
# Part of sealed format v1: changing it breaks every blob. Flags bit: this blob seals another sealed blob.
FLAG_OUTER_LAYER = 0x01
# Part of sealed format v1: changing it breaks every blob.
TAG_BYTES = 16
# Part of sealed format v1: changing it breaks every blob.
BLOB_ID_BYTES = 16

HEADER_BYTES = _HEADER.size  # 49
SEGMENT_BYTES = 1 << 20  # the default, named parameter set SEALED_V1 (1 MiB segments)
MIN_SEGMENT_BYTES = 16
MAX_SEGMENT_BYTES = 16 << 20  # bounds a reader's memory per segment (invariant 6)
_MAX_SEGMENTS = 1 << 32  # the nonce holds a uint32 index

_LAST = 0x01
_NOT_LAST = 0x00


def _check_segment_bytes(segment_bytes: int) -> None:
    if not MIN_SEGMENT_BYTES <= segment_bytes <= MAX_SEGMENT_BYTES:
        raise ValueError(
            f"segment size must be {MIN_SEGMENT_BYTES}..{MAX_SEGMENT_BYTES}, got {segment_bytes}"
        )


def _check_blob_id(blob_id: bytes) -> None:
    if not isinstance(blob_id, bytes) or len(blob_id) != BLOB_ID_BYTES:
        raise ValueError(f"blob id must be {BLOB_ID_BYTES} bytes")


def _blob_aead(key: DataKey, salt: bytes, blob_id: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=_HKDF_INFO + blob_id)
    return AESGCM(hkdf.derive(key.reveal_secret_bytes()))


def segment_count(plaintext_length: int, segment_bytes: int = SEGMENT_BYTES) -> int:
    """Return how many segments a plaintext of this length seals into (at least 1)."""
    _check_segment_bytes(segment_bytes)
    if plaintext_length < 0:
        raise ValueError("plaintext length must be >= 0")
    count = max(1, -(-plaintext_length // segment_bytes))
    if count > _MAX_SEGMENTS:
        raise ValueError("plaintext too long for sealed format v1")
    return count


def sealed_length(plaintext_length: int, segment_bytes: int = SEGMENT_BYTES) -> int:
    """Return the byte length of the sealed blob (header included) for a plaintext of this length."""
    return HEADER_BYTES + plaintext_length + TAG_BYTES * segment_count(plaintext_length, segment_bytes)


@dataclass(frozen=True, slots=True)
class SegmentSpan:
    """The segments covering a plaintext range, and where they sit in the sealed blob."""

    first: int  # index of the first covered segment
    last: int  # index of the last covered segment (inclusive)
    sealed_offset: int  # byte offset of sealed segment `first` in the whole blob (header included)
    sealed_length: int  # bytes from sealed_offset through the end of sealed segment `last`
    skip: int  # plaintext bytes to drop from the start of segment `first`


def span_for_range(start: int, end_inclusive: int, plaintext_length: int, segment_bytes: int) -> SegmentSpan:
    """Return the segments a range read must fetch and open; ValueError unless 0 <= start <= end < length."""
    count = segment_count(plaintext_length, segment_bytes)
    if not 0 <= start <= end_inclusive < plaintext_length:
        raise ValueError("range outside the plaintext")
    first, last = start // segment_bytes, end_inclusive // segment_bytes
    stride = segment_bytes + TAG_BYTES
    offset = HEADER_BYTES + first * stride
    last_plain = plaintext_length - last * segment_bytes if last == count - 1 else segment_bytes
    end = HEADER_BYTES + last * stride + last_plain + TAG_BYTES
    return SegmentSpan(first, last, offset, end - offset, start - first * segment_bytes)


class Sealer:
    """Seals one blob, segment by segment in order 0, 1, 2, ...; write ``header`` first."""

    __slots__ = ("header", "_aead", "_blob_id", "_prefix", "_segment_bytes", "_next", "_done")

    def __init__(
        self,
        key: DataKey,
        blob_id: bytes,
        segment_bytes: int = SEGMENT_BYTES,
        *,
        outer_layer: bool = False,
        _salt_and_prefix_for_tests: tuple[bytes, bytes] | None = None,
    ) -> None:
        _check_blob_id(blob_id)
        _check_segment_bytes(segment_bytes)
        if _salt_and_prefix_for_tests is None:
            salt, prefix = os.urandom(_SALT_BYTES), os.urandom(_NONCE_PREFIX_BYTES)
        else:  # TEST ONLY: fixed randomness for the committed test vectors. Never use in production.
            salt, prefix = _salt_and_prefix_for_tests
            if len(salt) != _SALT_BYTES or len(prefix) != _NONCE_PREFIX_BYTES:
                raise ValueError("bad test salt or nonce prefix")
        flags = FLAG_OUTER_LAYER if outer_layer else 0
        self.header: bytes = _HEADER.pack(_MAGIC, _VERSION, flags, segment_bytes, salt, prefix)
        self._aead = _blob_aead(key, salt, blob_id)
        self._blob_id = blob_id
        self._prefix = prefix
        self._segment_bytes = segment_bytes
        self._next = 0
        self._done = False

    @property
    def segment_bytes(self) -> int:
        """Plaintext bytes per segment."""
        return self._segment_bytes

    def seal_segment(self, plaintext: BytesLike, *, last: bool) -> bytes:
        """Seal the next segment; non-last segments must be exactly full. ValueError on misuse."""
        if self._done:
            raise ValueError("blob already sealed its last segment")
        size, index = len(plaintext), self._next
        if last:
            if size > self._segment_bytes or (size == 0 and index > 0):
                raise ValueError("last segment must hold 1..segment_bytes bytes (0 only for an empty blob)")
        elif size != self._segment_bytes:
            raise ValueError("every segment but the last must hold exactly segment_bytes bytes")
        if index >= _MAX_SEGMENTS:
            raise ValueError("too many segments for sealed format v1")
        flag = _LAST if last else _NOT_LAST
        nonce = self._prefix + _NONCE_SUFFIX.pack(index, flag)
        sealed = self._aead.encrypt(nonce, plaintext, self._blob_id + _AAD_SUFFIX.pack(index, flag))
        self._next, self._done = index + 1, last
        return sealed


class Opener:
    """Opens segments of one blob, in any order; IntegrityError on any failure."""

    __slots__ = ("segment_bytes", "_aead", "_blob_id", "_prefix")

    def __init__(self, key: DataKey, blob_id: bytes, header: BytesLike, *, outer_layer: bool = False) -> None:
        _check_blob_id(blob_id)
        if len(header) != HEADER_BYTES:
            raise IntegrityError()
        magic, version, flags, segment_bytes, salt, prefix = _HEADER.unpack(header)
        expected_flags = FLAG_OUTER_LAYER if outer_layer else 0
        if (
            magic != _MAGIC
            or version != _VERSION
            or flags != expected_flags
            or not MIN_SEGMENT_BYTES <= segment_bytes <= MAX_SEGMENT_BYTES
        ):
            raise IntegrityError()
        self.segment_bytes: int = segment_bytes
        self._aead = _blob_aead(key, salt, blob_id)
        self._blob_id = blob_id
        self._prefix: bytes = prefix

    def open_segment(self, index: int, sealed_segment: BytesLike, *, last: bool) -> bytes:
        """Return segment ``index``'s plaintext, or raise IntegrityError (wrong size, tag, place or blob)."""
        if not 0 <= index < _MAX_SEGMENTS:
            raise ValueError("segment index out of range")
        size = len(sealed_segment) - TAG_BYTES
        if last:
            if not 0 <= size <= self.segment_bytes or (size == 0 and index > 0):
                raise IntegrityError()
        elif size != self.segment_bytes:
            raise IntegrityError()
        flag = _LAST if last else _NOT_LAST
        nonce = self._prefix + _NONCE_SUFFIX.pack(index, flag)
        try:
            return self._aead.decrypt(nonce, sealed_segment, self._blob_id + _AAD_SUFFIX.pack(index, flag))
        except InvalidTag:
            raise IntegrityError() from None


def seal_all(
    key: DataKey,
    blob_id: bytes,
    plaintext: BytesLike,
    segment_bytes: int = SEGMENT_BYTES,
    *,
    outer_layer: bool = False,
    _salt_and_prefix_for_tests: tuple[bytes, bytes] | None = None,
) -> bytes:
    """Seal a whole in-memory plaintext (tests and small blobs; stream big ones with ``Sealer``)."""
    sealer = Sealer(
        key,
        blob_id,
        segment_bytes,
        outer_layer=outer_layer,
        _salt_and_prefix_for_tests=_salt_and_prefix_for_tests,
    )
    view = memoryview(plaintext)
    count = segment_count(len(view), segment_bytes)
    parts = [sealer.header]
    for i in range(count):
        chunk = view[i * segment_bytes : (i + 1) * segment_bytes]
        parts.append(sealer.seal_segment(chunk, last=i == count - 1))
    return b"".join(parts)


def open_all(
    key: DataKey, blob_id: bytes, blob: BytesLike, plaintext_length: int, *, outer_layer: bool = False
) -> bytes:
    """Open a whole in-memory sealed blob whose plaintext length the metadata records; IntegrityError if bad."""
    view = memoryview(blob)
    opener = Opener(key, blob_id, view[:HEADER_BYTES], outer_layer=outer_layer)
    seg = opener.segment_bytes
    if plaintext_length < 0 or len(view) != sealed_length(plaintext_length, seg):
        raise IntegrityError()
    count = segment_count(plaintext_length, seg)
    stride = seg + TAG_BYTES
    parts = []
    for i in range(count):
        start = HEADER_BYTES + i * stride
        parts.append(opener.open_segment(i, view[start : start + stride], last=i == count - 1))
    return b"".join(parts)
