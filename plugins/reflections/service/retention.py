"""Retention in the running service: the store's purge (store/retention.py) once an hour, with the
site's settings (REFLECTIONS_KEEP_DECLINED_DAYS, REFLECTIONS_KEEP_EMAIL_DAYS). `reflections purge`
does the same once, for a cron or a service that does not run all the time."""

import logging
import threading

from ..core import rest
from ..store import Store

logger = logging.getLogger(__name__)
INTERVAL = 3600.0


def purge(store: Store, settings: dict, moment=None):
    """One purge with the site's settings; what it removed."""
    done = store.purge(
        int(settings.get("REFLECTIONS_KEEP_DECLINED_DAYS") or 0),
        int(settings.get("REFLECTIONS_KEEP_EMAIL_DAYS") or 0),
        moment,
    )
    if done.items or done.emails or done.subscribers or done.mails:
        logger.info(
            "Retention: %d declined items, %d addresses on items, %d subscriptions, %d mails removed",
            done.items,
            done.emails,
            done.subscribers,
            done.mails,
        )
    return done


class RetentionWorker(threading.Thread):
    """Purges once at start and then every INTERVAL seconds; ends the author's rest on its day."""

    def __init__(self, store: Store, settings: dict, interval: float = INTERVAL) -> None:
        super().__init__(daemon=True, name="withness-retention")
        self.store = store
        self.settings = settings
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                purge(self.store, self.settings)
                # A rest whose day has come ends: its file goes, and the site builds with the form.
                rest.ended(self.settings)
            except Exception:  # the next round tries again; nothing is lost by waiting
                logger.exception("The retention purge met an error; it will try again")
            if self.stopped.wait(self.interval):
                return
