"""The KMS audit trail: every key use (KMS API and SSE-KMS through S3) is one JSON line, read with
`strongroom kms events`; no plaintext, data key or key material ever appears in it."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from conftest import ALT_KEY, ALT_SECRET, MAIN_KEY, MAIN_SECRET, make_kms_client

EVENT_WAIT_SECONDS = 5.0


def _kms_client(server, key: str = MAIN_KEY, secret: str = MAIN_SECRET):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, key, secret)


def _events(server, *args: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), "kms", "events", *args],
        env=server.env, capture_output=True, text=True, check=True, timeout=60,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def _wait_events(server, count: int, *args: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Events of a filter, once at least ``count`` are there (S3 reads record theirs from a writer thread)."""
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while True:
        found = _events(server, *args)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_kms_api_calls_are_events_with_caller_key_context_and_request_id(server) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    created = kms.create_key(Description="audited")
    arn, key_id, account = created["KeyMetadata"]["Arn"], created["KeyMetadata"]["KeyId"], created["KeyMetadata"]["AWSAccountId"]
    encrypted = kms.encrypt(KeyId=key_id, Plaintext=b"audit me", EncryptionContext={"purpose": "audit-test"})
    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"purpose": "audit-test"})

    events = _events(server, "--key", key_id)

    assert [e["eventName"] for e in events] == ["CreateKey", "Encrypt", "Decrypt"]
    for event, response in zip(events, (created, encrypted, decrypted), strict=True):
        assert event["keyId"] == arn
        assert event["principal"] == f"arn:aws:iam::{account}:root"
        assert event["accountId"] == account
        assert event["eventSource"] == "kms.amazonaws.com"
        assert event["sourceIPAddress"] == "127.0.0.1"
        assert event["requestId"] == response["ResponseMetadata"]["RequestId"]
        assert event["errorCode"] is None and event["viaService"] is None
        assert "Botocore" in str(event["userAgent"]) or "boto" in str(event["userAgent"]).lower()
        assert datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00")) <= datetime.now(UTC) + timedelta(seconds=5)
    assert events[1]["encryptionContext"] == {"purpose": "audit-test"}
    assert events[2]["encryptionContext"] == {"purpose": "audit-test"}


def test_failed_key_uses_carry_the_kms_error_code(server) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"a": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError, match="InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "2"})
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError, match="DisabledException"):
        kms.encrypt(KeyId=key_id, Plaintext=b"y")
    arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError, match="AccessDeniedException"):
        _kms_client(server, ALT_KEY, ALT_SECRET).encrypt(KeyId=arn, Plaintext=b"z")

    events = _events(server, "--key", key_id)

    outcomes = [(e["eventName"], e["errorCode"]) for e in events]
    assert outcomes == [
        ("CreateKey", None), ("Encrypt", None), ("Decrypt", "InvalidCiphertextException"), ("DisableKey", None),
        ("Encrypt", "DisabledException"), ("DescribeKey", None), ("Encrypt", "AccessDeniedException"),
    ]
    denied = events[-1]
    assert denied["keyId"] == arn and denied["accountId"] != events[0]["accountId"]
    assert str(denied["principal"]).endswith(":root") and denied["errorMessage"]


def test_sse_kms_put_and_get_record_generate_data_key_and_decrypt_via_s3(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    key_arn = kms.create_key(Description="for s3")["KeyMetadata"]["Arn"]
    put = s3.put_object(Bucket=bucket, Key="doc", Body=b"object body", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    got = s3.get_object(Bucket=bucket, Key="doc")
    assert got["Body"].read() == b"object body"

    events = _wait_events(server, 3, "--key", key_arn)

    names = [e["eventName"] for e in events]
    assert names == ["CreateKey", "GenerateDataKey", "Decrypt"]
    generate, decrypt = events[1], events[2]
    assert generate["requestId"] == put["ResponseMetadata"]["RequestId"]
    assert decrypt["requestId"] == got["ResponseMetadata"]["RequestId"]
    for event in (generate, decrypt):
        assert event["viaService"] == "s3.us-east-1.amazonaws.com"
        assert event["principal"] == events[0]["principal"] and event["errorCode"] is None
        context = event["encryptionContext"]
        assert isinstance(context, dict) and context["aws:s3:arn"] == f"arn:aws:s3:::{bucket}/doc"


def test_events_filters_since_and_limit(server) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms.generate_random(NumberOfBytes=8)
        kms.describe_key(KeyId=key_id)
    events = _events(server, "--key", key_id)
    assert len(events) == 4
    assert len(_events(server, "--key", key_id, "--limit", "2")) == 2
    later = str(events[-1]["eventTime"])
    assert [e["eventId"] for e in _events(server, "--key", key_id, "--since", later)] == [events[-1]["eventId"]]
    assert _events(server, "--key", key_id, "--since", "2999-01-01T00:00:00Z") == []
    randoms = [e for e in _events(server, "--since", str(events[0]["eventTime"])) if e["eventName"] == "GenerateRandom"]
    assert len(randoms) >= 3 and all(e["keyId"] is None for e in randoms)


def test_events_rejects_a_bad_since_without_a_traceback(server) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), "kms", "events", "--since", "yesterday"],
        env=server.env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--since" in result.stderr


