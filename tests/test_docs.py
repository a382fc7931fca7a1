"""Every setting the code reads and every make target is documented in the README or docs/."""

import re

from conftest import REPO
from pelican.plugins.reflections.site import settings as config

DOCS = "\n".join(
    path.read_text(encoding="utf-8") for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
)


def settings_read_by_the_code() -> set[str]:
    names = set(config.DEFAULTS)
    for path in (REPO / "plugins").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"settings(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"\"(REFLECTIONS_[A-Z0-9_]+)\"", text))
    for path in (REPO / "plugins").rglob("*.html"):
        names |= set(re.findall(r"\b(REFLECTIONS_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    return names


def test_every_setting_the_code_reads_is_documented():
    names = settings_read_by_the_code()
    assert "REFLECTIONS_MAX_DEPTH" in names and "READING_WORDS_PER_MINUTE" in names
    missing = sorted(name for name in names if f"`{name}`" not in DOCS)
    assert missing == []


def test_every_environment_variable_is_documented():
    sources = [REPO / "publishconf.py", REPO / "pelicanconf.py", *(REPO / "plugins").rglob("*.py")]
    names = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"config\(\s*\"([A-Z0-9_]+)\"", text))  # starlette.config.Config
    assert "WITHNESS_SITEURL" in names and "REFLECTIONS_DATABASE_URL" in names
    assert sorted(name for name in names if f"`{name}`" not in DOCS) == []


def test_every_make_target_is_documented():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE)
    assert "run" in targets and "test" in targets
    assert sorted(t for t in targets if f"make {t}" not in DOCS and t != "help") == []


def test_every_reflections_command_is_documented():
    from pelican.plugins.reflections.cli.commands import main

    assert {"serve", "queue", "approve", "export", "import"} <= set(main.commands)
    assert sorted(name for name in main.commands if f"`reflections {name}" not in DOCS) == []
