"""The Django-free storage core: mounts, nodes, backends and the transfer engine.

Importing and using it needs no Django settings::

    from genro_storage_django.core import StorageManager

    manager = StorageManager({"uploads": {"type": "local", "path": "/srv/uploads"}})
    manager.node("uploads:reports/q3.pdf").write_bytes(b"...")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends import AtomicWriter, Backend, CompositeBackend, StatResult, register_backend_type
from .capabilities import BackendCapabilities
from .config import ConfigProblem, Permissions
from .errors import (
    BackendUnavailableError,
    CommandFailedError,
    CommandNotFoundError,
    CommandRefusedError,
    CommandTimeoutError,
    ContentTypeError,
    DirectoryNotEmptyError,
    InvalidModeError,
    InvalidURLError,
    MirrorWriteError,
    NotAFileError,
    OverlappingPathsError,
    StorageBucketNotFoundError,
    StorageConfigError,
    StorageCredentialsError,
    StorageError,
    StorageExistsError,
    StorageIsADirectoryError,
    StorageNameTooLongError,
    StorageNotADirectoryError,
    StorageNotFoundError,
    StoragePermissionError,
    StorageUnavailableError,
    TransferError,
    UnsafePathError,
    VirtualNodeError,
)
from .manager import Mount, StorageManager, validate_mounts
from .node import StorageNode
from .paths import normalize
from .sync import Compare, SyncOptions, SyncReport, plan_sync, sync
from .transfer import CopyOptions, SkipStrategy, TransferCallback, TransferReport
from .uploads import PresignedUpload, UploadVerificationError

if TYPE_CHECKING:
    from .backends.fsspec_base import FsspecBackend
    from .storage_grammar import StorageConfig as StorageConfig  # not in __all__: an extra

__all__ = [
    "AtomicWriter",
    "Backend",
    "BackendCapabilities",
    "BackendUnavailableError",
    "CommandFailedError",
    "CommandNotFoundError",
    "CommandRefusedError",
    "CommandTimeoutError",
    "Compare",
    "CompositeBackend",
    "ConfigProblem",
    "ContentTypeError",
    "CopyOptions",
    "DirectoryNotEmptyError",
    "FsspecBackend",
    "InvalidModeError",
    "InvalidURLError",
    "MirrorWriteError",
    "Mount",
    "NotAFileError",
    "OverlappingPathsError",
    "Permissions",
    "PresignedUpload",
    "SkipStrategy",
    "StatResult",
    "StorageBucketNotFoundError",
    "StorageConfigError",
    "StorageCredentialsError",
    "StorageError",
    "StorageExistsError",
    "StorageIsADirectoryError",
    "StorageManager",
    "StorageNameTooLongError",
    "StorageNode",
    "StorageNotADirectoryError",
    "StorageNotFoundError",
    "StoragePermissionError",
    "StorageUnavailableError",
    "SyncOptions",
    "SyncReport",
    "TransferCallback",
    "TransferError",
    "TransferReport",
    "UnsafePathError",
    "UploadVerificationError",
    "VirtualNodeError",
    "normalize",
    "plan_sync",
    "register_backend_type",
    "sync",
    "validate_mounts",
]


def __getattr__(name: str) -> object:
    # FsspecBackend imports fsspec: only when someone asks for it.
    if name == "FsspecBackend":
        from .backends.fsspec_base import FsspecBackend

        return FsspecBackend
    # genro-storage's configuration grammar needs the optional ``grammar`` extra: imported
    # when asked for, and left out of ``__all__`` so ``import *`` works without it.
    if name == "StorageConfig":
        from .storage_grammar import StorageConfig as StorageConfig  # not in __all__: an extra

        return StorageConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
