"""`reflections serve`: the built site and the reflections service on one local port.

The site is built at start and rebuilt whenever an essay, a published reflection, the theme or the
settings change; the service answers under /reflections/. One process, SQLite by default: the
setup for writing at home. In production a web server serves output/ and proxies /reflections/.
"""

import threading

import uvicorn

from . import service_config
from .app import create_app
from .devserver import build, rebuild_on_change
from .mail import MailWorker


def serve(host: str, port: int) -> None:
    config = service_config.load()
    settings_file = str(config.settings_file)
    build(settings_file)
    app = create_app(config, rebuild=lambda: build(settings_file))
    service = app.state.service
    mail = MailWorker(service.mailer, service.store.pending_since, config.mail_interval)
    mail.start()
    stop = threading.Event()
    watcher = threading.Thread(target=rebuild_on_change, args=(settings_file, stop), daemon=True)
    watcher.start()
    print(
        f"Serving the site and the reflections service at http://{host}:{port}/ (Ctrl-C to stop)", flush=True
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        mail.stopped.set()
