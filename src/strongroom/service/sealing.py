"""Streams plaintext into sealed blobs and back: the one place object bytes meet crypto/ and blob/.

Writing: the body is cut into segments; each segment is hashed, sealed and appended in a worker thread
while the event loop receives the next one (a pipeline one segment deep, so memory per request stays
O(segment size), invariant 6). Nothing is visible until the caller commits metadata.
Reading: only the segments a range covers are read and opened; any integrity failure raises
IntegrityError, never bytes (invariant 5).
DSSE-KMS: with an ``outer_provider`` the sealed stream is sealed again under that provider's fresh
data key (outer_layer.py); reads peel the outer layer first, still segment by segment.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..blob.store import BlobStore, BlobWriter
from ..crypto.errors import IntegrityError
from ..crypto.keys import DataKey
from ..crypto.sealed import (
    HEADER_BYTES,
    TAG_BYTES,
    Opener,
    Sealer,
    sealed_length,
    segment_count,
    span_for_range,
)
from ..errors import S3Error
from ..kms.provider import KeyProvider, WrappedKey
from .checksums import ChecksumAlgorithm, new_checksum
from .model import Extent
from .outer_layer import OuterLayerReader, OuterWriter, outer_context

__all__ = ["BodyChecks", "SealedWrite", "seal_stream", "read_extents", "CRYPTO_THREADS"]

CRYPTO_THREADS = 8
_pool = ThreadPoolExecutor(max_workers=CRYPTO_THREADS, thread_name_prefix="seal")


@dataclass(slots=True)
class BodyChecks:
    """What the request claims about its body; verified before anything is committed."""

    content_md5: bytes | None = None
    payload_sha256_hex: str | None = None
    checksum_algorithm: ChecksumAlgorithm | None = None
    # Read after the body ends, since a trailer may carry it.
    checksum_value: Callable[[], str | None] = field(default=lambda: None)
    max_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class SealedWrite:
    """A blob written and fsynced but not yet referenced by metadata."""

    extent: Extent
    md5_hex: str
    checksum_b64: str | None
    checksum_digest: bytes | None


class _SpillWriter:
    """Holds a small sealed blob in memory; past ``inline_max_bytes`` it becomes a real blob file.

    A blob that never spills is stored inline in its metadata row: committed with that row, in the
    same transaction, so it needs no fsync of its own.
    """

    def __init__(self, blobs: BlobStore, blob_id: str, inline_max_bytes: int) -> None:
        self._blobs = blobs
        self._blob_id = blob_id
        self._limit = inline_max_bytes
        self._buffer: bytearray | None = bytearray()
        self._writer: BlobWriter | None = None

    def write(self, data: bytes | memoryview) -> None:
        if self._buffer is not None and len(self._buffer) + len(data) <= self._limit:
            self._buffer += data
            return
        if self._writer is None:
            self._writer = self._blobs.create(self._blob_id)
            assert self._buffer is not None
            if self._buffer:
                self._writer.write(bytes(self._buffer))
            self._buffer = None
        self._writer.write(data)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
        self._buffer = None

    @property
    def inline_bytes(self) -> bytes | None:
        """The whole sealed blob, if it stayed small enough to live in the metadata."""
        return bytes(self._buffer) if self._buffer is not None and self._writer is None else None


class _SegmentWork:
    """State touched only from worker threads, one call at a time (the pipeline is one deep)."""

    def __init__(self, sealer: Sealer, writer: _SpillWriter | OuterWriter, checks: BodyChecks) -> None:
        self.sealer = sealer
        self.writer = writer
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256() if checks.payload_sha256_hex else None
        self.checksum = new_checksum(checks.checksum_algorithm) if checks.checksum_algorithm else None

    def __call__(self, plaintext: bytes, last: bool) -> None:
        self.md5.update(plaintext)
        if self.sha256 is not None:
            self.sha256.update(plaintext)
        if self.checksum is not None:
            self.checksum.update(plaintext)
        self.writer.write(self.sealer.seal_segment(plaintext, last=last))


async def _run(fn: Callable[..., object], *args: object) -> object:
    return await asyncio.get_running_loop().run_in_executor(_pool, fn, *args)


async def seal_stream(
    body: AsyncIterator[bytes],
    *,
    blobs: BlobStore,
    provider: KeyProvider,
    provider_key_id: str | None,
    context: Mapping[str, str],
    segment_bytes: int,
    checks: BodyChecks,
    inline_max_bytes: int = 0,
    outer_provider: KeyProvider | None = None,
) -> SealedWrite:
    """Seal a body into a new durable blob (steps 1-4 of the write path); verify every claim.

    A sealed result of at most ``inline_max_bytes`` is returned inline instead of written to a blob.
    With ``outer_provider`` (DSSE-KMS) the blob gets a second, independent layer under its key.
    """
    loop = asyncio.get_running_loop()
    # Key generation, nonces and the file create all draw on the system's random source or disk:
    # one thread hop for all of them (invariant 8).
    # The request's context goes along: a KMS provider records its key use for the request's caller.
    blob_id, keys, sealer, writer = await loop.run_in_executor(
        _pool, contextvars.copy_context().run, _start_blob, blobs, provider, provider_key_id, context, segment_bytes, inline_max_bytes,
        outer_provider,
    )
    work = _SegmentWork(sealer, writer, checks)
    pending: asyncio.Future[None] | None = None
    size = 0
    try:
        buf = bytearray()
        async for piece in body:
            size += len(piece)
            if checks.max_bytes is not None and size > checks.max_bytes:
                raise S3Error("EntityTooLarge")
            buf += piece
            while len(buf) > segment_bytes:
                segment = bytes(buf[:segment_bytes])
                del buf[:segment_bytes]
                if pending is not None:
                    await pending
                pending = loop.run_in_executor(_pool, work, segment, False)
        if pending is not None:
            await pending
            pending = None
        # Last segment, verification and fsync in one hop: a small object costs two thread hops.
        await _run(_finish, work, bytes(buf), checks)
    except BaseException:
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)
        await _run(writer.abort)
        raise
    digest = work.checksum.digest() if work.checksum is not None else None
    return SealedWrite(
        extent=Extent(
            blob_id=blob_id, size=size, segment_bytes=segment_bytes, key=keys[0], etag=work.md5.hexdigest(), inline=writer.inline_bytes,
            outer_key=keys[1],
        ),
        md5_hex=work.md5.hexdigest(),
        checksum_b64=work.checksum.b64() if work.checksum is not None else None,
        checksum_digest=digest,
    )


def _start_blob(
    blobs: BlobStore,
    provider: KeyProvider,
    provider_key_id: str | None,
    context: Mapping[str, str],
    segment_bytes: int,
    inline_max_bytes: int,
    outer_provider: KeyProvider | None,
) -> tuple[str, tuple[WrappedKey, WrappedKey | None], Sealer, _SpillWriter | OuterWriter]:
    """A fresh blob id and data key (never reused, invariant 2), and the blob opened with its header.

    With an outer provider, a second fresh data key from it seals the whole inner blob again.
    """
    blob_id = uuid.uuid4().hex
    bound = {**context, "strongroom:blob": blob_id}
    data_key, wrapped = provider.generate_data_key(provider_key_id, bound)
    sealer = Sealer(data_key, bytes.fromhex(blob_id), segment_bytes)
    writer: _SpillWriter | OuterWriter = _SpillWriter(blobs, blob_id, inline_max_bytes)
    outer_wrapped: WrappedKey | None = None
    if outer_provider is not None:
        outer_key, outer_wrapped = outer_provider.generate_data_key(None, outer_context(bound))
        writer = OuterWriter(Sealer(outer_key, bytes.fromhex(blob_id), segment_bytes, outer_layer=True), writer)
    writer.write(sealer.header)
    return blob_id, (wrapped, outer_wrapped), sealer, writer


def _finish(work: _SegmentWork, last_segment: bytes, checks: BodyChecks) -> None:
    work(last_segment, True)
    _verify(work, checks)
    work.writer.commit()


def _verify(work: _SegmentWork, checks: BodyChecks) -> None:
    if work.sha256 is not None and work.sha256.hexdigest() != checks.payload_sha256_hex:
        raise S3Error("XAmzContentSHA256Mismatch")
    if checks.content_md5 is not None and work.md5.digest() != checks.content_md5:
        raise S3Error("BadDigest")
    if work.checksum is not None and checks.checksum_algorithm is not None:
        expected = checks.checksum_value()
        if expected is not None and expected != work.checksum.b64():
            raise S3Error("BadDigest", f"The {checks.checksum_algorithm.value} you specified did not match the calculated checksum.")


async def read_extents(
    extents: tuple[Extent, ...] | list[Extent],
    *,
    blobs: BlobStore,
    providers: Mapping[str, KeyProvider],
    context: Mapping[str, str],
    start: int,
    end_inclusive: int,
) -> AsyncIterator[bytes]:
    """Yield the plaintext bytes start..end_inclusive of an object made of the given extents."""
    offset = 0
    for extent in extents:
        ext_start, ext_end = offset, offset + extent.size - 1
        offset += extent.size
        if extent.size == 0 or ext_end < start or ext_start > end_inclusive:
            continue
        lo, hi = max(start, ext_start) - ext_start, min(end_inclusive, ext_end) - ext_start
        async for piece in _read_extent(extent, blobs, providers, context, lo, hi):
            yield piece


def _unwrap(extent: Extent, providers: Mapping[str, KeyProvider], context: Mapping[str, str]) -> DataKey:
    provider = providers[extent.key.provider]
    return provider.unwrap(extent.key, {**context, "strongroom:blob": extent.blob_id})


def _source(extent: Extent, blobs: BlobStore, providers: Mapping[str, KeyProvider], context: Mapping[str, str]) -> BlobStore | _InlineBlob | OuterLayerReader:
    """Where the extent's (inner) sealed blob is read from: the store, its inline bytes, or under its outer layer."""
    source: BlobStore | _InlineBlob = _InlineBlob(extent.inline) if extent.inline is not None else blobs
    if extent.outer_key is None:
        return source
    outer_key = providers[extent.outer_key.provider].unwrap(extent.outer_key, outer_context({**context, "strongroom:blob": extent.blob_id}))
    return OuterLayerReader(source, extent.blob_id, outer_key, sealed_length(extent.size, extent.segment_bytes))


