"""Nothing a reader was told was received is lost: submissions under load, kill -9, restart."""

import http.client
import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import RunningService, copy_site, fetch

ESSAY = "learning-to-stay"


def send(base: str, number: int) -> str | None:
    """One JSON submission with its own form token (each vouches for one); its id when the server
    acknowledged it (202), else None."""
    try:
        token = json.loads(fetch(f"{base}/reflections/token?essay={ESSAY}")[1])["token"]
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, KeyError):
        return None  # killed mid-answer: nothing was acknowledged
    payload = {"essay": ESSAY, "body": f"Submission number {number} under load.", "token": token}
    request = urllib.request.Request(
        base + "/reflections/submit",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": f"192.0.2.{number % 250}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())["id"] if response.status == 202 else None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return None


@pytest.fixture
def service(tmp_path):
    root = copy_site(tmp_path / "site")
    running = RunningService(
        root,
        tmp_path / "service.log",
        REFLECTIONS_TOKEN_MIN_SECONDS="0",
        REFLECTIONS_RATE_LIMITS="100000/minute",
        REFLECTIONS_TRUSTED_PROXIES="127.0.0.1",
    )
    yield running.start()
    running.stop()


def test_kill_9_under_load_loses_no_acknowledged_submission(service):
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(1_000_000))

    def client():
        while not stop.is_set():
            with lock:
                number = next(counter)
            item = send(service.base, number)
            if item:
                with lock:
                    acknowledged.append(item)

    clients = [threading.Thread(target=client) for _ in range(8)]
    for thread in clients:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    service.stop(kill=True)  # SIGKILL, in the middle of the load
    stop.set()
    for thread in clients:
        thread.join(timeout=10)
    assert len(acknowledged) >= 150

    service.start()
    stored = {row["id"] for row in json.loads(service.cli("queue", "--json").stdout)}
    lost = [item for item in acknowledged if item not in stored]
    assert lost == []
