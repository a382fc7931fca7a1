"""Where the site and the service meet: the one module outside the CLI that uses both rooms.

`reflections serve`: the built site and the reflections service on one local port.

The site is built at start and kept warm in memory: an approval, or a saved essay, re-renders only
the pages it touches; a change to the theme or the settings builds it all again. The service
answers under /reflections/. One process, SQLite by default: the setup for writing at home. In
production a web server serves output/ and proxies /reflections/.
"""

import threading
from dataclasses import replace

import uvicorn

from .service import config as service_config
from .service.app import create_app
from .service.mail import MailWorker
from .site.devserver import publish, rebuild_on_change
from .site.index import SiteIndex
from .site.warm import WarmSite


def app_for(config: service_config.ServiceConfig | None = None, rebuild=None, serve_site: bool = True):
    """The service for the site named by `config` (read from the environment when None)."""
    config = config or service_config.load()
    return create_app(config, SiteIndex(config.settings_file), rebuild=rebuild, serve_site=serve_site)


def serve(host: str, port: int) -> None:
    config = service_config.load()
    index = SiteIndex(config.settings_file)
    # Links in mails name the port this server really listens on, unless a public address is set.
    site_url = str(index.settings.get("SITEURL", ""))
    config = replace(config, public_url=service_config.public_url(config, site_url, host, port))
    # The warm build: kept in memory, so an approval re-renders only the pages it touches.
    site = WarmSite(str(config.settings_file))
    publish(site.build)
    app = create_app(config, index, rebuild=lambda essay: publish(site.reflections_changed, essay))
    service = app.state.service
    if service.reconciled:  # files changed before the watcher started: the whole site again
        publish(site.build)
    mail = MailWorker(service.mailer, service.store.pending_since, config.mail_interval)
    mail.start()
    stop = threading.Event()
    watcher = threading.Thread(target=rebuild_on_change, args=(site, stop), daemon=True)
    watcher.start()
    print(
        f"Serving the site and the reflections service at http://{host}:{port}/ (Ctrl-C to stop)", flush=True
    )
    try:
        # The client's address is decided in one place, from REFLECTIONS_TRUSTED_PROXIES
        # (addresses.py); uvicorn's own header handling would trust loopback by default.
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        stop.set()
        mail.stopped.set()
