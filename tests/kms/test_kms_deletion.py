"""ScheduleKeyDeletion and CancelKeyDeletion through boto3's kms client on a server
whose clock the tests move: the pending window, a key pending deletion refusing every use, cancelling
(the key comes back Disabled), and destruction once the clock passes DeletionDate."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from clockcontrol import DAY_SECONDS, advance, running_movable_server, server_now
from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo


@pytest.fixture(scope="module")
def moved() -> Iterator[ServerInfo]:
    """A server of this module's own, whose clock tests move forward."""
    with running_movable_server() as info:
        yield info


@pytest.fixture(scope="module")
def kms(moved: ServerInfo):  # type: ignore[no-untyped-def]
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return boto3.client("kms", endpoint_url=moved.endpoint, aws_access_key_id=MAIN_KEY, aws_secret_access_key=MAIN_SECRET, region_name="us-east-1", config=cfg)


@pytest.fixture
def key(kms) -> dict[str, str]:  # type: ignore[no-untyped-def]
    meta = kms.create_key(Description="deletion test")["KeyMetadata"]
    return {"KeyId": meta["KeyId"], "Arn": meta["Arn"]}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _ts(value: datetime) -> float:
    return value.timestamp()


def test_schedule_defaults_to_thirty_days_and_describe_key_reports_it(moved: ServerInfo, kms, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert (answer["KeyId"], answer["KeyState"], answer["PendingWindowInDays"]) == (key["Arn"], "PendingDeletion", 30)
    assert abs(_ts(answer["DeletionDate"]) - (server_now(moved) + 30 * DAY_SECONDS)) < 60
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"], meta["DeletionDate"]) == ("PendingDeletion", False, answer["DeletionDate"])


@pytest.mark.parametrize("days", [6, 31, 0])
def test_a_window_outside_7_to_30_days_is_validation_exception(kms, key: dict[str, str], days: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert _code(exc) == ("ValidationException", 400)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_key_pending_deletion_refuses_every_use(kms, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"kept")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    uses = [
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"]),
        lambda: kms.enable_key(KeyId=key["KeyId"]),
        lambda: kms.disable_key(KeyId=key["KeyId"]),
        lambda: kms.create_alias(AliasName=f"alias/late-{uuid.uuid4().hex[:8]}", TargetKeyId=key["KeyId"]),
        lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7),
    ]
    for use in uses:
        with pytest.raises(ClientError) as exc:
            use()
        assert _code(exc) == ("KMSInvalidStateException", 400)


def test_cancel_leaves_the_key_disabled_and_its_ciphertexts_readable_once_enabled(kms, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"saved")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and "DeletionDate" not in meta
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert _code(exc) == ("DisabledException", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"saved"


def test_cancel_of_a_key_not_pending_deletion_is_invalid_state(kms, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as exc:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert _code(exc) == ("KMSInvalidStateException", 400)


def test_past_the_deletion_date_the_key_its_aliases_and_its_ciphertexts_are_gone(moved: ServerInfo, kms, key: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    alias = f"alias/gone-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"doomed")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    advance(moved, days=7, seconds=-120)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    advance(moved, seconds=240)
    # Listings first: nothing has looked the key up yet, yet it is gone from them.
    assert alias not in [a["AliasName"] for a in kms.list_aliases(Limit=1000)["Aliases"]]
    assert key["KeyId"] not in [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    for call in (lambda: kms.describe_key(KeyId=key["KeyId"]), lambda: kms.describe_key(KeyId=alias),
                 lambda: kms.cancel_key_deletion(KeyId=key["KeyId"])):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == ("NotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert _code(exc) == ("InvalidCiphertextException", 400)
