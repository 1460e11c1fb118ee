"""Group commit: concurrent write transactions share one commit (and so one WAL fsync).

One committer thread takes every write waiting in the queue, runs each inside its own SAVEPOINT of a
single transaction (so one write's failure rolls back only that write), commits once, and only then
answers each caller: an acknowledged write is always a committed one (invariant 4). With one writer
per process, SQLite never makes writers sleep in its busy handler either.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

__all__ = ["GroupCommitter"]

log = logging.getLogger("strongroom.meta")

# At most this many writes share one commit: bounds the work a failed commit has to report.
MAX_GROUP = 64


@dataclass(slots=True)
class _Job:
    fn: Callable[[Connection], Any]
    future: Future[Any] = field(default_factory=Future)


class GroupCommitter:
    """A committer thread serving write transactions in groups."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="meta-commit", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[Connection], Any]) -> Future[Any]:
        """Queue a write; the future resolves after the commit that includes it."""
        job = _Job(fn)
        self._queue.put(job)
        return job.future

    def close(self) -> None:
        """Finish queued writes, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _take_group(self, first: _Job) -> tuple[list[_Job], bool]:
        group = [first]
        stop = False
        while len(group) < MAX_GROUP:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                stop = True
                break
            group.append(job)
        return group, stop

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group, stop = self._take_group(first)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._engine.connect().execution_options(strongroom_write=True) as conn, conn.begin():
                for job in group:
                    try:
                        with conn.begin_nested():
                            outcomes.append((True, job.fn(conn)))
                    except Exception as exc:  # this write only: its savepoint is rolled back
                        outcomes.append((False, exc))
        except Exception as exc:  # the shared commit failed: no write of the group happened
            log.exception("group commit of %d writes failed", len(group))
            for job in group:
                job.future.set_exception(exc)
            return
        for job, (ok, value) in zip(group, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
