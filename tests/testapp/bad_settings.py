"""The test settings with a broken STORAGE_MOUNTS: `manage.py check` must report it, and
importing the models (which name the mounts) must not fail."""

from __future__ import annotations

from tests.settings import *  # noqa: F403

STORAGE_MOUNTS = {
    "uploads": {"type": "local", "path": "relative/dir"},
    "static": {"type": "nosuchtype"},
    "scratch": {"type": "memory", "serve": "everyone"},
}
