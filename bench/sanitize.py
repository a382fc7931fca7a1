"""Sanitizer benchmark: one set of tools behind a lock (what sanitizer.py does) against per-thread
tools, with the same threads sanitizing the same distinct texts.

    .venv/bin/python bench/sanitize.py [--threads 8] [--rounds 100]

Both ways are correct (neither mixes texts); the question is which costs less when the event loop,
the threadpool and the watcher sanitize at once. The last line is
`per_thread_s=<a> locked_s=<b> ratio=<a/b>` (above 1: the lock is faster).
"""

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from markupsafe import Markup
from pelican.plugins.reflections.core import sanitizer


def texts(count: int) -> list[str]:
    return [
        f"Reader {n} wrote this.\n\n> a quote of {n}\n\n* item {n}\n* [a link](https://example.org/{n})\n\n"
        + f"*emphasis {n}* and `code {n}` and https://example.net/{n}\n" * 15
        for n in range(count)
    ]


def per_thread_sanitizer():
    """The alternative: a converter and a cleaner for each thread, no lock."""
    local = threading.local()

    def sanitize(text: str) -> Markup:
        tools = getattr(local, "tools", None)
        if tools is None:
            tools = local.tools = sanitizer._make_tools()
        converter, cleaner = tools
        if sanitizer.nesting_depth(text) > sanitizer.MAX_NESTING:
            html = sanitizer._plain_paragraphs(text)
        else:
            converter.reset()
            html = converter.convert(text)
        return Markup(cleaner.clean(html))

    return sanitize


def run(sanitize, inputs: list[str], rounds: int) -> float:
    def work(text: str) -> None:
        for number in range(rounds):  # every text new: the sanitizer's memo never answers
            sanitize(f"{text}\nround {number} {time.perf_counter_ns()}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(inputs)) as pool:
        list(pool.map(work, inputs))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    inputs = texts(args.threads)
    per_thread = per_thread_sanitizer()
    for way in (sanitizer.sanitize, per_thread):  # imports and tools made before the clock runs
        run(way, inputs, 2)
    per_thread_s = min(run(per_thread, inputs, args.rounds) for _ in range(3))
    locked_s = min(run(sanitizer.sanitize, inputs, args.rounds) for _ in range(3))
    print(f"{args.threads} threads x {args.rounds} texts each, best of 3")
    print(f"per_thread_s={per_thread_s:.3f} locked_s={locked_s:.3f} ratio={per_thread_s / locked_s:.2f}")


if __name__ == "__main__":
    main()
