"""The `reflections` command."""

from .commands import main, run

__all__ = ["main", "run"]
