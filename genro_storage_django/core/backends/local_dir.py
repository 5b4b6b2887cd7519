"""Where a composite mount keeps its own files when no mount is named for them (a mirror's
journal, a cache's copies): a ``local`` backend on a directory, made on first use."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import default_registry
from .base import Backend

if TYPE_CHECKING:
    from ..config import MountContext

__all__ = ["local_directory"]


def local_directory(directory: str, name: str, context: MountContext) -> Callable[[], Backend]:
    """The backend of ``directory`` (created with it on the first call), named ``name``."""
    made: list[Backend] = []

    def get() -> Backend:
        if not made:
            os.makedirs(directory, exist_ok=True)
            # Through the registry: the local module imports the manager, which imports us.
            local = default_registry.get("local")
            assert local is not None
            made.append(local(name, {"name": name, "type": "local", "path": directory}, context))
        return made[0]

    return get
