"""Errors in an author's files: one line naming the file and the problem, never a traceback."""

import os
from pathlib import Path


class ContentError(SystemExit):
    """A broken essay or reflection file.

    It derives from SystemExit on purpose: Pelican's generators catch every Exception, log it and
    go on (a silently missing page), and its command line prints a traceback for any Exception that
    reaches it. A SystemExit passes both, ends `pelican` with status 1 and prints only our line.
    """

    def __init__(self, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{display_path(path)}: {field}: {problem}")

    def __str__(self) -> str:
        return str(self.code)


class SettingError(ValueError):
    """A service setting that cannot be used; the message names it (and the extra to install)."""


class MissingExtra(SettingError):
    """A setting needs a package that is not installed; the message names the extra to install."""


def display_path(path: str) -> str:
    """The path as the author would type it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def install_hint(extra: str) -> str:
    """The command that installs `extra` the way Withness itself was installed: into the clone it
    runs from (plugins/reflections/ beside a pyproject.toml), else by the package's name."""
    clone = Path(__file__).resolve().parents[3]
    if (clone / "pyproject.toml").is_file() and (clone / "plugins" / "reflections").is_dir():
        return f"pip install -e '{clone}[{extra}]'"
    return f"pip install 'withness[{extra}]'"
