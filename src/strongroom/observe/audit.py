"""The KMS audit trail: one CloudTrail-like JSON object per line for every use of a KMS key.

An event names who (principal ARN, account, source IP, user agent), what (the KMS operation, the key
ARN, the encryption context), through what (``viaService`` when S3 called KMS for its caller), the
request id the client saw, and how it ended (``errorCode``). It never holds plaintext, data keys or
key material: events are built only from the named fields of ``KmsEvent``, never from a request or
response body.

The file is append-only and shared by every worker process of a data dir: each process opens it
with O_APPEND and writes each line with one ``os.write``, so lines of several writers never
interleave. Writing never blocks an event loop: called on a loop's thread, ``AuditLog.emit`` hands
the line to a writer thread; called on a worker thread (where KMS work already runs) it writes at
once, so the event is in the file before the response leaves.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import clock

__all__ = ["AuditLog", "EVENT_SOURCE", "KmsEvent", "follow_events", "format_time", "matches", "parse_time", "read_events"]

EVENT_SOURCE = "kms.amazonaws.com"
# Bumped when a field changes meaning; readers may rely on it.
EVENT_VERSION = "1.0"
_STOP = b""


@dataclass(frozen=True, slots=True)
class KmsEvent:
    """One key use, as the audit trail records it (no secret field exists, by construction)."""

    event_name: str
    key_id: str | None
    principal: str | None
    account_id: str | None
    encryption_context: Mapping[str, str] | None = None
    source_ip: str | None = None
    request_id: str | None = None
    user_agent: str | None = None
    via_service: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    def record(self, region: str, when: datetime) -> dict[str, object]:
        """The JSON object written for this event (CloudTrail's field names where it has one)."""
        return {
            "eventVersion": EVENT_VERSION,
            "eventId": str(uuid.uuid4()),
            "eventTime": format_time(when),
            "eventSource": EVENT_SOURCE,
            "eventName": self.event_name,
            "awsRegion": region,
            "keyId": self.key_id,
            "principal": self.principal,
            "accountId": self.account_id,
            "viaService": self.via_service,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
            "requestId": self.request_id,
            "encryptionContext": dict(self.encryption_context) if self.encryption_context is not None else None,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
        }


def format_time(when: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as CloudTrail writes eventTime."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (Z or an offset; a naive time is taken as UTC); ValueError otherwise."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class AuditLog:
    """Appends events to one JSON-lines file (mode 0600, directory 0700), shared across processes."""

    def __init__(self, path: Path, region: str) -> None:
        self.path = path
        self._region = region
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None

    def emit(self, event: KmsEvent) -> None:
        """Record one event: now on a worker thread, through the writer thread on an event loop."""
        line = (json.dumps(event.record(self._region, clock.now()), separators=(",", ":")) + "\n").encode()
        if not _on_event_loop():
            self._write(line)
            return
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._drain, name="audit-writer", daemon=True)
                self._writer.start()
        self._queue.put(line)

    def close(self) -> None:
        """Write what is queued, stop the writer thread and close the file."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(_STOP)
            writer.join(timeout=5)
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _drain(self) -> None:
        while (line := self._queue.get()) != _STOP:
            self._write(line)

    def _write(self, line: bytes) -> None:
        with self._lock:
            if self._fd is None:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fd = self._fd
        # One write per line: O_APPEND makes each one land whole at the end, whoever else appends.
        os.write(fd, line)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def read_events(path: Path, *, since: datetime | None = None, key: str | None = None, limit: int | None = None) -> Iterator[dict[str, object]]:
    """Events of the file in order, filtered: at or after ``since``; whose keyId is or ends with ``key``.

    A torn last line (a writer mid-append) and lines that are not JSON objects are skipped.
    """
    if not path.exists():
        return
    count = 0
    with path.open("rb") as f:
        for raw in f:
            if limit is not None and count >= limit:
                return
            event = _parse_line(raw)
            if event is None or not matches(event, since=since, key=key):
                continue
            count += 1
            yield event


def _parse_line(raw: bytes) -> dict[str, object] | None:
    if not raw.endswith(b"\n"):
        return None
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def matches(event: Mapping[str, object], *, since: datetime | None, key: str | None) -> bool:
    """Does an event pass the ``since`` and ``key`` filters? (A key matches by ARN, id or ARN suffix.)"""
    if since is not None:
        when = event.get("eventTime")
        try:
            if not isinstance(when, str) or parse_time(when) < since:
                return False
        except ValueError:
            return False
    if key is not None:
        key_id = event.get("keyId")
        if not isinstance(key_id, str) or not (key_id == key or key_id.endswith("/" + key)):
            return False
    return True


def follow_events(
    path: Path, *, since: datetime | None = None, key: str | None = None, limit: int | None = None, poll_seconds: float = 0.5
) -> Iterator[dict[str, object]]:
    """Like ``read_events``, then wait for appended events (``tail -f``) until ``limit`` are yielded."""
    count = 0
    position = 0
    while True:
        if path.exists():
            with path.open("rb") as f:
                f.seek(position)
                for raw in iter(f.readline, b""):
                    if not raw.endswith(b"\n"):
                        break  # a writer is mid-append: read the line whole next time
                    position += len(raw)
                    event = _parse_line(raw)
                    if event is None or not matches(event, since=since, key=key):
                        continue
                    yield event
                    count += 1
                    if limit is not None and count >= limit:
                        return
        time.sleep(poll_seconds)
