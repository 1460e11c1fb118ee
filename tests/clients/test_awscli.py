"""The AWS CLI (`aws s3` and `aws s3api`) against the real server: buckets, small and multipart copies,
listings, a sync round trip of awkward key names, recursive removal."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from clients.conftest import (
    ODD_TREE,
    S3Client,
    Tool,
    make_tree,
    object_sizes,
    sha256_file,
    tree_digests,
    write_random_file,
)

BIG_FILE_BYTES = 100 * 1024 * 1024 + 12_345  # over 100 MiB: 7 parts of 16 MiB at the config's chunk size
BIG_FILE_PARTS = 7
BIG_TIMEOUT_SECONDS = 240


def _bucket_names(aws: Tool) -> set[str]:
    """Names from `aws s3 ls` (one "date time name" line per bucket)."""
    return {line.split()[-1] for line in aws.run("s3", "ls").stdout.splitlines() if line.strip()}


def test_mb_ls_and_rb_create_list_and_delete_a_bucket(aws: Tool, s3: S3Client, bucket_name: str) -> None:
    made = aws.run("s3", "mb", f"s3://{bucket_name}")
    assert f"make_bucket: {bucket_name}" in made.stdout
    assert bucket_name in _bucket_names(aws)

    removed = aws.run("s3", "rb", f"s3://{bucket_name}")
    assert f"remove_bucket: {bucket_name}" in removed.stdout
    gone = aws.run("s3api", "head-bucket", "--bucket", bucket_name, ok=False)
    assert gone.returncode != 0 and "404" in gone.stderr
    assert bucket_name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_cp_small_file_up_and_down_returns_the_same_bytes(
    aws: Tool, bucket_name: str, tmp_path: Path
) -> None:
    aws.run("s3", "mb", f"s3://{bucket_name}")
    src = tmp_path / "hello.txt"
    src.write_bytes(b"hello, strongroom\n" * 100)

    up = aws.run("s3", "cp", "--no-progress", str(src), f"s3://{bucket_name}/docs/hello.txt")
    assert up.stdout.startswith("upload: ") and up.stdout.rstrip().endswith(
        f"hello.txt to s3://{bucket_name}/docs/hello.txt"
    )
    head = json.loads(
        aws.run("s3api", "head-object", "--bucket", bucket_name, "--key", "docs/hello.txt").stdout
    )
    assert head["ContentLength"] == 1800
    assert head["ServerSideEncryption"] == "AES256"
    assert "-" not in head["ETag"]  # a single PUT, not multipart

    dst = tmp_path / "back.txt"
    aws.run("s3", "cp", f"s3://{bucket_name}/docs/hello.txt", str(dst))
    assert dst.read_bytes() == src.read_bytes()

    streamed = aws.run("s3", "cp", f"s3://{bucket_name}/docs/hello.txt", "-")  # to stdout
    assert streamed.stdout == src.read_text()


def test_cp_of_file_over_100_mib_uses_multipart_and_round_trips(
    aws: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    aws.run("s3", "mb", f"s3://{bucket_name}")
    big = tmp_path / "big.bin"
    digest = write_random_file(big, BIG_FILE_BYTES)
    back = tmp_path / "big.back"
    try:
        aws.run("s3", "cp", str(big), f"s3://{bucket_name}/big.bin", timeout=BIG_TIMEOUT_SECONDS)
        head = json.loads(aws.run("s3api", "head-object", "--bucket", bucket_name, "--key", "big.bin").stdout)
        assert head["ContentLength"] == BIG_FILE_BYTES
        assert head["ETag"].strip('"').endswith(f"-{BIG_FILE_PARTS}")  # multipart ETag: md5-of-md5s "-N"

        aws.run("s3", "cp", f"s3://{bucket_name}/big.bin", str(back), timeout=BIG_TIMEOUT_SECONDS)
        assert back.stat().st_size == BIG_FILE_BYTES
        assert sha256_file(back) == digest
    finally:
        big.unlink(missing_ok=True)
        back.unlink(missing_ok=True)
    aws.run("s3", "rm", f"s3://{bucket_name}/big.bin")
    assert object_sizes(s3, bucket_name) == {}


def test_ls_shows_prefixes_at_one_level_and_every_key_when_recursive(
    aws: Tool, bucket_name: str, tmp_path: Path
) -> None:
    aws.run("s3", "mb", f"s3://{bucket_name}")
    make_tree(tmp_path, {"top.txt": 3, "a/one.txt": 11, "a/b/two.txt": 22, "c/three.txt": 33})
    aws.run("s3", "cp", "--recursive", str(tmp_path), f"s3://{bucket_name}/")

    rows = [line.split() for line in aws.run("s3", "ls", f"s3://{bucket_name}/").stdout.splitlines()]
    assert sorted(r[1] for r in rows if r[0] == "PRE") == ["a/", "c/"]
    assert [(r[2], r[3]) for r in rows if r[0] != "PRE"] == [("3", "top.txt")]

    nested = [line.split() for line in aws.run("s3", "ls", f"s3://{bucket_name}/a/").stdout.splitlines()]
    assert [r for r in nested if r[0] == "PRE"] == [["PRE", "b/"]]
    assert [(r[2], r[3]) for r in nested if r[0] != "PRE"] == [("11", "one.txt")]

    flat = [
        line.split() for line in aws.run("s3", "ls", "--recursive", f"s3://{bucket_name}").stdout.splitlines()
    ]
    assert {(r[3], int(r[2])) for r in flat} == {
        ("top.txt", 3),
        ("a/one.txt", 11),
        ("a/b/two.txt", 22),
        ("c/three.txt", 33),
    }


def test_sync_of_odd_key_names_round_trips_byte_for_byte(
    aws: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    aws.run("s3", "mb", f"s3://{bucket_name}")
    src, dst = tmp_path / "src", tmp_path / "dst"
    expected = make_tree(src, ODD_TREE)
    # S3 keeps Last-Modified to the second; a file written in the same second as its upload would look
    # newer than its copy to `aws s3 sync` (against AWS too). Date the files a minute back.
    past = time.time() - 60
    for path in src.rglob("*"):
        os.utime(path, (past, past))

    aws.run("s3", "sync", str(src), f"s3://{bucket_name}/tree")
    assert object_sizes(s3, bucket_name) == {f"tree/{rel}": size for rel, size in ODD_TREE.items()}
    again = aws.run("s3", "sync", str(src), f"s3://{bucket_name}/tree")
    assert again.stdout.strip() == ""  # nothing changed: sizes and times agree, so nothing is re-sent

    dst.mkdir()
    aws.run("s3", "sync", f"s3://{bucket_name}/tree", str(dst))
    assert tree_digests(dst) == expected


def test_rm_recursive_removes_only_the_prefix_then_rb_removes_the_bucket(
    aws: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    aws.run("s3", "mb", f"s3://{bucket_name}")
    make_tree(tmp_path, {"keep/a.txt": 1, "drop/b.txt": 2, "drop/c d/e+f.txt": 3, "drop/ü.txt": 4})
    aws.run("s3", "cp", "--recursive", str(tmp_path), f"s3://{bucket_name}/")

    removed = aws.run("s3", "rm", "--recursive", f"s3://{bucket_name}/drop/")
    assert removed.stdout.count("delete: ") == 3
    assert object_sizes(s3, bucket_name) == {"keep/a.txt": 1}

    refused = aws.run("s3", "rb", f"s3://{bucket_name}", ok=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr
    aws.run("s3", "rb", "--force", f"s3://{bucket_name}")
    assert bucket_name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
