"""Essays: a broken header stops the build with one line naming the file and the field."""

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from conftest import build_site, copy_site
from pelican.plugins.reflections.site import essays

GOOD_HEADER = "Title: Fine\nDate: 2026-01-01\nSlug: fine\n\nBody.\n"


@pytest.fixture
def author_site(tmp_path):
    return copy_site(tmp_path / "site")


def build(root):
    return build_site(root / "pelicanconf.py", root / "output", root / "cache", cwd=root)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Title: Broken\nDate: the day after tomorrow\nSlug: broken\n",
            "content/essays/broken.md: Date: 'the day after tomorrow' is not a valid date",
        ),
        ("Date: 2026-01-01\nSlug: broken\n", "content/essays/broken.md: Title: missing"),
        ("Title: Undated\nSlug: broken\n", "content/essays/broken.md: Date: missing"),
        (
            "Title: Bad update\nDate: 2026-01-01\nModified: soon\nSlug: broken\n",
            "content/essays/broken.md: Modified: 'soon' is not a valid date",
        ),
    ],
)
def test_broken_essay_fails_the_build_with_one_line(author_site, header, expected):
    (author_site / "content" / "essays" / "broken.md").write_text(header + "\nBody.\n")
    result = build(author_site)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1, result.stderr
    assert error_lines[0].startswith(expected)


def test_page_without_title_fails_the_build(author_site):
    (author_site / "content" / "pages" / "contact.md").write_text("Slug: contact\n\nWrite to me.\n")
    result = build(author_site)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("content/pages/contact.md: Title: missing")


def test_good_essay_builds_and_is_listed(author_site):
    (author_site / "content" / "essays" / "fine.md").write_text(GOOD_HEADER)
    result = build(author_site)
    assert result.returncode == 0, result.stderr
    assert (author_site / "output" / "essays" / "fine" / "index.html").exists()
    assert "/essays/fine/" in (author_site / "output" / "archives" / "2026" / "index.html").read_text()


def test_reading_minutes_counts_words_not_markup():
    html = "<p>" + " ".join(["word"] * 460) + "</p>" + "<span class='x'></span>" * 500
    assert essays.word_count(html) == 460
    assert essays.reading_minutes(essays.word_count(html), words_per_minute=230) == 2
    assert essays.reading_minutes(essays.word_count("<p>Hi</p>")) == 1


def test_link_neighbours_orders_by_date():
    first, second, third = (SimpleNamespace(date=datetime(2026, month, 1)) for month in (3, 1, 2))
    essays.link_neighbours([first, second, third])
    assert second.older_essay is None and second.newer_essay is third
    assert third.older_essay is second and third.newer_essay is first
    assert first.newer_essay is None


def test_an_unknown_metadata_key_is_a_warning_naming_the_file_the_key_and_the_nearest(author_site):
    (author_site / "content" / "essays" / "typo.md").write_text(
        "Title: Typo\nDate: 2026-01-01\nSlug: typo\nSumary: A summary misspelt.\n\nBody.\n"
    )
    result = build(author_site)
    assert result.returncode == 0, result.stderr
    # Pelican's log prints the logging module's file and line in a column of its own: left out.
    output = " ".join(
        word for word in (result.stdout + result.stderr).split() if not re.fullmatch(r"\w+\.py:\d+", word)
    )
    assert (
        "content/essays/typo.md: Sumary: not a key Withness or Pelican knows; did you mean Summary?" in output
    )


def test_a_key_a_theme_uses_can_be_declared_known(author_site):
    conf = author_site / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nREFLECTIONS_METADATA_KEYS = ["cover"]\n')
    (author_site / "content" / "essays" / "cover.md").write_text(
        "Title: Cover\nDate: 2026-01-01\nSlug: cover\nCover: images/a.jpg\n\nBody.\n"
    )
    result = build(author_site)
    assert result.returncode == 0 and "cover.md" not in result.stdout + result.stderr


@pytest.mark.parametrize("line", ["Reflection prompt: What stays with you?", "Content Note: loss"])
def test_a_metadata_line_with_a_space_in_its_key_is_an_error_naming_it(author_site, line):
    (author_site / "content" / "essays" / "spaced.md").write_text(
        f"Title: Spaced\nDate: 2026-01-01\nSlug: spaced\n{line}\n\nBody.\n"
    )
    result = build(author_site)
    assert result.returncode != 0
    key = line.split(":")[0]
    expected = f"content/essays/spaced.md: {key}: a metadata key cannot hold a space"
    assert result.stderr.strip().startswith(expected), result.stderr
    assert "Traceback" not in result.stderr


def test_a_paragraph_after_the_blank_line_is_the_essay_s_own(author_site):
    (author_site / "content" / "essays" / "colon.md").write_text(
        "Title: Colon\nDate: 2026-01-01\nSlug: colon\n\nWhat I learned: nothing, at first.\n"
    )
    result = build(author_site)
    assert result.returncode == 0, result.stderr
    assert (
        "What I learned: nothing, at first." in (author_site / "output/essays/colon/index.html").read_text()
    )


def test_the_lists_kept_between_publishes_stay_within_their_size_least_recently_used_going_first(
    monkeypatch,
):
    """Each edit makes new versions of the lists that show the edited essay: held by count alone,
    ten edits at three thousand essays kept 12 MB of replaced lists."""
    monkeypatch.setattr(essays, "LISTS_KEPT_BYTES", 10)
    kept = essays._Kept()
    for name in "abc":
        essays._keep(kept, name, name * 3, 3)
    assert essays._recall(kept, "a") == "aaa"  # used again: now the last to go
    essays._keep(kept, "d", "dddd", 4)
    assert list(kept) == ["c", "a", "d"] and kept.size == 10  # "b" went, the least recently used
    essays._keep(kept, "d", "dd", 2)  # the same key again: its old value is let go
    assert essays._recall(kept, "d") == "dd" and kept.size == 8
    assert essays._recall(kept, "b") is None
