"""What a backend can do, as one value: :class:`BackendCapabilities`.

Every backend answers ``backend.capabilities`` (see :class:`~.backends.base.Backend`),
a mount ``mount.capabilities`` and a node ``node.capabilities``: the backend's own,
less what the mount's permissions forbid. This is the one place that says what a
backend can do: the core reads it (``directories``, ``keeps_mtime``), the permission
check reads ``readonly`` from the class before any mount exists, and the conformance
suite checks that every flag a backend declares is true of it.

The fields and their defaults are genro-storage's (a plain writable filesystem), so
code written against it reads the same names; the last four are this project's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Permissions

__all__ = ["BackendCapabilities"]

# The flags that ``str()`` names, in its order, with the words it uses.
_DESCRIBED = (
    ("versioning", "versioning"),
    ("metadata", "metadata"),
    ("presigned_urls", "presigned URLs"),
    ("copy_optimization", "server-side copy"),
    ("hash_on_metadata", "fast hashing"),
    ("symbolic_links", "symbolic links"),
    ("readonly", "read-only"),
    ("temporary", "temporary storage"),
)


@dataclass(frozen=True)
class BackendCapabilities:
    """Flags, each true when the backend does it (frozen: usable as a dict key).

    - ``read``, ``write``, ``delete``, ``mkdir``, ``list_dir``: the basic operations;
      ``readonly``: none of the writing ones is possible.
    - ``versioning``, ``version_listing``, ``version_access``, ``metadata``: object
      versions and custom metadata (no built-in backend offers them yet).
    - ``presigned_urls``: ``node.url()`` signs a URL that fetches the file for a while;
      ``public_urls``: it gives one that needs no signature (``base_url``, an http mount,
      ``querystring_auth: False``).
    - ``atomic_operations``: a write replaces the file whole or not at all.
    - ``symbolic_links``: links on the disk are followed (inside the mount root only).
    - ``copy_optimization``: a copy between two paths of the mount stays on the
      storage system, its bytes never pass through this process.
    - ``hash_on_metadata``: the MD5 of a file written by the mount comes with its
      metadata (``stat().md5``), without reading it (S3: single-part uploads).
    - ``append_mode``: ``open("a")``; ``seek_support``: readers can seek.
    - ``temporary``: the files go when the process ends (memory).
    - ``directories``: a directory exists without files in it (object stores: no).
    - ``keeps_mtime``: a modification time can be set, so copies keep the source's.
    - ``local_files``: files are real files on this machine (``local_path()`` hands
      them out with no copy).
    - ``presigned_uploads``: ``node.presigned_upload()`` signs a browser upload.
    """

    read: bool = True
    write: bool = True
    delete: bool = True
    mkdir: bool = True
    list_dir: bool = True
    versioning: bool = False
    version_listing: bool = False
    version_access: bool = False
    metadata: bool = False
    presigned_urls: bool = False
    public_urls: bool = False
    atomic_operations: bool = True
    symbolic_links: bool = False
    copy_optimization: bool = False
    hash_on_metadata: bool = False
    append_mode: bool = True
    seek_support: bool = True
    readonly: bool = False
    temporary: bool = False
    directories: bool = True
    keeps_mtime: bool = False
    local_files: bool = False
    presigned_uploads: bool = False

    @classmethod
    def read_only(cls, **flags: bool) -> BackendCapabilities:
        """A store nothing can be written to: every writing flag off, then ``flags``."""
        return cls(**{**_READ_ONLY, **flags})

    def restricted(self, permissions: Permissions) -> BackendCapabilities:
        """What is left of these capabilities on a mount with ``permissions``."""
        if not permissions.can_write:
            return dataclasses.replace(self, **_READ_ONLY)
        if not permissions.can_delete:
            return dataclasses.replace(self, delete=False)
        return self

    def __str__(self) -> str:
        named = [words for flag, words in _DESCRIBED if getattr(self, flag)]
        return ", ".join(named) if named else "basic file operations"


# Writing flags off; reading ones (presigned URLs included) are kept.
_READ_ONLY = {
    "write": False,
    "delete": False,
    "mkdir": False,
    "append_mode": False,
    "atomic_operations": False,
    "copy_optimization": False,
    "keeps_mtime": False,
    "presigned_uploads": False,
    "readonly": True,
}
