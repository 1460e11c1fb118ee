"""`strongroom kms ...` lifecycle commands on the data dir: rotation and deletion, seen by the KMS API."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import MAIN_KEY, MAIN_SECRET, ServerInfo, make_kms_client


def _kms(server: ServerInfo, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "--data-dir", str(server.data_dir), "kms", *args],
        env=server.env, capture_output=True, check=check, timeout=60,
    )


def _json(server: ServerInfo, *args: str) -> dict[str, object]:
    out: dict[str, object] = json.loads(_kms(server, *args).stdout)
    return out


def _api(server: ServerInfo):  # type: ignore[no-untyped-def]
    return make_kms_client(server.endpoint, MAIN_KEY, MAIN_SECRET)


def test_cli_rotation_commands_are_what_the_api_sees(server: ServerInfo) -> None:
    key_id = str(_json(server, "create-key")["KeyMetadata"]["KeyId"])  # type: ignore[index]
    _kms(server, "enable-key-rotation", key_id, "--rotation-period-in-days", "120")
    status = _json(server, "get-key-rotation-status", key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 120 and "NextRotationDate" in status
    api = _api(server)
    assert api.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 120
    blob = api.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    assert _json(server, "rotate-key-on-demand", key_id) == {"KeyId": key_id}
    assert [r["RotationType"] for r in _json(server, "list-key-rotations", key_id)["Rotations"]] == ["ON_DEMAND"]  # type: ignore[attr-defined]
    assert [r["RotationType"] for r in api.list_key_rotations(KeyId=key_id)["Rotations"]] == ["ON_DEMAND"]
    assert api.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    _kms(server, "disable-key-rotation", key_id)
    assert api.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


def test_cli_schedule_and_cancel_key_deletion(server: ServerInfo) -> None:
    created = _json(server, "create-key")["KeyMetadata"]
    key_id = str(created["KeyId"])  # type: ignore[index]
    scheduled = _json(server, "schedule-key-deletion", key_id, "--pending-window-in-days", "7")
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7 and scheduled["KeyId"] == created["Arn"]  # type: ignore[index]
    assert _api(server).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert "DeletionDate" in _json(server, "describe-key", key_id)["KeyMetadata"]  # type: ignore[operator]
    refused = _kms(server, "rotate-key-on-demand", key_id, check=False)
    assert refused.returncode != 0 and refused.stderr.startswith(b"Error: KMSInvalidStateException")
    _kms(server, "cancel-key-deletion", key_id)
    assert _api(server).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_cli_rejects_out_of_range_periods_and_windows_without_a_traceback(server: ServerInfo) -> None:
    key_id = str(_json(server, "create-key")["KeyMetadata"]["KeyId"])  # type: ignore[index]
    for args in (("enable-key-rotation", key_id, "--rotation-period-in-days", "89"), ("schedule-key-deletion", key_id, "--pending-window-in-days", "31")):
        result = _kms(server, *args, check=False)
        assert result.returncode != 0 and b"Traceback" not in result.stderr
    assert _api(server).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
