"""Build benchmark: plain Pelican against Withness, and Withness with reflections against without.

    .venv/bin/python bench/site_build.py [--essays 1000] [--words 1500] [--reflections 20] [--runs 3]
                                         [--cores both|all|one]

Generates N deterministic synthetic essays in a temporary folder, then builds them alternately with
(a) plain Pelican and its default theme, (b) this project's settings, theme and plugin, and, unless
`--reflections 0`, (c) the same as (b) with K published reflections per essay (a fifth of them
replies), each cold (no output, no cache) and warm (content cache filled). Prints the median wall
time of each, the ratio b/a, the ratio c/b and c/a. Each is measured twice: on every core this
process may use (a cold build shares its reading and sanitizing out to worker processes) and pinned
to one core with `taskset -c 0` (no workers), so the gain from cores and the gain from work saved
are both visible. A benchmark, not a test: run it on a quiet machine and read the ratios, not the
seconds.
"""

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pelican.plugins.reflections.core import published

REPO = Path(__file__).resolve().parent.parent
PELICAN = str(Path(sys.executable).with_name("pelican"))
VOCABULARY = (
    "quiet table river morning letter brother friend healing belonging connection grief kitchen "
    "walk door choir chair bread silence stay listen hold open slow home season winter light "
    "return voice hand window garden tea evening field memory gentle heavy soft stone path "
    "laugh cry wait tend mend share learn carry notice remember forgive arrive leave again"
).split()
CATEGORIES = ["Healing", "Belonging", "Connection"]
TAGS = ["grief", "friendship", "home", "family", "listening", "community", "walking", "writing"]


