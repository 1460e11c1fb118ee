"""Reading a test server's counters (GET /_strongroom/counters, setting expose_counters_json) and its
stored extents: how tests see what the real server did, without mocks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import requests

COUNTERS_ENV = {"STRONGROOM_EXPOSE_COUNTERS_JSON": "true"}


def counter_values(endpoint: str, name: str) -> dict[str, int]:
    """One counter's values by its single label's value (e.g. KMS calls by operation)."""
    samples = requests.get(f"{endpoint}/_strongroom/counters", timeout=10).json()
    out: dict[str, int] = {}
    for s in samples:
        if s["name"] == name:
            label = next(iter(s["labels"].values()), "")
            out[label] = out.get(label, 0) + int(s["value"])
    return out


def kms_calls(endpoint: str) -> dict[str, int]:
    """KMS calls the server made for objects so far, by operation."""
    return counter_values(endpoint, "strongroom_kms_calls_total")


def total(calls: dict[str, int]) -> int:
    """All calls counted."""
    return sum(calls.values())


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """What was counted between two readings."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def extents(data_dir: Path, bucket: str, key: str) -> list[dict[str, Any]]:
    """The stored extents of a key's current version (JSON form: kp/ki/kw key fields, b blob id, ...)."""
    db = sqlite3.connect(data_dir / "meta.db")
    try:
        row = db.execute("select extents from objects where bucket=? and key=? and is_latest", (bucket, key)).fetchone()
    finally:
        db.close()
    assert row is not None, f"{bucket}/{key} has no current version"
    result: list[dict[str, Any]] = json.loads(row[0])
    return result


def bucket_key_rows(data_dir: Path, bucket: str) -> list[tuple[str, str, float, float]]:
    """(bucket_key_id, kms_key_arn, created, expires) of a bucket's bucket keys, oldest first."""
    db = sqlite3.connect(data_dir / "meta.db")
    try:
        return [tuple(r) for r in db.execute(  # type: ignore[misc]
            "select bucket_key_id, kms_key_arn, created, expires from bucket_keys where bucket=? order by created", (bucket,)
        )]
    finally:
        db.close()
