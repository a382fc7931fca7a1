"""Intake benchmark: this service against Isso, the same submissions, on 127.0.0.1.

    .venv/bin/python bench/intake.py [--submissions 600] [--concurrency 1,8,32]

Installs Isso into a throwaway virtual environment (kept in the system's temporary folder) if it is
not there yet, then runs Isso (moderation on, its guard limits raised so that it does not throttle)
and `reflections serve`, one after the other, each in a fresh folder. Each gets the same N JSON
submissions at each concurrency. Prints for both: requests/s, p50 and p99 latency, server CPU ms
per submission (from /proc), acknowledged-but-lost count (acknowledged ids missing from the store
afterwards), and the ratios. A benchmark, not a test: it asserts nothing.
"""

import argparse
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFLECTIONS = str(Path(sys.executable).with_name("reflections"))
ISSO_VENV = Path(tempfile.gettempdir()) / "withness-bench-isso-venv"
ESSAY = "learning-to-stay"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def wait_until_up(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the server on port {port} did not start")


def ensure_isso() -> Path:
    isso = ISSO_VENV / "bin" / "isso"
    if not isso.exists():
        print("Installing Isso into a throwaway venv…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ISSO_VENV)], check=True)
        subprocess.run([str(ISSO_VENV / "bin" / "pip"), "install", "-q", "isso==0.14.0"], check=True)
    return isso


class Server:
    """One server under test: how to start it, how to submit to it, how to count what it kept."""

    name = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def prepare(self, numbers: list[int]) -> None:
        """Whatever a submission needs before the clock runs (Withness: one form token each)."""

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)


class Isso(Server):
    name = "isso"

    def start(self) -> None:
        config = self.folder / "isso.cfg"
        config.write_text(
            "[general]\n"
            f"dbpath = {self.folder / 'comments.db'}\n"
            f"host = http://127.0.0.1:{self.port}/\n"
            "[moderation]\nenabled = true\n"
            "[server]\n"
            f"listen = http://127.0.0.1:{self.port}/\n"
            "[guard]\nenabled = true\nratelimit = 1000000\ndirect-reply = 1000000\nreply-to-self = true\n"
            "require-author = false\nrequire-email = false\n"
        )
        log = open(self.folder / "isso.log", "w")
        self.process = subprocess.Popen(
            [str(ensure_isso()), "-c", str(config), "run"], stdout=log, stderr=log
        )
        wait_until_up(self.port, "/info")

    def request(self, number: int) -> tuple[str, str, dict]:
        body = {
            "text": f"Submission {number}: a reflection of a few sentences, as a reader writes.",
            "author": "Reader",
            "email": f"reader{number}@example.org",
            "title": "Learning to Stay",
        }
        headers = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{self.port}"}
        return "POST", f"/new?uri=/essays/{ESSAY}/", (json.dumps(body), headers)

    def acknowledged(self, status: int, text: bytes) -> str | None:
        return str(json.loads(text)["id"]) if status in (201, 202) else None

    def stored(self) -> set[str]:
        with sqlite3.connect(self.folder / "comments.db") as database:
            return {str(row[0]) for row in database.execute("SELECT id FROM comments")}


class Withness(Server):
    name = "withness"

    def start(self) -> None:
        site = self.folder / "site"
        for name in ("content", "theme"):
            shutil.copytree(REPO / name, site / name)
        shutil.copy(REPO / "pelicanconf.py", site / "pelicanconf.py")
        (site / "plugins").symlink_to(REPO / "plugins")
        self.environment = {
            **os.environ,
            "REFLECTIONS_SITE": str(site),
            "REFLECTIONS_TOKEN_MIN_SECONDS": "0",
            "REFLECTIONS_RATE_LIMITS": "1000000/minute",
            "REFLECTIONS_DUPLICATE_DAYS": "0",
        }
        self.site = site
        log = open(self.folder / "withness.log", "w")
        self.process = subprocess.Popen(
            [REFLECTIONS, "serve", "--port", str(self.port)],
            cwd=site,
            env=self.environment,
            stdout=log,
            stderr=log,
        )
        wait_until_up(self.port, "/reflections/health")
        self.tokens: dict[int, str] = {}

    def prepare(self, numbers: list[int]) -> None:
        # A form token vouches for one submission, as a reader's page gets one each time.
        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        for number in numbers:
            connection.request("GET", f"/reflections/token?essay={ESSAY}")
            self.tokens[number] = json.loads(connection.getresponse().read())["token"]
        connection.close()

    def request(self, number: int) -> tuple[str, str, dict]:
        body = {
            "essay": ESSAY,
            "body": f"Submission {number}: a reflection of a few sentences, as a reader writes.",
            "name": "Reader",
            "email": f"reader{number}@example.org",
            "token": self.tokens[number],
        }
        return "POST", "/reflections/submit", (json.dumps(body), {"Content-Type": "application/json"})

    def acknowledged(self, status: int, text: bytes) -> str | None:
        return json.loads(text)["id"] if status == 202 else None

    def stored(self) -> set[str]:
        result = subprocess.run(
            [REFLECTIONS, "queue", "--json"],
            cwd=self.site,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return {row["id"] for row in json.loads(result.stdout)}


def load(server: Server, numbers: list[int], concurrency: int) -> dict:
    """Send the submissions from `concurrency` clients with kept-alive connections."""
    latencies: list[float] = []
    acknowledged: list[str] = []
    failures = 0
    lock = threading.Lock()
    queue = list(numbers)

    def client():
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        while True:
            with lock:
                if not queue:
                    return
                number = queue.pop()
            method, path, (body, headers) = server.request(number)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                with lock:
                    failures += 1
                continue
            elapsed = time.perf_counter() - started
            item = server.acknowledged(response.status, text)
            with lock:
                latencies.append(elapsed)
                if item:
                    acknowledged.append(item)
                else:
                    failures += 1

    cpu_before = cpu_seconds(server.process.pid)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = cpu_seconds(server.process.pid) - cpu_before
    latencies.sort()
    return {
        "rps": len(numbers) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "cpu_ms": cpu * 1000 / len(numbers),
        "acknowledged": acknowledged,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    results: dict[str, dict[int, dict]] = {}
    for kind in (Isso, Withness):
        with tempfile.TemporaryDirectory(prefix=f"withness-bench-{kind.name}-") as tmp:
            server = kind(Path(tmp))
            server.start()
            try:
                results[kind.name] = {}
                offset = 0
                for level in levels:
                    numbers = list(range(offset, offset + args.submissions))
                    offset += args.submissions
                    server.prepare(numbers)
                    results[kind.name][level] = load(server, numbers, level)
                stored = server.stored()
                for figures in results[kind.name].values():
                    figures["lost"] = sum(item not in stored for item in figures["acknowledged"])
            finally:
                server.stop()

    print(f"{args.submissions} submissions at each concurrency")
    print(
        f"{'server':<9} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu ms':>7} {'lost':>5} {'failed':>6}"
    )
    for name, by_level in results.items():
        for level, f in by_level.items():
            print(
                f"{name:<9} {level:>4} {f['rps']:>8.1f} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} "
                f"{f['cpu_ms']:>7.2f} {f['lost']:>5} {f['failures']:>6}"
            )
    top = max(levels)
    ours, theirs = results["withness"][top], results["isso"][top]
    print(
        f"rps_ratio_c{top}={ours['rps'] / theirs['rps']:.2f} "
        f"cpu_ratio_c{top}={ours['cpu_ms'] / theirs['cpu_ms']:.2f} "
        f"withness_rps_c{top}={ours['rps']:.1f} isso_rps_c{top}={theirs['rps']:.1f} "
        f"withness_cpu_ms={ours['cpu_ms']:.2f} isso_cpu_ms={theirs['cpu_ms']:.2f} "
        f"withness_lost={sum(f['lost'] for f in results['withness'].values())} "
        f"isso_lost={sum(f['lost'] for f in results['isso'].values())}"
    )


if __name__ == "__main__":
    main()