def sentence(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def essay_text(index: int, words: int, rng: random.Random) -> str:
    sections = ["Beginning", "What changed", "Staying"]
    per_section = words // len(sections)
    body = []
    for heading in sections:
        body.append(f"## {heading}\n")
        written = 0
        while written < per_section:
            paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
            written += len(paragraph.split())
            body.append(paragraph + "\n")
    day = 1 + index % 28
    month = 1 + (index // 28) % 12
    year = 2000 + index // (28 * 12)
    tags = ", ".join(rng.sample(TAGS, 3))
    return (
        f"Title: Essay number {index}\n"
        f"Date: {year}-{month:02d}-{day:02d} 09:00\n"
        f"Slug: essay-{index}\n"
        f"Category: {rng.choice(CATEGORIES)}\n"
        f"Tags: {tags}\n"
        f"Summary: {sentence(rng)}\n"
        f"Reflection_prompt: {sentence(rng)[:-1]}?\n\n" + "\n".join(body)
    )


def generate(content: Path, essays: int, words: int) -> None:
    rng = random.Random(20261122)
    (content / "essays").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text("Title: About\nSlug: about\n\nAbout.\n")
    for index in range(essays):
        path = content / "essays" / f"essay-{index:05d}.md"
        path.write_text(essay_text(index, words, rng), encoding="utf-8")


def generate_reflections(content: Path, essays: int, per_essay: int) -> int:
    """K reflections per essay, a fifth of them replies, written in the project's own format."""
    rng = random.Random(20261123)
    root = content / "reflections"
    start = datetime(2025, 1, 1, tzinfo=UTC)
    written = 0
    for index in range(essays):
        slug = f"essay-{index}"
        (root / slug).mkdir(parents=True)
        earlier: list[str] = []
        for number in range(per_essay):
            moment = start + timedelta(days=index % 365, minutes=number * 37)
            item_id = published.new_id(moment)
            words = " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))
            if rng.random() < 0.3:
                words += " *Thank you* for [this](https://example.org/reading)."
            item = published.PublishedItem(
                id=item_id,
                essay=slug,
                kind="comment" if number % 5 == 4 else "reflection",
                date=moment,
                body=words,
                author=rng.choice(["", "Maren", "Tomas", "Ines", "Ruth", "Kofi"]),
                parent=rng.choice(earlier) if number % 5 == 4 and earlier else "",
                content_note="grief" if rng.random() < 0.1 else "",
            )
            (root / slug / f"{item_id}.md").write_text(published.serialise(item), encoding="utf-8")
            earlier.append(item_id)
            written += 1
    return written


def plain_settings(folder: Path) -> Path:
    settings = folder / "plain.py"
    settings.write_text("CACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\nAUTHOR = 'Bench'\n")
    return settings


def build(settings: Path, content: Path, output: Path, cache: Path, pinned: bool = False) -> float:
    extra = {"PATH": str(content), "CACHE_PATH": str(cache)}
    # One -e with every override: Pelican keeps only the last -e flag given.
    command = ["taskset", "-c", "0"] if pinned else []
    command += [PELICAN, str(content), "-o", str(output), "-s", str(settings), "-q", "-e"]
    command += [f"{key}={json.dumps(value)}" for key, value in extra.items()]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed with {settings.name}: {result.stderr.strip()}")
    return elapsed


def measure(variants: dict[str, tuple[Path, Path]], folder: Path, runs: int, pinned: bool) -> dict:
    """Median seconds of each variant, cold and warm, alternating the variants run by run."""
    times: dict[str, list[float]] = {f"{name}_{mode}": [] for name in variants for mode in ("cold", "warm")}
    for mode in ("cold", "warm"):
        for _ in range(runs):
            for name, (settings, content) in variants.items():
                output, cache = folder / f"out-{name}", folder / f"cache-{name}"
                if mode == "cold":
                    shutil.rmtree(output, ignore_errors=True)
                    shutil.rmtree(cache, ignore_errors=True)
                elif not cache.exists():
                    build(settings, content, output, cache, pinned)
                times[f"{name}_{mode}"].append(build(settings, content, output, cache, pinned))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--reflections", type=int, default=20, help="per essay; 0 leaves them out")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", choices=("both", "all", "one"), default="both", help="one: taskset -c 0")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="withness-bench-") as tmp:
        folder = Path(tmp)
        content = folder / "content"
        generate(content, args.essays, args.words)
        variants = {
            "plain": (plain_settings(folder), content),
            "withness": (REPO / "pelicanconf.py", content),
        }
        line = f"{args.essays} essays of about {args.words} words"
        if args.reflections:
            with_reflections = folder / "content-with-reflections"
            shutil.copytree(content, with_reflections)
            count = generate_reflections(with_reflections, args.essays, args.reflections)
            variants["reflections"] = (REPO / "pelicanconf.py", with_reflections)
            line += f", {count} reflections in the third variant"
        print(f"{line}; {args.runs} runs each")
        figures = []
        for cores in ("all", "one") if args.cores == "both" else (args.cores,):
            medians = measure(variants, folder, args.runs, pinned=cores == "one")
            figures += report(medians, bool(args.reflections), cores)
    print(" ".join(figures))


def report(medians: dict[str, float], reflections: bool, cores: str) -> list[str]:
    """Print the ratios of one measurement; return them as key=value figures."""
    label = "every core" if cores == "all" else "one core (taskset -c 0)"
    figures = []
    for mode in ("cold", "warm"):
        plain, ours = medians[f"plain_{mode}"], medians[f"withness_{mode}"]
        ratio = ours / plain
        print(f"[{label}] {mode}: plain pelican {plain:.2f} s, withness {ours:.2f} s, ratio {ratio:.3f}")
        figures += [f"{cores}_plain_{mode}_s={plain:.3f}", f"{cores}_withness_{mode}_s={ours:.3f}"]
        figures += [f"{cores}_ratio_{mode}={ratio:.3f}"]
    if reflections:
        for mode in ("cold", "warm"):
            plain, ours, more = (medians[f"{name}_{mode}"] for name in ("plain", "withness", "reflections"))
            print(
                f"[{label}] {mode}: withness {ours:.2f} s, with reflections {more:.2f} s, "
                f"ratio {more / ours:.3f} ({more / plain:.3f} against plain pelican without them)"
            )
            figures += [f"{cores}_reflections_{mode}_s={more:.3f}"]
            figures += [f"{cores}_reflections_ratio_{mode}={more / ours:.3f}"]
            figures += [f"{cores}_reflections_vs_plain_{mode}={more / plain:.3f}"]
    return figures


if __name__ == "__main__":
    main()
