"""The publisher's work: elected through the store, it takes publication jobs in order, brings the
published files in line with the store, renders what each change touches, and records each job's
outcome. Everything a reader or the author did is in the store first, so a publisher that stops
loses nothing: the jobs wait for the next one.
"""

import logging
import os
import threading
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from ..core import published
from ..site import settings as site_settings
from ..site.devserver import why
from ..store import Job, Store, StoreUnavailable
from . import files
from .deploy import Changed, DeployError, Target

logger = logging.getLogger(__name__)

#: Render one essay's pages after its reflections changed; raises when it cannot.
Render = Callable[[str], object]


class Publisher:
    """Publishes the site's jobs with `render`: a warm build's `reflections_changed` in a long-running
    publisher, a one-off Pelican run (`onepublish.publish_once`) in a terminal, None to write files only."""

    #: Seconds between looks at the store when no job was announced (another process's, on SQLite).
    POLL_SECONDS = 0.5
    #: Seconds between tries for the lease while another publisher holds it.
    STANDBY_SECONDS = 1.0

    #: Seconds between looks for deployments whose next try has come.
    DEPLOY_POLL_SECONDS = 2.0

    def __init__(
        self, store: Store, settings: dict, render: Render | None, say=print, deploy: Target | None = None
    ) -> None:
        self.store = store
        self.root = site_settings.reflections_root(settings)
        self.content = Path(settings["PATH"]).resolve()
        self.output = Path(settings["OUTPUT_PATH"]).resolve()
        self.zone = site_settings.site_zone(settings)
        self.render = render
        self.say = say
        self.target = deploy
        self._deploy_wanted = threading.Event()
        #: One deploy at a time (a deploy thread of a lease just lost may still be finishing).
        self._deploying = threading.Lock()
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
        items = list(dict.fromkeys(job.item for job in jobs if job.item))
        written: object = []
        try:
            for item in items:
                files.sync(self.store, self.root, self.zone, essay, item)
            if self.render is not None:
                written = self.render(essay)
        except StoreUnavailable:
            raise  # the jobs stay waiting; the loop tries again
        except (Exception, SystemExit) as error:  # a template error, a broken essay, a full disk
            reason = why(error)
            self.say(f"Not published ({essay}): {reason}", flush=True)
            self.store.finish_jobs(ids, reason=reason)
            return reason
        self.store.finish_jobs(ids)
        if self.target is not None:
            self._changed(essay, items, written)
        return None

    def _changed(self, essay: str, items: list[str], written: object) -> None:
        """Keep what a publication changed for the deploy target (a list of written files, or
        anything else for a whole build)."""
        content = tuple(
            os.path.relpath(published.path_of(self.root, essay, item), self.content)
            for item in items
            if published.valid_location(essay, item)
        )
        if isinstance(written, list):
            output = (os.path.relpath(os.path.abspath(path), self.output) for path in written)
            changed = Changed(tuple(path for path in output if not path.startswith("..")), content)
        else:
            changed = Changed(content=content, everything=True)
        self.store.add_deployment(changed.lines(), everything=changed.everything)
        self._deploy_wanted.set()

    def site_changed(self, written: list[str] | None) -> None:
        """Pages rebuilt for a change of the site's own files (None: the whole site), to deploy."""
        if self.target is not None and (written is None or written):
            self._changed("", [], written)

    def deploy_due(self) -> str | None:
        """Deploy every due deployment at once (the caller leads); returns why it failed, if it did."""
        with self._deploying:
            return self._deploy(self.store.due_deployments())

    def _deploy(self, due: list) -> str | None:
        if not due or self.target is None:
            return None
        changed = Changed()
        for deployment in due:
            changed |= Changed.from_lines(deployment.changed, deployment.everything)
        ids = [deployment.id for deployment in due]
        try:
            self.target.deploy(changed)
        except DeployError as error:
            self.say(f"Published here, not yet deployed ({self.target}): {error}", flush=True)
            self.store.finish_deployments(ids, reason=str(error))
            return str(error)
        self.store.finish_deployments(ids)
        return None

    def _deploy_loop(self) -> None:
        """While leading: deploy as publications come, and failed deployments when their time comes.
        In its own thread, so a slow host never holds up a publication."""
        while self.leading.is_set() and not self.stopped.is_set():
            try:
                self.deploy_due()
            except StoreUnavailable:
                pass  # the publisher loop steps down; this thread ends with it
            except Exception as error:  # a deploy target's own bug: said, and tried again later
                self.say(f"The deploy stopped after an error: {why(error)}", flush=True)
            self._deploy_wanted.wait(self.DEPLOY_POLL_SECONDS)
            self._deploy_wanted.clear()

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
                if self.target is not None:
                    # A new publisher brings the host in line with what it built: everything, once.
                    self.store.add_deployment([], everything=True)
                    threading.Thread(target=self._deploy_loop, daemon=True, name="withness-deploy").start()
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
        self._deploy_wanted.set()
