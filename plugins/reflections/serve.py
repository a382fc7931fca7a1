"""Where the site and the service meet: the one module outside the CLI that uses both rooms.

Two roles (docs/explanation/architecture.md): **intake** (the service under /reflections/: any number of
instances over one store, ready at once, never rendering a page in a request) and the
**publisher** (one per site, elected through the store: it holds the warm build, takes the
publication jobs, writes the published files and renders what changed, and watches the site's
files). `reflections serve` runs both in one process on one port: the default for writing at
home. `reflections serve --role intake` and `reflections publish --watch` run them apart;
`intake_app()` is the intake for any ASGI server (see asgi.py).
"""

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import uvicorn

from .core.errors import SettingError
from .elsewhere.fetch import Fetcher
from .elsewhere.worker import Replies
from .publisher import deploy
from .publisher.loop import Publisher
from .service import config as service_config
from .service.app import create_app
from .service.mail import MailWorker
from .service.retention import RetentionWorker
from .site import settings as site_settings
from .site.devserver import publish, rebuild_on_change
from .site.index import SiteIndex
from .site.onepublish import publish_once
from .site.warm import WarmSite
from .store import Store

#: The allocator a process that keeps a warm build runs with (`serve`, `publish --watch`), unless
#: the environment names one. Python's own allocator keeps a 1 MiB arena while one object in it
#: lives: after a whole build at 3 000 essays, 74 MB of its pools were empty yet held. glibc's
#: gives whole free pages back (malloc_trim, warm.py): about a quarter less memory, for 3 to 6 %
#: more processor time per submission. Two arenas: the service's threads would each make their own.
KEEPING_ALLOCATOR = {"PYTHONMALLOC": "malloc", "MALLOC_ARENA_MAX": "2"}


def with_keeping_allocator() -> None:
    """Start this process again, the same command, with KEEPING_ALLOCATOR; at once, before
    anything is opened. Nothing when PYTHONMALLOC is set already (by the restart, or by someone
    who chose otherwise) or where glibc is not the C library."""
    if "PYTHONMALLOC" in os.environ or not _glibc():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, sys.orig_argv, {**os.environ, **KEEPING_ALLOCATOR})


def _glibc() -> bool:
    try:
        return bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, OSError):
        return False


def app_for(config: service_config.ServiceConfig | None = None, store: Store | None = None, **options):
    """The service for the site named by `config` (read from the environment when None)."""
    config = config or service_config.load()
    return create_app(config, SiteIndex(config.settings_file), store=store, **options)


def _with_mail(config: service_config.ServiceConfig, publisher: "WarmPublisher | None" = None):
    """A lifespan that runs the mail worker beside the service (mail is claimed once, so every
    instance may run one), and the publisher when this process has one: started once the server
    is up, so its first build never delays the first answer."""

    @asynccontextmanager
    async def lifespan(app):
        service = app.state.service
        worker = MailWorker(service.mailer, service.store.pending_since, config.mail_interval)
        worker.start()
        keeper = RetentionWorker(service.store, service.settings)
        keeper.start()
        replies = app.state.replies = replies_worker(config, service)
        replies.start()
        if publisher is not None:
            publisher.start()  # builds in the background: readers are answered meanwhile
        try:
            yield
        finally:
            worker.stopped.set()
            keeper.stopped.set()
            replies.stop()
            if publisher is not None:
                publisher.stop()

    return lifespan


def replies_worker(config: service_config.ServiceConfig, service) -> Replies:
    """The worker that verifies webmentions and reads replies elsewhere, for this service."""
    return Replies(
        service.store,
        Fetcher(allow_loopback=config.fetch_allow_loopback),
        service.site.essays,
        service.flags_of,
        appview=config.bluesky_appview,
        interval=config.replies_interval,
        trusting=bool(service.settings.get("REFLECTIONS_TRUST_RETURNING")),
        site_url=service.site_url,
        sending=bool(service.settings.get("REFLECTIONS_SEND_WEBMENTIONS")),
    )


def intake_app():
    """Intake and moderation alone, for an ASGI server; the web server serves output/."""
    config = service_config.load()
    return app_for(config, serve_site=False, lifespan=_with_mail(config))


def deploy_target(spec: str, settings_file: str, settings: dict) -> deploy.Target | None:
    """The publisher's deploy target (REFLECTIONS_DEPLOY); SettingError for one it cannot use."""
    try:
        return deploy.target(spec, Path(settings_file).resolve().parent, settings)
    except ValueError as error:
        raise SettingError(str(error)) from None


