"""The `reflections` command."""

# Each module's subcommands join `main` as it is imported.
from . import backups, commands, elsewhere, importing, live, queue  # noqa: F401
from .group import main, run

__all__ = ["main", "run"]
