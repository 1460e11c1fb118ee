"""The measurements: large-object throughput, small-object ops/s with latency, and LIST.

The load generator is kept lean because the machine is small and shared with the server:

* 64 MiB objects: one http.client connection per worker thread, presigned URLs (no per-request
  hashing of the payload), a pre-made bytes body sent with sendall, and GET bodies read with
  readinto into a reused buffer.  Socket I/O releases the GIL, so threads overlap.
* 4 KiB objects: wrk (C, epoll) with bench/wrk/cycle.lua cycling through presigned URLs.
* LIST: presigned ListObjectsV2 pages fetched with http.client; keys are counted with a byte search,
  not an XML parser, so the client does little besides waiting.

Presigned URLs are SigV4 query-signed with UNSIGNED-PAYLOAD, host the only signed header, exactly as
boto3's generate_presigned_url makes them; the fast signer here is checked against boto3 at start-up
(same date, same signature) and only exists because boto3 needs ~0.4 ms per URL and we need ~10^5.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
HERE = Path(__file__).resolve().parent
CYCLE_LUA = HERE / "wrk" / "cycle.lua"


# --------------------------------------------------------------------------- clients and signing


def s3_client(endpoint: str, retries: int = 3):  # type: ignore[no-untyped-def]
    import boto3
    from botocore.config import Config
    from servers import ACCESS_KEY, REGION, SECRET_KEY

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": retries + 1, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5,
            read_timeout=120,
        ),
    )


def _q(s: str, safe: str = "-_.~") -> str:
    return urllib.parse.quote(s, safe=safe)


class Presigner:
    """SigV4 query-string presigning for path-style S3 URLs (UNSIGNED-PAYLOAD, SignedHeaders=host)."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str, expires: int = 3600):
        u = urllib.parse.urlsplit(endpoint)
        self.host = u.netloc
        self.hostname = u.hostname or "127.0.0.1"
        self.port = u.port or 80
        self.ak, self.sk, self.region, self.expires = access_key, secret_key, region, expires
        self.set_time(None)

    def set_time(self, amz_date: str | None) -> None:
        if amz_date is None:
            amz_date = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.amz_date = amz_date
        day = amz_date[:8]
        self.scope = f"{day}/{self.region}/s3/aws4_request"
        k = hmac.new(("AWS4" + self.sk).encode(), day.encode(), hashlib.sha256).digest()
        k = hmac.new(k, self.region.encode(), hashlib.sha256).digest()
        k = hmac.new(k, b"s3", hashlib.sha256).digest()
        self.key = hmac.new(k, b"aws4_request", hashlib.sha256).digest()

    def path(self, method: str, bucket: str, key: str = "", params: dict[str, str] | None = None) -> str:
        """Return the request target (path?query) of a presigned request."""
        uri = "/" + _q(bucket) + ("/" + _q(key, safe="-_.~/") if key else "")
        q = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"{self.ak}/{self.scope}",
            "X-Amz-Date": self.amz_date,
            "X-Amz-Expires": str(self.expires),
            "X-Amz-SignedHeaders": "host",
        }
        if params:
            q.update(params)
        cq = "&".join(f"{_q(k)}={_q(v)}" for k, v in sorted(q.items()))
        creq = f"{method}\n{uri}\n{cq}\nhost:{self.host}\n\nhost\nUNSIGNED-PAYLOAD"
        sts = f"AWS4-HMAC-SHA256\n{self.amz_date}\n{self.scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
        sig = hmac.new(self.key, sts.encode(), hashlib.sha256).hexdigest()
        return f"{uri}?{cq}&X-Amz-Signature={sig}"

    def check_against_boto3(self, client) -> None:  # type: ignore[no-untyped-def]
        """Same date, same request => same signature as boto3's generate_presigned_url."""
        for op, method, params in (
            ("put_object", "PUT", {"Bucket": "b", "Key": "some/key-1.bin"}),
            ("get_object", "GET", {"Bucket": "b", "Key": "k"}),
        ):
            url = client.generate_presigned_url(op, Params=params, ExpiresIn=self.expires)
            qs = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            saved = self.amz_date
            self.set_time(qs["X-Amz-Date"])
            mine = dict(urllib.parse.parse_qsl(self.path(method, params["Bucket"], params["Key"]).split("?", 1)[1]))
            self.set_time(saved)
            if mine["X-Amz-Signature"] != qs["X-Amz-Signature"] or qs["X-Amz-SignedHeaders"] != "host":
                raise AssertionError(f"fast presigner disagrees with boto3 for {op}: {url}")


@dataclass
class Target:
    name: str
    endpoint: str
    pgid: int | None
    presigner: Presigner
    client: object  # boto3 S3 client

    @classmethod
    def make(cls, name: str, endpoint: str, pgid: int | None) -> Target:
        from servers import ACCESS_KEY, REGION, SECRET_KEY

        client = s3_client(endpoint)
        pre = Presigner(endpoint, ACCESS_KEY, SECRET_KEY, REGION)
        pre.check_against_boto3(client)
        return cls(name, endpoint, pgid, pre, client)

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.presigner.hostname, self.presigner.port, timeout=300)


