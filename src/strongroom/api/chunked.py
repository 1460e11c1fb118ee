"""Sans-I/O decoder for S3's aws-chunked request bodies (signed, unsigned, with or without trailers).

Theory of operation. The body is a sequence of chunks, then a trailer section::

    chunk        = hex-size [ ";chunk-signature=" 64*lowerhex ] CRLF data CRLF
    last-chunk   = "0" [ ";chunk-signature=" 64*lowerhex ] CRLF
    trailer-part = *( name ":" value CRLF )          ; only for the *-TRAILER variants
    end          = CRLF

Signed variants (``chain`` given) carry a chunk signature on every chunk, the last one included, and
the signed-trailer variant ends its trailers with ``x-amz-trailer-signature``. Unsigned variants
carry no chunk extension at all.

States: HEADER → DATA → DATA_CRLF → HEADER … → (size 0) TRAILER → DONE. Bytes are fed in any split;
each call returns the payload released so far.

Bounds (invariant 6):
- a chunk header line is at most ``MAX_CHUNK_HEADER_BYTES``; the whole trailer section at most
  ``MAX_TRAILER_BYTES``; a chunk's declared size at most ``max_chunk_bytes``;
- unsigned data streams straight through; a *signed* chunk is held back until its signature is
  verified (never release unauthenticated bytes), so at most one chunk, ``max_chunk_bytes``, is
  buffered per request.

Errors: malformed framing → ``InvalidRequest``; a bad chunk or trailer signature →
``SignatureDoesNotMatch``; a body that ends early → ``IncompleteBody`` from :meth:`finish`.
Comparing ``decoded_bytes`` with x-amz-decoded-content-length is the caller's job.

https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from enum import Enum, auto
from typing import TypeAlias

from strongroom.auth.streaming import ChunkSignatureChain, canonical_trailer
from strongroom.errors import S3Error

__all__ = [
    "DEFAULT_MAX_CHUNK_BYTES",
    "MAX_CHUNK_HEADER_BYTES",
    "MAX_TRAILER_BYTES",
    "AwsChunkedDecoder",
    "Trailers",
]

MAX_CHUNK_HEADER_BYTES = 4096
MAX_TRAILER_BYTES = 16 * 1024
# SDKs send 64 KiB (signed) up to 8 MiB (multipart parts as one chunk); leave room above that.
DEFAULT_MAX_CHUNK_BYTES = 16 * 1024 * 1024

Trailers: TypeAlias = dict[str, str]
_LineHandler: TypeAlias = Callable[[bytes, int], None]

_SIGNATURE_EXTENSION = b"chunk-signature="
_TRAILER_SIGNATURE = "x-amz-trailer-signature"
_MAX_SIZE_DIGITS = 16
_HEX = frozenset(b"0123456789abcdefABCDEF")
_LOWER_HEX = frozenset(b"0123456789abcdef")
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _State(Enum):
    HEADER = auto()
    DATA = auto()
    DATA_CRLF = auto()
    TRAILER = auto()
    DONE = auto()


def _malformed(detail: str) -> S3Error:
    return S3Error("InvalidRequest", f"Malformed aws-chunked body: {detail}")


class AwsChunkedDecoder:
    """Decodes one aws-chunked body fed in arbitrary pieces; verifies chunk signatures when signed."""

    def __init__(
        self,
        *,
        chain: ChunkSignatureChain | None,
        expect_trailer: bool,
        max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
    ) -> None:
        self._chain = chain
        self._expect_trailer = expect_trailer
        self._max_chunk_bytes = max_chunk_bytes
        self._state = _State.HEADER
        self._line = bytearray()  # partial header, CRLF or trailer line; bounded by the caps above
        self._trailer_bytes = 0
        self._trailer_lines: list[tuple[str, str]] = []
        self._trailer_signature: str | None = None
        self._remaining = 0
        self._claimed_signature = ""
        self._held = bytearray()  # one signed chunk awaiting verification; at most max_chunk_bytes
        self._hasher = hashlib.sha256()
        self.decoded_bytes = 0
        self.trailers: Trailers = {}

    @property
    def done(self) -> bool:
        """True once the terminating empty line has been seen (and every signature verified)."""
        return self._state is _State.DONE

    def feed(self, data: bytes) -> list[bytes]:
        """Consume more body bytes; return the payload pieces they complete (possibly none)."""
        out: list[bytes] = []
        data = bytes(data)  # no copy for bytes; a bytearray would otherwise change under us
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            if self._state is _State.HEADER:
                pos = self._read_line(data, pos, MAX_CHUNK_HEADER_BYTES, self._on_header)
            elif self._state is _State.DATA:
                pos = self._read_data(view, pos, out)
            elif self._state is _State.DATA_CRLF:
                pos = self._read_crlf(view, pos)
            elif self._state is _State.TRAILER:
                limit = MAX_TRAILER_BYTES - self._trailer_bytes
                pos = self._read_line(data, pos, limit, self._on_trailer_line)
            else:
                raise _malformed("data after the end of the body")
        return out

    def finish(self) -> Trailers:
        """Declare the body complete; raise IncompleteBody unless the whole framing was seen."""
        if self._state is not _State.DONE:
            raise S3Error("IncompleteBody")
        return self.trailers

    # --- line-oriented states ---------------------------------------------------------------------

    def _read_line(self, data: bytes, pos: int, limit: int, handle: _LineHandler) -> int:
        end = data.find(b"\n", pos, pos + limit - len(self._line))  # never scan past the cap
        stop = len(data) if end < 0 else end + 1
        if len(self._line) + (stop - pos) > limit:
            raise _malformed("chunk header or trailer too long")
        self._line += data[pos:stop]
        if end >= 0:
            line = bytes(self._line)
            self._line.clear()
            if len(line) < 2 or line[-2] != 0x0D:
                raise _malformed("line not terminated by CRLF")
            handle(line[:-2], len(line))
        return stop

    def _on_header(self, line: bytes, _: int) -> None:
        size_text, semicolon, extension = line.partition(b";")
        if not 0 < len(size_text) <= _MAX_SIZE_DIGITS or not all(c in _HEX for c in size_text):
            raise _malformed("bad chunk size")
        size = int(size_text, 16)
        if size > self._max_chunk_bytes:
            raise _malformed(f"chunk larger than {self._max_chunk_bytes} bytes")
        if self._chain is None:
            if semicolon:
                raise _malformed("unexpected chunk extension in an unsigned body")
        else:
            signature = extension[len(_SIGNATURE_EXTENSION) :]
            if (
                not extension.startswith(_SIGNATURE_EXTENSION)
                or len(signature) != 64
                or not all(c in _LOWER_HEX for c in signature)
            ):
                raise _malformed("missing or malformed chunk-signature")
            self._claimed_signature = signature.decode("ascii")
        if size == 0:
            self._verify_chunk(b"")
            self._state = _State.TRAILER
        else:
            self._remaining = size
            self._state = _State.DATA

    def _on_trailer_line(self, line: bytes, raw_length: int) -> None:
        self._trailer_bytes += raw_length
        if not line:
            self._end_trailers()
            return
        if not self._expect_trailer:
            raise _malformed("trailer sent but none declared")
        raw_name, colon, raw_value = line.partition(b":")
        name_bytes = raw_name.strip()
        if not colon or not name_bytes or not all(c in _TOKEN for c in name_bytes):
            raise _malformed("bad trailer line")
        name = name_bytes.decode("ascii").lower()
        value = raw_value.strip().decode("utf-8", "surrogateescape")
        if name == _TRAILER_SIGNATURE:
            if self._chain is None or self._trailer_signature is not None:
                raise _malformed("unexpected x-amz-trailer-signature")
            self._trailer_signature = value
            return
        if name in self.trailers:
            raise _malformed(f"repeated trailer {name}")
        self.trailers[name] = value
        self._trailer_lines.append((name, value))

    def _end_trailers(self) -> None:
        if self._chain is not None and self._expect_trailer:
            if self._trailer_signature is None:
                raise S3Error("SignatureDoesNotMatch", "The trailer signature is missing.")
            canonical = canonical_trailer(self._trailer_lines)
            if not self._chain.verify_trailer(canonical, self._trailer_signature):
                raise S3Error("SignatureDoesNotMatch")
        self._state = _State.DONE

    # --- data ---------------------------------------------------------------------------------------

    def _read_data(self, view: memoryview, pos: int, out: list[bytes]) -> int:
        take = min(self._remaining, len(view) - pos)
        piece = view[pos : pos + take]
        self._remaining -= take
        if self._chain is None:
            out.append(bytes(piece))
            self.decoded_bytes += take
        else:
            self._hasher.update(piece)
            self._held += piece
            if self._remaining == 0:
                # Release a signed chunk only once its signature holds.
                self._verify_chunk_hash(self._hasher.hexdigest())
                out.append(bytes(self._held))
                self.decoded_bytes += len(self._held)
                self._held.clear()
                self._hasher = hashlib.sha256()
        if self._remaining == 0:
            self._state = _State.DATA_CRLF
        return pos + take

    def _read_crlf(self, view: memoryview, pos: int) -> int:
        take = min(2 - len(self._line), len(view) - pos)
        self._line += view[pos : pos + take]
        if not b"\r\n".startswith(self._line):
            raise _malformed("chunk data not followed by CRLF")
        if len(self._line) == 2:
            self._line.clear()
            self._state = _State.HEADER
        return pos + take

    def _verify_chunk(self, data: bytes) -> None:
        if self._chain is not None:
            self._verify_chunk_hash(hashlib.sha256(data).hexdigest())

    def _verify_chunk_hash(self, digest_hex: str) -> None:
        assert self._chain is not None
        if not self._chain.verify_chunk(digest_hex, self._claimed_signature):
            raise S3Error("SignatureDoesNotMatch")
