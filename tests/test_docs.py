"""The documentation site: it builds with warnings as errors, and its reference holds every setting,
environment variable, command, make target and HTTP endpoint the code has, each documented default
being what the code really gives."""

import ast
import html
import re
import subprocess
import sys

import pytest
from conftest import REPO
from pelican.plugins.reflections.service import config as service_config
from pelican.plugins.reflections.site import settings as config

DOCS = REPO / "docs"
PAGES = "\n".join(path.read_text(encoding="utf-8") for path in sorted(DOCS.rglob("*.md")))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`make docs`'s build, into a temporary folder: -W, so a broken link or reference fails it."""
    output = tmp_path_factory.mktemp("docs") / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(output)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return output


def text_of(page) -> str:
    """A built page's words, tags dropped and entities read (so a default reads as it was written)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def table_rows(page) -> dict[str, list[str]]:
    """Each row of a built page's tables, by its first cell's text."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page.read_text(encoding="utf-8"), re.DOTALL):
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        if cells:
            rows[cells[0]] = cells
    return rows


def settings_read_by_the_code() -> set[str]:
    names = set()
    for path in (REPO / "plugins").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"settings(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"\"(REFLECTIONS_[A-Z0-9_]+)\"", text))
    for path in (REPO / "plugins").rglob("*.html"):
        names |= set(re.findall(r"\b(REFLECTIONS_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    return names


def environment_read_by_the_code() -> set[str]:
    sources = [REPO / "publishconf.py", REPO / "pelicanconf.py", *(REPO / "plugins").rglob("*.py")]
    names = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z0-9_]+)\"", text))
        names |= set(re.findall(r"(?:config|_get\(config,)\(?\s*\"([A-Z0-9_]+)\"", text))
    return names


def test_the_site_builds_with_warnings_as_errors_and_has_every_part(built):
    for page in ("index", "tutorial/index", "how-to/import", "reference/cli", "explanation/architecture"):
        assert (built / f"{page}.html").is_file(), page
    assert "1 reflection on “The Morning Walk”" not in text_of(built / "index.html")  # words, not a picture
    for shot in re.findall(r"_static/screenshots/([\w-]+\.png)", PAGES):
        assert (DOCS / "_static" / "screenshots" / shot).is_file(), shot


def test_every_plugin_setting_is_declared_and_in_the_reference_with_its_real_default(built, tmp_path):
    declared = {setting.name for setting in config.SETTINGS}
    read = {name for name in settings_read_by_the_code() if name.startswith("REFLECTIONS_")}
    # Names the code builds (REFLECTIONS_TEST_…) or the environment's are not settings of a site.
    read -= set(service_config.VARIABLES) | {"REFLECTIONS_TEST_POSTGRES_URL"}
    assert sorted(read - declared) == []
    # What a site that sets nothing gets, against what the built reference says it gets.
    (tmp_path / "pelicanconf.py").write_text("PATH = 'content'\n", encoding="utf-8")
    (tmp_path / "content").mkdir()
    given = config.read(tmp_path / "pelicanconf.py")
    rows = table_rows(built / "reference" / "settings.html")
    for setting in config.SETTINGS:
        assert setting.name in rows, setting.name
        documented = ast.literal_eval(rows[setting.name][2])
        assert documented == given[setting.name], setting.name
        assert rows[setting.name][3], f"{setting.name} has no meaning"


def test_every_pelican_setting_the_plugin_reads_is_in_the_reference():
    read = {name for name in settings_read_by_the_code() if not name.startswith("REFLECTIONS_")}
    assert {"READING_WORDS_PER_MINUTE", "SITEURL"} <= read
    settings_page = (DOCS / "reference" / "settings.md").read_text(encoding="utf-8")
    assert (
        sorted(name for name in read if f"`{name}`" not in settings_page and f"`{name}`" not in PAGES) == []
    )


def test_every_environment_variable_is_declared_and_in_the_reference_with_its_real_default(built):
    read = environment_read_by_the_code()
    assert "WITHNESS_SITEURL" in read and "REFLECTIONS_DATABASE_URL" in read
    page = (DOCS / "reference" / "environment.md").read_text(encoding="utf-8")
    assert sorted(n for n in read if n not in service_config.VARIABLES and f"`{n}`" not in page) == []
    rows = table_rows(built / "reference" / "environment.html")
    loaded = service_config.load({"REFLECTIONS_SITE": str(REPO)})
    for name, variable in service_config.VARIABLES.items():
        assert name in rows and rows[name][3], name
        field = name.removeprefix("REFLECTIONS_").lower()
        if variable.shown or not hasattr(loaded, field) or variable.default == "":
            continue  # worked out at start, or read into another shape: said in words
        assert rows[name][2] == str(getattr(loaded, field)), name


def test_defaults_stated_in_the_guides_are_the_codes():
    """A guide that says `REFLECTIONS_X` (30) means the default: it must be the code's."""
    stated = re.findall(r"`(REFLECTIONS_[A-Z0-9_]+)` \((\d+)\)", PAGES)
    assert stated, "the privacy page states the retention days"
    defaults = {setting.name: setting.default for setting in config.SETTINGS}
    defaults |= {name: variable.default for name, variable in service_config.VARIABLES.items()}
    assert [(name, value) for name, value in stated if str(defaults[name]) != value] == []


def test_every_command_and_option_is_in_the_cli_reference(built):
    from pelican.plugins.reflections.cli import main

    assert {"serve", "queue", "approve", "export", "import", "doctor"} <= set(main.commands)
    page = text_of(built / "reference" / "cli.html")
    missing = []

    def walk(command, path: str) -> None:
        if f"reflections {path}".strip() not in page:
            missing.append(path)
        for parameter in command.params:
            for option in getattr(parameter, "opts", []):
                if option.startswith("-") and option not in page:
                    missing.append(f"{path} {option}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(main, "")
    assert missing == []


def test_every_endpoint_is_in_the_http_reference():
    from pelican.plugins.reflections.service import app, login, moderate, webmentions

    page = (DOCS / "reference" / "http.md").read_text(encoding="utf-8")
    source = (REPO / "plugins" / "reflections" / "service" / "app.py").read_text(encoding="utf-8")
    paths = set(re.findall(r'Route\("([^"]+)"', source))
    paths |= {route.path for route in [*moderate.routes, *login.routes, *webmentions.routes]}
    assert "/reflections/submit" in paths and moderate.BASE in paths and app.STATIC
    assert sorted(path for path in paths if not re.search(rf" {re.escape(path)}[`?]", page)) == []


def test_every_make_target_is_documented():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE)
    assert {"run", "test", "docs"} <= set(targets)
    page = (DOCS / "reference" / "make.md").read_text(encoding="utf-8")
    assert sorted(t for t in targets if f"make {t}" not in page and t != "help") == []


def test_the_readme_is_a_front_page():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for line in ("make run", "make test", "make docs"):
        assert line in readme
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (REPO / target).is_file(), target
