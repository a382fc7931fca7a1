"""The build's caches of rendered reflections and threads: one SQLite file in CACHE_PATH.

Entries are looked up one at a time, never loaded whole: at three thousand essays the rendered texts
and threads are some 130 MB, which a JSON file read at once held in memory during every build, and
(interleaved with what the build keeps) in the process long after it was freed.
"""

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE_FILE = "reflections-cache.sqlite"
#: Part of the file: a file of another version is emptied, never trusted.
VERSION = 4
#: Keys per `IN (…)` query: under SQLite's oldest limit on a statement's parameters (999).
QUERY_KEYS = 900
TABLES = {
    "rendered": "key TEXT PRIMARY KEY, html TEXT NOT NULL",
    "threads": "slug TEXT PRIMARY KEY, signature TEXT NOT NULL, html TEXT NOT NULL",
}


class Shelf:
    """The cache file, opened for one build (in the thread that runs it). Without CACHE_CONTENT it is
    an empty shelf that keeps nothing.

    Unlike Pelican's content cache it is read even when LOAD_CONTENT_CACHE is off (a publish build):
    a rendered text is found by a hash of the text and the sanitizer's version, a thread by a
    signature of everything it shows, so no entry can be stale, and a CI host that restores the
    cache folder skips sanitizing what it sanitized before."""

    def __init__(self, settings: dict) -> None:
        self.db: sqlite3.Connection | None = None
        if not settings.get("CACHE_CONTENT"):
            return
        path = Path(settings["CACHE_PATH"]) / CACHE_FILE
        try:
            self.db = _open(path, fresh=False)
        except sqlite3.DatabaseError:
            # Not a database, or one broken part way: this is only a cache, so it starts again.
            logger.warning("Ignoring an unreadable cache file: %s", path)
            path.unlink(missing_ok=True)
            try:
                self.db = _open(path, fresh=True)
            except sqlite3.Error as error:
                logger.warning("Building without the cache file %s: %s", path, error)

    def rendered(self, key: str) -> str | None:
        row = self._one("SELECT html FROM rendered WHERE key = ?", key)
        return row[0] if row and isinstance(row[0], str) else None

    def rendered_many(self, keys: list[str]) -> dict[str, str]:
        """The rendered texts of those `keys` the shelf holds (a few queries, not one per key)."""
        return {key: html for key, html in self._rendered_rows("key, html", keys) if isinstance(html, str)}

    def has_rendered(self, keys: list[str]) -> set[str]:
        """Which of `keys` the shelf holds."""
        return {row[0] for row in self._rendered_rows("key", keys)}

    def _rendered_rows(self, columns: str, keys: list[str]) -> Iterator[tuple]:
        for start in range(0, len(keys), QUERY_KEYS):
            part = keys[start : start + QUERY_KEYS]
            marks = ",".join("?" * len(part))
            yield from self._all(f"SELECT {columns} FROM rendered WHERE key IN ({marks})", *part)

    def thread(self, slug: str) -> tuple[str, str] | None:
        row = self._one("SELECT signature, html FROM threads WHERE slug = ?", slug)
        return (row[0], row[1]) if row else None

    def put_rendered(self, key: str, html: str) -> None:
        self._write("INSERT OR REPLACE INTO rendered (key, html) VALUES (?, ?)", key, html)

    def put_thread(self, slug: str, signature: str, html: str) -> None:
        self._write("INSERT OR REPLACE INTO threads VALUES (?, ?, ?)", slug, signature, html)

    def keep_only(self, table: str, column: str, kept: set[str]) -> None:
        """Forget every entry a whole build no longer used."""
        if self.db is None:
            return
        held = self._one(f"SELECT count(*) FROM {table}")
        if held is not None and held[0] <= len(kept):
            # Nothing to forget (a warm build, say), or at most an entry a too-long text left out of
            # `kept`: a cache found by hash is never stale, so it waits for the next build that drops one.
            return
        self._begin()
        self.db.execute(f"CREATE TEMP TABLE IF NOT EXISTS used_{table} (value TEXT PRIMARY KEY)")
        self.db.execute(f"DELETE FROM used_{table}")
        self.db.executemany(f"INSERT OR IGNORE INTO used_{table} VALUES (?)", ((v,) for v in kept))
        self.db.execute(f"DELETE FROM {table} WHERE {column} NOT IN (SELECT value FROM used_{table})")

    def close(self) -> None:
        """Keep what this build added (one transaction) and close the file."""
        if self.db is None:
            return
        try:
            if self.db.in_transaction:
                self.db.commit()
        except sqlite3.Error as error:
            logger.warning("Could not keep the build's cache: %s", error)
        finally:
            self.db.close()
            self.db = None

    def _one(self, sql: str, *arguments):
        if self.db is None:
            return None
        try:
            return self.db.execute(sql, arguments).fetchone()
        except sqlite3.Error:
            return None

    def _all(self, sql: str, *arguments) -> list:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, arguments).fetchall()
        except sqlite3.Error:
            return []

    def _write(self, sql: str, *arguments) -> None:
        if self.db is None:
            return
        try:
            self._begin()
            self.db.execute(sql, arguments)
        except sqlite3.Error as error:
            logger.warning("Building without the cache from here: %s", error)
            self.db.close()
            self.db = None

    def _begin(self) -> None:
        if self.db is not None and not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")


def _open(path: Path, fresh: bool) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit mode, transactions begun by hand: a build's writes are one transaction, and a
    # `reflections approve` in a terminal waits its turn rather than failing.
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if fresh or version != VERSION:
            db.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}")
            for table, columns in TABLES.items():
                db.execute(f"CREATE TABLE {table} ({columns})")
            db.execute(f"PRAGMA user_version = {VERSION}")
            db.execute("COMMIT")
    except sqlite3.Error:
        db.close()
        raise
    return db