# --------------------------------------------------------------------------- CPU accounting


def group_cpu_seconds(pgid: int | None) -> float:
    """utime+stime (all threads) of every process in the server's process group."""
    if pgid is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read()
        except OSError:
            continue
        fields = s[s.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid:  # field 5 (pgrp) -> index 2 after "pid (comm)"
            total += int(fields[11]) + int(fields[12])
    return total / tick


class CpuMeter:
    """Wall time, our own CPU (all threads), reaped children (wrk) and the server group's CPU."""

    def __init__(self, pgid: int | None):
        self.pgid = pgid

    def __enter__(self) -> CpuMeter:
        self.w0 = time.perf_counter()
        self.c0 = time.process_time()
        self.k0 = _children_cpu()
        self.s0 = group_cpu_seconds(self.pgid)
        self.b0 = system_busy_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w0
        self.client_cpu = time.process_time() - self.c0 + _children_cpu() - self.k0
        self.server_cpu = group_cpu_seconds(self.pgid) - self.s0
        # everything else the machine did meanwhile (other users, the idle other server, the kernel)
        self.other_cpu = max(0.0, system_busy_seconds() - self.b0 - self.client_cpu - self.server_cpu)

    def as_dict(self) -> dict[str, float]:
        w = max(self.wall, 1e-9)
        return {
            "wall_s": round(self.wall, 3),
            "client_cpu_cores": round(self.client_cpu / w, 2),
            "server_cpu_cores": round(self.server_cpu / w, 2),
            "other_cpu_cores": round(self.other_cpu / w, 2),
        }


def system_busy_seconds() -> float:
    """CPU seconds spent busy (not idle/iowait) by the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    r = os.times()
    return r.children_user + r.children_system


# --------------------------------------------------------------------------- helpers

Profiler = Callable[[str], AbstractContextManager[object]]


def _no_profile(_phase: str) -> AbstractContextManager[object]:
    return nullcontext()


def ensure_bucket(t: Target, bucket: str) -> None:
    try:
        t.client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    except Exception as e:  # noqa: BLE001
        code = getattr(e, "response", {}).get("Error", {}).get("Code")
        if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def _put(conn: http.client.HTTPConnection, path: str, body: bytes | memoryview) -> None:
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.sock.sendall(body)  # type: ignore[union-attr]
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"PUT {path[:80]} -> {r.status} {data[:300]!r}")


def _get_into(conn: http.client.HTTPConnection, path: str, buf: memoryview) -> int:
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError(f"GET {path[:80]} -> {r.status} {r.read()[:300]!r}")
    n = 0
    while True:
        k = r.readinto(buf)
        if not k:
            break
        n += k
    return n


def parallel_puts(t: Target, bucket: str, keys: list[str], body: bytes, workers: int = 8) -> float:
    """PUT every key (small bodies); returns ops/s.  Used to set up LIST and GET data."""
    chunks = [keys[i::workers] for i in range(workers)]

    def run(ks: list[str]) -> None:
        c = t.conn()
        for k in ks:
            _put(c, t.presigner.path("PUT", bucket, k), body)
        c.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        for f in [ex.submit(run, ch) for ch in chunks]:
            f.result()
    return len(keys) / (time.perf_counter() - t0)


# --------------------------------------------------------------------------- 64 MiB objects


def bench_large(
    t: Target,
    bucket: str,
    conc: int,
    size: int,
    duration: float,
    min_ops: int,
    body: bytes,
    profile: Profiler = _no_profile,
) -> dict[str, object]:
    """PUT then GET objects of `size` bytes with `conc` workers; each worker keeps starting operations
    until `duration` has passed (and at least `min_ops`).  Throughput = bytes / wall time."""
    assert len(body) == size
    keys: list[list[str]] = [[] for _ in range(conc)]
    out: dict[str, object] = {"size": size, "concurrency": conc}

    def phase(op: str) -> None:
        barrier = threading.Barrier(conc + 1)
        counts = [0] * conc
        lat: list[float] = []
        errors: list[BaseException] = []

        def worker(w: int) -> None:
            c = t.conn()
            c.connect()
            buf = memoryview(bytearray(4 * MiB))
            barrier.wait()
            deadline = time.perf_counter() + duration
            i = 0
            try:
                while i < min_ops or time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    if op == "put":
                        k = f"big-c{conc}/w{w}/{i}"
                        _put(c, t.presigner.path("PUT", bucket, k), body)
                        keys[w].append(k)
                    else:
                        k = keys[w][i % len(keys[w])]
                        n = _get_into(c, t.presigner.path("GET", bucket, k), buf)
                        if n != size:
                            raise RuntimeError(f"GET {k}: {n} bytes, expected {size}")
                    lat.append(time.perf_counter() - t0)
                    i += 1
                    counts[w] = i
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
            finally:
                c.close()

        ths = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(conc)]
        for th in ths:
            th.start()
        with profile(f"{op}{size // MiB}m-c{conc}"), CpuMeter(t.pgid) as m:
            barrier.wait()
            for th in ths:
                th.join()
        if errors:
            raise errors[0]
        ops = sum(counts)
        lat.sort()
        out[op] = {
            "mib_s": round(ops * size / MiB / m.wall, 1),
            "objects": ops,
            "p50_s": round(lat[len(lat) // 2], 3),
            "max_s": round(lat[-1], 3),
            **m.as_dict(),
        }

    phase("put")
    # one full check of content on one object, outside timing
    c = t.conn()
    c.putrequest("GET", t.presigner.path("GET", bucket, keys[0][0]), skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    got = r.read()
    c.close()
    if got != body:
        raise RuntimeError(f"{t.name}: GET returned different bytes than were PUT")
    phase("get")
    return out


# --------------------------------------------------------------------------- 4 KiB objects via wrk


def find_wrk() -> str:
    w = shutil.which("wrk")
    if not w:
        raise RuntimeError("wrk not found (apt-get install -y wrk)")
    return w


def run_wrk(
    t: Target,
    method: str,
    paths: Iterator[str] | list[str],
    body_size: int,
    duration: float,
    connections: int,
    threads: int,
    workdir: Path,
    tag: str,
    profile: Profiler = _no_profile,
) -> dict[str, object]:
    url_file = workdir / f"urls-{t.name}-{tag}.txt"
    with open(url_file, "w") as f:
        for p in paths:
            f.write(p + "\n")
    cmd = [
        find_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(CYCLE_LUA),
        t.endpoint,
        "--",
        str(url_file),
        method,
        str(body_size),
        str(threads),
    ]
    with profile(f"{method.lower()}4k-c{connections}"), CpuMeter(t.pgid) as m:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    url_file.unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    r = json.loads(line[len("BENCHJSON ") :])
    errors = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_status"] + r["err_timeout"]
    secs = r["duration_us"] / 1e6
    return {
        "ops_s": round((r["requests"] - errors) / secs, 1),
        "requests": r["requests"],
        "errors": errors,
        "error_detail": {k: v for k, v in r.items() if k.startswith("err_") and v},
        "p50_ms": round(r["p50_us"] / 1000, 2),
        "p90_ms": round(r["p90_us"] / 1000, 2),
        "p99_ms": round(r["p99_us"] / 1000, 2),
        "max_ms": round(r["max_us"] / 1000, 2),
        "wrapped": r["wrapped"],
        "connections": connections,
        "wrk_threads": threads,
        **m.as_dict(),
    }


def check_small_get(t: Target, bucket: str, key: str, body: bytes) -> None:
    c = t.conn()
    c.request("GET", t.presigner.path("GET", bucket, key))
    r = c.getresponse()
    got = r.read()
    c.close()
    if r.status != 200 or got != body:
        raise RuntimeError(f"{t.name}: presigned GET of {key} failed: {r.status} {got[:200]!r}")


# --------------------------------------------------------------------------- LIST

_KEY = re.compile(rb"<Key>")
_NEXT = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")


def list_all(t: Target, bucket: str, page: int = 1000) -> tuple[int, int]:
    """Full paginated ListObjectsV2; returns (keys, pages)."""
    import html

    c = t.conn()
    token: str | None = None
    keys = pages = 0
    while True:
        params = {"list-type": "2", "max-keys": str(page)}
        if token is not None:
            params["continuation-token"] = token
        c.putrequest("GET", t.presigner.path("GET", bucket, "", params), skip_accept_encoding=True)
        c.endheaders()
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"LIST -> {r.status} {data[:300]!r}")
        pages += 1
        keys += len(_KEY.findall(data))
        m = _NEXT.search(data)
        if not m or b"<IsTruncated>true</IsTruncated>" not in data:
            break
        token = html.unescape(m.group(1).decode())
    c.close()
    return keys, pages


def bench_list(t: Target, bucket: str, nkeys: int, repeats: int) -> dict[str, object]:
    times = []
    with CpuMeter(t.pgid) as m:
        for _ in range(repeats):
            t0 = time.perf_counter()
            n, pages = list_all(t, bucket)
            times.append(time.perf_counter() - t0)
            if n != nkeys:
                raise RuntimeError(f"{t.name}: LIST returned {n} keys, expected {nkeys}")
    # cross-check once with boto3's paginator (outside timing)
    pag = t.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
    n2 = sum(len(p.get("Contents", [])) for p in pag.paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}))
    if n2 != nkeys:
        raise RuntimeError(f"{t.name}: boto3 paginator saw {n2} keys, expected {nkeys}")
    times.sort()
    return {
        "keys": nkeys,
        "pages": pages,
        "seconds": round(times[len(times) // 2], 4),
        "best_s": round(times[0], 4),
        "all_s": [round(x, 4) for x in times],
        **m.as_dict(),
    }
