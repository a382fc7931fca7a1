"""Reference tables written from the code's own declarations, so the docs cannot drift from it:

- `withness-settings`: every plugin setting (site/settings.py SETTINGS), with its type and default;
- `withness-environment`: every environment variable (service/config.py VARIABLES);
- `withness-modules`: every module of the plugin, room by room, with the first line of its docstring.

Each directive writes a Markdown table and hands it to MyST, so the meanings' `code` renders."""

import ast
import json
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from pelican.plugins.reflections.service.config import VARIABLES
from pelican.plugins.reflections.site.settings import SETTINGS
from sphinx.util.docutils import SphinxDirective

PACKAGE = Path(__file__).resolve().parents[2] / "plugins" / "reflections"


def python_literal(value: object) -> str:
    """A default as it is written in pelicanconf.py."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def type_name(value: object) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", tuple: "tuple"}.get(
        type(value), type(value).__name__
    )


def cell(text: str) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """`text` as inline code, whatever backticks it holds."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def settings_table() -> list[str]:
    rows = ["| setting | type | default | meaning |", "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        rows.append(
            f"| {code(setting.name)} | {type_name(setting.default)} | "
            f"{cell(code(python_literal(setting.default)))} | {cell(setting.meaning)} |"
        )
    return rows


def environment_default(variable) -> str:
    if variable.shown:
        return variable.shown
    if variable.default in ("", None):
        return "empty"
    return code(str(variable.default))


def environment_table() -> list[str]:
    rows = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |"]
    for variable in VARIABLES.values():
        rows.append(
            f"| {code(variable.name)} | {variable.cast.__name__} | {cell(environment_default(variable))} | "
            f"{cell(variable.meaning)} |"
        )
    return rows


def first_line(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    paragraph = docstring.split("\n\n")[0]
    return " ".join(paragraph.split())


def modules_table() -> list[str]:
    rows = ["| module | lines | what it holds |", "| --- | --- | --- |"]
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if "migrations" in relative.parts or path.name == "__init__.py" and relative.parent != Path("."):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        rows.append(f"| {code(str(relative))} | {lines} | {cell(first_line(path))} |")
    return rows


class _Table(SphinxDirective):
    has_content = False
    rows: staticmethod

    def run(self):
        holder = nodes.container()
        self.state.nested_parse(StringList(self.rows()), self.content_offset, holder)
        return holder.children


class Settings(_Table):
    rows = staticmethod(settings_table)


class Environment(_Table):
    rows = staticmethod(environment_table)


class Modules(_Table):
    rows = staticmethod(modules_table)


def setup(app):
    app.add_directive("withness-settings", Settings)
    app.add_directive("withness-environment", Environment)
    app.add_directive("withness-modules", Modules)
    return {"parallel_read_safe": True, "version": "1"}
