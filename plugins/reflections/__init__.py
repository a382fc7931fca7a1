"""The Withness plugin for Pelican: essays read strictly, and readers' reflections rendered."""

from .plugin import register

__all__ = ["register"]