class WarmPublisher:
    """The long-running publisher: the lease, then the warm build, the jobs and the file watcher."""

    def __init__(
        self, store: Store, settings_file: str, deploy_to: str = "", built: Callable[[], None] | None = None
    ) -> None:
        self.site = WarmSite(settings_file)
        #: Called after every build this publisher makes, whole or incremental: the service in the
        #: same process looks at its essays again at once, rather than up to a second later.
        self._built = built or (lambda: None)
        settings = site_settings.read(settings_file)
        target = deploy_target(deploy_to, settings_file, settings)
        self.publisher = Publisher(store, settings, self.site.reflections_changed, deploy=target)
        self.store = store
        self.built = threading.Event()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def prepare(self) -> None:
        """The watcher, then the first whole build: a file saved while the site builds is published
        right after it (the warm build takes one change at a time)."""
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=rebuild_on_change,
                args=(self.site, self._stop, self._after_change),
                daemon=True,
                name="withness-watcher",
            )
            self._watcher.start()
        publish(self.site.build)
        self._built()
        self.built.set()

    def _after_change(self, ok: bool, written: list[str] | None) -> None:
        self._built()
        if ok and self.publisher.leading.is_set():
            # The author fixed what broke a publication (a template, an essay): its jobs run again.
            self.store.retry_failed_jobs()
            # What the author's change rebuilt goes to the host too.
            self.publisher.site_changed(written)

    def run(self) -> None:
        self.publisher.run(self.prepare)

    def start(self) -> "WarmPublisher":
        threading.Thread(target=self.run, daemon=True, name="withness-publisher").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.publisher.stop()

    def status(self) -> dict:
        """For /reflections/health: whether this process publishes, and whether its site is built."""
        return {
            "publisher": "leading" if self.publisher.leading.is_set() else "waiting for the lease",
            "site": "built" if self.built.is_set() else "building",
        }


def _port_free(host: str, port: int) -> None:
    """SettingError, in one line with what to do, when something already listens there."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise SettingError(
            f"cannot listen on {host}:{port} ({error.strerror}): another server uses it; choose "
            f"another port with --port (with make: make run PORT={port + 1})"
        ) from None


def serve(host: str, port: int, role: str = "all") -> None:
    _port_free(host, port)
    config = service_config.load()
    index = SiteIndex(config.settings_file)
    # Links in mails name the port this server really listens on, unless a public address is set.
    config = replace(config, public_url=service_config.public_url(config, index.settings, host, port))
    store = Store(config.database_url, config.database_timeout)
    publisher = (
        WarmPublisher(store, str(config.settings_file), config.deploy, built=index.expire)
        if role == "all"
        else None
    )
    app = create_app(
        config, index, store=store, serve_site=role == "all", lifespan=_with_mail(config, publisher)
    )
    if publisher is not None:
        app.state.publishing = publisher.status
    what = "the site and the reflections service" if publisher else "the reflections service (intake)"
    print(f"Serving {what} at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        # The client's address is decided in one place, from REFLECTIONS_TRUSTED_PROXIES
        # (addresses.py); uvicorn's own header handling would trust loopback by default.
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        if publisher is not None:
            publisher.stop()


def run_publisher() -> None:
    """`reflections publish --watch`: the publisher alone, until interrupted."""
    config = service_config.load()
    store = Store(config.database_url, config.database_timeout)
    publisher = WarmPublisher(store, str(config.settings_file), config.deploy)
    print("Publishing: waiting for the lease (one publisher per site)…", flush=True)
    try:
        publisher.run()
    finally:
        publisher.stop()


def publish_waiting(
    store: Store, settings_file: str, render: bool = True, patience: float = 10.0, deploy_to: str = ""
) -> tuple[int, list[str]] | None:
    """For a terminal: run the waiting jobs once, without a warm build (Pelican's content cache and
    the selective writer; `render=False` writes the files only). Returns how many jobs ran here and
    the reasons of those that failed; (0, []) when another publisher ran them meanwhile; None when
    another publisher holds the lease and the jobs still wait after `patience` seconds."""
    deadline = time.monotonic() + patience
    while (lease := store.publisher_lease()) is None:
        if not store.count_jobs()["waiting"]:
            return 0, []  # the process holding the lease (a server, another command) ran them
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
    try:
        settings = site_settings.read(settings_file)
        publisher = Publisher(
            store,
            settings,
            (lambda essay: publish_once(settings_file, essay)) if render else None,
            deploy=deploy_target(deploy_to, settings_file, settings),
        )
        drained = publisher.drain()
        # A deploy that fails is said (by the publisher) and kept: the next publisher tries again.
        publisher.deploy_due()
        return drained
    finally:
        lease.release()
