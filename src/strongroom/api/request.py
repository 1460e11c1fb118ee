"""A typed view of one ASGI HTTP request: method, raw path and query, headers, streaming body.

The body is an async iterator over ``receive()`` that undoes aws-chunked framing (verifying chunk
signatures), enforces Content-Length (IncompleteBody) and exposes trailers once it has ended.
Small bodies (XML, JSON) are read only with a byte cap.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ..auth.authenticate import Authenticated, PayloadMode, authenticate
from ..auth.credentials import CredentialCache
from ..errors import S3Error
from ..service.access_points import AccessPoint
from .asgi import Receive, Scope
from .chunked import AwsChunkedDecoder
from .forwarded import ClientOrigin, client_origin

__all__ = ["S3Request", "ClientDisconnected"]


class ClientDisconnected(Exception):
    """The client went away mid-request; nothing is committed and no response can be sent."""


def _header_text(raw: bytes) -> str:
    """Header bytes as text: UTF-8 when they are (what SDKs send for non-ASCII metadata), else latin-1."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@dataclass(slots=True)
class S3Request:
    """One request as the handlers see it."""

    scope: Scope
    receive: Receive
    method: str
    raw_path: bytes
    raw_query: bytes
    query: list[tuple[str, str]]
    raw_headers: list[tuple[bytes, bytes]]
    headers: dict[str, str]
    request_id: str
    bucket: str | None = None
    key: str | None = None
    auth: Authenticated | None = None
    trailers: dict[str, str] = field(default_factory=dict)
    origin: ClientOrigin = ClientOrigin(None, False)
    access_point: AccessPoint | None = None  # the request named an access point's alias as its bucket
    _body_started: bool = False
    _body_done: bool = False

    @classmethod
    def from_scope(cls, scope: Scope, receive: Receive, request_id: str, trusted_proxies: Sequence[str] = ()) -> S3Request:
        """Build the view; header values are decoded as latin-1 (HTTP's byte-preserving charset).
        ``trusted_proxies`` may name the client behind them (api/forwarded.py)."""
        raw_headers = [(k.lower(), v) for k, v in scope["headers"]]
        headers: dict[str, str] = {}
        for k, v in raw_headers:
            name = k.decode("latin-1")
            value = _header_text(v)
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        raw_query: bytes = scope.get("query_string", b"")
        return cls(
            scope=scope,
            receive=receive,
            method=scope["method"],
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            raw_query=raw_query,
            query=parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict"),
            raw_headers=raw_headers,
            headers=headers,
            request_id=request_id,
            origin=client_origin(scope, headers, trusted_proxies),
        )

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        for k, v in self.query:
            if k == name:
                return v
        return None

    def has_query(self, name: str) -> bool:
        """Is the parameter present (with or without a value)?"""
        return any(k == name for k, _ in self.query)

    async def authenticate(self, credentials: CredentialCache, **options: object) -> Authenticated:
        """Verify this request's signature (auth/authenticate.py; ``options`` as it takes them) and keep the caller."""
        self.auth = await authenticate(
            method=self.method, raw_path=self.raw_path, raw_query=self.raw_query, query=self.query,
            raw_headers=self.raw_headers, headers=self.headers, credentials=credentials, **options,  # type: ignore[arg-type]
        )
        return self.auth

    @property
    def secure(self) -> bool:
        """Did the request arrive over TLS? (The connection's scheme, or a trusted proxy's word;
        aws:SecureTransport, SSE-C rules.)"""
        return self.origin.secure

    @property
    def client_ip(self) -> str | None:
        """The client's address: the connection's peer, or the client a trusted proxy names."""
        return self.origin.ip

    @property
    def content_length(self) -> int | None:
        """The declared Content-Length, validated."""
        value = self.headers.get("content-length")
        if value is None:
            return None
        if not value.isdigit():
            raise S3Error("InvalidArgument", "Invalid Content-Length", extra={"ArgumentName": "Content-Length"})
        return int(value)

    @property
    def decoded_length(self) -> int | None:
        """The payload length before aws-chunked framing (x-amz-decoded-content-length)."""
        value = self.headers.get("x-amz-decoded-content-length")
        if value is None:
            return self.content_length if not self._chunked else None
        if not value.isdigit():
            raise S3Error("InvalidArgument", "Invalid x-amz-decoded-content-length")
        return int(value)

    @property
    def _chunked(self) -> bool:
        return self.auth is not None and self.auth.payload in (
            PayloadMode.STREAMING_SIGNED,
            PayloadMode.STREAMING_SIGNED_TRAILER,
            PayloadMode.STREAMING_UNSIGNED_TRAILER,
        )

    async def _raw_body(self) -> AsyncIterator[bytes]:
        if self._body_started:
            raise RuntimeError("the body can be read once")
        self._body_started = True
        expected = self.content_length
        received = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            chunk: bytes = message.get("body", b"")
            if chunk:
                received += len(chunk)
                yield chunk
            if not message.get("more_body", False):
                self._body_done = True
                break
        if expected is not None and received < expected:
            raise S3Error("IncompleteBody")

    async def body(self) -> AsyncIterator[bytes]:
        """The decoded payload, streamed; chunk signatures are checked before their bytes are yielded."""
        if not self._chunked:
            async for chunk in self._raw_body():
                yield chunk
            return
        assert self.auth is not None
        decoder = AwsChunkedDecoder(
            chain=self.auth.chain,
            expect_trailer=self.auth.payload is not PayloadMode.STREAMING_SIGNED,
        )
        async for chunk in self._raw_body():
            for piece in decoder.feed(chunk):
                yield piece
        self.trailers = dict(decoder.finish())
        expected = self.decoded_length
        if expected is not None and decoder.decoded_bytes != expected:
            raise S3Error("IncompleteBody")

    async def read_unauthenticated(self, max_bytes: int, error_code: str) -> bytes:
        """The whole (small) body of a JSON or query protocol request, read before authentication (the
        signature covers its hash): at most max_bytes, declared or sent, else ``error_code``."""
        too_big = S3Error(error_code, f"The request body exceeds {max_bytes} bytes.")
        declared = self.content_length
        if declared is not None and declared > max_bytes:
            raise too_big
        buf = bytearray()
        async for piece in self.body():
            buf += piece
            if len(buf) > max_bytes:
                raise too_big
        return bytes(buf)

    async def read_body(self, max_bytes: int) -> bytes:
        """The whole (small) payload, at most max_bytes; the signed payload hash is verified here."""
        buf = bytearray()
        async for piece in self.body():
            buf += piece
            if len(buf) > max_bytes:
                raise S3Error("MaxMessageLengthExceeded" if max_bytes > 1 << 20 else "MalformedXML", "Your request was too big.")
        data = bytes(buf)
        if self.auth is not None and self.auth.payload_sha256_hex is not None:
            if hashlib.sha256(data).hexdigest() != self.auth.payload_sha256_hex:
                raise S3Error("XAmzContentSHA256Mismatch")
        return data

    @property
    def body_unread(self) -> bool:
        """Did the client send (or promise) body bytes we have not consumed?

        With Expect: 100-continue a client that gets an early answer never sends its body, so the
        connection cannot be reused (the server could not tell where the next request starts).
        """
        if self._body_done:
            return False
        has_body = self.headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in self.headers
        return has_body

    async def drain(self) -> None:
        """Discard an unread body (for requests whose body is meaningless)."""
        if not self._body_started:
            async for _ in self._raw_body():
                pass