def test_no_plaintext_data_key_or_key_material_in_the_audit_trail(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    marker = f"plaintext-{uuid.uuid4().hex}".encode()
    blob = kms.encrypt(KeyId=key_id, Plaintext=marker)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == marker
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    reencrypted = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)["CiphertextBlob"]
    body = f"object-{uuid.uuid4().hex}".encode()
    s3.put_object(Bucket=bucket, Key="secret", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="secret")["Body"].read() == body
    _wait_events(server, 7, "--key", key_id)

    path = server.data_dir / "audit" / "kms-events.jsonl"
    trail = path.read_bytes()
    secrets = [marker, body, data_key["Plaintext"]]
    for secret in secrets:
        for form in (secret, base64.b64encode(secret), secret.hex().encode()):
            assert form not in trail
    for ciphertext in (blob, reencrypted, data_key["CiphertextBlob"]):
        assert base64.b64encode(ciphertext) not in trail
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_events_follow_prints_events_as_they_are_appended(server) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    follower = subprocess.Popen(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), "kms", "events", "--follow", "--key", key_id, "--limit", "2"],
        env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = follower.stdout.readline()  # type: ignore[union-attr]
        assert json.loads(first)["eventName"] == "CreateKey"
        kms.describe_key(KeyId=key_id)
        out, _ = follower.communicate(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert [json.loads(line)["eventName"] for line in out.splitlines()] == ["DescribeKey"]
    assert follower.returncode == 0


def test_bucket_key_puts_record_one_generate_data_key_for_the_bucket(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    key_arn = _kms_client(server).create_key()["KeyMetadata"]["Arn"]
    puts = [
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"b", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn, BucketKeyEnabled=True)
        for i in range(3)
    ]
    events = _wait_events(server, 2, "--key", key_arn)
    assert [e["eventName"] for e in events] == ["CreateKey", "GenerateDataKey"]  # later writes: no KMS call
    generate = events[1]
    assert generate["encryptionContext"] == {"aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    assert generate["viaService"] == "s3.us-east-1.amazonaws.com" and generate["principal"] == events[0]["principal"]
    assert generate["requestId"] == puts[0]["ResponseMetadata"]["RequestId"]


def test_a_key_policy_refusing_s3_a_data_key_is_an_access_denied_event(server, s3, bucket) -> None:  # type: ignore[no-untyped-def]
    kms = _kms_client(server)
    metadata = kms.create_key()["KeyMetadata"]
    account, arn = metadata["AWSAccountId"], metadata["Arn"]
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoS3DataKeys", "Effect": "Deny", "Principal": "*", "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
    ]}))
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="k", Body=b"b", ServerSideEncryption="aws:kms", SSEKMSKeyId=arn)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"

    events = _wait_events(server, 3, "--key", arn)

    assert [(e["eventName"], e["errorCode"]) for e in events] == [
        ("CreateKey", None), ("PutKeyPolicy", None), ("GenerateDataKey", "AccessDeniedException"),
    ]
    denied = events[-1]
    assert denied["viaService"] == "s3.us-east-1.amazonaws.com" and denied["principal"] == f"arn:aws:iam::{account}:root"
    assert denied["requestId"] == refused.value.response["ResponseMetadata"]["RequestId"]
