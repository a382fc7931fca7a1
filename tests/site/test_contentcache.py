"""Pelican's content cache is written back only by a build that added to it."""

import pytest
from conftest import build_site, copy_site


@pytest.mark.parametrize("layer", ["reader", "generator"])
def test_the_content_cache_is_kept_as_it_is_unless_a_build_read_something_new(tmp_path, layer):
    root = copy_site(tmp_path / "site")
    output, cache = tmp_path / "output", tmp_path / "cache"
    extra = {"CONTENT_CACHING_LAYER": layer}
    assert build_site(root / "pelicanconf.py", output, cache, cwd=root, extra=extra).returncode == 0
    saved = {path.name: path.stat().st_mtime_ns for path in cache.glob("*Generator*")}
    assert "ArticlesGenerator-Readers" in saved or "ArticlesGenerator" in saved

    # Nothing new: the cache files are left as they are (Pelican would write them again).
    assert build_site(root / "pelicanconf.py", output, cache, cwd=root, extra=extra).returncode == 0
    assert {path.name: path.stat().st_mtime_ns for path in cache.glob("*Generator*")} == saved

    # An edited essay is read anew, cached, and shown; the next build finds it in the cache.
    essay = root / "content" / "essays" / "the-kitchen-table.md"
    essay.write_text(essay.read_text(encoding="utf-8") + "\nA sentence added since.\n", encoding="utf-8")
    assert build_site(root / "pelicanconf.py", output, cache, cwd=root, extra=extra).returncode == 0
    page = output / "essays" / "the-kitchen-table" / "index.html"
    assert "A sentence added since." in page.read_text(encoding="utf-8")
    changed = {path.name: path.stat().st_mtime_ns for path in cache.glob("*Generator*")}
    assert any(changed[name] != saved[name] for name in saved)
    page.unlink()
    assert build_site(root / "pelicanconf.py", output, cache, cwd=root, extra=extra).returncode == 0
    assert "A sentence added since." in page.read_text(encoding="utf-8")
