"""A small raw requester for what boto3 will not send: hand-made bodies, aws-chunked streams,
trailers, wrong digests, early disconnects. Signs with botocore's SigV4 signer; chunk signatures are
computed here from the AWS streaming spec (an independent implementation from the server's)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REGION = "us-east-1"


@dataclass
class RawResponse:
    """Status, headers (lowercase) and body of a raw exchange."""

    status: int
    headers: dict[str, str]
    body: bytes


class _FixedPayloadAuth(S3SigV4Auth):
    """botocore's S3 signer with the payload hash we choose (streaming modes, wrong hashes)."""

    def __init__(self, credentials: Credentials, payload_hash: str) -> None:
        super().__init__(credentials, "s3", REGION)
        self._payload_hash = payload_hash

    def payload(self, request: AWSRequest) -> str:  # type: ignore[override]
        return self._payload_hash


def sign_headers(endpoint: str, method: str, path: str, key: str, secret: str, headers: dict[str, str], payload_hash: str, query: str = "") -> dict[str, str]:
    """Headers (with Authorization) for a SigV4 request whose payload hash is given."""
    url = endpoint + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers={**headers, "x-amz-content-sha256": payload_hash})
    _FixedPayloadAuth(Credentials(key, secret), payload_hash).add_auth(request)
    return {k: v for k, v in request.headers.items()}


def send(endpoint: str, method: str, path: str, headers: dict[str, str], body: bytes = b"", query: str = "") -> RawResponse:
    """Send bytes exactly as given."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.putrequest(method, path + (f"?{query}" if query else ""), skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if not any(k.lower() == "host" for k in headers):
            conn.putheader("Host", parts.netloc)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def signed_request(endpoint: str, method: str, path: str, key: str, secret: str, body: bytes = b"", headers: dict[str, str] | None = None, query: str = "", payload_hash: str | None = None) -> RawResponse:
    """A header-signed request with a literal payload hash (the body's, unless overridden)."""
    h = dict(headers or {})
    h.setdefault("Content-Length", str(len(body)))
    signed = sign_headers(endpoint, method, path, key, secret, h, payload_hash or hashlib.sha256(body).hexdigest(), query)
    return send(endpoint, method, path, signed, body, query)


def _signing_key(secret: str, date: str) -> bytes:
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def chunked_upload(
    endpoint: str, path: str, key: str, secret: str, data: bytes, *, chunk_bytes: int = 65536,
    signed: bool = True, trailers: dict[str, str] | None = None, corrupt_chunk: int | None = None,
    truncate_to: int | None = None, extra_headers: dict[str, str] | None = None,
) -> RawResponse:
    """An aws-chunked PUT (signed or unsigned chunks, optional trailers) built by hand."""
    if signed:
        mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if trailers else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    else:
        mode = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    chunks = [data[i : i + chunk_bytes] for i in range(0, len(data), chunk_bytes)] + [b""]
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)), **(extra_headers or {})}
    if trailers:
        headers["x-amz-trailer"] = ",".join(trailers)
    now = datetime.now(UTC)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers["x-amz-date"] = amz_date
    # Content-Length of the framed body is not known until framing; sign without it (not a signed header).
    signed_headers = sign_headers(endpoint, "PUT", path, key, secret, headers, mode)
    seed = signed_headers["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = signed_headers["X-Amz-Date"]  # botocore stamps its own time
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    skey = _signing_key(secret, amz_date[:8])
    previous = seed
    body = bytearray()
    for index, chunk in enumerate(chunks):
        if signed:
            to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256, hashlib.sha256(chunk).hexdigest()])
            sig = hmac.new(skey, to_sign.encode(), hashlib.sha256).hexdigest()
            previous = sig
            body += f"{len(chunk):x};chunk-signature={sig}\r\n".encode()
        else:
            body += f"{len(chunk):x}\r\n".encode()
        payload = bytearray(chunk)
        if corrupt_chunk == index and payload:
            payload[0] ^= 0xFF
        body += payload
        if chunk:
            body += b"\r\n"
    if trailers:
        canonical = "".join(f"{k}:{v}\n" for k, v in trailers.items())
        for k, v in trailers.items():
            body += f"{k}:{v}\r\n".encode()
        if signed:
            to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256(canonical.encode()).hexdigest()])
            body += f"x-amz-trailer-signature:{hmac.new(skey, to_sign.encode(), hashlib.sha256).hexdigest()}\r\n".encode()
    body += b"\r\n"
    final = bytes(body if truncate_to is None else body[:truncate_to])
    signed_headers["Content-Length"] = str(len(body))
    if truncate_to is not None:
        return send_then_close(endpoint, "PUT", path, signed_headers, final)
    return send(endpoint, "PUT", path, signed_headers, final)


def send_then_close(endpoint: str, method: str, path: str, headers: dict[str, str], body: bytes, *, half_close: bool = True) -> RawResponse:
    """Send fewer bytes than declared, then half-close: the server sees the body end early."""
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"] + [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                piece = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not piece:
                break
            data += piece
            if not half_close and b"\r\n\r\n" in data:
                break
    head, _, rest = data.partition(b"\r\n\r\n")
    if not head:
        return RawResponse(0, {}, b"")
    status = int(head.split(b" ", 2)[1])
    hdrs = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return RawResponse(status, hdrs, rest)
