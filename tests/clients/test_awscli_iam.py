"""`aws iam --endpoint-url` against the server's IAM: users, keys, groups, inline and managed policies and
roles as the CLI sends them (including file:// documents), and IAM errors as the CLI reports them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from clients.conftest import Tool


def _json(aws: Tool, *args: str) -> dict[str, object]:
    return json.loads(aws.run("iam", *args, "--output", "json").stdout or "{}")  # type: ignore[no-any-return]


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_users_keys_and_groups(aws: Tool) -> None:
    user, group = _name("cli-user"), _name("cli-group")
    created = _json(aws, "create-user", "--user-name", user, "--path", "/cli/")["User"]
    assert created["Path"] == "/cli/" and created["UserName"] == user  # type: ignore[index]
    key = _json(aws, "create-access-key", "--user-name", user)["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40  # type: ignore[index]
    aws.run("iam", "update-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"], "--status", "Inactive")  # type: ignore[index]
    keys = _json(aws, "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
    assert [k["Status"] for k in keys] == ["Inactive"]  # type: ignore[union-attr, index]
    aws.run("iam", "create-group", "--group-name", group)
    aws.run("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
    members = _json(aws, "get-group", "--group-name", group)["Users"]
    assert [m["UserName"] for m in members] == [user]  # type: ignore[union-attr, index]
    refused = aws.run("iam", "delete-user", "--user-name", user, ok=False)
    assert refused.returncode != 0 and "DeleteConflict" in refused.stderr
    aws.run("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
    aws.run("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])  # type: ignore[index]
    aws.run("iam", "delete-user", "--user-name", user)
    missing = aws.run("iam", "get-user", "--user-name", user, ok=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr


def test_policies_and_roles_from_files(aws: Tool, tmp_path: Path) -> None:
    user, role, policy = _name("cli-user"), _name("cli-role"), _name("cli-policy")
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    (tmp_path / "identity.json").write_text(json.dumps(identity, indent=2))
    (tmp_path / "trust.json").write_text(json.dumps(trust))
    aws.run("iam", "create-user", "--user-name", user)
    aws.run("iam", "put-user-policy", "--user-name", user, "--policy-name", "read", "--policy-document", f"file://{tmp_path / 'identity.json'}")
    got = _json(aws, "get-user-policy", "--user-name", user, "--policy-name", "read")
    assert got["PolicyDocument"] == identity
    arn = _json(aws, "create-policy", "--policy-name", policy, "--policy-document", f"file://{tmp_path / 'identity.json'}")["Policy"]["Arn"]  # type: ignore[index]
    aws.run("iam", "attach-user-policy", "--user-name", user, "--policy-arn", arn)
    attached = _json(aws, "list-attached-user-policies", "--user-name", user)["AttachedPolicies"]
    assert attached == [{"PolicyName": policy, "PolicyArn": arn}]
    created = _json(aws, "create-role", "--role-name", role, "--assume-role-policy-document", f"file://{tmp_path / 'trust.json'}",
                    "--max-session-duration", "7200")["Role"]
    assert created["AssumeRolePolicyDocument"] == trust and created["MaxSessionDuration"] == 7200  # type: ignore[index]
    bad = aws.run("iam", "put-user-policy", "--user-name", user, "--policy-name", "bad", "--policy-document", "{nope", ok=False)
    assert bad.returncode != 0 and "MalformedPolicyDocument" in bad.stderr
