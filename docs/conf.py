"""Sphinx configuration for the Withness documentation (`make docs`).

The reference pages of settings, environment variables and modules are written from the code at
every build (docs/_generated/, not committed): the one place the code declares them."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "Withness"
author = "The Withness developers"
copyright = "2026, the Withness developers"

extensions = ["myst_parser", "sphinx_click", "withness_reference"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
# The tutorial's essay is a Pelican file, shown on its page, not a page of its own.
exclude_patterns = ["_build", "tutorial/the-morning-walk.md", "Thumbs.db", ".DS_Store"]
html_theme = "furo"
html_title = "Withness"
html_static_path = ["_static"]
# A broken internal link or reference fails the build (make docs runs sphinx-build -W).
nitpicky = False
suppress_warnings: list[str] = []

# The reference imports the plugin; its libraries' start-up chatter is not the docs' to show.
import logging  # noqa: E402

logging.getLogger("alembic").setLevel(logging.WARNING)
