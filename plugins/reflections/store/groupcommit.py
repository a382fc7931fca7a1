"""Submissions written together, one commit for all that arrive meanwhile (group commit).

SQLite lets one connection write at a time; another that wants to sleeps in SQLite's busy handler,
1 to 100 ms a try, whatever became free meanwhile. Under many readers at once that sleeping was the
intake's tail (p99 of 600 to 800 ms at 32 at once), and each submission's own commit its own fsync.
Here one thread writes: the submissions that arrive while it commits are written in its next
transaction, one fsync for all of them. Each request still waits for its own answer, given only
after the commit that made it durable: "received" keeps its promise.

PostgreSQL needs none of this (several instances write at once; it does not sleep): the store uses
a GroupCommit only on SQLite.
"""

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`submit(item)` from any thread, or `enqueue(item)` for its future: `write_batch(items)`
    writes items in one transaction and returns their results in order. When it raises
    IntegrityError (another process wrote a row that one of them conflicts with), each is written
    again alone with `write_one`, so only the conflicting one is refused. Any other error is every
    waiting request's."""

    #: The most written in one transaction: a commit stays short, so the next batch starts soon.
    MOST = 64

    def __init__(
        self,
        write_batch: Callable[[list[Item]], list[Result]],
        write_one: Callable[[Item], Result],
    ) -> None:
        self._write_batch = write_batch
        self._write_one = write_one
        self._waiting: queue.SimpleQueue[tuple[Item, Future]] = queue.SimpleQueue()
        self._started = threading.Lock()
        self._writer: threading.Thread | None = None

    def submit(self, item: Item) -> Result:
        return self.enqueue(item).result()

    def enqueue(self, item: Item) -> Future:
        """`item` queued for the next batch; its future holds the result once it is committed (an
        event loop awaits it without holding a thread)."""
        future: Future = Future()
        self._waiting.put((item, future))
        if self._writer is None:
            with self._started:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._run, name="withness-intake-writer", daemon=True
                    )
                    self._writer.start()
        return future

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self.MOST:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[tuple[Item, Future]]) -> None:
        items = [item for item, _ in batch]
        try:
            results = self._write_batch(items)
        except IntegrityError:
            for item, future in batch:
                _settle(future, lambda item=item: self._write_one(item))
            return
        except BaseException as error:  # noqa: BLE001 - the requests' error, raised in each of them
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)


def _settle(future: Future, work: Callable) -> None:
    try:
        future.set_result(work())
    except BaseException as error:  # noqa: BLE001 - as above
        future.set_exception(error)
