"""The audit file: whole lines from many writers at once, and the filters `strongroom kms events` uses."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from strongroom.observe.audit import AuditLog, KmsEvent, format_time, parse_time, read_events


def _event(i: int, key: str | None = "arn:aws:kms:us-east-1:111111111111:key/k1") -> KmsEvent:
    return KmsEvent("Encrypt", key, "arn:aws:iam::111111111111:root", "111111111111", {"n": str(i), "pad": "x" * 3000})


def test_concurrent_writers_with_their_own_files_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "events.jsonl"
    logs = [AuditLog(path, "us-east-1") for _ in range(4)]  # one open file each, as worker processes have

    def write(log: AuditLog, base: int) -> None:
        for i in range(200):
            log.emit(_event(base + i))

    threads = [threading.Thread(target=write, args=(log, n * 1000)) for n, log in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in logs:
        log.close()
    lines = path.read_bytes().splitlines()
    assert len(lines) == 800
    assert sorted(int(json.loads(line)["encryptionContext"]["n"]) for line in lines) == sorted(n * 1000 + i for n in range(4) for i in range(200))


def test_events_emitted_on_an_event_loop_are_written_by_the_writer_thread(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "e.jsonl", "us-east-1")

    async def emit() -> None:
        log.emit(_event(1))

    asyncio.run(emit())
    log.close()
    (event,) = read_events(tmp_path / "e.jsonl")
    assert event["eventName"] == "Encrypt" and event["eventSource"] == "kms.amazonaws.com" and event["awsRegion"] == "us-east-1"


def test_read_events_filters_by_key_time_and_limit_and_skips_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    log = AuditLog(path, "us-east-1")
    log.emit(_event(1))
    log.emit(_event(2, "arn:aws:kms:us-east-1:111111111111:key/k2"))
    log.emit(_event(3, None))
    log.close()
    with path.open("ab") as f:
        f.write(b'{"eventName": "torn')
    assert [e["encryptionContext"]["n"] for e in read_events(path, key="k1")] == ["1"]  # type: ignore[index]
    assert len(list(read_events(path, key="arn:aws:kms:us-east-1:111111111111:key/k2"))) == 1
    assert len(list(read_events(path))) == 3 and len(list(read_events(path, limit=2))) == 2
    future = datetime.now(UTC) + timedelta(days=1)
    assert list(read_events(path, since=future)) == []
    assert len(list(read_events(path, since=datetime.now(UTC) - timedelta(days=1)))) == 3


def test_times_are_iso_utc_with_z_and_parse_back() -> None:
    when = datetime(2026, 11, 24, 5, 30, 1, 123456, tzinfo=UTC)
    assert format_time(when) == "2026-11-24T05:30:01.123Z"
    assert parse_time("2026-11-24T05:30:01.123Z") == when.replace(microsecond=123000)
    assert parse_time("2026-11-24T05:30:01") == datetime(2026, 11, 24, 5, 30, 1, tzinfo=UTC)
