"""The Withness plugin for Pelican: essays read strictly, and readers' reflections rendered."""

from .site.plugin import register

__all__ = ["register"]
