"""The writers: every file replaced whole, and an incremental publish writes only changed bytes."""

from types import SimpleNamespace

import pytest
from jinja2 import Environment
from pelican.plugins.reflections.site.writer import AtomicWriter, SelectiveWriter

SETTINGS = {"FEED_MAX_ITEMS": 20, "PAGINATED_TEMPLATES": {}, "DEFAULT_PAGINATION": 8}
PAGE = Environment(autoescape=True).from_string("<p>{{ words }}</p>")
PAGE.name = "page.html"


def write(writer, words) -> None:
    writer.write_file("essay/index.html", PAGE, {"localsiteurl": ""}, words=words)


def test_a_page_reaches_the_disk_whole_or_not_at_all(tmp_path):
    page = tmp_path / "essay" / "index.html"
    write(AtomicWriter(str(tmp_path), settings=SETTINGS), "first")
    assert page.read_text() == "<p>first</p>"
    # Pelican writes every page and feed through `_open_w`: while a new page is being written, and
    # when writing it fails half way, a reader still gets the old page, whole.
    writer = AtomicWriter(str(tmp_path), settings=SETTINGS)
    with pytest.raises(OSError):
        with writer._open_w(str(page), "utf-8") as stream:
            stream.write("<p>half of a new pa")
            assert page.read_text() == "<p>first</p>"
            raise OSError("no space left on the device")
    assert page.read_text() == "<p>first</p>"
    assert [p.name for p in page.parent.iterdir()] == ["index.html"]
    write(AtomicWriter(str(tmp_path), settings=SETTINGS), "second")
    assert page.read_text() == "<p>second</p>"


def test_the_selective_writer_leaves_unchanged_and_unwanted_pages_alone(tmp_path):
    page = tmp_path / "essay" / "index.html"
    write(AtomicWriter(str(tmp_path), settings=SETTINGS), "same")
    before = page.stat().st_mtime_ns, page.stat().st_ino

    def selective(wanted: bool) -> SelectiveWriter:
        change = SimpleNamespace(wants_page=lambda template, context: wanted, wants_feed=lambda *a: wanted)
        return SelectiveWriter(str(tmp_path), SETTINGS, change)

    unchanged = selective(True)
    write(unchanged, "same")
    assert unchanged.written == [] and (page.stat().st_mtime_ns, page.stat().st_ino) == before
    unwanted = selective(False)
    write(unwanted, "different")
    assert unwanted.written == [] and page.read_text() == "<p>same</p>"
    wanted = selective(True)
    write(wanted, "different")
    assert wanted.written == [str(page)] and page.read_text() == "<p>different</p>"


def test_a_whole_build_leaves_a_page_that_would_not_change_as_it_is(tmp_path):
    page = tmp_path / "essay" / "index.html"
    write(AtomicWriter(str(tmp_path), settings=SETTINGS), "same")
    before = page.stat().st_mtime_ns, page.stat().st_ino
    again = AtomicWriter(str(tmp_path), settings=SETTINGS)
    write(again, "same")
    # The page is still one the build stands for, though nothing was written.
    assert again.written == [] and str(page) in again.produced
    assert (page.stat().st_mtime_ns, page.stat().st_ino) == before
    changed = AtomicWriter(str(tmp_path), settings=SETTINGS)
    write(changed, "different")
    assert changed.written == [str(page)] and page.read_text() == "<p>different</p>"
