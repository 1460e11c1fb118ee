"""Key rotation through boto3's kms client on a server whose clock the tests move:
Enable/Disable/GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations, automatic rotation when the
clock passes NextRotationDate, and older material still decrypting."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from clockcontrol import DAY_SECONDS, advance, running_movable_server, server_now
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_client


@pytest.fixture(scope="module")
def moved() -> Iterator[ServerInfo]:
    """A server of this module's own, whose clock tests move forward."""
    with running_movable_server() as info:
        yield info


@pytest.fixture(scope="module")
def kms(moved: ServerInfo):  # type: ignore[no-untyped-def]
    """KMS client of "main"; botocore's own range checks off, so the server's answers are tested."""
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return boto3.client("kms", endpoint_url=moved.endpoint, aws_access_key_id=MAIN_KEY, aws_secret_access_key=MAIN_SECRET, region_name="us-east-1", config=cfg)


@pytest.fixture
def key_id(kms) -> str:  # type: ignore[no-untyped-def]
    """A fresh key."""
    return str(kms.create_key(Description="rotation test")["KeyMetadata"]["KeyId"])


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _generation(blob: bytes) -> int:
    """The material generation a ciphertext names (docs: crypto/kmsblob.py, format v1 header)."""
    id_len = blob[1]
    return int(struct.unpack_from(">I", blob, 2 + id_len)[0])


def _ts(value: datetime) -> float:
    return value.timestamp()


