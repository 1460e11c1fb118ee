"""The built-in KMS through boto3's kms client (AWS JSON 1.1, SigV4 service kms) on the server's endpoint:
keys, aliases, tags, Encrypt/Decrypt/ReEncrypt, data keys, random bytes, states and account isolation."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo


def make_kms(endpoint: str, key: str = MAIN_KEY, secret: str = MAIN_SECRET, **config: object):  # type: ignore[no-untyped-def]
    """A boto3 KMS client for the server."""
    cfg = Config(retries={"max_attempts": 1}, **config)  # type: ignore[arg-type]
    return boto3.client("kms", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret, region_name="us-east-1", config=cfg)


@pytest.fixture(scope="module")
def kms(server: ServerInfo):  # type: ignore[no-untyped-def]
    """KMS client of the "main" account."""
    return make_kms(server.endpoint)


@pytest.fixture
def key(kms) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A fresh key's metadata."""
    return kms.create_key(Description="test key")["KeyMetadata"]  # type: ignore[no-any-return]


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_key_returns_symmetric_enabled_metadata_with_account_arn(kms, key) -> None:  # type: ignore[no-untyped-def]
    uuid.UUID(key["KeyId"])
    account = key["AWSAccountId"]
    assert key["Arn"] == f"arn:aws:kms:us-east-1:{account}:key/{key['KeyId']}"
    assert (key["KeyState"], key["Enabled"], key["KeyUsage"], key["KeySpec"]) == ("Enabled", True, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT")
    assert key["Description"] == "test key" and key["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    described = kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert described["KeyId"] == key["KeyId"] and described["CreationDate"] == key["CreationDate"]


def test_list_keys_pages_through_the_accounts_keys(kms, key) -> None:  # type: ignore[no-untyped-def]
    more = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=1, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 1
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert {key["KeyId"], *more} <= set(seen)
    assert len(seen) == len(set(seen))
    assert kms.list_keys()["Keys"][0]["KeyArn"].startswith("arn:aws:kms:us-east-1:")


def test_describe_unknown_key_is_not_found(kms) -> None:  # type: ignore[no-untyped-def]
    for ref in (str(uuid.uuid4()), "alias/does-not-exist", "not-a-key"):
        with pytest.raises(ClientError) as exc:
            kms.describe_key(KeyId=ref)
        assert _code(exc) == ("NotFoundException", 400)


def test_encrypt_decrypt_round_trip_without_naming_the_key(kms, key) -> None:  # type: ignore[no-untyped-def]
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"attack at dawn")
    assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"attack at dawn" not in out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"])
    assert back["Plaintext"] == b"attack at dawn" and back["KeyId"] == key["Arn"]


def test_encryption_context_mismatch_is_invalid_ciphertext(kms, key) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"bucket": "a"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"bucket": "a"})["Plaintext"] == b"x"
    for context in ({}, {"bucket": "b"}, {"bucket": "a", "extra": "1"}, {"Bucket": "a"}):
        with pytest.raises(ClientError) as exc:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert _code(exc) == ("InvalidCiphertextException", 400)


def test_tampered_or_garbage_ciphertext_is_invalid(kms, key) -> None:  # type: ignore[no-untyped-def]
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"])
    blob[-1] ^= 1
    for bad in (bytes(blob), b"garbage"):
        with pytest.raises(ClientError) as exc:
            kms.decrypt(CiphertextBlob=bad)
        assert _code(exc) == ("InvalidCiphertextException", 400)


def test_decrypt_naming_another_key_is_incorrect_key(kms, key) -> None:  # type: ignore[no-untyped-def]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"x"
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, KeyId=other)
    assert _code(exc) == ("IncorrectKeyException", 400)


def test_plaintext_size_limits(server: ServerInfo, kms, key) -> None:  # type: ignore[no-untyped-def]
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a" * 4096)["CiphertextBlob"]
    unchecked = make_kms(server.endpoint, parameter_validation=False)
    with pytest.raises(ClientError) as exc:
        unchecked.encrypt(KeyId=key["KeyId"], Plaintext=b"a" * 4097)
    assert _code(exc) == ("ValidationException", 400)


def test_re_encrypt_moves_ciphertext_to_another_key_and_context(kms, key) -> None:  # type: ignore[no-untyped-def]
    dest = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"payload", EncryptionContext={"v": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"v": "1"}, DestinationKeyId=dest["KeyId"], DestinationEncryptionContext={"v": "2"})
    assert (out["SourceKeyId"], out["KeyId"]) == (key["Arn"], dest["Arn"])
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"v": "2"})
    assert back == {**back, "Plaintext": b"payload", "KeyId": dest["Arn"]}
    with pytest.raises(ClientError) as exc:
        kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"v": "9"}, DestinationKeyId=dest["KeyId"])
    assert _code(exc) == ("InvalidCiphertextException", 400)


def test_generate_data_key_returns_plaintext_and_its_encrypted_copy(kms, key) -> None:  # type: ignore[no-untyped-def]
    out = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext={"k": "v"})
    assert len(out["Plaintext"]) == 32 and out["KeyId"] == key["Arn"]
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"] == out["Plaintext"]
    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    assert len(kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=7)["Plaintext"]) == 7
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}, {"NumberOfBytes": 1025}):
        with pytest.raises(ClientError) as exc:
            kms.generate_data_key(KeyId=key["KeyId"], **kwargs)
        assert _code(exc) == ("ValidationException", 400), kwargs


def test_generate_data_key_without_plaintext_returns_only_ciphertext(kms, key) -> None:  # type: ignore[no-untyped-def]
    out = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in out and out["KeyId"] == key["Arn"]
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 32


@pytest.mark.parametrize("size", [1, 32, 1024])
def test_generate_random_returns_the_requested_size(kms, size: int) -> None:  # type: ignore[no-untyped-def]
    first, second = (kms.generate_random(NumberOfBytes=size)["Plaintext"] for _ in range(2))
    assert len(first) == len(second) == size
    if size >= 32:
        assert first != second


@pytest.mark.parametrize("size", [0, 1025])
def test_generate_random_outside_1_to_1024_is_a_validation_error(server: ServerInfo, size: int) -> None:
    unchecked = make_kms(server.endpoint, parameter_validation=False)  # boto3 would refuse 0 itself
    with pytest.raises(ClientError) as exc:
        unchecked.generate_random(NumberOfBytes=size)
    assert _code(exc) == ("ValidationException", 400)


def test_disabled_key_refuses_cryptography_until_enabled(kms, key) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    calls = [
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("DisabledException", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