@dataclass(frozen=True, slots=True)
class _SegmentRead:
    """Where one sealed segment lies in its blob."""

    index: int
    position: int
    length: int
    last: bool


async def _read_extent(
    extent: Extent, blobs: BlobStore, providers: Mapping[str, KeyProvider], context: Mapping[str, str], lo: int, hi: int
) -> AsyncIterator[bytes]:
    """Read and open only the segments covering plaintext bytes lo..hi of one extent."""
    key = _unwrap(extent, providers, context)
    span = span_for_range(lo, hi, extent.size, extent.segment_bytes)
    last_index = segment_count(extent.size, extent.segment_bytes) - 1
    remaining = hi - lo + 1
    skip = span.skip
    position = span.sealed_offset
    opener: Opener | None = None
    source = _source(extent, blobs, providers, context)
    inline = source if extent.inline is not None else None
    for index in range(span.first, span.last + 1):
        plain_len = extent.segment_bytes if index < last_index else extent.size - index * extent.segment_bytes
        segment = _SegmentRead(index, position, plain_len + TAG_BYTES, index == last_index)
        if inline is not None:  # small by construction: opened in place, no thread hop
            if opener is None:
                opener, plaintext = _open_first(inline, extent.blob_id, key, segment)
            else:
                plaintext = _read_open(inline, extent.blob_id, opener, segment)
        elif opener is None:
            # One read (one thread hop) for the header and the first segment: small objects cost one.
            opener, plaintext = await asyncio.get_running_loop().run_in_executor(_pool, _open_first, source, extent.blob_id, key, segment)
        else:
            plaintext = await asyncio.get_running_loop().run_in_executor(_pool, _read_open, source, extent.blob_id, opener, segment)
        position += segment.length
        piece = plaintext[skip : skip + remaining]
        skip = 0
        remaining -= len(piece)
        yield piece


