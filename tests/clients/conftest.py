"""Helpers for the command-line client tests: one runner per tool (aws, s3cmd, rclone), each with its own
private config and a scrubbed environment, plus local trees of awkward file names to push through them.

tests/clients is a package (it has an __init__.py) so this conftest loads as `clients.conftest` and does
not replace the top-level `conftest` module that other test files import names from."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo

# boto3 client as the top-level `s3` fixture gives it (boto3-stubs are not installed in the test env).
S3Client = Any

CLIENT_TIMEOUT_SECONDS = 120
CHUNK_BYTES = 8 * 1024 * 1024
SERVER_LOG_TAIL_CHARS = 3000

# Local file names S3 clients tend to get wrong: URL-reserved characters, spaces, non-ASCII, nesting and
# an empty file. Relative paths with "/" separators; values are sizes in bytes.
ODD_TREE: dict[str, int] = {
    "plain.txt": 1000,
    "with space.txt": 17,
    "plus+sign.bin": 4096,
    "per%cent%20.txt": 33,
    "hash#mark.txt": 5,
    "amp&ersand=eq.txt": 64,
    "ünïcødé/日本語 ファイル.txt": 1234,
    "nested/deeper/still deeper/leaf (1).dat": 70_000,
    "nested/empty.txt": 0,
    "quote's ~tilde,comma;semi.txt": 9,
}


def _scrubbed_env() -> dict[str, str]:
    """os.environ without any AWS_/RCLONE_/S3CMD settings the developer's shell might carry."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3CMD"))}


def require_tool(name: str) -> str:
    """The tool's absolute path; a missing client is a failure (scripts/test installs them), not a skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name!r} is not on PATH; install it (scripts/test does: pip awscli/s3cmd, apt rclone)")
    return path


@dataclass
class Tool:
    """One command-line client bound to the test server: a fixed argv prefix and environment."""

    argv: list[str]
    env: dict[str, str]
    server: ServerInfo
    home: Path

    def run(
        self, *args: str, ok: bool = True, timeout: float = CLIENT_TIMEOUT_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        """Run the tool; with ok=True a non-zero exit fails the test with its output and the server log tail."""
        proc = subprocess.run(
            [*self.argv, *args],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if ok and proc.returncode != 0:
            pytest.fail(
                f"{' '.join(self.argv[:1] + list(args))} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}\n"
                f"--- server log tail\n{server_log_tail(self.server)}"
            )
        return proc


def server_log_tail(server: ServerInfo) -> str:
    """The end of the server's log, for failure messages."""
    log = server.data_dir.parent / f"server-{server.port}.log"
    try:
        return log.read_text(errors="replace")[-SERVER_LOG_TAIL_CHARS:]
    except OSError as exc:
        return f"(no server log: {exc})"


@pytest.fixture
def bucket_name(request: pytest.FixtureRequest) -> str:
    """A fresh bucket name (not yet created) unique to this test."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower())[:12].strip("-")
    return f"cli-{stem}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def aws(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Tool:
    """`aws --endpoint-url <server>` with a private config: path style, 16 MiB parts, no retries."""
    home = tmp_path_factory.mktemp("aws")
    config = home / "config"
    config.write_text(
        "[default]\nregion = us-east-1\nmax_attempts = 1\ns3 =\n"
        "    addressing_style = path\n    multipart_threshold = 16MB\n"
        "    multipart_chunksize = 16MB\n    max_concurrent_requests = 4\n"
    )
    env = {
        **_scrubbed_env(),
        "AWS_ACCESS_KEY_ID": MAIN_KEY,
        "AWS_SECRET_ACCESS_KEY": MAIN_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }
    return Tool([require_tool("aws"), "--endpoint-url", server.endpoint], env, server, home)


@pytest.fixture
def s3cmd(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Tool:
    """`s3cmd -c <private config>`: path style (host_bucket without %(bucket)s), SigV4, 5 MiB parts."""
    home = tmp_path_factory.mktemp("s3cmd")
    config = home / "s3cfg"
    host = f"{server.host}:{server.port}"
    config.write_text(
        "[default]\n"
        f"access_key = {MAIN_KEY}\nsecret_key = {MAIN_SECRET}\n"
        f"host_base = {host}\nhost_bucket = {host}\n"
        "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
        "multipart_chunk_size_mb = 5\nprogress_meter = False\n"
    )
    env = {**_scrubbed_env(), "HOME": str(home)}
    return Tool([require_tool("s3cmd"), "-c", str(config)], env, server, home)


@pytest.fixture
def rclone(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Tool:
    """`rclone` with the remote `sr:` defined by environment variables only (empty config file)."""
    home = tmp_path_factory.mktemp("rclone")
    (home / "rclone.conf").write_text("")
    env = {
        **_scrubbed_env(),
        "HOME": str(home),
        "RCLONE_CONFIG": str(home / "rclone.conf"),
        "RCLONE_CONFIG_SR_TYPE": "s3",
        "RCLONE_CONFIG_SR_PROVIDER": "Other",
        "RCLONE_CONFIG_SR_ENDPOINT": server.endpoint,
        "RCLONE_CONFIG_SR_ACCESS_KEY_ID": MAIN_KEY,
        "RCLONE_CONFIG_SR_SECRET_ACCESS_KEY": MAIN_SECRET,
        "RCLONE_CONFIG_SR_REGION": "us-east-1",
        "RCLONE_CONFIG_SR_FORCE_PATH_STYLE": "true",
        "RCLONE_LOW_LEVEL_RETRIES": "1",
        "RCLONE_RETRIES": "1",
    }
    return Tool([require_tool("rclone")], env, server, home)


def write_random_file(path: Path, size: int) -> str:
    """Write `size` random bytes in 8 MiB chunks; return their sha256 hex digest."""
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        remaining = size
        while remaining:
            chunk = os.urandom(min(CHUNK_BYTES, remaining))
            digest.update(chunk)
            f.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def make_tree(root: Path, files: dict[str, int]) -> dict[str, str]:
    """Create `files` (relative path -> size) of random bytes under root; return relative path -> sha256."""
    return {rel: write_random_file(root / rel, size) for rel, size in files.items()}


def tree_digests(root: Path) -> dict[str, str]:
    """Every regular file under root as relative "/"-separated path -> sha256."""
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


def object_sizes(s3: S3Client, bucket: str, prefix: str = "") -> dict[str, int]:
    """Key -> size of every object in the bucket under prefix, read back through boto3."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}
