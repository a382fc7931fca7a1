"""The publisher's work: elected through the store, it takes publication jobs in order, brings the
published files in line with the store, renders what each change touches, and records each job's
outcome. Everything a reader or the author did is in the store first, so a publisher that stops
loses nothing: the jobs wait for the next one.
"""

import logging
import threading
from collections.abc import Callable
from itertools import groupby

from ..site import settings as site_settings
from ..site.devserver import why
from ..store import Job, Store, StoreUnavailable
from . import files

logger = logging.getLogger(__name__)

#: Render one essay's pages after its reflections changed; raises when it cannot.
Render = Callable[[str], object]


class Publisher:
    """Publishes the site's jobs with `render`: a warm build's `reflections_changed` in a long-running
    publisher, a one-off Pelican run (`warm.publish_once`) in a terminal, None to write files only."""

    #: Seconds between looks at the store when no job was announced (another process's, on SQLite).
    POLL_SECONDS = 0.5
    #: Seconds between tries for the lease while another publisher holds it.
    STANDBY_SECONDS = 1.0

    def __init__(self, store: Store, settings: dict, render: Render | None, say=print) -> None:
        self.store = store
        self.root = site_settings.reflections_root(settings)
        self.zone = site_settings.site_zone(settings)
        self.render = render
        self.say = say
        self.stopped = threading.Event()
        #: Set while this process holds the lease (and has reconciled the files).
        self.leading = threading.Event()

    def drain(self) -> tuple[int, list[str]]:
        """Run every waiting job once (the caller holds the lease); returns how many jobs ran and
        the reasons of those that failed, by essay."""
        jobs = sorted(self.store.waiting_jobs(), key=lambda job: (job.essay, job.id))
        failures = []
        for essay, group in groupby(jobs, key=lambda job: job.essay):
            reason = self._publish(essay, list(group))
            if reason:
                failures.append(f"{essay}: {reason}")
        return len(jobs), failures

    def _publish(self, essay: str, jobs: list[Job]) -> str | None:
        ids = [job.id for job in jobs]
        try:
            for item in dict.fromkeys(job.item for job in jobs if job.item):
                files.sync(self.store, self.root, self.zone, essay, item)
            if self.render is not None:
                self.render(essay)
        except StoreUnavailable:
            raise  # the jobs stay waiting; the loop tries again
        except (Exception, SystemExit) as error:  # a template error, a broken essay, a full disk
            reason = why(error)
            self.say(f"Not published ({essay}): {reason}", flush=True)
            self.store.finish_jobs(ids, reason=reason)
            return reason
        self.store.finish_jobs(ids)
        return None

    def reconcile(self) -> None:
        for line in files.reconcile(self.store, self.root, self.zone):
            logger.warning("Reconciled the published files with the store: %s", line)
            self.say(f"Reconciled: {line}", flush=True)

    def run(self, prepare: Callable[[], object] | None = None) -> None:
        """Until stopped: wait for the lease, then reconcile, `prepare()` (the first whole build),
        and take jobs as they come. Losing the database gives the lease up and waits for it again."""
        while not self.stopped.is_set():
            try:
                lease = self.store.publisher_lease()
            except StoreUnavailable as error:
                self.say(f"The publisher waits for the database: {error}", flush=True)
                self.stopped.wait(self.STANDBY_SECONDS)
                continue
            if lease is None:
                self.stopped.wait(self.STANDBY_SECONDS)
                continue
            try:
                self.reconcile()
                if prepare is not None:
                    prepare()
                self.leading.set()
                while not self.stopped.is_set():
                    self.drain()
                    lease.wait(self.POLL_SECONDS)
            except StoreUnavailable as error:
                self.say(f"The publisher lost the database and steps down: {error}", flush=True)
            except Exception as error:  # a full disk while reconciling, say: step down, try again
                self.say(f"The publisher stepped down after an error: {why(error)}", flush=True)
                self.stopped.wait(self.STANDBY_SECONDS)
            finally:
                self.leading.clear()
                lease.release()

    def stop(self) -> None:
        self.stopped.set()
