"""Sanitizer benchmark: what one reflection costs to make safe, today's way (Markdown, bleach's
linkifier only where an address may be, nh3 last) against the way it was (Markdown, then bleach's
cleaner with its linkifier), on the same texts: reflections as readers write them, plain and with
Markdown, some with addresses.

    .venv/bin/python bench/sanitize.py [--texts 3000]

Every text is new to both (the sanitizer's memo never answers). The last line is
`bleach_us=<a> nh3_us=<b> ratio=<a/b>`: microseconds per text, best of three runs each.
"""

import argparse
import random
import time
from functools import partial

from pelican.plugins.reflections.core import sanitizer

WORDS = "the kettle was still warm when you left and I kept the cup by the window for days".split()
MARKDOWN = [
    "*a word*",
    "**held**",
    "`code`",
    "[a link](https://example.org/a)",
    "see example.net.",
    "> a line",
]


def reflections(count: int, rng: random.Random) -> list[str]:
    texts = []
    for number in range(count):
        paragraphs = []
        for _ in range(rng.randint(1, 4)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(12, 60))]
            if number % 3 == 0:  # a third use some Markdown or an address
                words.insert(rng.randrange(len(words)), rng.choice(MARKDOWN))
            paragraphs.append(" ".join(words).capitalize() + ".")
        texts.append("\n\n".join(paragraphs) + f"\n\nReflection {number}.")
    return texts


def the_old_way():
    """sanitize() as it was, bleach's cleaner with the linkifier on every text."""
    import bleach
    from bleach.linkifier import LinkifyFilter

    linkify = partial(LinkifyFilter, callbacks=[sanitizer._only_absolute_links], skip_tags={"pre", "code"})
    cleaner = bleach.Cleaner(
        tags=sanitizer.ALLOWED_TAGS,
        attributes=sanitizer.ALLOWED_ATTRIBUTES,
        protocols=sanitizer.ALLOWED_PROTOCOLS,
        strip=True,
        filters=[linkify],
    )
    converter = sanitizer._make_markdown()

    def sanitize(text: str) -> str:
        if sanitizer.is_plain(text):
            html = sanitizer.plain_html(text)
        else:
            converter.reset()
            html = converter.convert(text)
        return cleaner.clean(html)

    return sanitize


def per_text(sanitize, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        sanitize(text)
    return (time.perf_counter() - started) / len(texts) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    args = parser.parse_args()
    old = the_old_way()
    rng = random.Random(31)
    old(reflections(1, rng)[0]), sanitizer.sanitize("Warm up, example.org.")  # imports off the clock
    rounds = [reflections(args.texts, random.Random(round_)) for round_ in range(3)]
    bleach_us = min(per_text(old, texts) for texts in rounds)
    # New texts for the memo: the same words with another last line.
    nh3_us = min(per_text(sanitizer.sanitize, [t + "\nnh3" for t in texts]) for texts in rounds)
    print(f"{args.texts} reflections, best of 3, policy {sanitizer.policy()}")
    print(f"bleach_us={bleach_us:.1f} nh3_us={nh3_us:.1f} ratio={bleach_us / nh3_us:.2f}")


if __name__ == "__main__":
    main()
