"""The published-reflection format: round trip, atomic and idempotent writes, named errors."""

import dataclasses
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.plugins.reflections.core import files, lengths, published
from pelican.plugins.reflections.core.published import FormatError, PublishedItem

ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,40}\Z")
slugs = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,30}\Z")
zones = st.builds(
    lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(min_value=-14 * 60, max_value=14 * 60)
)
dates = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)
# Any script, right-to-left text and emoji included; surrogates cannot be written as UTF-8.
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@st.composite
def items(draw) -> PublishedItem:
    item = PublishedItem(
        id=draw(ids),
        essay=draw(slugs),
        kind=draw(st.sampled_from(published.KINDS)),
        date=draw(dates),
        body=draw(text.filter(lambda body: published.normalise_body(body).strip())),
        author=draw(text)[: lengths.MAX_NAME],
        parent=draw(st.one_of(st.just(""), ids)),
        content_note=draw(text)[: lengths.MAX_CONTENT_NOTE],
        website=draw(
            st.one_of(st.just(""), st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,30}(/[A-Za-z0-9._~%/-]{0,40})?\Z"))
        ),
    )
    if item.parent == item.id:
        item = dataclasses.replace(item, parent="")
    return item


@settings(max_examples=300, deadline=None)
@given(items())
def test_any_valid_item_survives_a_round_trip(item):
    assert item.verify() is None
    assert published.parse(published.serialise(item)) == item


@settings(max_examples=50, deadline=None)
@given(item=items())
def test_write_then_read_gives_the_same_item(tmp_path_factory, item):
    root = tmp_path_factory.mktemp("reflections")
    path = published.write(root, item)
    assert path == root / item.essay / f"{item.id}.md"
    assert published.read(path) == item


def test_names_in_any_script_survive(tmp_path):
    item = PublishedItem(
        id="01JQAAAAAAAAAAAAAAAAAAAAAA",
        essay="the-kitchen-table",
        kind="reflection",
        date=datetime(2026, 3, 1, 12, tzinfo=UTC),
        body="שלום, عالم 🌱\n\n深い感謝",
        author="Zoë Ñúñez — مريم 🌿",
        content_note="الحزن",
    )
    assert published.read(published.write(tmp_path, item)) == item


def sample(**changes) -> PublishedItem:
    values = dict(
        id="01JQBBBBBBBBBBBBBBBBBBBBBB",
        essay="learning-to-stay",
        kind="comment",
        date=datetime(2026, 4, 23, 9, 30, tzinfo=UTC),
        body="Thank you.",
        author="Ines",
    )
    return PublishedItem(**{**values, **changes})


def test_write_is_idempotent_same_bytes_and_untouched(tmp_path):
    path = published.write(tmp_path, sample())
    first = path.read_bytes()
    os.utime(path, (1_000_000, 1_000_000))
    assert published.write(tmp_path, sample()) == path
    assert path.read_bytes() == first
    assert path.stat().st_mtime == 1_000_000  # same bytes: not written again


def test_written_file_is_readable_by_others_like_any_file(tmp_path):
    path = published.write(tmp_path, sample())
    assert path.stat().st_mode & 0o777 == files.ordinary_file_mode()
    assert path.stat().st_mode & 0o044  # a web server or a colleague can read it


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    published.write(tmp_path, sample(body="The first version."))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        published.write(tmp_path, sample(body="A second version that never lands."))
    folder = tmp_path / "learning-to-stay"
    assert [p.name for p in folder.iterdir()] == ["01JQBBBBBBBBBBBBBBBBBBBBBB.md"]
    assert published.read(folder / "01JQBBBBBBBBBBBBBBBBBBBBBB.md").body == "The first version."


def test_file_holds_only_public_fields(tmp_path):
    text = published.write(tmp_path, sample(parent="01JQCCCCCCCCCCCCCCCCCCCCCC")).read_text()
    keys = [line.split(":", 1)[0] for line in text.split("\n\n", 1)[0].splitlines()]
    assert keys == ["Id", "Essay", "Kind", "Parent", "Author", "Date"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Essay: e\nKind: comment\nDate: 2026-01-01T00:00:00+00:00\n\nHi", "Id"),
        ("Id: a1\nKind: comment\nDate: 2026-01-01T00:00:00+00:00\n\nHi", "Essay"),
        ("Id: a1\nEssay: e\nKind: comment\n\nHi", "Date"),
        ("Id: a1\nEssay: e\nKind: comment\nDate: last spring\n\nHi", "Date"),
        ("Id: a1\nEssay: e\nKind: comment\nDate: 2026-01-01T10:00:00\n\nHi", "Date"),
        ("Id: a1\nEssay: e\nKind: poem\nDate: 2026-01-01T00:00:00+00:00\n\nHi", "Kind"),
        ("Id: a1\nEssay: e\nKind: comment\nEmail: x@y.z\nDate: 2026-01-01T00:00:00+00:00\n\nHi", "Email"),
        ("Id: a1\nEssay: e\nKind: comment\nDate: 2026-01-01T00:00:00+00:00\n\n   ", "body"),
        ("Id: a/1\nEssay: e\nKind: comment\nDate: 2026-01-01T00:00:00+00:00\n\nHi", "Id"),
    ]
    + [
        (
            f"Id: a1\nEssay: e\nKind: comment\nWebsite: {site}\nDate: 2026-01-01T00:00:00+00:00\n\nHi",
            "Website",
        )
        for site in [
            "javascript:alert(1)",
            "ftp://example.org/",
            "//example.org/",
            "example.org",
            "https://",
            'https://example.org/"onmouseover="alert(1)',
            "https://example.org/<script>",
            "https://example.org/" + "a" * lengths.MAX_WEBSITE,
        ]
    ],
)
def test_malformed_text_names_the_field(text, field):
    with pytest.raises(FormatError) as raised:
        published.parse(text, "content/reflections/e/a1.md")
    assert raised.value.field == field
    assert str(raised.value).startswith(f"content/reflections/e/a1.md: {field}: ")


def test_file_in_the_wrong_folder_is_named(tmp_path):
    path = published.write(tmp_path, sample())
    moved = tmp_path / "the-kitchen-table" / path.name
    moved.parent.mkdir()
    path.rename(moved)
    with pytest.raises(FormatError, match="Essay: 'learning-to-stay' but the file is in the folder"):
        published.read(moved)


def test_new_ids_sort_by_time():
    earlier = published.new_id(datetime(2026, 1, 1, tzinfo=UTC))
    later = published.new_id(datetime(2026, 1, 2, tzinfo=UTC))
    assert earlier < later and len(earlier) == 26


def test_a_commenters_website_is_a_public_field_kept_as_written(tmp_path):
    item = sample(website="https://ana.example.org/blog?x=1&y=2")
    text = published.write(tmp_path, item).read_text()
    assert "\nWebsite: https://ana.example.org/blog?x=1&y=2\n" in text.split("\n\n", 1)[0] + "\n"
    assert published.read(published.path_for(tmp_path, item)) == item


def test_a_published_name_keeps_no_bidi_override_but_keeps_its_joiners():
    assert published.one_line("Ana\u202eevil\u2066x\u2069") == "Anaevilx"
    # A zero-width non-joiner is part of many Persian names: a header keeps its one line, not it.
    assert published.without_bidi_controls("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )
