"""`aws kms --endpoint-url` against the built-in KMS: every operation it serves, unchanged from AWS use,
and KMS errors as the CLI reports them; plus `aws s3 cp --sse aws:kms` through the same keys."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest

from clients.conftest import S3Client, Tool, write_random_file


def _json(aws: Tool, *args: str) -> dict[str, object]:
    return json.loads(aws.run("kms", *args, "--output", "json").stdout or "{}")  # type: ignore[no-any-return]


def _key(aws: Tool, description: str = "aws cli test") -> dict[str, str]:
    return _json(aws, "create-key", "--description", description, "--tags", "TagKey=team,TagValue=storage")["KeyMetadata"]  # type: ignore[return-value]


def test_key_management_operations(aws: Tool) -> None:
    key = _key(aws)
    assert key["KeyState"] == "Enabled" and key["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert _json(aws, "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]  # type: ignore[index]
    listed = {k["KeyId"] for k in _json(aws, "list-keys")["Keys"]}  # type: ignore[union-attr]
    assert key["KeyId"] in listed

    aws.run("kms", "disable-key", "--key-id", key["KeyId"])
    assert _json(aws, "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"  # type: ignore[index]
    aws.run("kms", "enable-key", "--key-id", key["KeyId"])
    assert _json(aws, "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["Enabled"] is True  # type: ignore[index]


def test_alias_operations(aws: Tool) -> None:
    first, second = _key(aws), _key(aws)
    alias = f"alias/cli-{uuid.uuid4().hex[:10]}"
    aws.run("kms", "create-alias", "--alias-name", alias, "--target-key-id", first["KeyId"])
    assert _json(aws, "describe-key", "--key-id", alias)["KeyMetadata"]["KeyId"] == first["KeyId"]  # type: ignore[index]
    aws.run("kms", "update-alias", "--alias-name", alias, "--target-key-id", second["KeyId"])
    aliases = _json(aws, "list-aliases", "--key-id", second["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [alias]  # type: ignore[union-attr]
    aws.run("kms", "delete-alias", "--alias-name", alias)
    missing = aws.run("kms", "describe-key", "--key-id", alias, ok=False)
    assert missing.returncode != 0 and "NotFoundException" in missing.stderr


def test_tag_operations(aws: Tool) -> None:
    key = _key(aws)
    aws.run("kms", "tag-resource", "--key-id", key["KeyId"], "--tags", "TagKey=env,TagValue=prod")
    tags = {t["TagKey"]: t["TagValue"] for t in _json(aws, "list-resource-tags", "--key-id", key["KeyId"])["Tags"]}  # type: ignore[union-attr]
    assert tags == {"team": "storage", "env": "prod"}
    aws.run("kms", "untag-resource", "--key-id", key["KeyId"], "--tag-keys", "team")
    tags = {t["TagKey"]: t["TagValue"] for t in _json(aws, "list-resource-tags", "--key-id", key["KeyId"])["Tags"]}  # type: ignore[union-attr]
    assert tags == {"env": "prod"}


def test_cryptographic_operations(aws: Tool, tmp_path: Path) -> None:
    key, other = _key(aws), _key(aws)
    plaintext = tmp_path / "secret.txt"
    plaintext.write_bytes(b"attack at dawn")
    encrypted = _json(
        aws, "encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{plaintext}", "--encryption-context", "purpose=cli-test"
    )
    blob = tmp_path / "blob"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))  # type: ignore[arg-type]
    decrypted = _json(aws, "decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "purpose=cli-test")
    assert base64.b64decode(decrypted["Plaintext"]) == b"attack at dawn"  # type: ignore[arg-type]
    assert decrypted["KeyId"] == key["Arn"]

    wrong = aws.run("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}", "--encryption-context", "purpose=other", ok=False)
    assert wrong.returncode != 0 and "InvalidCiphertextException" in wrong.stderr

    moved = _json(
        aws, "re-encrypt", "--ciphertext-blob", f"fileb://{blob}", "--source-encryption-context", "purpose=cli-test",
        "--destination-key-id", other["KeyId"],
    )
    assert moved["KeyId"] == other["Arn"] and moved["SourceKeyId"] == key["Arn"]

    data_key = _json(aws, "generate-data-key", "--key-id", key["KeyId"], "--key-spec", "AES_256")
    assert len(base64.b64decode(data_key["Plaintext"])) == 32  # type: ignore[arg-type]
    wrapped = tmp_path / "wrapped"
    wrapped.write_bytes(base64.b64decode(data_key["CiphertextBlob"]))  # type: ignore[arg-type]
    assert _json(aws, "decrypt", "--ciphertext-blob", f"fileb://{wrapped}")["Plaintext"] == data_key["Plaintext"]

    without = _json(aws, "generate-data-key-without-plaintext", "--key-id", key["KeyId"], "--number-of-bytes", "16")
    assert "Plaintext" not in without and without["KeyId"] == key["Arn"]

    random = _json(aws, "generate-random", "--number-of-bytes", "64")
    assert len(base64.b64decode(random["Plaintext"])) == 64  # type: ignore[arg-type]


def test_disabled_key_is_reported_by_the_cli(aws: Tool, tmp_path: Path) -> None:
    key = _key(aws)
    aws.run("kms", "disable-key", "--key-id", key["KeyId"])
    plaintext = tmp_path / "p"
    plaintext.write_bytes(b"x")
    refused = aws.run("kms", "encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{plaintext}", ok=False)
    assert refused.returncode != 0 and "DisabledException" in refused.stderr


@pytest.mark.parametrize("size", [1000, 20 * 1024 * 1024])  # a single PUT and a multipart upload
def test_s3_cp_with_sse_kms_uses_the_named_key(aws: Tool, s3: S3Client, bucket_name: str, tmp_path: Path, size: int) -> None:
    key = _key(aws)
    aws.run("s3", "mb", f"s3://{bucket_name}")
    source = tmp_path / "up.bin"
    write_random_file(source, size)
    aws.run("s3", "cp", str(source), f"s3://{bucket_name}/obj", "--sse", "aws:kms", "--sse-kms-key-id", key["KeyId"])
    head = s3.head_object(Bucket=bucket_name, Key="obj")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    aws.run("s3", "cp", f"s3://{bucket_name}/obj", str(tmp_path / "down.bin"))
    assert (tmp_path / "down.bin").read_bytes() == source.read_bytes()
