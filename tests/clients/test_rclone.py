"""rclone against the real server (an env-var remote `sr:`, provider Other, path style): copy of a tree with
awkward names and a multipart file, check (by hash and by download), lsf, delete and purge."""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath

import pytest

from clients.conftest import ODD_TREE, S3Client, Tool, make_tree, object_sizes, tree_digests

BIG_NAME = "big files/over 20 MiB.bin"
BIG_FILE_BYTES = 21 * 1024 * 1024 + 3
PART_BYTES = 5 * 1024 * 1024
MULTIPART_FLAGS = ("--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M")
TREE = {**ODD_TREE, BIG_NAME: BIG_FILE_BYTES}


@pytest.fixture
def uploaded(rclone: Tool, bucket_name: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A local tree (odd names and a multipart-sized file) copied into a fresh bucket with rclone."""
    src = tmp_path / "src"
    digests = make_tree(src, TREE)
    rclone.run("mkdir", f"sr:{bucket_name}")
    rclone.run("copy", *MULTIPART_FLAGS, str(src), f"sr:{bucket_name}")
    return src, digests


def test_copy_stores_every_file_and_the_big_one_as_multipart(
    uploaded: tuple[Path, dict[str, str]], s3: S3Client, bucket_name: str
) -> None:
    assert object_sizes(s3, bucket_name) == TREE
    head = s3.head_object(Bucket=bucket_name, Key=BIG_NAME)
    assert head["ETag"].strip('"').endswith(f"-{math.ceil(BIG_FILE_BYTES / PART_BYTES)}")
    assert (
        len(head["Metadata"]["md5chksum"]) > 0
    )  # rclone's whole-file md5 for multipart objects, used by check


@pytest.mark.parametrize("how", [(), ("--download",)], ids=["by-hash", "by-download"])
def test_check_after_copy_finds_no_differences(
    uploaded: tuple[Path, dict[str, str]], rclone: Tool, bucket_name: str, how: tuple[str, ...]
) -> None:
    src, _ = uploaded
    checked = rclone.run("check", *how, str(src), f"sr:{bucket_name}")
    assert "0 differences found" in checked.stderr
    assert f"{len(TREE)} matching files" in checked.stderr


def test_check_notices_a_changed_object(
    uploaded: tuple[Path, dict[str, str]], rclone: Tool, s3: S3Client, bucket_name: str
) -> None:
    src, _ = uploaded
    s3.put_object(
        Bucket=bucket_name, Key="plain.txt", Body=b"x" * ODD_TREE["plain.txt"]
    )  # same size, new bytes
    checked = rclone.run("check", "--download", str(src), f"sr:{bucket_name}", ok=False)
    assert checked.returncode == 1
    assert "1 differences found" in checked.stderr


def test_lsf_recursive_lists_every_file_and_directory(
    uploaded: tuple[Path, dict[str, str]], rclone: Tool, bucket_name: str
) -> None:
    listed = rclone.run("lsf", "-R", f"sr:{bucket_name}").stdout.splitlines()
    dirs = {f"{parent}/" for rel in TREE for parent in PurePosixPath(rel).parents if str(parent) != "."}
    assert sorted(listed) == sorted({*TREE, *dirs})


def test_copy_back_down_returns_the_same_tree(
    uploaded: tuple[Path, dict[str, str]], rclone: Tool, bucket_name: str, tmp_path: Path
) -> None:
    _, digests = uploaded
    rclone.run("copy", f"sr:{bucket_name}", str(tmp_path / "down"))
    assert tree_digests(tmp_path / "down") == digests


def test_delete_with_filter_removes_only_matching_objects_then_purge_removes_the_bucket(
    uploaded: tuple[Path, dict[str, str]], rclone: Tool, s3: S3Client, bucket_name: str
) -> None:
    rclone.run("delete", "--include", "*.txt", f"sr:{bucket_name}")
    assert object_sizes(s3, bucket_name) == {k: v for k, v in TREE.items() if not k.endswith(".txt")}

    rclone.run("purge", f"sr:{bucket_name}")
    assert bucket_name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    missing = rclone.run("lsf", f"sr:{bucket_name}", ok=False)
    assert missing.returncode != 0 and "directory not found" in missing.stderr
