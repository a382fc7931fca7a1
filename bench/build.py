"""Build benchmark: plain Pelican with its default theme against Withness, on the same essays.

    .venv/bin/python bench/build.py [--essays 1000] [--words 1500] [--runs 3]

Generates N deterministic synthetic essays in a temporary folder, then builds them alternately with
(a) plain Pelican and its default theme and (b) this project's settings, theme and plugin, cold
(no output, no cache) and warm (content cache filled). Prints the median wall time of each and the
ratio b/a. A benchmark, not a test: run it on a quiet machine and read the ratio, not the seconds.
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
from pathlib import Path

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


def plain_settings(folder: Path) -> Path:
    settings = folder / "plain.py"
    settings.write_text("CACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\nAUTHOR = 'Bench'\n")
    return settings


def build(settings: Path, content: Path, output: Path, cache: Path) -> float:
    extra = {"PATH": str(content), "CACHE_PATH": str(cache)}
    # One -e with every override: Pelican keeps only the last -e flag given.
    command = [PELICAN, str(content), "-o", str(output), "-s", str(settings), "-q", "-e"]
    command += [f"{key}={json.dumps(value)}" for key, value in extra.items()]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed with {settings.name}: {result.stderr.strip()}")
    return elapsed


def measure(variants: dict[str, tuple[Path, Path]], folder: Path, runs: int) -> dict[str, float]:
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
                    build(settings, content, output, cache)
                times[f"{name}_{mode}"].append(build(settings, content, output, cache))
    return {key: statistics.median(values) for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--essays", type=int, default=1000)
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="withness-bench-") as tmp:
        folder = Path(tmp)
        content = folder / "content"
        generate(content, args.essays, args.words)
        variants = {
            "plain": (plain_settings(folder), content),
            "withness": (REPO / "pelicanconf.py", content),
        }
        print(f"{args.essays} essays of about {args.words} words, {args.runs} runs each")
        medians = measure(variants, folder, args.runs)

    for mode in ("cold", "warm"):
        plain, ours = medians[f"plain_{mode}"], medians[f"withness_{mode}"]
        print(f"{mode}: plain pelican {plain:.2f} s, withness {ours:.2f} s, ratio {ours / plain:.3f}")
    print(
        f"plain_cold_s={medians['plain_cold']:.3f} withness_cold_s={medians['withness_cold']:.3f} "
        f"ratio_cold={medians['withness_cold'] / medians['plain_cold']:.3f} "
        f"plain_warm_s={medians['plain_warm']:.3f} withness_warm_s={medians['withness_warm']:.3f} "
        f"ratio_warm={medians['withness_warm'] / medians['plain_warm']:.3f}"
    )


if __name__ == "__main__":
    main()
