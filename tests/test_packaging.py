"""What the project declares: every package the plugin imports, the extras its settings need, and
a setting whose extra is missing ends in one line naming it."""

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

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
    assert result.stderr.strip() == (
        "Error: REFLECTIONS_DATABASE_URL names PostgreSQL, which needs the postgres extra: "
        "pip install 'withness[postgres]'"
    )


def test_version():
    result = subprocess.run([REFLECTIONS, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("reflections, version ")
