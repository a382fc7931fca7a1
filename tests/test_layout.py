"""The rooms of the package and what each may import (docs/explanation/architecture.md draws them).

core imports nothing else of the package; site and store only core; service and importers core and
store; the publisher core, site and store; only the CLI and serve.py (the one module that wires the
site and the service together) may import everything. SQLAlchemy stays in the store, Pelican out of
core, the store and the service, the web framework out of core, the site, the store and the
publisher.
"""

import ast
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "plugins" / "reflections"
EVERYTHING = {
    "core",
    "site",
    "store",
    "service",
    "publisher",
    "importers",
    "elsewhere",
    "cli",
    "serve",
    "asgi",
    "__init__",
}
#: room -> the rooms it may import from (its own included).
ALLOWED = {
    "core": {"core"},
    "site": {"core", "site"},
    "store": {"core", "store"},
    "service": {"core", "store", "elsewhere", "service"},
    # Replies from elsewhere: fetched, read and queued; the service runs its worker.
    "elsewhere": {"core", "store", "elsewhere"},
    "publisher": {"core", "site", "store", "publisher"},
    "importers": {"core", "store", "importers"},
    "cli": EVERYTHING,
    "serve": EVERYTHING,
    # The ASGI application object: the intake role, made by serve.py.
    "asgi": {"serve"},
    # The package itself only hands Pelican the plugin's register().
    "__init__": {"site"},
}
#: room -> outside packages it must not import.
FORBIDDEN_LIBRARIES = {
    "core": {"pelican", "sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "redis", "click"},
    "site": {"sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "click"},
    "store": {"pelican", "starlette", "uvicorn", "click"},
    "service": {"pelican", "sqlalchemy", "alembic", "psycopg", "click"},
    "importers": {"sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "click"},
    "publisher": {"sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "click"},
    "elsewhere": {"pelican", "sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "click"},
}


def room_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return parts[0]


def imports_of(path: Path, root: Path) -> list[tuple[int, str, bool]]:
    """(line, name, inside) for each import: the room imported from when inside the package, else
    the outside package's top-level name."""
    module = list(path.relative_to(root).with_suffix("").parts)
    package = module[:-1]  # a module's own package: where `from . import` looks
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = [*base, *(node.module.split(".") if node.module else [])]
            if target:
                found.append((node.lineno, target[0], True))
            else:  # `from . import x` at the top of the package: x is a room or a module
                found += [(node.lineno, alias.name, True) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if name.startswith("pelican.plugins.reflections"):
                rest = name.split(".")[3:]
                found.append((node.lineno, rest[0] if rest else node.names[0].name, True))
            else:
                found.append((node.lineno, name.split(".")[0], False))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0], False) for alias in node.names]
    return found


def violations(root: Path) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        room = room_of(path, root)
        where = path.relative_to(root)
        assert room in ALLOWED, f"{where}: a module outside the rooms (add it to one, and to this test)"
        for line, name, inside in imports_of(path, root):
            if inside and name not in ALLOWED[room]:
                problems.append(f"{where}:{line}: the {room} room imports from {name}")
            elif not inside and name in FORBIDDEN_LIBRARIES.get(room, ()):
                problems.append(f"{where}:{line}: the {room} room imports {name}")
    return problems


def test_every_room_imports_only_what_it_may():
    assert violations(PACKAGE) == []


@pytest.mark.parametrize(
    "module, line, expected",
    [
        (
            "core/lengths.py",
            "from ..store import Store\n",
            "core/lengths.py:1: the core room imports from store",
        ),
        ("core/threads.py", "import pelican\n", "core/threads.py:1: the core room imports pelican"),
        (
            "site/changes.py",
            "from .. import service\n",
            "site/changes.py:1: the site room imports from service",
        ),
        (
            "service/bodies.py",
            "from ..site.index import SiteIndex\n",
            "service/bodies.py:1: the service room imports from site",
        ),
        (
            "service/headers.py",
            "from sqlalchemy import select\n",
            "service/headers.py:1: the service room imports sqlalchemy",
        ),
        (
            "store/records.py",
            "from pelican.plugins.reflections.service import app\n",
            "store/records.py:1: the store room imports from service",
        ),
    ],
)
def test_a_forbidden_import_is_named(tmp_path, module, line, expected):
    copy = tmp_path / "reflections"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(line + target.read_text(encoding="utf-8"), encoding="utf-8")
    assert violations(copy) == [expected]


def test_the_store_is_the_only_user_of_sqlalchemy():
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        for _line, name, inside in imports_of(path, PACKAGE)
        if not inside and name in ("sqlalchemy", "alembic")
    }
    assert users and all(user.startswith("store/") for user in users), users


def test_no_module_of_the_plugin_is_over_400_lines():
    """A module a newcomer can hold: past 400 lines it holds more than one concept (split it along
    them, as docs/explanation/architecture.md lists the modules)."""
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert len(sizes) > 40
    assert {name: lines for name, lines in sizes.items() if lines > 400} == {}
