"""Memory benchmark: what the warm build (the build `reflections serve` keeps for its incremental
publishes) holds, against plain Pelican building the same essays without the plugin, each in a
process of its own.

    .venv/bin/python bench/memory.py [--essays 3000] [--reflections 20] [--words 1500]

Generates the site with bench/site_build.py's generator, builds it once to fill the caches, then
measures each process's resident memory once its build is done (a warm build, as a restarted
server makes it, with the allocator the server runs with, serve.KEEPING_ALLOCATOR; VmRSS, and its
peak VmHWM). Plain Pelican keeps nothing after a build, so the peer
is its own peak and its RSS at the end: what the same essays cost with nothing kept (with Pelican's
default theme: the project's theme needs the plugin).

The last line is `warm_rss_mb=<a> warm_peak_mb=<b> pelican_rss_mb=<c> pelican_peak_mb=<d>
ratio=<a/c>`. A benchmark, not a test.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pelican.plugins.reflections.serve import KEEPING_ALLOCATOR
from site_build import generate, generate_reflections

REPO = Path(__file__).resolve().parent.parent

MEASURE = """
import json, sys
def memory():
    values = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values
kind, settings = sys.argv[1], sys.argv[2]
if kind == "warm":
    from pelican.plugins.reflections.site.warm import WarmSite
    WarmSite(settings).build()
else:
    from pelican import Pelican
    from pelican.settings import read_settings
    Pelican(read_settings(settings)).run()
print(json.dumps(memory()))
"""


def measure(kind: str, site: Path, settings: Path) -> dict:
    # The warm build as `reflections serve` keeps it: with the allocator it restarts itself with.
    environment = {**os.environ, **(KEEPING_ALLOCATOR if kind == "warm" else {})}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(settings)],
        cwd=site,
        capture_output=True,
        text=True,
        env=environment,
    )
    if result.returncode != 0:
        sys.exit(f"the {kind} build failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=3000)
    parser.add_argument("--reflections", type=int, default=20, help="per essay")
    parser.add_argument("--words", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        generate(site / "content", args.essays, args.words)
        count = generate_reflections(site / "content", args.essays, args.reflections)
        shutil.copytree(REPO / "theme", site / "theme")
        shutil.copy(REPO / "pelicanconf.py", site / "pelicanconf.py")
        (site / "plugins").symlink_to(REPO / "plugins")
        plain = site / "plain.py"
        plain.write_text(
            "PATH = 'content'\nARTICLE_PATHS = ['essays']\nOUTPUT_PATH = 'plain-output'\n"
            "CACHE_PATH = 'plain-cache'\nCACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\n"
            "AUTHOR = 'Bench'\n"
        )
        print(f"{args.essays} essays, {count} reflections", flush=True)
        for kind, settings in (("warm", site / "pelicanconf.py"), ("pelican", plain)):
            measure(kind, site, settings)  # the first build fills the content caches
        warm = measure("warm", site, site / "pelicanconf.py")
        pelican = measure("pelican", site, plain)
    print(f"warm build, kept: {warm['VmRSS']:.0f} MB (peak {warm['VmHWM']:.0f} MB)")
    print(f"plain Pelican, same essays: {pelican['VmRSS']:.0f} MB (peak {pelican['VmHWM']:.0f} MB)")
    print(
        f"warm_rss_mb={warm['VmRSS']:.0f} warm_peak_mb={warm['VmHWM']:.0f} "
        f"pelican_rss_mb={pelican['VmRSS']:.0f} pelican_peak_mb={pelican['VmHWM']:.0f} "
        f"ratio={warm['VmRSS'] / pelican['VmRSS']:.2f}"
    )


if __name__ == "__main__":
    main()
