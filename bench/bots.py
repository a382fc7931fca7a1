"""Bot wall benchmark: how many of N naive, N replaying and N form-following bots get a submission
into the queue of a running `reflections serve`, with the rate limits raised out of the way (so the
figures are the form token's alone).

    .venv/bin/python bench/bots.py [--bots 50] [--checkout PATH]

- naive: posts the form as the static page has it (no token), once;
- replaying: asks /reflections/token once, then posts N different bodies with that token;
- form-following: posts, reads the token from the "Send this reflection?" page, waits the minimum
  age and posts again, as a person does (no wall without a third party stops this one);
- hasty: the same, posting again at once: the service holds its answer until the token is of age,
  so it gets in, having spent the same minimum age on each submission (`hasty_s` per submission).

`--checkout` runs the service from another checkout's plugins/ (an older commit in a worktree), so
the same run can say "before" and "after". The last line is
`naive=<a>/<N> replaying=<b>/<N> following=<c>/<N> hasty=<d>/<N> hasty_s=<seconds each>`.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ESSAY = "learning-to-stay"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def post(url: str, data: bytes, content_type: str) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def form(base: str, fields: dict) -> tuple[int, str]:
    return post(
        f"{base}/reflections/submit",
        urllib.parse.urlencode(fields).encode(),
        "application/x-www-form-urlencoded",
    )


def accepted(status: int) -> bool:
    return status in (202, 303)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=50)
    parser.add_argument("--checkout", type=Path, default=REPO, help="whose plugins/ run the service")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        for name in ("content", "theme"):
            shutil.copytree(REPO / name, site / name)
        for name in ("pelicanconf.py", "publishconf.py"):
            shutil.copy(REPO / name, site / name)
        (site / "plugins").symlink_to(args.checkout.resolve() / "plugins")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {
            **os.environ,
            "PYTHONPATH": str(args.checkout.resolve() / "plugins"),
            "REFLECTIONS_SITE": str(site),
            "REFLECTIONS_RATE_LIMITS": "100000/minute",
            "REFLECTIONS_TOKEN_MIN_SECONDS": "1",
        }
        # The package is loaded from the checkout's folder by hand: this environment's editable
        # install would otherwise win over PYTHONPATH and run this checkout's code whatever --checkout says.
        load = (
            "import importlib.util, sys; "
            f"folder = {str(args.checkout.resolve() / 'plugins' / 'reflections')!r}; "
            "spec = importlib.util.spec_from_file_location('pelican.plugins.reflections', "
            "folder + '/__init__.py', submodule_search_locations=[folder]); "
            "module = importlib.util.module_from_spec(spec); sys.modules[spec.name] = module; "
            "spec.loader.exec_module(module); "
            "from pelican.plugins.reflections.cli import run; run()"
        )
        command = [
            sys.executable,
            "-c",
            load,
            "serve",
            "--port",
            str(port),
        ]
        server = subprocess.Popen(
            command, cwd=site, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/reflections/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            naive = sum(
                accepted(form(base, {"essay": ESSAY, "body": f"Naive bot {n} {time.time_ns()}"})[0])
                for n in range(args.bots)
            )
            with urllib.request.urlopen(f"{base}/reflections/token?essay={ESSAY}") as answer:
                token = json.loads(answer.read())["token"]
            time.sleep(1.1)
            replaying = 0
            for n in range(args.bots):
                body = json.dumps(
                    {"essay": ESSAY, "body": f"Replaying bot {n} {time.time_ns()}", "token": token}
                )
                replaying += accepted(
                    post(f"{base}/reflections/submit", body.encode(), "application/json")[0]
                )
            following = 0
            for n in range(args.bots):
                fields = {"essay": ESSAY, "body": f"Following bot {n} {time.time_ns()}"}
                status, page = form(base, fields)
                if accepted(status):
                    following += 1
                    continue
                found = re.search(r'name="token" value="([^"]+)"', page)
                if found:
                    time.sleep(1.05)
                    following += accepted(form(base, {**fields, "token": found.group(1)})[0])
            hasty, started = 0, time.monotonic()
            for n in range(args.bots):
                fields = {"essay": ESSAY, "body": f"Hasty bot {n} {time.time_ns()}"}
                status, page = form(base, fields)
                found = re.search(r'name="token" value="([^"]+)"', page)
                hasty += accepted(status) or bool(
                    found and accepted(form(base, {**fields, "token": found.group(1)})[0])
                )
            hasty_seconds = (time.monotonic() - started) / args.bots
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"service from {args.checkout}")
    print(
        f"naive={naive}/{args.bots} replaying={replaying}/{args.bots} following={following}/{args.bots} "
        f"hasty={hasty}/{args.bots} hasty_s={hasty_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
