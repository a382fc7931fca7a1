"""Every core in a cold build: essays read and reflection texts sanitized in worker processes.

Pelican reads, renders and writes on one core. The costly, independent parts of a build that starts
from nothing (converting each essay's Markdown, sanitizing each reflection) are given to a pool of
forked workers here, and their results taken in by the one process that builds the site, in the
order it asks for them (and one task, the reflection feeds, begun in a worker of its own while the
building process writes the pages: `start`): the output is the same bytes as a one-process build
(a test compares the trees). A worker's log records are sent back with its result and logged by the
building process when it takes that result, so the log reads as a one-process build's. Anything a
worker could not do is done again in the building process, where its error is reported as always.

A pool is used only where it pays: enough work to share (a warm build has little) and more than one
core to share it on (`REFLECTIONS_BUILD_PROCESSES`, else the cores this process may run on). A worker
takes no lock another thread of the building process could hold (it logs to its own handler and
touches no file, connection or console); the service's builds, in a process of many threads and open
connections, are one process all the same (warm.py sets REFLECTIONS_BUILD_PROCESSES to 1).
"""

import logging
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from io import BytesIO
from itertools import repeat

logger = logging.getLogger(__name__)

#: Below these counts a fork costs more than it saves (an essay of 1 500 words takes ~6 ms to read,
#: a reflection ~0.5 ms to sanitize and ~0.2 ms to read).
MIN_ESSAYS = 16
MIN_TEXTS = 200
MIN_FILES = 400
MIN_THREADS = 64
MIN_FEEDS = 64
#: Items sent to a worker at a time: few enough that the first results come back soon.
CHUNK = 16

#: What a worker calls, set in the building process just before the fork (a fork inherits it, so no
#: reader or setting has to be pickled to reach the workers).
_task: Callable | None = None
_records: list[logging.LogRecord] = []


def processes(settings: dict, work: int, minimum: int) -> int:
    """How many worker processes to use for `work` items: 0 for none (do it in this process)."""
    if work < minimum or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    wanted = int(settings.get("REFLECTIONS_BUILD_PROCESSES") or 0)
    if wanted <= 0:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(wanted, work) if wanted > 1 else 0


def run(task: Callable, items: Iterable, count: int, chunk: int = CHUNK) -> Iterator[tuple]:
    """`(result, records)` of `task(item)` for each item, in order, computed by `count` workers.

    `result` is None where the task raised, and for every item left when a worker died (killed for
    memory, say): the caller does those itself. The workers end when the iterator is exhausted or
    closed.
    """
    global _task
    _task = task
    items = list(items)
    given = 0
    context = multiprocessing.get_context("fork")
    executor = ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker)
    try:
        for result in executor.map(_work, items, chunksize=chunk):
            given += 1
            yield result
    except BrokenProcessPool:
        logger.warning("A worker process ended early: the build does the rest of this step itself")
        yield from repeat((None, []), len(items) - given)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        _task = None


class Ahead:
    """One task begun in a worker process while this process goes on (`start`)."""

    def __init__(self, executor: ProcessPoolExecutor, future) -> None:
        self.executor, self.future = executor, future

    def result(self) -> tuple:
        """`(result, records)` once the task is done; `(None, [])` when it raised or its worker
        died (the caller does it itself)."""
        try:
            return self.future.result()
        except BrokenProcessPool:
            logger.warning("A worker process ended early: the build does this step itself")
            return None, []
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)


def start(task: Callable[[], object]) -> Ahead:
    """`task()` begun now in one forked worker, beside what this process does next (the fork
    happens here, so the worker has everything this process has at this moment)."""
    global _task
    _task = lambda _item: task()  # noqa: E731 - the worker's copy is taken by the fork below
    try:
        executor = ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
        )
        return Ahead(executor, executor.submit(_work, None))
    finally:
        _task = None


def replay(records: list[logging.LogRecord]) -> None:
    """Log a worker's records here, as if this process had logged them."""
    for record in records:
        logging.getLogger(record.name).handle(record)


def shares_settings(settings: dict) -> tuple[Callable[[object], bytes], Callable[[bytes], object]]:
    """(dumps, loads) that pickle `settings` by reference: Pelican's categories and tags each hold the
    settings, which would otherwise be copied into every result."""

    class Dumper(pickle.Pickler):
        def persistent_id(self, obj):
            return "settings" if obj is settings else None

    class Loader(pickle.Unpickler):
        def persistent_load(self, pid):
            return settings

    def dumps(value) -> bytes:
        stream = BytesIO()
        Dumper(stream, pickle.HIGHEST_PROTOCOL).dump(value)
        return stream.getvalue()

    def loads(data: bytes):
        return Loader(BytesIO(data)).load()

    return dumps, loads


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        # Made plain so it pickles: the message formatted, a traceback as text.
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        _records.append(record)


def _start_worker() -> None:
    """A worker logs nothing itself: its records go back to the building process."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for each in loggers:
        if isinstance(each, logging.Logger):
            each.handlers = []
    logging.getLogger().addHandler(_Collect())


def _work(item) -> tuple:
    _records.clear()
    try:
        result = _task(item)
    except Exception:
        # Done again by the building process, which reports the error as a one-process build does.
        return None, []
    return result, list(_records)
