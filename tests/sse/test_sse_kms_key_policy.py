"""Key policies decide S3's use of a KMS key for its caller (SSE-KMS through boto3's s3 client):
kms:GenerateDataKey on writes, kms:Decrypt on reads, with kms:ViaService = s3.<region>.amazonaws.com
and the encryption context S3 uses (the caller's plus aws:s3:arn). A denial is 403 AccessDenied on the
S3 request. Includes seed 003's kms:ViaService policy adapted from SageMaker to S3, and seed 004's
kms:EncryptionContext:application policy used through S3."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from keypolicies import account_fixtures, code, policy, root

VIA_S3 = "s3.us-east-1.amazonaws.com"
CRYPTO = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
ADMIN = ["kms:Describe*", "kms:Get*", "kms:List*", "kms:Put*", "kms:Create*", "kms:Enable*", "kms:Disable*"]


kms, kms_alt, main_account, alt_account = account_fixtures()


@pytest.fixture
def key(kms) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return kms.create_key(Description="sse key policy test")["KeyMetadata"]  # type: ignore[no-any-return]


def _put(s3, bucket: str, name: str, key_id: str, body: bytes = b"payload", **extra: Any) -> Any:  # type: ignore[no-untyped-def]
    return s3.put_object(Bucket=bucket, Key=name, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id, **extra)


def _absent(s3, bucket: str, name: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        s3.head_object(Bucket=bucket, Key=name)
    except ClientError as exc:
        return exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    return False


def test_seed_003_via_service_policy_adapted_to_s3(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """Seed 003's policy with S3 in SageMaker's place: the account administers the key, and may use it
    only through S3 (kms:ViaService). Direct KMS use is refused; SSE-KMS PUT and GET work."""
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"direct")["CiphertextBlob"]  # before the policy
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN), {
        "Sid": "Allow S3 to use the key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{main_account}:root"},
        "Action": CRYPTO, "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": VIA_S3}},
    }))
    _put(s3, bucket, "via-s3", key["Arn"], b"through s3")
    got = s3.get_object(Bucket=bucket, Key="via-s3")
    assert got["Body"].read() == b"through s3" and got["SSEKMSKeyId"] == key["Arn"]
    for call in (
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == ("AccessDeniedException", 400)
    kms.describe_key(KeyId=key["KeyId"])  # administration is not restricted


def test_seed_003_as_written_grants_a_service_principal_nothing_here(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """The seed's statement names SageMaker as a service principal: valid, stored, and no grant to the
    account's callers, who keep only what the root statement gives them."""
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN), {
        "Sid": "Allow SageMaker to use the key", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": CRYPTO, "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "sagemaker.ap-southeast-1.amazonaws.com"}},
    }))
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "k", key["Arn"])
    assert code(exc) == ("AccessDenied", 403)
    assert _absent(s3, bucket, "k")


def test_deny_outside_s3_is_the_usual_pattern(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "Deny use outside S3", "Effect": "Deny", "Principal": "*", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
        "Resource": "*", "Condition": {"StringNotEquals": {"kms:ViaService": VIA_S3}},
    }))
    _put(s3, bucket, "k", key["KeyId"], b"ok")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"ok"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert code(exc) == ("AccessDeniedException", 400)


def test_denied_decrypt_is_403_on_get_and_denied_data_keys_403_on_put(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    _put(s3, bucket, "stored", key["KeyId"], b"readable until denied")
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "NoS3Decrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": VIA_S3}},
    }))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="stored")
    assert code(exc) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="stored", Range="bytes=2-5")
    assert code(exc) == ("AccessDenied", 403)
    assert s3.head_object(Bucket=bucket, Key="stored")["SSEKMSKeyId"] == key["Arn"]  # HEAD decrypts nothing
    with pytest.raises(ClientError) as exc:  # a copy reads its source
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "stored"})
    assert code(exc) == ("AccessDenied", 403)
    assert _absent(s3, bucket, "copy")
    _put(s3, bucket, "new", key["KeyId"], b"writes still work")  # GenerateDataKey is not denied

    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Sid": "NoS3DataKeys", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey*", "Resource": "*",
    }))
    assert s3.get_object(Bucket=bucket, Key="stored")["Body"].read() == b"readable until denied"
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "refused", key["KeyId"])
    assert code(exc) == ("AccessDenied", 403)
    assert _absent(s3, bucket, "refused")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024)
    assert code(exc) == ("AccessDenied", 403)
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])


