"""The `reflections` command."""

from . import importing, live  # noqa: F401 - their subcommands join `main` as they are imported
from .commands import main, run

__all__ = ["main", "run"]
