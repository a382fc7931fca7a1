"""`reflections serve` keeps publishing whatever breaks: a moderation act is kept, the error is one
line naming the file, and fixing the cause publishes what waited."""

import re

import httpx
import pytest
from conftest import MODERATE, author_client, fetch, running_for_the_author, submit_reflection, wait_for

ESSAY = "learning-to-stay"


@pytest.fixture
def service(tmp_path):
    with running_for_the_author(tmp_path) as running:
        yield running


def approve(service, item: str) -> httpx.Response:
    author = author_client(service.base)
    try:
        return author.post(f"{MODERATE}/act", data={"csrf": author.csrf, "action": "approve", "id": item})
    finally:
        author.close()


def moderation_page(service) -> str:
    author = author_client(service.base)
    try:
        return author.get(MODERATE).text
    finally:
        author.close()


def essay_page(service) -> str:
    return fetch(f"{service.base}/essays/{ESSAY}/")[1]


def test_a_template_error_keeps_the_approval_and_fixing_it_publishes(service):
    template = service.root / "theme" / "templates" / "article.html"
    good = template.read_text()
    template.write_text(good.replace("{% endblock %}", "{% endblok %}", 1))
    wait_for(lambda: "Not rebuilt: " in service.log.read_text())
    item = submit_reflection(service.base, ESSAY, "Words that wait for a mended template.")
    answer = approve(service, item)
    assert answer.status_code == 303  # the moderation page again, never a 500
    assert service.cli("show", item, "--json").stdout.count('"approved"') == 1
    lines = [line for line in service.log.read_text().splitlines() if "Not rebuilt" in line]
    assert lines and all("article.html" in line for line in lines), lines
    # The job failed, with its reason, and the author sees it on the moderation pages.
    wait_for(lambda: service.health()["jobs"]["failed"] == 1)
    troubles = moderation_page(service)
    assert "Saved, but not on the site yet" in troubles and "article.html" in troubles
    # Tried again by itself later; sooner with its own button.
    assert "1 attempt, next at " in troubles
    job = re.search(r'<button type="submit" name="job" value="(\d+)">Try again now</button>', troubles).group(
        1
    )
    author = author_client(service.base)
    try:
        assert author.post(f"{MODERATE}/retry", data={"csrf": author.csrf, "job": job}).status_code == 303
    finally:
        author.close()
    wait_for(lambda: "2 attempts, next at " in moderation_page(service))
    template.write_text(good)
    wait_for(lambda: "Words that wait for a mended template." in essay_page(service))
    wait_for(lambda: service.health()["jobs"] == {"waiting": 0, "failed": 0})
    assert "Saved, but not on the site yet" not in moderation_page(service)
    # The watcher outlived the error: it still publishes what follows.
    essay = service.root / "content" / "essays" / f"{ESSAY}.md"
    essay.write_text(essay.read_text().replace("Title: ", "Title: Still ", 1))
    wait_for(lambda: "Still " in essay_page(service))
    assert "Traceback" not in service.log.read_text()


def test_a_broken_essay_keeps_the_approval_and_fixing_it_publishes(service):
    broken = service.root / "content" / "essays" / "broken.md"
    broken.write_text("Title: Broken\nDate: not a date\nSlug: broken\n\nBody.\n")
    wait_for(lambda: "Not rebuilt: " in service.log.read_text())
    item = submit_reflection(service.base, ESSAY, "Words that wait for a mended essay.")
    assert approve(service, item).status_code == 303
    broken.write_text("Title: Mended\nDate: 2026-11-01\nSlug: broken\n\nBody.\n")
    wait_for(lambda: "Words that wait for a mended essay." in essay_page(service))
    assert "Traceback" not in service.log.read_text()


def _environment_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as variables:
        pairs = [entry.decode().partition("=") for entry in variables.read().split(b"\0") if entry]
    return {name: value for name, _, value in pairs}


def test_serve_keeps_its_build_with_the_allocator_that_gives_memory_back(service):
    """The process that keeps a warm build restarts itself, at once and with the same id, with
    glibc's allocator (serve.KEEPING_ALLOCATOR): the server a reader and the author use is that one."""
    from pelican.plugins.reflections.serve import KEEPING_ALLOCATOR

    environment = _environment_of(service.process.pid)
    assert {name: environment.get(name) for name in KEEPING_ALLOCATOR} == KEEPING_ALLOCATOR
    item = submit_reflection(service.base, ESSAY, "Words to a server that restarted itself once.")
    assert approve(service, item).status_code == 303
    wait_for(lambda: "restarted itself once" in essay_page(service))


def test_an_allocator_someone_chose_is_kept(tmp_path):
    with running_for_the_author(tmp_path, PYTHONMALLOC="pymalloc") as running:
        environment = _environment_of(running.process.pid)
        assert environment["PYTHONMALLOC"] == "pymalloc" and "MALLOC_ARENA_MAX" not in environment