def test_bucket_default_encryption_is_subject_to_the_key_policy(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}},
    ]})
    s3.put_object(Bucket=bucket, Key="default", Body=b"x")
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Effect": "Deny", "Principal": {"AWS": main_account}, "Action": "kms:GenerateDataKey", "Resource": "*",
    }))
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="refused", Body=b"x")
    assert code(exc) == ("AccessDenied", 403)


def test_object_arn_in_the_encryption_context(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """S3's encryption context carries the object ARN (aws:s3:arn); a key policy can confine the key to a prefix."""
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN), {
        "Sid": "OnlyThePublicPrefix", "Effect": "Allow", "Principal": {"AWS": main_account}, "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*", "Condition": {
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}/public/*"},
            "StringEquals": {"kms:ViaService": VIA_S3},
        },
    }))
    _put(s3, bucket, "public/a", key["KeyId"], b"in scope")
    assert s3.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"in scope"
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "private/a", key["KeyId"])
    assert code(exc) == ("AccessDenied", 403)


def test_seed_004_application_context_through_s3(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """Seed 004's condition (kms:EncryptionContext:application = s3proxy) on S3 requests: the caller's
    x-amz-server-side-encryption-context reaches the key policy; reads use the stored context."""
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN), {
        "Sid": "Enable S3 Proxy Encryption", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{main_account}:root"},
        "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:EncryptionContext:application": "s3proxy"}},
    }))
    context = base64.b64encode(json.dumps({"application": "s3proxy", "environment": "production"}).encode()).decode()
    _put(s3, bucket, "proxied", key["KeyId"], b"with context", SSEKMSEncryptionContext=context)
    assert s3.get_object(Bucket=bucket, Key="proxied")["Body"].read() == b"with context"
    for bad in (None, base64.b64encode(json.dumps({"application": "other"}).encode()).decode()):
        extra = {"SSEKMSEncryptionContext": bad} if bad else {}
        with pytest.raises(ClientError) as exc:
            _put(s3, bucket, "refused", key["KeyId"], **extra)
        assert code(exc) == ("AccessDenied", 403)


def test_cross_account_key_through_s3(s3, kms_alt, bucket, main_account) -> None:  # type: ignore[no-untyped-def]
    """An object sealed under another account's key (named by ARN): refused until that key's policy
    lets this account use it through S3."""
    theirs = kms_alt.create_key(Description="shared with main for S3")["KeyMetadata"]
    alt_account = theirs["AWSAccountId"]
    with pytest.raises(ClientError) as exc:
        _put(s3, bucket, "k", theirs["Arn"])
    assert code(exc) == ("AccessDenied", 403)
    kms_alt.put_key_policy(KeyId=theirs["KeyId"], PolicyName="default", Policy=policy(root(alt_account), {
        "Sid": "Main may use the key through S3", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{main_account}:root"},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": VIA_S3, "kms:CallerAccount": main_account}},
    }))
    put = _put(s3, bucket, "k", theirs["Arn"], b"sealed by their key")
    assert put["SSEKMSKeyId"] == theirs["Arn"]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"sealed by their key"
    # Revoked: existing objects become unreadable for this account.
    kms_alt.put_key_policy(KeyId=theirs["KeyId"], PolicyName="default", Policy=policy(root(alt_account)))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert code(exc) == ("AccessDenied", 403)


def test_reads_are_decided_whatever_the_key_caches_hold(s3, kms, bucket, key, main_account) -> None:  # type: ignore[no-untyped-def]
    """Unwrapped data keys and bucket keys are cached for reads; a key policy that stops allowing
    kms:Decrypt still refuses the next GET. With a bucket key, S3's context is the bucket ARN (AWS)."""
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}, "BucketKeyEnabled": True},
    ]})
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account, ADMIN), {
        "Sid": "ThisBucketThroughS3", "Effect": "Allow", "Principal": {"AWS": main_account}, "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{bucket}", "kms:ViaService": VIA_S3}},
    }))
    assert s3.put_object(Bucket=bucket, Key="bk", Body=b"under a bucket key")["BucketKeyEnabled"] is True
    for _ in range(2):  # the second read is served from the caches
        assert s3.get_object(Bucket=bucket, Key="bk")["Body"].read() == b"under a bucket key"
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(root(main_account), {
        "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
    }))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="bk")
    assert code(exc) == ("AccessDenied", 403)
