"""`aws sts --endpoint-url`: who am I, assuming a role, and the CLI using the temporary credentials."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

from clients.conftest import Tool


def _json(aws: Tool, *args: str) -> dict[str, object]:
    return json.loads(aws.run(*args, "--output", "json").stdout or "{}")  # type: ignore[no-any-return]


def test_assume_role_and_use_the_session(aws: Tool) -> None:
    me = _json(aws, "sts", "get-caller-identity")
    account = str(me["Account"])
    assert me["Arn"] == f"arn:aws:iam::{account}:root"
    role, bucket = f"cli-role-{uuid.uuid4().hex[:8]}", f"cli-sts-{uuid.uuid4().hex[:12]}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    role_arn = _json(aws, "iam", "create-role", "--role-name", role, "--assume-role-policy-document", json.dumps(trust))["Role"]["Arn"]  # type: ignore[index]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"}]}
    aws.run("iam", "put-role-policy", "--role-name", role, "--policy-name", "list", "--policy-document", json.dumps(policy))
    aws.run("s3api", "create-bucket", "--bucket", bucket)
    creds = _json(aws, "sts", "assume-role", "--role-arn", str(role_arn), "--role-session-name", "cli", "--duration-seconds", "900")["Credentials"]
    session = replace(aws, env={**aws.env, "AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],  # type: ignore[index]
                                "AWS_SESSION_TOKEN": creds["SessionToken"]})  # type: ignore[index]
    assert _json(session, "sts", "get-caller-identity")["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role}/cli"
    assert session.run("s3api", "list-objects-v2", "--bucket", bucket).returncode == 0
    refused = session.run("s3api", "create-bucket", "--bucket", f"{bucket}-2", ok=False)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
