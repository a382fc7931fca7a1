"""What the project declares: every package the plugin imports, the extras its settings need, and
a setting whose extra is missing ends in one line naming it."""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions

import pytest
from conftest import REFLECTIONS, REPO, copy_site
from packaging.requirements import Requirement


def declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return {Requirement(line).name.lower().replace("_", "-") for line in requirements}


def imported_top_level() -> set[str]:
    names = set()
    for path in (REPO / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"reflections"}


def test_every_imported_package_is_declared():
    distributions = packages_distributions()
    optional = {"psycopg": "postgres", "redis": "redis"}
    missing = []
    for module in sorted(imported_top_level()):
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        wanted = declared(optional[module]) if module in optional else declared()
        if not names & wanted:
            missing.append(f"{module} ({', '.join(sorted(names))})")
    assert missing == []


def test_the_extras_name_what_their_settings_need():
    assert "psycopg" in declared("postgres") and "redis" in declared("redis")


def test_a_postgres_url_without_its_extra_is_one_line_naming_it(tmp_path):
    site = copy_site(tmp_path / "site")
    # Run the command with psycopg hidden, as on a machine where the extra was never installed.
    hide = (
        "import sys; sys.modules['psycopg'] = None; from pelican.plugins.reflections.cli import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide, "queue"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "REFLECTIONS_SITE": str(site),
            "REFLECTIONS_DATABASE_URL": "postgresql+psycopg://someone@127.0.0.1/nowhere",
        },
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    # From this clone (installed editable): the extra installed into it.
    assert result.stderr.strip() == (
        "Error: REFLECTIONS_DATABASE_URL names PostgreSQL, which needs the postgres extra: "
        f"pip install -e '{REPO}[postgres]'"
    )


def test_the_version_names_the_commit_and_the_queue_schema():
    result = subprocess.run([REFLECTIONS, "--version"], capture_output=True, text=True, timeout=60)
    newest = max(
        re.search(r'^revision = "(\w+)"', path.read_text(encoding="utf-8"), re.M).group(1)
        for path in (REPO / "plugins/reflections/store/migrations/versions").glob("0*.py")
    )
    assert result.returncode == 0 and result.stdout.startswith("reflections, version ")
    assert result.stdout.rstrip().endswith(f"(queue schema {newest})")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if commit.returncode == 0:  # a clone: each commit's version is its own
        assert f"+g{commit.stdout.strip()} " in result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built with `pip wheel`, installed with plain Pelican into a new virtual
    environment: what a Pelican user gets from `pip install withness`."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what git tracks: a build writes build/ and *.egg-info beside its sources,
    # and nothing a test makes goes into the repository.
    source = work / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    # Built as the docs say (docs/how-to/existing-site.md), in a fresh virtual environment (which
    # has no `build`): pip wheel.
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    guide = (REPO / "docs" / "how-to" / "existing-site.md").read_text(encoding="utf-8")
    assert "pip wheel --no-deps -w dist /path/to/withness" in guide
    built = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (work / "dist").glob("withness-*.whl")
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "pelican>=4.11", str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    return venv / "bin", wheel


def default_site(folder):
    """A Pelican site as `pelican-quickstart` leaves it: Pelican's defaults, its own theme, no
    PLUGINS setting (so every installed plugin is loaded)."""
    (folder / "content").mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(
        'AUTHOR = "Someone"\nSITENAME = "A site"\nPATH = "content"\nTIMEZONE = "Europe/Paris"\n',
        encoding="utf-8",
    )
    (folder / "content" / "first-light.md").write_text(
        "Title: First light\nDate: 2026-01-02\n\nSome words, *kindly*.\n", encoding="utf-8"
    )
    return folder


@pytest.mark.slow(seconds=40)
def test_the_wheel_holds_the_plugin_in_pelicans_namespace_and_nothing_of_pelicans_own(installed):
    _bin, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    ours = [name for name in names if not name.startswith("withness-")]
    assert ours and all(name.startswith("pelican/plugins/reflections/") for name in ours), ours
    # Every subpackage and its data: the templates and the migrations run on every start.
    for needed in (
        "store/migrations/versions/0001_queue.py",
        "templates/reflections/form.html",
        "templates/recipes/nginx.conf",
        "templates/recipes/withness.service",
        "static/reflect.js",
        "static/reflections.css",
        "static/service.css",
        "locale/withness.pot",
        "locale/de/LC_MESSAGES/withness.po",
        "locale/pt_BR/LC_MESSAGES/withness.po",
    ):
        assert f"pelican/plugins/reflections/{needed}" in names


@pytest.mark.slow
def test_an_installed_wheel_is_a_pelican_plugin_and_a_command(installed, tmp_path):
    bin_, _wheel = installed
    listed = subprocess.run([str(bin_ / "pelican-plugins")], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0
    assert "pelican.plugins.reflections" in listed.stdout + listed.stderr
    helped = subprocess.run(
        [str(bin_ / "reflections"), "--help"], capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0 and "serve" in helped.stdout and "approve" in helped.stdout
    version = subprocess.run([str(bin_ / "reflections"), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("reflections, version ")
    # Installed from a wheel, a missing extra is named by the package's name.
    hint = "from pelican.plugins.reflections.core.errors import install_hint; print(install_hint('postgres'))"
    named = subprocess.run([str(bin_ / "python"), "-c", hint], capture_output=True, text=True, cwd=tmp_path)
    assert named.stdout.strip() == "pip install 'withness[postgres]'"


@pytest.mark.slow
def test_a_default_pelican_site_builds_with_the_plugin_found_by_itself(installed, tmp_path):
    bin_, _wheel = installed
    site = default_site(tmp_path / "site")
    built = subprocess.run(
        [str(bin_ / "pelican"), "content", "-s", "pelicanconf.py"], cwd=site, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "First light" in (site / "output" / "first-light.html").read_text(encoding="utf-8")
    # The plugin ran: its site-wide reflections feed is there, its stylesheet and script are in the
    # output whatever the theme, and (asked for) its strict essay reader stops a build on a date
    # Pelican cannot read, in one line naming the file.
    assert (site / "output" / "feeds" / "reflections.atom.xml").is_file()
    for asset in ("reflect.js", "reflections.css"):
        assert (site / "output" / "withness" / asset).is_file()
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write("REFLECTIONS_STRICT_ESSAYS = True\n")
    (site / "content" / "broken.md").write_text("Title: Broken\nDate: next tuesday\n\nx\n", encoding="utf-8")
    broken = subprocess.run(
        [str(bin_ / "pelican"), "content", "-s", "pelicanconf.py"], cwd=site, capture_output=True, text=True
    )
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    assert "content/broken.md: Date: 'next tuesday' is not a valid date" in broken.stderr


@pytest.mark.slow
def test_a_site_that_lists_its_plugins_names_it_reflections(installed, tmp_path):
    bin_, _wheel = installed
    site = default_site(tmp_path / "site")
    with (site / "pelicanconf.py").open("a", encoding="utf-8") as settings:
        settings.write('PLUGINS = ["reflections"]\n')
    built = subprocess.run(
        [str(bin_ / "pelican"), "content", "-s", "pelicanconf.py"], cwd=site, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert (site / "output" / "feeds" / "reflections.atom.xml").is_file()
