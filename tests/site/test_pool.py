"""A cold build in worker processes makes the same bytes, and says the same, as a one-process build."""

import logging
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import PELICAN, copy_site, differences
from pelican.plugins.reflections.core import published
from pelican.plugins.reflections.site import pool

ESSAYS = 70
PER_ESSAY = 6
WORDS = "quiet table river morning letter friend healing kitchen walk door chair bread stay listen".split()


def _essay(index: int) -> str:
    words = [WORDS[(index * 7 + n) % len(WORDS)] for n in range(160)]
    paragraphs = [" ".join(words[start : start + 40]).capitalize() + "." for start in range(0, 160, 40)]
    # An unknown header key: strict essays warn of it, once, whichever process read the file.
    extra = "Moood: calm\n" if index == 3 else ""
    return (
        f"Title: Generated essay {index}\nDate: 2024-{1 + index % 12:02d}-{1 + index % 28:02d} 09:00\n"
        f'Slug: generated-{index}\nCategory: Healing\nTags: home, walking\n{extra}\n"Quoted" -- '
        + "\n\n".join(paragraphs)
        + "\n"
    )


def _reflections(root: Path, index: int) -> None:
    slug = f"generated-{index}"
    folder = root / slug
    folder.mkdir(parents=True)
    start = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=index)
    earlier: list[str] = []
    for number in range(PER_ESSAY):
        item = published.PublishedItem(
            id=published.new_id(start + timedelta(minutes=number * 11)),
            essay=slug,
            kind="comment" if number % 3 == 2 else "reflection",
            date=start + timedelta(minutes=number * 11),
            body=f"Reflection {number} on essay {index}: *thank you* for [this](https://example.org/{index}).",
            author=["", "Maren", "Kofi"][number % 3],
            parent=earlier[-1] if number % 3 == 2 else "",
        )
        (folder / f"{item.id}.md").write_text(published.serialise(item), encoding="utf-8")
        earlier.append(item.id)


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    """The project's site with enough essays and reflections that a cold build shares them out."""
    root = copy_site(tmp_path_factory.mktemp("pool"))
    for index in range(ESSAYS):
        essay = root / "content" / "essays" / f"generated-{index:03d}.md"
        essay.write_text(_essay(index), encoding="utf-8")
        _reflections(root / "content" / "reflections", index)
    return root


def _build(root: Path, name: str, processes: int) -> tuple[subprocess.CompletedProcess, Path]:
    output, cache = root / f"out-{name}", root / f"cache-{name}"
    command = [PELICAN, "content", "-s", "pelicanconf.py", "-o", str(output), "-v", "-e"]
    command += [f'CACHE_PATH="{cache}"', f"REFLECTIONS_BUILD_PROCESSES={processes}"]
    environment = {**os.environ, "COLUMNS": "250"}
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300, env=environment)
    return result, output


def test_a_pooled_cold_build_writes_the_same_bytes_as_one_process(big_site):
    alone, one = _build(big_site, "one", 1)
    shared, two = _build(big_site, "two", 2)
    assert alone.returncode == 0, alone.stderr
    assert shared.returncode == 0, shared.stderr
    said = shared.stdout + shared.stderr
    # The work really was shared out (else this test would compare a build with itself).
    assert f"Reading {ESSAYS + 5} files in 2 processes" in said
    assert f"Reading {ESSAYS * PER_ESSAY + 4} published reflections in 2 processes" in said
    assert "reflections in 2 processes" in said and "threads in 2 processes" in said
    # Every feed of a cold build, the essays' and the site's, written by one worker.
    written_feeds = len(list((two / "feeds" / "reflections").glob("*.atom.xml"))) + 1
    assert written_feeds > ESSAYS
    assert f"Writing {written_feeds} reflection feeds in a worker process" in said
    assert "processes" not in alone.stdout + alone.stderr
    assert differences(two, one) == []
    assert len(list(two.rglob("*.html"))) > ESSAYS
    # A warning a worker met is logged once by the build, as a one-process build logs it.
    for result in (alone, shared):
        assert (result.stdout + result.stderr).count("Moood") == 1


