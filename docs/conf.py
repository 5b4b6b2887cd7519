"""Sphinx configuration of the documentation site.

Build it as scripts/test does (warnings are errors):
    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
The pages are Markdown (MyST), readable on GitHub as they are.
"""

from __future__ import annotations

import genro_storage_django

project = "genro-storage-django"
author = "genro-storage-django developers"
copyright = "genro-storage-django developers"
release = genro_storage_django.__version__
version = release

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# GitHub-style anchors for headings down to ####, so `page.md#a-heading` links work here
# as they do on GitHub.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]
# A link to a file outside the site (example_project/, scripts/...) stays a plain link.
myst_url_schemes = ["http", "https", "mailto"]

html_theme = "furo"
html_title = f"genro-storage-django {release}"
html_static_path: list[str] = []
pygments_style = "friendly"
pygments_dark_style = "monokai"
