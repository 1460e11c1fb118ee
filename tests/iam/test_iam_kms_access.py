"""KMS with identities: a key whose policy delegates to the account (the default key policy's root
statement) is usable by a user only as far as the user's identity policies allow, through the KMS API
and through S3 (SSE-KMS), as AWS evaluates it. Includes seed 000's least-privilege case as a user:
Decrypt/GenerateDataKey/DescribeKey on one key and read/write on one bucket, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import ServerInfo, make_kms_client
from iamclients import allow, code, doc, iam_fixtures, new_user, unique

iam, raw, account_id = iam_fixtures()


@pytest.fixture(scope="module")
def kms(server: ServerInfo) -> Any:
    return make_kms_client(server.endpoint)


def test_a_user_without_policies_cannot_use_or_create_keys(iam: Any, server: ServerInfo, kms: Any) -> None:
    key = kms.create_key(Description="default policy")["KeyMetadata"]
    user = new_user(iam, server.endpoint)
    for call in (lambda: user.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x"), lambda: user.kms.create_key(),
                 lambda: user.kms.describe_key(KeyId=key["Arn"])):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDeniedException", 400)
        assert "no identity-based policy" in exc.value.response["Error"]["Message"]


def test_an_identity_policy_opens_the_keys_and_actions_it_names(iam: Any, server: ServerInfo, kms: Any) -> None:
    key, other = kms.create_key()["KeyMetadata"], kms.create_key()["KeyMetadata"]
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="one-key", PolicyDocument=doc(allow(["kms:Encrypt", "kms:Decrypt"], key["Arn"])))
    blob = user.kms.encrypt(KeyId=key["Arn"], Plaintext=b"secret")["CiphertextBlob"]
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    with pytest.raises(ClientError) as exc:
        user.kms.encrypt(KeyId=other["Arn"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)
    with pytest.raises(ClientError) as exc:
        user.kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert code(exc) == ("AccessDeniedException", 400)


def test_sse_kms_writes_and_reads_need_the_users_kms_permissions(iam: Any, server: ServerInfo, s3: Any, kms: Any) -> None:
    key, bucket = kms.create_key()["KeyMetadata"], unique("iam-sse")
    s3.create_bucket(Bucket=bucket)
    user = new_user(iam, server.endpoint)
    iam.put_user_policy(UserName=user.name, PolicyName="s3", PolicyDocument=doc(allow(["s3:PutObject", "s3:GetObject"], f"arn:aws:s3:::{bucket}/*")))
    with pytest.raises(ClientError) as exc:
        user.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert code(exc) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user.name, PolicyName="kms-write", PolicyDocument=doc(allow("kms:GenerateDataKey", key["Arn"])))
    user.s3.put_object(Bucket=bucket, Key="k", Body=b"sealed", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    with pytest.raises(ClientError) as exc:
        user.s3.get_object(Bucket=bucket, Key="k")
    assert code(exc) == ("AccessDenied", 403)
    iam.put_user_policy(UserName=user.name, PolicyName="kms-read", PolicyDocument=doc(allow("kms:Decrypt", key["Arn"])))
    assert user.s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"sealed"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"sealed"  # the root, as ever


def test_seed_000_least_privilege_user_can_do_exactly_that(iam: Any, server: ServerInfo, s3: Any, kms: Any) -> None:
    """One key (Decrypt, GenerateDataKey, DescribeKey) and one bucket (read and write), nothing else."""
    key, other_key = kms.create_key()["KeyMetadata"], kms.create_key()["KeyMetadata"]
    bucket, other_bucket = unique("pod-data"), unique("pod-other")
    for name in (bucket, other_bucket):
        s3.create_bucket(Bucket=name)
    pod = new_user(iam, server.endpoint, "pod")
    iam.put_user_policy(UserName=pod.name, PolicyName="pod", PolicyDocument=doc(
        allow(["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], key["Arn"]),
        allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
    ))
    pod.s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    assert pod.s3.get_object(Bucket=bucket, Key="state.json")["Body"].read() == b"{}"
    assert [o["Key"] for o in pod.s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["state.json"]
    assert pod.kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    data_key = pod.kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert pod.kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    refused = [
        lambda: pod.kms.encrypt(KeyId=key["Arn"], Plaintext=b"x"),
        lambda: pod.kms.describe_key(KeyId=other_key["Arn"]),
        lambda: pod.kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7),
        lambda: pod.s3.put_object(Bucket=bucket, Key="other-key", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other_key["Arn"]),
        lambda: pod.s3.put_object(Bucket=other_bucket, Key="x", Body=b"x"),
        lambda: pod.s3.delete_object(Bucket=bucket, Key="state.json"),
        lambda: pod.s3.list_buckets(),
    ]
    for call in refused:
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc)[0] in ("AccessDenied", "AccessDeniedException")
    assert kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="state.json")["Body"].read() == b"{}"
