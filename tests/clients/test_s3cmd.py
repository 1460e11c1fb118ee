"""s3cmd against the real server (path style, SigV4): buckets, put/get/info/del, s3cmd's own multipart
upload and a sync round trip."""

from __future__ import annotations

import hashlib
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

MULTIPART_FILE_BYTES = 20 * 1024 * 1024 + 7  # five 5 MiB parts (multipart_chunk_size_mb = 5)
MULTIPART_PARTS = 5
SYNC_TREE = {
    **ODD_TREE,
    "readme.txt": 300,
    "with space.txt": 12,
    "plus+and ünï.txt": 40,
    "sub/dir/leaf.bin": 50_000,
    "sub/empty.txt": 0,
}


def _info(s3cmd: Tool, uri: str) -> dict[str, str]:
    """`s3cmd info` as a {field: value} dict ("   File size: 12" -> {"File size": "12"})."""
    fields = (
        line.strip().split(":", 1) for line in s3cmd.run("info", uri).stdout.splitlines() if ":" in line
    )
    return {k.strip(): v.strip() for k, v in fields}


def test_mb_ls_and_rb_create_list_and_remove_a_bucket(s3cmd: Tool, s3: S3Client, bucket_name: str) -> None:
    made = s3cmd.run("mb", f"s3://{bucket_name}")
    assert f"Bucket 's3://{bucket_name}/' created" in made.stdout
    assert f"s3://{bucket_name}" in s3cmd.run("ls").stdout.split()

    removed = s3cmd.run("rb", f"s3://{bucket_name}")
    assert f"Bucket 's3://{bucket_name}/' removed" in removed.stdout
    assert bucket_name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_put_ls_info_get_del_round_trip_one_object(
    s3cmd: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    s3cmd.run("mb", f"s3://{bucket_name}")
    src = tmp_path / "note.txt"
    src.write_bytes(b"strongroom via s3cmd\n" * 50)
    uri = f"s3://{bucket_name}/notes/note +1.txt"

    up = s3cmd.run("put", str(src), uri)
    assert f"-> '{uri}'" in up.stdout
    listed = s3cmd.run("ls", f"s3://{bucket_name}/").stdout
    assert f"DIR  s3://{bucket_name}/notes/" in listed
    rows = [line.split(None, 3) for line in s3cmd.run("ls", f"s3://{bucket_name}/notes/").stdout.splitlines()]
    assert [(r[2], r[3]) for r in rows] == [("1050", uri)]

    info = _info(s3cmd, uri)
    assert info["File size"] == "1050"
    assert info["MD5 sum"] == hashlib.md5(src.read_bytes()).hexdigest()
    assert info["SSE"] == "AES256"

    dst = tmp_path / "back.txt"
    s3cmd.run("get", uri, str(dst))
    assert dst.read_bytes() == src.read_bytes()

    deleted = s3cmd.run("del", uri)
    assert f"delete: '{uri}'" in deleted.stdout
    assert object_sizes(s3, bucket_name) == {}
    s3cmd.run("rb", f"s3://{bucket_name}")


def test_put_of_20_mib_uses_multipart_and_get_returns_the_same_bytes(
    s3cmd: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    s3cmd.run("mb", f"s3://{bucket_name}")
    src, dst = tmp_path / "big.bin", tmp_path / "big.back"
    digest = write_random_file(src, MULTIPART_FILE_BYTES)
    uri = f"s3://{bucket_name}/big.bin"

    up = s3cmd.run("put", str(src), uri)
    assert f"({MULTIPART_FILE_BYTES} bytes in" in up.stdout
    head = s3.head_object(Bucket=bucket_name, Key="big.bin")
    assert head["ContentLength"] == MULTIPART_FILE_BYTES
    assert head["ETag"].strip('"').endswith(f"-{MULTIPART_PARTS}")
    assert "s3cmd-attrs" in head["Metadata"]  # s3cmd keeps the whole-file md5 there; get verifies against it

    s3cmd.run("get", uri, str(dst))
    assert sha256_file(dst) == digest
    s3cmd.run("del", uri)
    s3cmd.run("rb", f"s3://{bucket_name}")


def test_sync_up_and_down_round_trips_a_tree_and_delete_removed_propagates(
    s3cmd: Tool, s3: S3Client, bucket_name: str, tmp_path: Path
) -> None:
    s3cmd.run("mb", f"s3://{bucket_name}")
    src, dst = tmp_path / "src", tmp_path / "dst"
    expected = make_tree(src, SYNC_TREE)

    s3cmd.run("sync", f"{src}/", f"s3://{bucket_name}/tree/")
    assert object_sizes(s3, bucket_name) == {f"tree/{rel}": size for rel, size in SYNC_TREE.items()}
    dst.mkdir()
    s3cmd.run("sync", f"s3://{bucket_name}/tree/", f"{dst}/")
    assert tree_digests(dst) == expected

    (src / "readme.txt").unlink()
    s3cmd.run("sync", "--delete-removed", f"{src}/", f"s3://{bucket_name}/tree/")
    assert "tree/readme.txt" not in object_sizes(s3, bucket_name)
    assert len(object_sizes(s3, bucket_name)) == len(SYNC_TREE) - 1
