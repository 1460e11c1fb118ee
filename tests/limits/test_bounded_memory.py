"""Invariant 6: a 4 GiB object streams in and out while the server's RSS grows by less than 64 MiB."""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
from urllib.parse import urlsplit

SIZE = 4 * 1024**3
BLOCK = 1 << 20
RSS_BUDGET_BYTES = 64 * 1024**2


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class _PeakRss:
    """Samples a process's RSS in the background; remembers the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = _rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss(self.pid))

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _blocks(seed: bytes):  # type: ignore[no-untyped-def]
    base = os.urandom(BLOCK)
    for i in range(SIZE // BLOCK):
        # Distinct blocks, so a server that mixed segments up could not pass the hash check.
        yield i.to_bytes(8, "big") + seed + base[8 + len(seed) :]


def test_4_gib_put_and_get_stream_within_64_mib_of_rss(server, s3, bucket: str) -> None:
    pid = server.process.pid
    # Warm up the code paths once so their one-time allocations are not counted.
    s3.put_object(Bucket=bucket, Key="warm", Body=os.urandom(8 * BLOCK))
    s3.get_object(Bucket=bucket, Key="warm")["Body"].read()
    baseline = _rss(pid)

    put_url = urlsplit(s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "huge"}, ExpiresIn=3600))
    sent = hashlib.sha256()
    with _PeakRss(pid) as put_peak:
        conn = http.client.HTTPConnection(put_url.hostname, put_url.port, timeout=600)
        conn.putrequest("PUT", f"{put_url.path}?{put_url.query}")
        conn.putheader("Content-Length", str(SIZE))
        conn.endheaders()
        for block in _blocks(b"seed"):
            sent.update(block)
            conn.send(block)
        response = conn.getresponse()
        response.read()
        conn.close()
    assert response.status == 200

    get_url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "huge"}, ExpiresIn=3600))
    received = hashlib.sha256()
    total = 0
    with _PeakRss(pid) as get_peak:
        conn = http.client.HTTPConnection(get_url.hostname, get_url.port, timeout=600)
        conn.request("GET", f"{get_url.path}?{get_url.query}")
        response = conn.getresponse()
        assert response.status == 200
        buf = bytearray(BLOCK)
        view = memoryview(buf)
        while n := response.readinto(view):
            received.update(view[:n])
            total += n
        conn.close()
    s3.delete_object(Bucket=bucket, Key="huge")

    assert total == SIZE
    assert received.digest() == sent.digest()
    assert put_peak.peak - baseline < RSS_BUDGET_BYTES, f"PUT grew RSS by {(put_peak.peak - baseline) >> 20} MiB"
    assert get_peak.peak - baseline < RSS_BUDGET_BYTES, f"GET grew RSS by {(get_peak.peak - baseline) >> 20} MiB"