def test_rotation_is_off_by_default_and_enable_defaults_to_365_days(moved: ServerInfo, kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365 and status["KeyId"] == key_id
    assert abs(_ts(status["NextRotationDate"]) - (server_now(moved) + 365 * DAY_SECONDS)) < 120
    assert "OnDemandRotationStartDate" not in status
    kms.disable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False and "NextRotationDate" not in status


@pytest.mark.parametrize("days", [89, 2561, 0])
def test_rotation_period_out_of_range_is_validation_exception(kms, key_id: str, days: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=days)
    assert _code(exc) == ("ValidationException", 400)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_on_demand_rotation_encrypts_with_new_material_and_old_ciphertexts_still_decrypt(kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    before = kms.encrypt(KeyId=key_id, Plaintext=b"before", EncryptionContext={"k": "v"})["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id
    after = kms.encrypt(KeyId=key_id, Plaintext=b"after", EncryptionContext={"k": "v"})["CiphertextBlob"]
    assert (_generation(before), _generation(after)) == (0, 1)
    assert kms.decrypt(CiphertextBlob=before, EncryptionContext={"k": "v"})["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=after, EncryptionContext={"k": "v"})["Plaintext"] == b"after"
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert _generation(data_key["CiphertextBlob"]) == 1
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [(r["KeyId"], r["RotationType"]) for r in rotations] == [(key_id, "ON_DEMAND")]
    assert rotations[0]["KeyMaterialState"] == "CURRENT"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"] == rotations[0]["KeyMaterialId"]
    # Re-encrypting an old ciphertext moves it to the current material.
    moved_blob = kms.re_encrypt(CiphertextBlob=before, SourceEncryptionContext={"k": "v"}, DestinationKeyId=key_id)["CiphertextBlob"]
    assert _generation(moved_blob) == 1 and kms.decrypt(CiphertextBlob=moved_blob)["Plaintext"] == b"before"


def test_a_forged_generation_is_invalid_ciphertext(kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    blob = bytearray(kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"])
    struct.pack_into(">I", blob, 2 + blob[1], 7)
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=bytes(blob))
    assert _code(exc) == ("InvalidCiphertextException", 400)


def test_automatic_rotation_happens_when_the_clock_passes_the_next_rotation_date(moved: ServerInfo, kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    first_due = _ts(kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"])
    old = kms.encrypt(KeyId=key_id, Plaintext=b"generation 0")["CiphertextBlob"]
    advance(moved, days=89)
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    advance(moved, days=2)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert abs(_ts(rotations[0]["RotationDate"]) - first_due) < 1  # recorded at its scheduled date
    assert abs(_ts(kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]) - (first_due + 90 * DAY_SECONDS)) < 1
    assert _generation(kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]) == 1
    advance(moved, days=200)  # two more periods passed unobserved: both are recorded, at their dates
    dates = [_ts(r["RotationDate"]) for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]]
    assert [round((d - first_due) / DAY_SECONDS) for d in dates] == [0, 90, 180]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"generation 0"


def test_a_new_period_counts_from_the_last_scheduled_rotation(kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=365)
    first = _ts(kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"])
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["RotationPeriodInDays"] == 180
    assert abs(_ts(status["NextRotationDate"]) - (first - 185 * DAY_SECONDS)) < 1


def test_a_disabled_key_is_not_rotated_and_rotates_when_enabled_again(moved: ServerInfo, kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    advance(moved, days=100)
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    kms.enable_key(KeyId=key_id)
    now = server_now(moved)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"] and abs(_ts(rotations[0]["RotationDate"]) - now) < 60
    assert abs(_ts(kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]) - (now + 90 * DAY_SECONDS)) < 60


@pytest.mark.parametrize("call", ["enable_key_rotation", "disable_key_rotation", "rotate_key_on_demand"])
def test_rotation_of_a_disabled_key_is_disabled_exception_and_pending_deletion_is_invalid_state(kms, key_id: str, call: str) -> None:  # type: ignore[no-untyped-def]
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        getattr(kms, call)(KeyId=key_id)
    assert _code(exc) == ("DisabledException", 400)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        getattr(kms, call)(KeyId=key_id)
    assert _code(exc) == ("KMSInvalidStateException", 400)
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_on_demand_rotations_are_limited_to_ten_per_key(kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert _code(exc) == ("LimitExceededException", 400)
    assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 10


def test_list_key_rotations_pages_with_marker_and_can_include_the_initial_material(kms, key_id: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key_id)
    first = kms.list_key_rotations(KeyId=key_id, Limit=2)
    assert len(first["Rotations"]) == 2 and first["Truncated"] is True
    second = kms.list_key_rotations(KeyId=key_id, Limit=2, Marker=first["NextMarker"])
    assert len(second["Rotations"]) == 1 and second["Truncated"] is False and "NextMarker" not in second
    ids = [r["KeyMaterialId"] for r in first["Rotations"] + second["Rotations"]]
    assert len(set(ids)) == 3 and [r["KeyMaterialState"] for r in first["Rotations"] + second["Rotations"]] == ["NON_CURRENT", "NON_CURRENT", "CURRENT"]
    everything = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(everything) == 4 and "RotationType" not in everything[0] and everything[0]["KeyMaterialId"] not in ids
    with pytest.raises(ClientError) as exc:
        kms.list_key_rotations(KeyId=key_id, Marker="not-a-marker")
    assert _code(exc) == ("InvalidMarkerException", 400)
    with pytest.raises(ClientError) as exc:
        kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="SOME")
    assert _code(exc) == ("ValidationException", 400)


def test_rotation_of_an_unknown_key_is_not_found(kms) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.enable_key_rotation(KeyId="11111111-2222-3333-4444-555555555555")
    assert _code(exc) == ("NotFoundException", 400)


def test_the_aws_managed_key_rotates_yearly_and_its_lifecycle_is_aws_s_to_manage(moved: ServerInfo, kms) -> None:  # type: ignore[no-untyped-def]
    s3 = make_client(moved.endpoint)
    bucket = f"managed-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms")  # type: ignore[attr-defined]
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    status = kms.get_key_rotation_status(KeyId=managed["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    for call in (lambda: kms.enable_key_rotation(KeyId=managed["KeyId"], RotationPeriodInDays=90),
                 lambda: kms.disable_key_rotation(KeyId=managed["KeyId"]),
                 lambda: kms.rotate_key_on_demand(KeyId=managed["KeyId"]),
                 lambda: kms.schedule_key_deletion(KeyId=managed["KeyId"], PendingWindowInDays=7)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("AccessDeniedException", 400)
    assert kms.describe_key(KeyId=managed["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["KeyMetadata"]["KeyManager"] == "CUSTOMER"