class _InlineBlob:
    """A sealed blob held in memory, read like the blob store's files."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read_range(self, blob_id: str, offset: int, length: int) -> bytes:
        return self._data[offset : offset + length]


def _open_first(blobs: BlobStore | _InlineBlob | OuterLayerReader, blob_id: str, key: DataKey, segment: _SegmentRead) -> tuple[Opener, bytes]:
    if segment.position == HEADER_BYTES:
        data = blobs.read_range(blob_id, 0, HEADER_BYTES + segment.length)
        header, sealed = data[:HEADER_BYTES], data[HEADER_BYTES:]
    else:
        header = blobs.read_range(blob_id, 0, HEADER_BYTES)
        sealed = blobs.read_range(blob_id, segment.position, segment.length)
    if len(header) != HEADER_BYTES or len(sealed) != segment.length:
        raise IntegrityError("short blob")
    opener = Opener(key, bytes.fromhex(blob_id), header)
    return opener, opener.open_segment(segment.index, sealed, last=segment.last)


def _read_open(blobs: BlobStore | _InlineBlob | OuterLayerReader, blob_id: str, opener: Opener, segment: _SegmentRead) -> bytes:
    sealed = blobs.read_range(blob_id, segment.position, segment.length)
    if len(sealed) != segment.length:
        raise IntegrityError("short segment")
    return opener.open_segment(segment.index, sealed, last=segment.last)
