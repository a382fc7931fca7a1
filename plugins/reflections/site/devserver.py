"""Building the site for the servers: one build at a time, and on every change only what it touches.

`python -m reflections.devserver` serves the static site alone (no reflections service), as
`make devserver`-style preview; `reflections serve` (see server.py) is what `make run` uses. A
broken essay does not stop either: the error line is printed and the last good site stays up.
"""

import argparse
import functools
import os
import threading
import time
import traceback
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from jinja2 import TemplateSyntaxError
from watchfiles import watch

from ..core.errors import ContentError, SettingError
from ..core.published import FormatError
from . import settings as site_settings
from .warm import WarmSite


def publish(step, *arguments) -> tuple[bool, list[str] | None]:
    """Run one build step of a WarmSite; returns whether it built and the files it wrote (None: the
    whole site). When it fails for any reason (a broken essay, a template error, a full disk) it
    prints one line saying why: the last good site stays as it was, the caller goes on (a
    moderation act is kept, the watcher keeps watching), and the next change builds the whole site
    again, publishing what waited."""
    started = time.perf_counter()
    try:
        written = step(*arguments)
    except (Exception, ContentError) as error:  # whatever broke, publishing must outlive it
        print(f"Not rebuilt: {why(error)}", flush=True)
        return False, []
    took = time.perf_counter() - started
    if written is None:
        print(f"Built the whole site in {took:.2f} s.", flush=True)
    elif written:
        print(f"Rebuilt {len(written)} file(s) in {took:.3f} s.", flush=True)
    return True, written


def why(error: Exception) -> str:
    """One line naming the file and the problem, for an error met while building."""
    if isinstance(error, (ContentError, SettingError, FormatError)):  # each names its file already
        return str(error)
    if isinstance(error, TemplateSyntaxError):
        return f"{error.filename or error.name}:{error.lineno}: {error.message}"
    frames = traceback.extract_tb(error.__traceback__)
    # The innermost template, if the error came from one; else the innermost frame.
    where = next((f for f in reversed(frames) if f.filename.endswith((".html", ".xml", ".j2"))), None)
    where = where or (frames[-1] if frames else None)
    place = f"{where.filename}:{where.lineno}: " if where else ""
    message = " ".join(str(error).split()) or "(no message)"
    return f"{place}{type(error).__name__}: {message}"


def rebuild_on_change(site: WarmSite, stop: threading.Event | None = None, after=None) -> None:
    """On every change under content/, the theme or the settings: an essay or a reflection renders
    only what shows it, anything else builds the whole site (warm.py). `after(ok, written)` follows
    each: whether it built, and the files it wrote (None: the whole site)."""
    for changes in watch(*watched_paths(site.settings_file), stop_event=stop):
        ok, written = publish(site.files_changed, sorted(path for _change, path in changes))
        if after is not None:
            after(ok, written)


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves output/ and answers a missing path with the site's own 404 page."""

    def send_error(self, code, message=None, explain=None):
        page = os.path.join(self.directory, "404.html")
        if code != 404 or not os.path.exists(page):
            return super().send_error(code, message, explain)
        with open(page, "rb") as handle:
            body = handle.read()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - the name is the standard library's
        pass


def watched_paths(settings_file: str) -> list[str]:
    settings = site_settings.read(settings_file)
    return [settings["PATH"], settings["THEME"], os.path.abspath(settings_file)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--settings", default="pelicanconf.py")
    args = parser.parse_args(argv)

    site = WarmSite(args.settings)
    publish(site.build)
    output = site_settings.read(args.settings)["OUTPUT_PATH"]
    handler = functools.partial(SiteHandler, directory=output)
    server = ThreadingHTTPServer((args.host, args.port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving the site at http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        rebuild_on_change(site)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
