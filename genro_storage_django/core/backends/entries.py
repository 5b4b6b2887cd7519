"""What backends say about entries: :class:`StatResult` (one metadata call's answer) and
:class:`PhysicalLocation` (where an entry's bytes really are).

Part of the backend API: ``genro_storage_django.core.backends.base`` exports them too.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Kind", "PhysicalLocation", "StatResult"]

Kind = Literal["file", "directory"]


@dataclass(frozen=True, slots=True)
class PhysicalLocation:
    """Where an entry's bytes really are, whatever mount names it.

    ``store`` tells storage systems apart (equal for two mounts on the same disk,
    bucket endpoint or in-memory store); ``path`` is the entry's "/"-separated path
    inside that store, with the mount root applied and, on disk, symlinks resolved.
    """

    store: Hashable
    path: str

    @classmethod
    def on_disk(cls, path: str) -> PhysicalLocation:
        """A path on this machine's disks, whichever mount kind reaches it: symlinks
        resolved, so a link into the tree is seen for what it points to."""
        return cls("local-disk", os.path.realpath(path).replace(os.sep, "/"))


@dataclass(slots=True)
class StatResult:
    """What one metadata call tells about an entry.

    Not frozen: a sync builds one per listed file, and a frozen dataclass takes
    three times as long to construct.

    ``md5`` is set only when the backend reports a true MD5 of the content (an S3
    multipart ETag is not one); ``etag`` is whatever opaque version tag it has.
    """

    name: str
    kind: Kind
    size: int = 0
    mtime: float | None = None
    etag: str | None = None
    md5: str | None = None
    content_type: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_dir(self) -> bool:
        return self.kind == "directory"
