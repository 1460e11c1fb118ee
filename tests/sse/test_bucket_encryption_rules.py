"""Per-bucket BlockedEncryptionTypes (SSE-C blocked by default, unblocked with NONE) and the operator's
``enforce_bucket_encryption`` (a bucket's default encryption as a floor for explicit requests).

One server with both settings that matter here: SSE-C allowed over plain HTTP (so the test needs no
TLS) and bucket encryption enforced; ``allow_ssec_on_new_buckets`` keeps its default (off).
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client, make_kms_client, running_server
from rawclient import signed_request


@pytest.fixture(scope="module")
def rules_server() -> Iterator[ServerInfo]:
    with running_server({"STRONGROOM_ALLOW_SSEC_OVER_HTTP": "true", "STRONGROOM_ENFORCE_BUCKET_ENCRYPTION": "true"}) as info:
        yield info


@pytest.fixture(scope="module")
def s3(rules_server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_client(rules_server.endpoint)


@pytest.fixture(scope="module")
def kms(rules_server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(rules_server.endpoint, MAIN_KEY, MAIN_SECRET)


@pytest.fixture
def bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"rules-{uuid.uuid4().hex[:20]}"
    s3.create_bucket(Bucket=name)
    return name


def _ssec(key: bytes) -> dict[str, str]:
    return {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(key).decode(),
        "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _rule(algorithm: str = "AES256", key_id: str | None = None, blocked: list[str] | None = None) -> dict[str, object]:
    default: dict[str, str] = {"SSEAlgorithm": algorithm}
    if key_id is not None:
        default["KMSMasterKeyID"] = key_id
    rule: dict[str, object] = {"ApplyServerSideEncryptionByDefault": default}
    if blocked is not None:
        rule["BlockedEncryptionTypes"] = {"EncryptionType": blocked}
    return {"Rules": [rule]}


def _blocked(s3, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    return rule["BlockedEncryptionTypes"]["EncryptionType"]  # type: ignore[no-any-return]


# -- BlockedEncryptionTypes -------------------------------------------------------------------------


def test_a_new_bucket_blocks_sse_c_until_its_owner_unblocks_it(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    key = os.urandom(32)
    assert _blocked(s3, bucket) == ["SSE-C"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(key))
    assert _code(exc) == ("AccessDenied", 403)
    assert "BlockedEncryptionTypes" in exc.value.response["Error"]["Message"]

    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["NONE"]))
    assert _blocked(s3, bucket) == ["NONE"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **_ssec(key))

    # Blocking again refuses new SSE-C writes of every kind; reading the existing object still works.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["SSE-C"]))
    for attempt in (
        lambda: s3.put_object(Bucket=bucket, Key="k2", Body=b"x", **_ssec(key)),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k3", **_ssec(key)),
        lambda: s3.copy_object(Bucket=bucket, Key="k4", CopySource={"Bucket": bucket, "Key": "k"},
                               CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=base64.b64encode(key).decode(),
                               CopySourceSSECustomerKeyMD5=base64.b64encode(hashlib.md5(key).digest()).decode(), **_ssec(key)),
    ):
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403)
    assert s3.get_object(Bucket=bucket, Key="k", **_ssec(key))["Body"].read() == b"secret"
    assert s3.head_object(Bucket=bucket, Key="k", **_ssec(key))["ContentLength"] == 6


def test_a_rule_that_omits_blocked_types_keeps_the_buckets_setting(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["NONE"]))
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule("aws:kms"))
    assert _blocked(s3, bucket) == ["NONE"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["SSE-C"]))
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule())
    assert _blocked(s3, bucket) == ["SSE-C"]


def test_deleting_the_configuration_blocks_sse_c_again(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["NONE"]))
    s3.delete_bucket_encryption(Bucket=bucket)
    assert _blocked(s3, bucket) == ["SSE-C"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(os.urandom(32)))
    assert _code(exc) == ("AccessDenied", 403)


def test_a_rule_with_only_blocked_types_sets_the_sse_s3_default(s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(
        Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{"BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]}
    )
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert rule["BlockedEncryptionTypes"] == {"EncryptionType": ["NONE"]}


@pytest.mark.parametrize("types", [["SSE-KMS"], ["NONE", "SSE-C"], [""]])
def test_unknown_or_contradictory_blocked_types_are_invalid_argument(s3, bucket: str, types: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=types))
    assert _code(exc) == ("InvalidArgument", 400)
    assert _blocked(s3, bucket) == ["SSE-C"]  # nothing changed


def test_an_empty_blocked_types_element_is_rejected(rules_server: ServerInfo, s3, bucket: str) -> None:  # type: ignore[no-untyped-def]
    body = (
        b'<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>'
        b"<BlockedEncryptionTypes></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>"
    )
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = signed_request(rules_server.endpoint, "PUT", f"/{bucket}", MAIN_KEY, MAIN_SECRET, body, {"Content-MD5": md5}, query="encryption=")
    assert response.status == 400 and b"<Code>InvalidArgument</Code>" in response.body


# -- enforce_bucket_encryption ----------------------------------------------------------------------


@pytest.fixture
def kms_bucket(s3, kms, bucket: str) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """A bucket whose default is SSE-KMS under a named key (SSE-C unblocked, to show enforcement refuses it)."""
    meta = kms.create_key(Description="enforced")["KeyMetadata"]
    alias = f"alias/enforced-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule("aws:kms", meta["KeyId"], ["NONE"]))
    return bucket, {"KeyId": meta["KeyId"], "Arn": meta["Arn"], "Alias": alias}


def test_enforced_kms_bucket_refuses_weaker_writes_with_a_clear_message(s3, kms, kms_bucket) -> None:  # type: ignore[no-untyped-def]
    bucket, key = kms_bucket
    other = kms.create_key(Description="other")["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    weaker = {
        "AES256 put": lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256"),
        "SSE-C put": lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **_ssec(os.urandom(32))),
        "other key": lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other["KeyId"]),
        "AES256 multipart": lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", ServerSideEncryption="AES256"),
        "AES256 copy": lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, ServerSideEncryption="AES256"),
    }
    for name, attempt in weaker.items():
        with pytest.raises(ClientError) as exc:
            attempt()
        assert _code(exc) == ("AccessDenied", 403), name
        assert "mandatory" in exc.value.response["Error"]["Message"], name
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")  # nothing was written


def test_enforced_kms_bucket_accepts_its_own_mode_and_key_by_any_name(s3, kms_bucket) -> None:  # type: ignore[no-untyped-def]
    bucket, key = kms_bucket
    assert s3.put_object(Bucket=bucket, Key="default", Body=b"x")["SSEKMSKeyId"] == key["Arn"]
    for ref in ("KeyId", "Alias", "Arn"):
        put = s3.put_object(Bucket=bucket, Key=ref, Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key[ref])
        assert put["SSEKMSKeyId"] == key["Arn"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Alias"])
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])


def test_enforced_kms_bucket_without_a_key_accepts_any_kms_key(s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule("aws:kms"))
    other = kms.create_key(Description="any")["KeyMetadata"]
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other["KeyId"])
    assert put["SSEKMSKeyId"] == other["Arn"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert _code(exc) == ("AccessDenied", 403)


def test_an_sse_s3_bucket_accepts_every_mode_under_enforcement(s3, kms, bucket: str) -> None:  # type: ignore[no-untyped-def]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=_rule(blocked=["NONE"]))
    assert s3.put_object(Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == "AES256"
    assert s3.put_object(Bucket=bucket, Key="b", Body=b"x", ServerSideEncryption="aws:kms")["ServerSideEncryption"] == "aws:kms"
    s3.put_object(Bucket=bucket, Key="c", Body=b"x", **_ssec(os.urandom(32)))
