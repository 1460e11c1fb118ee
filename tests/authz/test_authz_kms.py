"""Seed 000's role limited to kms:Decrypt, kms:GenerateDataKey and kms:DescribeKey on one key. IAM roles
arrive with issue 5, so the role is the alt account today: the main account's key policy grants it
exactly those three actions on that one key. The alt account may do exactly those, on that key only
(through the KMS API and through S3's SSE-KMS), and every other request is refused with nothing changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from authzmatrix import ALLOW, DENY, account_ids, expect
from conftest import ALT_KEY, ALT_SECRET, ServerInfo, make_kms_client
from keypolicies import policy, root

ROLE_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
CONTEXT = {"app": "openwebui"}


@pytest.fixture(scope="module")
def kms(server: ServerInfo) -> Any:
    return make_kms_client(server.endpoint)


@pytest.fixture(scope="module")
def kms_alt(server: ServerInfo) -> Any:
    return make_kms_client(server.endpoint, ALT_KEY, ALT_SECRET)


@pytest.fixture(scope="module")
def keys(server: ServerInfo, kms: Any) -> dict[str, dict[str, Any]]:
    """"granted": the seed's key (its policy names the alt account for three actions); "other": a key with the default policy."""
    main, alt = account_ids(server)
    granted = kms.create_key(Description="openwebui s3 key", Policy=policy(root(main), {
        "Sid": "Allow OpenWebUI Pod Identity", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{alt}:root"},
        "Action": ROLE_ACTIONS, "Resource": "*"}))["KeyMetadata"]
    other = kms.create_key(Description="another key of the same account")["KeyMetadata"]
    return {"granted": granted, "other": other}


def _state(kms: Any, keys: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What a refused request must not change: each key's state, description, policy, tags and rotation."""
    out = {}
    for name, meta in keys.items():
        described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
        out[name] = (described["KeyState"], described["Description"], kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"],
                     kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"], kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"])
    return out


Call = Callable[[Any, Any, str], Callable[[], object]]  # (caller, owner, key ARN) -> one KMS request


def _decrypt(caller: Any, owner: Any, key: str) -> Callable[[], object]:
    blob = owner.encrypt(KeyId=key, Plaintext=b"shared secret", EncryptionContext=CONTEXT)["CiphertextBlob"]
    return lambda: caller.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)


def _re_encrypt(caller: Any, owner: Any, key: str) -> Callable[[], object]:
    blob = owner.encrypt(KeyId=key, Plaintext=b"shared secret")["CiphertextBlob"]
    return lambda: caller.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key)


def _now(call: Callable[[Any, str], object]) -> Call:
    return lambda caller, owner, key: (lambda: call(caller, key))


CALLS: dict[str, Call] = {
    "DescribeKey": _now(lambda c, k: c.describe_key(KeyId=k)),
    "GenerateDataKey": _now(lambda c, k: c.generate_data_key(KeyId=k, KeySpec="AES_256", EncryptionContext=CONTEXT)),
    "Decrypt": _decrypt,
    "Encrypt": _now(lambda c, k: c.encrypt(KeyId=k, Plaintext=b"x")),
    "GenerateDataKeyWithoutPlaintext": _now(lambda c, k: c.generate_data_key_without_plaintext(KeyId=k, KeySpec="AES_256")),
    "ReEncrypt": _re_encrypt,
    "GetKeyPolicy": _now(lambda c, k: c.get_key_policy(KeyId=k, PolicyName="default")),
    "PutKeyPolicy": _now(lambda c, k: c.put_key_policy(KeyId=k, PolicyName="default", Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}), BypassPolicyLockoutSafetyCheck=True)),
    "DisableKey": _now(lambda c, k: c.disable_key(KeyId=k)),
    "ScheduleKeyDeletion": _now(lambda c, k: c.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)),
    "EnableKeyRotation": _now(lambda c, k: c.enable_key_rotation(KeyId=k)),
    "GetKeyRotationStatus": _now(lambda c, k: c.get_key_rotation_status(KeyId=k)),
    "RotateKeyOnDemand": _now(lambda c, k: c.rotate_key_on_demand(KeyId=k)),
    "TagResource": _now(lambda c, k: c.tag_resource(KeyId=k, Tags=[{"TagKey": "owner", "TagValue": "alt"}])),
    "ListResourceTags": _now(lambda c, k: c.list_resource_tags(KeyId=k)),
}

# (caller, key, request, allowed?)
CASES: list[tuple[str, str, str, bool]] = [
    ("alt", "granted", "DescribeKey", ALLOW),
    ("alt", "granted", "GenerateDataKey", ALLOW),
    ("alt", "granted", "Decrypt", ALLOW),
    ("alt", "granted", "Encrypt", DENY),
    ("alt", "granted", "GenerateDataKeyWithoutPlaintext", DENY),
    ("alt", "granted", "ReEncrypt", DENY),
    ("alt", "granted", "GetKeyPolicy", DENY),
    ("alt", "granted", "PutKeyPolicy", DENY),
    ("alt", "granted", "DisableKey", DENY),
    ("alt", "granted", "ScheduleKeyDeletion", DENY),
    ("alt", "granted", "EnableKeyRotation", DENY),
    ("alt", "granted", "GetKeyRotationStatus", DENY),
    ("alt", "granted", "RotateKeyOnDemand", DENY),
    ("alt", "granted", "TagResource", DENY),
    ("alt", "granted", "ListResourceTags", DENY),
    ("alt", "other", "Encrypt", DENY),
    ("alt", "other", "DescribeKey", DENY),
    ("alt", "other", "GenerateDataKey", DENY),
    ("alt", "other", "Decrypt", DENY),
    ("main", "granted", "Encrypt", ALLOW),
    ("main", "granted", "GetKeyPolicy", ALLOW),
]


@pytest.mark.parametrize(("who", "key", "call", "allowed"), CASES, ids=[f"{w}-{k}-{c}-{'allow' if ok else 'deny'}" for w, k, c, ok in CASES])
def test_role_may_use_exactly_three_actions_on_one_key(kms: Any, kms_alt: Any, keys: dict[str, dict[str, Any]],
                                                       who: str, key: str, call: str, allowed: bool) -> None:
    caller = {"main": kms, "alt": kms_alt}[who]
    request = CALLS[call](caller, kms, keys[key]["Arn"])
    expect(allowed, request, lambda: _state(kms, keys), denied_code="AccessDeniedException", denied_status=400)


# Through S3: the alt account's own bucket, its objects under the main account's key (SSE-KMS).
S3_CASES: list[tuple[str, bool]] = [("granted", ALLOW), ("other", DENY)]


@pytest.mark.parametrize(("key", "allowed"), S3_CASES, ids=[f"{k}-{'allow' if ok else 'deny'}" for k, ok in S3_CASES])
def test_role_writes_and_reads_sse_kms_objects_only_under_its_key(server: ServerInfo, s3_alt: Any, keys: dict[str, dict[str, Any]],
                                                                  key: str, allowed: bool) -> None:
    bucket = f"kmsrole-{uuid.uuid4().hex[:16]}"
    s3_alt.create_bucket(Bucket=bucket)

    def round_trip() -> None:
        s3_alt.put_object(Bucket=bucket, Key="doc", Body=b"document", ServerSideEncryption="aws:kms", SSEKMSKeyId=keys[key]["Arn"])
        assert s3_alt.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"document"

    expect(allowed, round_trip, lambda: s3_alt.list_objects_v2(Bucket=bucket).get("Contents", []))
