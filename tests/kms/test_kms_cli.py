"""`strongroom kms ...` on the data dir: the same keys the KMS API serves."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest


def _kms(server, *args: str, stdin: bytes = b"", check: bool = True) -> subprocess.CompletedProcess[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), "kms", *args],
        env=server.env, input=stdin, capture_output=True, check=check, timeout=60,
    )


def test_cli_keys_are_the_api_keys_and_round_trip_with_context(server) -> None:  # type: ignore[no-untyped-def]
    import boto3

    created = json.loads(_kms(server, "create-key", "--description", "from the cli").stdout)["KeyMetadata"]
    _kms(server, "create-alias", "alias/cli-demo-" + created["KeyId"][:8], created["KeyId"])
    kms = boto3.client("kms", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=server.env["STRONGROOM_ROOT_ACCESS_KEY"], aws_secret_access_key=server.env["STRONGROOM_ROOT_SECRET_KEY"])
    assert kms.describe_key(KeyId=created["KeyId"])["KeyMetadata"]["Description"] == "from the cli"
    blob = json.loads(_kms(server, "encrypt", created["KeyId"], "--encryption-context", '{"purpose":"test"}', stdin=b"secret").stdout)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=base64.b64decode(blob), EncryptionContext={"purpose": "test"})["Plaintext"] == b"secret"
    assert _kms(server, "decrypt", blob, "--encryption-context", '{"purpose":"test"}').stdout == b"secret"
    wrong = _kms(server, "decrypt", blob, "--encryption-context", '{"purpose":"other"}', check=False)
    assert wrong.returncode != 0 and b"InvalidCiphertextException" in wrong.stderr


def test_cli_disable_key_makes_it_unusable_until_enabled(server) -> None:  # type: ignore[no-untyped-def]
    key_id = json.loads(_kms(server, "create-key").stdout)["KeyMetadata"]["KeyId"]
    _kms(server, "disable-key", key_id)
    refused = _kms(server, "encrypt", key_id, stdin=b"x", check=False)
    assert refused.returncode != 0 and b"DisabledException" in refused.stderr
    _kms(server, "enable-key", key_id)
    assert json.loads(_kms(server, "describe-key", key_id).stdout)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("args", [("describe-key", "alias/does-not-exist"), ("decrypt", "bm90IGEgYmxvYg==")])
def test_cli_errors_are_one_line_not_tracebacks(server, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = _kms(server, *args, check=False)
    assert result.returncode != 0 and b"Traceback" not in result.stderr and result.stderr.startswith(b"Error: ")
