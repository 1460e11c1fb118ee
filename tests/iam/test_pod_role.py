"""Seed 000's pod role end to end: a role allowed only kms:Decrypt, kms:GenerateDataKey and
kms:DescribeKey on one key, and read/write on one bucket, used through STS credentials, can do exactly
that: SSE-KMS writes and reads with its key in its bucket, and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client
from iamclients import allow, doc, iam_fixtures, unique
from test_sts import make_sts, session_clients

iam, raw, account_id = iam_fixtures()


@pytest.fixture(scope="module")
def pod(server: ServerInfo, iam: Any, account_id: str) -> dict[str, Any]:
    owner_s3, owner_kms = make_client(server.endpoint), make_kms_client(server.endpoint)
    bucket, other_bucket = unique("pod-data"), unique("pod-other")
    for name in (bucket, other_bucket):
        owner_s3.create_bucket(Bucket=name)
    owner_s3.put_object(Bucket=other_bucket, Key="secret.txt", Body=b"not yours")
    key = owner_kms.create_key(Description="pod key")["KeyMetadata"]["Arn"]
    other_key = owner_kms.create_key(Description="someone else's key")["KeyMetadata"]["Arn"]
    role = unique("pod-role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role, PolicyName="pod", PolicyDocument=doc(
        allow(["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], key),
        allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
    ))
    role_arn = f"arn:aws:iam::{account_id}:role/{role}"
    creds = make_sts(server.endpoint, MAIN_KEY, MAIN_SECRET).assume_role(RoleArn=role_arn, RoleSessionName="pod-7f9c")["Credentials"]
    return {"bucket": bucket, "other_bucket": other_bucket, "key": key, "other_key": other_key, **session_clients(server.endpoint, creds)}


def _denied(call: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call()
    assert exc.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException"), exc.value.response["Error"]


def test_the_pod_reads_and_writes_its_bucket_under_its_key(pod: dict[str, Any]) -> None:
    s3, bucket = pod["s3"], pod["bucket"]
    put = s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=pod["key"])
    assert put["SSEKMSKeyId"] == pod["key"]
    assert s3.get_object(Bucket=bucket, Key="state.json")["Body"].read() == b"{}"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["state.json"]
    assert pod["kms"].describe_key(KeyId=pod["key"])["KeyMetadata"]["Arn"] == pod["key"]
    data_key = pod["kms"].generate_data_key(KeyId=pod["key"], KeySpec="AES_256")
    assert pod["kms"].decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]


def test_the_pod_can_do_nothing_else(pod: dict[str, Any]) -> None:
    s3, kms, bucket = pod["s3"], pod["kms"], pod["bucket"]
    _denied(lambda: s3.put_object(Bucket=bucket, Key="other-key.json", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=pod["other_key"]))
    _denied(lambda: s3.get_object(Bucket=pod["other_bucket"], Key="secret.txt"))
    _denied(lambda: s3.put_object(Bucket=pod["other_bucket"], Key="x", Body=b"x"))
    _denied(lambda: s3.delete_object(Bucket=bucket, Key="state.json"))
    _denied(lambda: s3.list_buckets())
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    _denied(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})))
    _denied(lambda: kms.describe_key(KeyId=pod["other_key"]))
    _denied(lambda: kms.encrypt(KeyId=pod["key"], Plaintext=b"x"))
    _denied(lambda: kms.schedule_key_deletion(KeyId=pod["key"]))
    _denied(lambda: kms.create_key())
    _denied(lambda: pod["iam"].list_roles())