def test_a_warm_build_after_a_pooled_one_shares_nothing_and_changes_nothing(big_site):
    _build(big_site, "warm", 2)
    result, output = _build(big_site, "warm", 2)
    assert result.returncode == 0, result.stderr
    assert "processes" not in result.stdout + result.stderr
    assert differences(output, big_site / "out-one") == []


def test_a_file_a_worker_cannot_read_is_reported_as_a_one_process_build_reports_it(big_site):
    broken = next((big_site / "content" / "reflections" / "generated-5").glob("*.md"))
    saved = broken.read_text(encoding="utf-8")
    broken.write_text(re.sub(r"^Kind: \w+$", "Kind: sermon", saved, count=1, flags=re.M), encoding="utf-8")
    try:
        alone, _ = _build(big_site, "broken-one", 1)
        shared, _ = _build(big_site, "broken-two", 2)
    finally:
        broken.write_text(saved, encoding="utf-8")
    assert alone.returncode != 0 and shared.returncode != 0
    for result in (alone, shared):
        assert broken.name in result.stdout + result.stderr
        assert "Kind" in result.stdout + result.stderr


def test_the_pool_is_only_for_enough_work_on_more_than_one_process():
    assert pool.processes({"REFLECTIONS_BUILD_PROCESSES": 1}, 10_000, 10) == 0
    assert pool.processes({"REFLECTIONS_BUILD_PROCESSES": 4}, 5, 10) == 0
    assert pool.processes({"REFLECTIONS_BUILD_PROCESSES": 4}, 3, 2) == 3
    assert pool.processes({"REFLECTIONS_BUILD_PROCESSES": 4}, 100, 10) == 4
    cores = len(os.sched_getaffinity(0))
    assert pool.processes({}, 100, 10) == (min(cores, 100) if cores > 1 else 0)


def test_the_services_builds_are_one_process(tmp_path):
    from pelican.plugins.reflections.site.warm import WarmSite

    site = WarmSite(str(copy_site(tmp_path) / "pelicanconf.py"), str(tmp_path / "output"))
    assert site.read_settings()["REFLECTIONS_BUILD_PROCESSES"] == 1


def _square_or_die(number: int) -> int:
    if number == 7:
        os._exit(3)  # a worker killed part way (out of memory, say)
    logging.getLogger("withness.test").warning("squared %d", number)
    return number * number


def test_results_come_in_order_with_each_workers_log_records():
    results = list(pool.run(_square_or_die, range(7), 2, chunk=2))
    assert [result for result, _ in results] == [n * n for n in range(7)]
    said = [[record.getMessage() for record in records] for _, records in results]
    assert said == [[f"squared {n}"] for n in range(7)]


def test_a_worker_that_dies_leaves_the_rest_to_the_build(caplog):
    results = list(pool.run(_square_or_die, range(12), 2, chunk=1))
    assert len(results) == 12
    done = [result for result, _ in results]
    # What came back before the death, in order; from there on nothing (the caller does the rest).
    given = done.index(None)
    assert given <= 7
    assert done[:given] == [n * n for n in range(given)]
    assert done[given:] == [None] * (12 - given)
    assert "ended early" in caplog.text


def test_a_task_begun_ahead_gives_its_result_and_log_records_or_leaves_it_to_the_build(caplog):
    ahead = pool.start(lambda: _square_or_die(3))
    result, records = ahead.result()
    assert result == 9 and [record.getMessage() for record in records] == ["squared 3"]
    dead = pool.start(lambda: _square_or_die(7))
    assert dead.result() == (None, [])
    assert "ended early" in caplog.text


@pytest.mark.parametrize("wrong", ["many", -1, 1.5, True])
def test_a_wrong_number_of_processes_is_one_line_naming_the_setting(wrong):
    from pelican.plugins.reflections.core.errors import SettingError
    from pelican.plugins.reflections.site.settings import apply_defaults

    with pytest.raises(SettingError, match=r"REFLECTIONS_BUILD_PROCESSES must be a whole number.*not"):
        apply_defaults({"REFLECTIONS_BUILD_PROCESSES": wrong})
