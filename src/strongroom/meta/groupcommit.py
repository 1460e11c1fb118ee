"""Group commit: concurrent write transactions share one commit (and so one WAL fsync).

One committer thread takes every write waiting in the queue, runs them all in a single transaction,
commits once, and only then answers each caller: an acknowledged write is always a committed one
(invariant 4). If any write of a group fails, the transaction is rolled back and each write is run
again in a transaction of its own, so one write's failure never touches another. With one writer per
process, SQLite never makes writers sleep in its busy handler either.
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
        """Run the group in one transaction; if any write fails, retry each alone.

        Writes are functions of the connection only, so re-running one is safe. The common case (no
        write fails) costs no savepoint statements; a failure costs one extra transaction per write.
        """
        if len(group) > 1:
            try:
                with self._engine.connect().execution_options(strongroom_write=True) as conn, conn.begin():
                    results = [job.fn(conn) for job in group]
            except Exception:  # noqa: BLE001 - some write failed (or the commit): fall back to one by one
                pass
            else:
                for job, value in zip(group, results, strict=True):
                    job.future.set_result(value)
                return
        for job in group:
            self._commit_alone(job)

    def _commit_alone(self, job: _Job) -> None:
        try:
            with self._engine.connect().execution_options(strongroom_write=True) as conn, conn.begin():
                value = job.fn(conn)
        except Exception as exc:  # this write's own error (or its commit's): only its caller sees it
            job.future.set_exception(exc)
        else:
            job.future.set_result(value)
