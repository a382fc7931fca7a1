"""Deploy benchmark: an approval on a static host, against rebuilding and copying the site.

    .venv/bin/python bench/deploy.py [--essays 1000] [--reflections 20] [--words 1500]

A site on a static host (a folder here, as a web server's document root would be) and the service
elsewhere with `REFLECTIONS_DEPLOY=rsync:<the folder>`. Measures:

(a) the peer, what the README asked before the publisher deployed: after an approval, a full
    `pelican` build and `rsync -a --delete output/ <host>/`;
(b) approve (the moderation form's POST) → the reflection in the essay's page on the static host,
    through the publisher's warm build and its rsync of only what the publication wrote, the median
    over 20 approvals on 20 different essays.

The last line is `deploy_median_s=<b> rebuild_and_copy_s=<a> ratio=<a/b>`. A benchmark, not a
test: run it on a quiet machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish import (  # noqa: E402
    APPROVALS,
    BIN,
    PASSWORD,
    Author,
    free_port,
    full_build,
    health,
    make_site,
    queue,
    spread,
    wait_until,
)


def rebuild_and_copy(site: Path, host: Path) -> float:
    started = time.perf_counter()
    full_build(site)
    copied = subprocess.run(
        ["rsync", "-a", "--delete", f"{site / 'output'}/", f"{host}/"], capture_output=True, text=True
    )
    if copied.returncode != 0:
        sys.exit(f"rsync failed: {copied.stderr.strip()}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--reflections", type=int, default=20, help="published per essay")
    parser.add_argument("--words", type=int, default=1500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="withness-deploy-") as tmp:
        site = make_site(Path(tmp), args.essays, args.words, args.reflections)
        peer_host, host = Path(tmp) / "peer-host", Path(tmp) / "host"
        print(f"{args.essays} essays, {args.essays * args.reflections} reflections", flush=True)
        full = rebuild_and_copy(site, peer_host)
        print(f"(a) full build and copy: {full:.2f} s", flush=True)

        step = max(1, args.essays // APPROVALS)
        slugs = [f"essay-{index}" for index in range(0, args.essays, step)][:APPROVALS]
        items = queue(site, slugs)
        environment = {
            **os.environ,
            "REFLECTIONS_SITE": str(site),
            "REFLECTIONS_NOTIFY": "off",
            "REFLECTIONS_DEPLOY": f"rsync:{host}",
        }
        reflections = str(BIN / "reflections")
        password = PASSWORD + "\n"
        command = [reflections, "set-password", "--password-stdin"]
        subprocess.run(command, input=password, text=True, env=environment)
        port = free_port()
        log = open(Path(tmp) / "serve.log", "w")
        server = subprocess.Popen(
            [reflections, "serve", "--port", str(port)], cwd=site, env=environment, stdout=log, stderr=log
        )
        try:
            base = f"http://127.0.0.1:{port}"
            health(base, server, lambda answer: answer.get("site") == "built")
            # The new publisher's first deploy mirrors the whole build to the host.
            health(base, server, lambda answer: answer.get("deployments", {}).get("waiting") == 0)
            wait_until(host / "index.html", "<html")
            author = Author(base)
            deployed = []
            for item_id, slug in items:
                page = host / "essays" / slug / "index.html"
                started = time.perf_counter()
                author.approve(item_id)
                deployed.append(wait_until(page, f'id="r-{item_id}"') - started)
            b = statistics.median(deployed)
            print(f"(b) approve → page on the static host: {spread(deployed)}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    print(f"deploy_median_s={b:.4f} rebuild_and_copy_s={full:.2f} ratio={full / b:.0f}")


if __name__ == "__main__":
    main()
