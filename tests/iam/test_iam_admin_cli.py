"""`strongroom admin` for IAM identities, on the data dir of a running server: users, keys, groups,
managed and inline policies, attachments, roles and boundaries, seen by the IAM API and enforced by S3
(another process's change within the server's one-second identity cache)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_client
from iamclients import allow, doc, iam_fixtures, settle, unique

iam, raw, account_id = iam_fixtures()


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_users_keys_policies_and_groups_from_the_cli(server: ServerInfo, iam: Any, s3: Any, tmp_path: Path) -> None:
    user, group, bucket = unique("cli-u"), unique("cli-g"), unique("cli-data")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    arn = server.cli("admin", "user", "add", "main", user, "--path", "/ops/").stdout.strip()
    assert arn == iam.get_user(UserName=user)["User"]["Arn"] and ":user/ops/" in arn
    access, secret = f"AKIA{uuid.uuid4().hex[:16].upper()}", uuid.uuid4().hex + uuid.uuid4().hex[:8]
    server.cli("admin", "key", "create", "main", "--user", user, "--access-key", access, "--secret-key", secret)
    client = make_client(server.endpoint, access, secret)
    with pytest.raises(ClientError, match="AccessDenied"):
        client.get_object(Bucket=bucket, Key="k")
    policy_arn = server.cli("admin", "policy", "create", "main", unique("cli-read"),
                            _write(tmp_path, "read.json", doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*")))).stdout.strip()
    server.cli("admin", "group", "create", "main", group)
    server.cli("admin", "group", "add-user", "main", group, user)
    server.cli("admin", "policy", "attach", "main", policy_arn, "--group", group)
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]] == [policy_arn]
    settle()
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    server.cli("admin", "policy", "put-inline", "main", "deny", _write(tmp_path, "deny.json", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})), "--user", user)
    settle()
    with pytest.raises(ClientError, match="AccessDenied"):
        client.get_object(Bucket=bucket, Key="k")
    server.cli("admin", "key", "status", "main", access, "Inactive", "--user", user)
    assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    listed = server.cli("admin", "user", "list", "main").stdout
    assert f"{user}\t{arn}" in listed
    groups = server.cli("admin", "group", "list", "main").stdout
    assert f"{group}\t" in groups and user in groups


def test_cli_reports_iam_errors(server: ServerInfo) -> None:
    with pytest.raises(subprocess.CalledProcessError) as exc:
        server.cli("admin", "group", "delete", "main", "no-such-group-here")
    assert "NoSuchEntity" in exc.value.stderr
    user = unique("cli-busy")
    server.cli("admin", "user", "add", "main", user)
    server.cli("admin", "key", "create", "main", "--user", user)
    with pytest.raises(subprocess.CalledProcessError) as exc:
        server.cli("admin", "user", "delete", "main", user)
    assert "DeleteConflict" in exc.value.stderr
    with pytest.raises(subprocess.CalledProcessError) as exc:
        server.cli("admin", "user", "add", "main", user)
    assert "EntityAlreadyExists" in exc.value.stderr


def test_roles_and_boundaries_from_the_cli(server: ServerInfo, iam: Any, tmp_path: Path) -> None:
    role, user = unique("cli-role"), unique("cli-u")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    arn = server.cli("admin", "role", "create", "main", role, _write(tmp_path, "trust.json", trust), "--max-session-duration", "7200").stdout.strip()
    got = iam.get_role(RoleName=role)["Role"]
    assert got["Arn"] == arn and got["MaxSessionDuration"] == 7200
    boundary = server.cli("admin", "policy", "create", "main", unique("cli-b"), _write(tmp_path, "b.json", doc(allow("s3:*")))).stdout.strip()
    server.cli("admin", "role", "boundary", "main", role, boundary)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    server.cli("admin", "user", "add", "main", user)
    server.cli("admin", "user", "boundary", "main", user, boundary)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    server.cli("admin", "user", "boundary", "main", user)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]
    assert f"{role}\t{arn}\t7200" in server.cli("admin", "role", "list", "main").stdout
    server.cli("admin", "role", "boundary", "main", role)
    server.cli("admin", "role", "delete", "main", role)
    assert all(r["RoleName"] != role for r in iam.list_roles()["Roles"])
