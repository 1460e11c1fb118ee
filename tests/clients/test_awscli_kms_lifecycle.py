"""`aws kms --endpoint-url` key lifecycle commands: rotation (enable with a period, status, on demand,
listing, disable) and scheduling then cancelling a key's deletion."""

from __future__ import annotations

import json

from clients.conftest import Tool


def _json(aws: Tool, *args: str) -> dict[str, object]:
    return json.loads(aws.run("kms", *args, "--output", "json").stdout or "{}")  # type: ignore[no-any-return]


def _new_key(aws: Tool) -> str:
    return str(_json(aws, "create-key")["KeyMetadata"]["KeyId"])  # type: ignore[index]


def test_rotation_commands(aws: Tool) -> None:
    key_id = _new_key(aws)
    aws.run("kms", "enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "180")
    status = _json(aws, "get-key-rotation-status", "--key-id", key_id)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180 and "NextRotationDate" in status
    assert _json(aws, "rotate-key-on-demand", "--key-id", key_id) == {"KeyId": key_id}
    rotations = _json(aws, "list-key-rotations", "--key-id", key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]  # type: ignore[attr-defined]
    aws.run("kms", "disable-key-rotation", "--key-id", key_id)
    assert _json(aws, "get-key-rotation-status", "--key-id", key_id)["KeyRotationEnabled"] is False


def test_rotation_period_out_of_range_is_reported_as_the_cli_reports_errors(aws: Tool) -> None:
    key_id = _new_key(aws)
    failed = aws.run("kms", "enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "10", ok=False)
    assert failed.returncode != 0 and ("ValidationException" in failed.stderr or "RotationPeriodInDays" in failed.stderr)


def test_schedule_and_cancel_key_deletion(aws: Tool) -> None:
    key_id = _new_key(aws)
    scheduled = _json(aws, "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7 and "DeletionDate" in scheduled
    described = _json(aws, "describe-key", "--key-id", key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and "DeletionDate" in described  # type: ignore[index, operator]
    refused = aws.run("kms", "encrypt", "--key-id", key_id, "--plaintext", "aGk=", ok=False)
    assert refused.returncode != 0 and "KMSInvalidStateException" in refused.stderr
    aws.run("kms", "cancel-key-deletion", "--key-id", key_id)
    assert _json(aws, "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Disabled"  # type: ignore[index]
