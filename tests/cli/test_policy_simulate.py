"""`strongroom policy simulate`: the real command, run as a subprocess, deciding from policy files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MAIN, ALT = "111111111111", "222222222222"
MAIN_ROOT, ALT_ROOT = f"arn:aws:iam::{MAIN}:root", f"arn:aws:iam::{ALT}:root"
OBJECT = "arn:aws:s3:::reports/2026/q1.csv"
KEY = f"arn:aws:kms:us-east-1:{MAIN}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `strongroom policy simulate ARGS` (this checkout's code: conftest puts src/ on PYTHONPATH)."""
    return subprocess.run([sys.executable, "-m", "strongroom.cli", "policy", "simulate", *args],
                          capture_output=True, text=True, timeout=60)


def as_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = simulate(*args, "--json")
    return result.returncode, json.loads(result.stdout)


def write(tmp_path: Path, name: str, *statements: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    return str(path)


def deny_http(bucket: str = "reports") -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def alt_read() -> dict[str, Any]:
    return {"Sid": "AltReads", "Effect": "Allow", "Principal": {"AWS": ALT}, "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]}


def test_secure_transport_false_is_an_explicit_deny_naming_the_statement(tmp_path: Path) -> None:
    policy = write(tmp_path, "bucket.json", deny_http())
    result = simulate("--bucket-policy", policy, "--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT,
                      "--context", "aws:SecureTransport=false")
    assert result.returncode == 1, result.stderr
    assert "Decision: ExplicitDeny" in result.stdout
    assert "Deny  bucket policy bucket.json, statement 1 (Sid 'DenyInsecureTransport')" in result.stdout


def test_secure_transport_true_is_allowed_by_the_owner_accounts_rights(tmp_path: Path) -> None:
    policy = write(tmp_path, "bucket.json", deny_http())
    status, out = as_json("--bucket-policy", policy, "--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT,
                          "--context", "aws:SecureTransport=true")
    assert status == 0 and out["Decision"] == "Allow"
    assert out["MatchedStatements"] == [{"Policy": "account principal", "Statement": 1, "Sid": "AccountPrincipal", "Effect": "Allow"}]


def test_cross_account_read_is_allowed_by_both_sides(tmp_path: Path) -> None:
    policy = write(tmp_path, "bucket.json", deny_http(), alt_read())
    status, out = as_json("--bucket-policy", policy, "--principal", ALT_ROOT, "--action", "s3:GetObject", "--resource", OBJECT,
                          "--resource-account", MAIN, "--context", "aws:SecureTransport=true")
    assert status == 0 and out["Decision"] == "Allow"
    assert [(s["Policy"], s["Sid"]) for s in out["MatchedStatements"]] == [("bucket policy bucket.json", "AltReads"), ("account principal", "AccountPrincipal")]
    assert out["Request"]["ResourceAccount"] == MAIN


def test_cross_account_write_is_an_implicit_deny_showing_what_applied(tmp_path: Path) -> None:
    policy = write(tmp_path, "bucket.json", alt_read())
    status, out = as_json("--bucket-policy", policy, "--principal", ALT_ROOT, "--action", "s3:PutObject", "--resource", OBJECT,
                          "--resource-account", MAIN)
    assert status == 1 and out["Decision"] == "ImplicitDeny" and out["MatchedStatements"] == []
    assert "no resource-based policy allows the s3:PutObject action" in out["Reason"]
    assert [s["Sid"] for s in out["ConsideredStatements"]] == ["AccountPrincipal"]


@pytest.mark.parametrize("principal", ["*", "anonymous"])
def test_anonymous_read_needs_a_public_statement(tmp_path: Path, principal: str) -> None:
    public = write(tmp_path, "public.json", {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"})
    status, out = as_json("--bucket-policy", public, "--principal", principal, "--action", "s3:GetObject", "--resource", OBJECT, "--resource-account", MAIN)
    assert status == 0 and [s["Sid"] for s in out["MatchedStatements"]] == ["PublicRead"] and out["Request"]["Principal"] == "anonymous"
    status, out = as_json("--principal", principal, "--action", "s3:GetObject", "--resource", OBJECT, "--resource-account", MAIN)
    assert status == 1 and out["Decision"] == "ImplicitDeny"


@pytest.mark.parametrize(("context", "expected"), [
    (["aws:TagKeys=project,owner"], "Allow"),
    (["aws:TagKeys=project", "aws:TagKeys=owner"], "Allow"),
    (["aws:TagKeys=project,secret"], "ExplicitDeny"),
    (["aws:TagKeys=project", "aws:TagKeys=secret"], "ExplicitDeny"),
])
def test_commas_and_repeated_keys_make_multi_valued_keys(tmp_path: Path, context: list[str], expected: str) -> None:
    policy = write(tmp_path, "bucket.json", {"Sid": "OnlyKnownTags", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                                             "Resource": "arn:aws:s3:::reports/*",
                                             "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["project", "owner"]}}})
    args = [a for pair in context for a in ("--context", pair)]
    status, out = as_json("--bucket-policy", policy, "--principal", MAIN_ROOT, "--action", "s3:PutObject", "--resource", OBJECT, *args)
    assert out["Decision"] == expected and status == (0 if expected == "Allow" else 1)
    assert out["Request"]["Context"]["aws:TagKeys"] == context[0].split("=")[1].split(",") + [c.split("=")[1] for c in context[1:]]


def test_identity_policies_of_a_user_decide_within_its_account(tmp_path: Path) -> None:
    reader = write(tmp_path, "reader.json", {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"})
    fence = write(tmp_path, "fence.json", {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::reports/secret/*"})
    user = f"arn:aws:iam::{MAIN}:user/alice"
    status, out = as_json("--policy", reader, "--policy", fence, "--principal", user, "--action", "s3:GetObject", "--resource", OBJECT)
    assert status == 0 and [s["Policy"] for s in out["MatchedStatements"]] == ["identity policy reader.json"]
    status, out = as_json("--policy", reader, "--policy", fence, "--principal", user, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::reports/secret/x")
    assert status == 1 and out["Decision"] == "ExplicitDeny" and [s["Sid"] for s in out["MatchedStatements"]] == ["NoSecrets"]
    assert "explicit deny in an identity-based policy" in out["Reason"]
    status, out = as_json("--policy", reader, "--principal", user, "--action", "s3:PutObject", "--resource", OBJECT)
    assert status == 1 and out["Decision"] == "ImplicitDeny"


def test_key_policy_limits_another_account_to_the_actions_it_names(tmp_path: Path) -> None:
    key_policy = write(tmp_path, "key.json",
                       {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": MAIN_ROOT}, "Action": "kms:*", "Resource": "*"},
                       {"Sid": "AltUsesKey", "Effect": "Allow", "Principal": {"AWS": ALT_ROOT},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*"})
    for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"):
        status, out = as_json("--key-policy", key_policy, "--principal", ALT_ROOT, "--action", action, "--resource", KEY)
        assert status == 0 and out["Request"]["ResourceAccount"] == MAIN, action  # the key ARN's account
    status, out = as_json("--key-policy", key_policy, "--principal", ALT_ROOT, "--action", "kms:Encrypt", "--resource", KEY)
    assert status == 1 and out["Decision"] == "ImplicitDeny"


def test_current_time_defaults_to_now_and_can_be_given(tmp_path: Path) -> None:
    policy = write(tmp_path, "bucket.json", {"Sid": "Until2000", "Effect": "Allow", "Principal": {"AWS": ALT}, "Action": "s3:GetObject",
                                             "Resource": "arn:aws:s3:::reports/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}})
    base = ("--bucket-policy", policy, "--principal", ALT_ROOT, "--action", "s3:GetObject", "--resource", OBJECT, "--resource-account", MAIN)
    assert as_json(*base)[1]["Decision"] == "ImplicitDeny"
    status, out = as_json(*base, "--context", "aws:CurrentTime=1999-12-31T23:00:00Z")
    assert status == 0 and out["Request"]["Context"]["aws:CurrentTime"] == "1999-12-31T23:00:00Z"


@pytest.mark.parametrize(("document", "reason"), [
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}', "Principal or NotPrincipal is required"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}', 'Effect must be "Allow" or "Deny"'),
    ('{"Version": "2012-10-17", "Statement": [', "not valid JSON"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",'
     ' "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}]}', "ten"),
])
def test_malformed_bucket_policy_is_exit_2_with_the_reason(tmp_path: Path, document: str, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(document)
    result = simulate("--bucket-policy", str(path), "--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"Error: MalformedPolicy: {path}: ") and reason in result.stderr and "Traceback" not in result.stderr


def test_identity_policy_naming_a_principal_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, "identity.json", {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    result = simulate("--policy", path, "--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT)
    assert result.returncode == 2 and "an identity policy must not specify a Principal" in result.stderr


@pytest.mark.parametrize("args", [
    ("--principal", "bob", "--action", "s3:GetObject", "--resource", OBJECT),
    ("--principal", MAIN_ROOT, "--action", "GetObject", "--resource", OBJECT),
    ("--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", "reports/q1.csv"),
    ("--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT, "--context", "novalue"),
    ("--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT, "--resource-account", "12"),
    ("--principal", MAIN_ROOT, "--resource", OBJECT),
    ("--principal", MAIN_ROOT, "--action", "s3:GetObject", "--resource", OBJECT, "--bucket-policy", "/no/such/file.json"),
])
def test_usage_errors_are_exit_2_without_a_traceback(args: tuple[str, ...]) -> None:
    result = simulate(*args)
    assert result.returncode == 2 and "Error:" in result.stderr and "Traceback" not in result.stderr
