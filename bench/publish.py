"""Publish benchmark: a full Pelican build against one approval, and one essay edit, on a warm site.

    .venv/bin/python bench/publish.py [--essays 3000] [--reflections 20] [--words 1500]

Generates N deterministic synthetic essays with K published reflections each (bench/site_build.py's
generator) in a temporary site folder, then measures:

(a) a full cold `pelican` build of it (no output, no cache);
(b) approve → essay page updated on disk, through a running `reflections serve` (the author logged
    in, the moderation form's POST; the clock runs until the new reflection is in the page file),
    the median over 20 approvals on 20 different essays;
(c) one essay file saved → its page updated on disk (the server's file watcher and the warm build),
    the median over 10 edits.

(d) the server's start: seconds until /reflections/health answers (the site builds in the
    background meanwhile), and the server's memory once its warm build is made and used (RSS now,
    and its peak).

The last line is `publish_median_s=<b> full_build_s=<a> ratio=<a/b> edit_median_s=<c> ready_s=<d>
rss_mb=<d> peak_rss_mb=<d>`. A benchmark, not a test: run it on a quiet machine.
"""

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pelican.plugins.reflections.core.published import new_id
from pelican.plugins.reflections.store import Reflection, Store, body_hash, now
from site_build import generate, generate_reflections  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "a benchmark password"
MODERATE = "/reflections/moderate"
APPROVALS = 20
EDITS = 10


def make_site(folder: Path, essays: int, words: int, reflections: int) -> Path:
    site = folder / "site"
    generate(site / "content", essays, words)
    generate_reflections(site / "content", essays, reflections)
    shutil.copytree(REPO / "theme", site / "theme")
    shutil.copy(REPO / "pelicanconf.py", site / "pelicanconf.py")
    (site / "plugins").symlink_to(REPO / "plugins")
    return site


def full_build(site: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "pelican"), "content", "-s", "pelicanconf.py", "-q"],
        cwd=site,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the full build failed: {result.stderr.strip()}")
    return elapsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _StayHere(urllib.request.HTTPRedirectHandler):
    """The moderation form answers 303 to the queue page: the clock stops at the answer, not after
    loading the next page."""

    def redirect_request(self, *args, **kwargs):
        return None


class Author:
    """The author in the moderation pages, over real HTTP with the session cookie."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        csrf = self._csrf(self._get(MODERATE))
        self._post(f"{MODERATE}/login", {"csrf": csrf, "password": PASSWORD})
        self.csrf = self._csrf(self._get(MODERATE))

    def _get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as answer:
            return answer.read().decode("utf-8")

    def _post(self, path: str, fields: dict) -> int:
        data = urllib.parse.urlencode(fields).encode("ascii")
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as answer:
                return answer.status
        except urllib.error.HTTPError as answer:
            if answer.code != 303:
                sys.exit(f"POST {path} answered {answer.code}")
            return answer.code

    @staticmethod
    def _csrf(html: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)

    def approve(self, item_id: str) -> None:
        self._post(f"{MODERATE}/act", {"csrf": self.csrf, "action": "approve", "id": item_id})


def wait_until(page: Path, marker: str, seconds: float = 60.0) -> float:
    """Seconds until the page on disk holds the marker (polled every millisecond)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            if marker in page.read_text(encoding="utf-8"):
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.001)
    sys.exit(f"{page} never showed {marker!r}")


def queue(site: Path, slugs: list[str]) -> list[tuple[str, str]]:
    store = Store(f"sqlite:///{site / 'reflections.db'}")
    items = []
    for number, slug in enumerate(slugs):
        body = f"A benchmark reflection, number {number}, on {slug}."
        row = Reflection(
            id=new_id(), essay=slug, body=body, name="Bench", body_hash=body_hash(body), created=now()
        )
        store.add(row)
        items.append((row.id, slug))
    store.engine.dispose()
    return items


def health(base: str, server: subprocess.Popen, until, seconds: float = 1800) -> float:
    """The moment /reflections/health first answers with what `until(answer)` wants (polled every
    10 ms)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(base + "/reflections/health", timeout=5) as answer:
                if until(json.loads(answer.read())):
                    return time.perf_counter()
        except OSError:
            if server.poll() is not None:
                sys.exit("the service stopped; see its log")
        time.sleep(0.01)
    sys.exit("the service did not get there in time")


def memory(pid: int) -> tuple[float, float]:
    """(resident, peak resident) megabytes of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["VmHWM"][0]) / 1024


def spread(seconds: list[float]) -> str:
    low, middle, high = min(seconds), statistics.median(seconds), max(seconds)
    return f"median {middle * 1000:.1f} ms (min {low * 1000:.1f}, max {high * 1000:.1f}, n={len(seconds)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=3000)
    parser.add_argument("--reflections", type=int, default=20, help="published per essay")
    parser.add_argument("--words", type=int, default=1500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="withness-publish-") as tmp:
        site = make_site(Path(tmp), args.essays, args.words, args.reflections)
        print(f"{args.essays} essays, {args.essays * args.reflections} reflections", flush=True)
        full = full_build(site)
        print(f"(a) full cold build: {full:.2f} s", flush=True)

        step = max(1, args.essays // APPROVALS)
        slugs = [f"essay-{index}" for index in range(0, args.essays, step)][:APPROVALS]
        items = queue(site, slugs)
        environment = {**os.environ, "REFLECTIONS_SITE": str(site), "REFLECTIONS_NOTIFY": "off"}
        reflections = str(BIN / "reflections")
        subprocess.run(
            [reflections, "set-password", "--password-stdin"],
            input=PASSWORD + "\n",
            text=True,
            env=environment,
        )
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w")
        started = time.perf_counter()
        server = subprocess.Popen(
            [reflections, "serve", "--port", str(port)], cwd=site, env=environment, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            ready = health(base, server, lambda answer: True) - started
            print(f"(d) /reflections/health answered {ready:.2f} s after the server started", flush=True)
            health(base, server, lambda answer: answer.get("site") == "built")
            author = Author(base)
            publish = []
            for item_id, slug in items:
                page = site / "output" / "essays" / slug / "index.html"
                started = time.perf_counter()
                author.approve(item_id)
                publish.append(wait_until(page, f'id="r-{item_id}"') - started)
            b = statistics.median(publish)
            print(f"(b) approve → page: {spread(publish)}", flush=True)

            edits = []
            for number in range(EDITS):
                slug = f"essay-{(number * 7919) % args.essays}"
                source = site / "content" / "essays" / f"essay-{int(slug.split('-')[1]):05d}.md"
                page = site / "output" / "essays" / slug / "index.html"
                marker = f"An edit to measure, number {number}."
                time.sleep(0.3)  # the watcher settles between edits
                started = time.perf_counter()
                with source.open("a", encoding="utf-8") as stream:
                    stream.write(f"\n{marker}\n")
                edits.append(wait_until(page, marker) - started)
            c = statistics.median(edits)
            print(f"(c) essay saved → page: {spread(edits)}", flush=True)
            rss, peak = memory(server.pid)
            print(f"(d) the server's memory, warm: {rss:.0f} MB (peak {peak:.0f} MB)", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    print(
        f"publish_median_s={b:.4f} full_build_s={full:.2f} ratio={full / b:.0f} edit_median_s={c:.4f} "
        f"ready_s={ready:.2f} rss_mb={rss:.0f} peak_rss_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
