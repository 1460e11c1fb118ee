"""Session fixtures: the real server as a subprocess on a free loopback port, with two accounts."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config

MAIN_KEY, MAIN_SECRET = "AKIAMAINTESTKEY00001", "main-secret-key-for-tests-only-000000001"
ALT_KEY, ALT_SECRET = "AKIAALTTESTKEY000002", "alt-secret-key-for-tests-only-0000000002"
READY_TIMEOUT_SECONDS = 30
# Every server and CLI the tests start runs this checkout's code, not whatever copy is pip-installed
# (so several worktrees can be tested side by side).
SRC_DIR = Path(__file__).resolve().parents[1] / "src"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC_DIR), os.environ.get("PYTHONPATH", "")) if p)


@dataclass(frozen=True)
class ServerInfo:
    """A running Strongroom: where it listens and where it keeps its data."""

    endpoint: str
    host: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: object

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `strongroom --data-dir <dir> ...` against this server's data."""
        return subprocess.run(
            [sys.executable, "-m", "strongroom.cli", "--data-dir", str(self.data_dir), *args],
            env=self.env, capture_output=True, text=True, check=True, timeout=60,
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> ServerInfo:
    """Start `strongroom server` and wait until it answers."""
    port = free_port()
    env = {**os.environ, "STRONGROOM_ROOT_ACCESS_KEY": MAIN_KEY, "STRONGROOM_ROOT_SECRET_KEY": MAIN_SECRET, **(extra_env or {})}
    log = open(data_dir.parent / f"server-{port}.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [sys.executable, "-m", "strongroom.cli", "server", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir.parent / f'server-{port}.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        log.close()
        raise RuntimeError("server did not start")
    return ServerInfo(f"http://127.0.0.1:{port}", "127.0.0.1", port, data_dir, process, env, log)


def stop_server(info: ServerInfo) -> None:
    """Stop the server we started, by its PID."""
    info.process.terminate()
    try:
        info.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        info.process.kill()
        info.process.wait()
    info.log.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def server() -> Iterator[ServerInfo]:
    """One server for the session (per xdist worker), accounts "main" and "alt"."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-test-"))
    data_dir = root / "data"
    env = {**os.environ, "STRONGROOM_ROOT_ACCESS_KEY": MAIN_KEY, "STRONGROOM_ROOT_SECRET_KEY": MAIN_SECRET}
    subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(data_dir), "admin", "account", "add", "alt", "--access-key", ALT_KEY, "--secret-key", ALT_SECRET],
        env=env, check=True, capture_output=True, timeout=60,
    )
    info = start_server(data_dir)
    yield info
    stop_server(info)
    shutil.rmtree(root, ignore_errors=True)


def make_client(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET, *, verify: Path | None = None, **config: object) -> object:
    """A boto3 S3 client for the server, path style (``verify``: the CA bundle of an HTTPS endpoint)."""
    options: dict[str, object] = {"s3": {"addressing_style": "path"}, "signature_version": "s3v4", "retries": {"max_attempts": 1}, **config}
    cfg = Config(**options)  # type: ignore[arg-type]
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1", config=cfg,
                        verify=str(verify) if verify is not None else None)


def make_kms_client(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET) -> object:
    """A boto3 KMS client for the server's built-in KMS (no retries: a failure is the answer)."""
    return boto3.client("kms", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def account_id_of(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET) -> str:
    """The 12-digit id of the account an access key belongs to (STS GetCallerIdentity)."""
    sts = boto3.client("sts", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1",
                       config=Config(retries={"max_attempts": 1}))
    return str(sts.get_caller_identity()["Account"])


def make_control_client(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET) -> object:
    """A boto3 S3 Control client for the server. SDKs put the account id in front of the endpoint's host
    (``{account}.127.0.0.1``, which no resolver knows); the hook sends the request to the endpoint itself,
    before signing, so the server sees an ordinary signed request with x-amz-account-id."""
    client = boto3.client("s3control", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                          region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    netloc = urlsplit(endpoint).netloc

    def to_endpoint(request, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        request.url = urlunsplit(urlsplit(request.url)._replace(netloc=netloc))
        if "host" in request.headers:
            del request.headers["host"]
            request.headers["host"] = netloc

    client.meta.events.register("before-sign", to_endpoint)
    return client


@pytest.fixture(scope="session")
def s3(server: ServerInfo):  # type: ignore[no-untyped-def]
    """boto3 client of the "main" account."""
    return make_client(server.endpoint)


@pytest.fixture(scope="session")
def s3_alt(server: ServerInfo):  # type: ignore[no-untyped-def]
    """boto3 client of the "alt" account."""
    return make_client(server.endpoint, ALT_KEY, ALT_SECRET)


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    """A fresh, uniquely named bucket of the main account."""
    name = f"test-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


@dataclass(frozen=True)
class TLSServerInfo:
    """A second server serving HTTP and HTTPS side by side, its certificate from `strongroom dev-cert`."""

    server: ServerInfo
    https_endpoint: str
    tls_port: int
    cert_dir: Path

    @property
    def ca_cert(self) -> Path:
        """The dev CA that signed the server's certificate (what clients pass as verify=)."""
        return self.cert_dir / "ca.pem"


def wait_for_port(port: int, host: str = "127.0.0.1") -> None:
    """Block until something accepts connections on the port."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port}")


@contextlib.contextmanager
def running_server(extra_env: dict[str, str]) -> Iterator[ServerInfo]:
    """A server with its own settings (STRONGROOM_* env) and data dir, stopped and removed on exit."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-settings-test-"))
    info = start_server(root / "data", extra_env)
    try:
        yield info
    finally:
        stop_server(info)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def running_tls_server(extra_env: dict[str, str] | None = None) -> Iterator[TLSServerInfo]:
    """A server serving HTTP and HTTPS side by side (own data dir, dev CA), stopped on exit."""
    root = Path(tempfile.mkdtemp(prefix="strongroom-tls-test-"))
    cert_dir = root / "certs"
    subprocess.run([sys.executable, "-m", "strongroom.cli", "dev-cert", str(cert_dir)], check=True, capture_output=True, timeout=60)
    tls_port = free_port()
    info = start_server(root / "data", {
        "STRONGROOM_TLS_CERT": str(cert_dir / "server.pem"),
        "STRONGROOM_TLS_KEY": str(cert_dir / "server.key"),
        "STRONGROOM_TLS_PORT": str(tls_port),
        **(extra_env or {}),
    })
    try:
        wait_for_port(tls_port)
        yield TLSServerInfo(info, f"https://127.0.0.1:{tls_port}", tls_port, cert_dir)
    finally:
        stop_server(info)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def tls_server() -> Iterator[TLSServerInfo]:
    """Opt-in: HTTP and HTTPS from one server process (its own data dir), with a dev CA."""
    with running_tls_server() as info:
        yield info
