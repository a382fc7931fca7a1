"""Other sites, served on 127.0.0.1 for the tests of replies from elsewhere (there is no internet
here): blogs that send webmentions, a Mastodon instance, a Bluesky AppView. Each answers what a
test put at a path, and keeps every request it was sent."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "elsewhere"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    #: Seconds between two chunks of 1 KB (a slow source trickles its page).
    trickle: float = 0.0


class OtherSite:
    """An HTTP server on a free port of 127.0.0.1: `site.put(path, …)`, then `site.url(path)`."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict]] = []
        #: Every POST: (path, its form-encoded body).
        self.posted: list[tuple[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                answer = (
                    site.answers.get(self.path)
                    or site.answers.get(self.path.split("?", 1)[0])
                    or Answer(404, b"not here", "text/plain")
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if not answer.trickle:
                    self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if answer.trickle:
                        for start in range(0, len(answer.body), 1024):
                            self.wfile.write(answer.body[start : start + 1024])
                            self.wfile.flush()
                            time.sleep(answer.trickle)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher gave up on it, as it should

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                site.requests.append((self.path, dict(self.headers)))
                site.posted.append((self.path, body))
                answer = site.answers.get("POST " + self.path) or Answer(404, b"not here", "text/plain")
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, status: int = 200, **options) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.answers[path] = Answer(status, data, **options)
        return self.url(path)

    def asked(self, path: str) -> int:
        """How many times `path` was asked for."""
        return sum(1 for asked, _ in self.requests if asked.split("?")[0] == path.split("?")[0])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def fixture(name: str, **values: str) -> str:
    """A page or an answer kept in tests/fixtures/elsewhere, its {placeholders} filled in."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
