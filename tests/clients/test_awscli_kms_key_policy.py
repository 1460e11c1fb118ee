"""`aws kms --endpoint-url` key policy commands: get-key-policy (the default policy), put-key-policy
from a file (validated, with the lockout check), list-key-policies, and create-key --policy."""

from __future__ import annotations

import json
from pathlib import Path

from clients.conftest import Tool


def _json(aws: Tool, *args: str) -> dict[str, object]:
    return json.loads(aws.run("kms", *args, "--output", "json").stdout or "{}")  # type: ignore[no-any-return]


def test_key_policy_commands(aws: Tool, tmp_path: Path) -> None:
    meta = _json(aws, "create-key")["KeyMetadata"]
    key_id, account = meta["KeyId"], meta["AWSAccountId"]  # type: ignore[index]
    default = json.loads(aws.run("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default", "--output", "text", "--query", "Policy").stdout)
    assert default["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert _json(aws, "list-key-policies", "--key-id", key_id)["PolicyNames"] == ["default"]
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
    ]}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    aws.run("kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{path}")
    stored = _json(aws, "get-key-policy", "--key-id", key_id, "--policy-name", "default")["Policy"]
    assert json.loads(str(stored)) == document
    created = _json(aws, "create-key", "--policy", f"file://{path}")["KeyMetadata"]
    assert json.loads(str(_json(aws, "get-key-policy", "--key-id", created["KeyId"], "--policy-name", "default")["Policy"])) == document  # type: ignore[index]


def test_malformed_and_lockout_policies_are_reported(aws: Tool, tmp_path: Path) -> None:
    key_id = str(_json(aws, "create-key")["KeyMetadata"]["KeyId"])  # type: ignore[index]
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}')
    failed = aws.run("kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{bad}", ok=False)
    assert failed.returncode != 0 and "MalformedPolicyDocumentException" in failed.stderr and "Principal" in failed.stderr
    lockout = tmp_path / "lockout.json"
    lockout.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "kms:*", "Resource": "*"},
    ]}))
    failed = aws.run("kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{lockout}", ok=False)
    assert failed.returncode != 0 and "MalformedPolicyDocumentException" in failed.stderr
    aws.run("kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{lockout}",
            "--bypass-policy-lockout-safety-check")
    denied = aws.run("kms", "describe-key", "--key-id", key_id, ok=False)
    assert denied.returncode != 0 and "AccessDeniedException" in denied.stderr
