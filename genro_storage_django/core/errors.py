"""Exceptions of the storage core.

Each error also subclasses the builtin (or Django) exception that callers already
catch, so ``except FileNotFoundError`` keeps working around node calls. Messages
name the mount and the path inside it ("uploads:reports/q3.pdf"), never the
backend's internal location, which may hold a bucket prefix or a disk path.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

# The core's one optional seam to Django: with Django installed, UnsafePathError is also
# Django's SuspiciousFileOperation, so Django answers it with a 400 and logs it on the
# django.security logger; without Django the core still imports and the error is
# a plain storage error. tests/test_core_layers.py checks both and that no other core
# module imports Django.
if TYPE_CHECKING:
    from django.core.exceptions import SuspiciousFileOperation

    from .reports import TransferReport
else:
    try:
        from django.core.exceptions import SuspiciousFileOperation
    except ImportError:

        class SuspiciousFileOperation(Exception):
            """Stands in for Django's class when Django is not installed."""


__all__ = [
    "BackendUnavailableError",
    "CommandFailedError",
    "CommandNotFoundError",
    "CommandRefusedError",
    "CommandTimeoutError",
    "ContentTypeError",
    "DirectoryNotEmptyError",
    "InvalidModeError",
    "InvalidURLError",
    "MirrorWriteError",
    "NotAFileError",
    "OverlappingPathsError",
    "StorageBucketNotFoundError",
    "StorageConfigError",
    "StorageCredentialsError",
    "StorageError",
    "StorageExistsError",
    "StorageIsADirectoryError",
    "StorageNameTooLongError",
    "StorageNotADirectoryError",
    "StorageNotFoundError",
    "StoragePermissionError",
    "StorageUnavailableError",
    "TransferError",
    "UnsafePathError",
    "VirtualNodeError",
    "raise_as_storage_error",
]


class StorageError(Exception):
    """Base class of every error raised by the storage layer."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """The file or directory does not exist."""


class StorageExistsError(StorageError, FileExistsError):
    """The target exists and the operation refuses to replace it."""


class StoragePermissionError(StorageError, PermissionError):
    """The mount's permissions (or the backend) forbid the operation."""


class StorageCredentialsError(StoragePermissionError):
    """A cloud store has no credentials for the mount, or refuses the ones it has."""


class StorageUnavailableError(StorageError, ConnectionError):
    """The store did not answer: refused connection, timeout, DNS failure, 5xx after retries.

    Transient by nature: the file view answers 503 with ``Retry-After``.
    """


class StorageBucketNotFoundError(StorageError, OSError):
    """The mount's bucket (container) does not exist.

    Deliberately not a FileNotFoundError: code that treats a missing file as "not
    there yet" must not read a misconfigured mount as an empty one.
    """


class DirectoryNotEmptyError(StorageError, OSError):
    """A non-recursive delete met a directory that still has entries."""


class StorageConfigError(StorageError, ValueError):
    """A mount configuration is invalid; the message names the mount and the key."""


class BackendUnavailableError(StorageConfigError):
    """The backend type needs a package that is not installed (a pip extra)."""

    def __init__(self, type_name: str, extra: str, missing: str) -> None:
        self.type_name = type_name
        self.extra = extra
        self.missing = missing
        super().__init__(
            f"mount type {type_name!r} needs the package {missing!r}: "
            f"pip install 'genro-storage-django[{extra}]'"
        )


class UnsafePathError(StorageError, SuspiciousFileOperation):
    """A path tried to leave its mount root (``..``, absolute, NUL byte, escaping symlink...)."""


class TransferError(StorageError, OSError):
    """A copy or move failed; the source is untouched and no partial destination is left.

    ``report`` is the :class:`~.reports.TransferReport` of a tree copy or move some files
    of which failed (what was copied, skipped and why each failure), else None.
    """

    def __init__(self, message: str, *, report: TransferReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class OverlappingPathsError(StorageError, ValueError):
    """A copy, move or sync whose source and destination share storage: one tree holds
    the other, or both name the same file, whatever mounts they are reached through."""


class MirrorWriteError(StorageError, OSError):
    """A write or delete on a ``mirror`` mount reached fewer children than its policy asks.

    ``has`` names the children that hold the new content (or the delete), ``missing``
    those that do not; the mirror's repair journal has recorded the missing ones.
    """

    def __init__(
        self,
        mount: str,
        path: str,
        op: str,
        has: Sequence[str],
        missing: Sequence[str],
        errors: Mapping[str, BaseException],
    ) -> None:
        self.mount = mount
        self.path = path
        self.has = tuple(has)
        self.missing = tuple(missing)
        self.errors = dict(errors)
        why = "; ".join(f"{name}: {error}" for name, error in self.errors.items())
        super().__init__(
            f"{op} of {mount}:{path} reached {', '.join(self.has) or 'no mount'}, "
            f"not {', '.join(self.missing)}" + (f" ({why})" if why else "")
        )


class StorageIsADirectoryError(StorageError, IsADirectoryError):
    """A file operation met a directory."""


class NotAFileError(StorageIsADirectoryError, ValueError):
    """A call that needs a file's content (``size()``, ``md5hash()``, ``to_base64()``) met a
    directory. Also a ValueError, which genro-storage raised there."""


class ContentTypeError(StorageError, TypeError):
    """Content of the wrong type for the call: bytes to ``write_text()``, text to
    ``write_bytes()`` or ``write(mode="wb")``."""


class InvalidModeError(StorageError, ValueError):
    """A mode the call does not take: ``open()``, ``read()``, ``write()``, ``local_path()``."""


class InvalidURLError(StorageError, ValueError):
    """A URL the call cannot fetch: ``fill_from_url()`` takes ``http://`` and ``https://``."""


class StorageNotADirectoryError(StorageError, NotADirectoryError):
    """A directory operation met a file."""


class StorageNameTooLongError(StorageError, OSError):
    """A name (or the whole path) is longer than the backend allows: 255 bytes a name on
    most local filesystems."""


class VirtualNodeError(StorageError, ValueError):
    """A virtual node (``iternode``, ``diffnode``) was asked to be written, or its content
    cannot be made (a diff of binary files)."""


class CommandNotFoundError(StorageError, FileNotFoundError):
    """``node.call()``: the program to run does not exist (or is not executable)."""


class CommandFailedError(StorageError, subprocess.CalledProcessError):
    """``node.call()``: the program exited with a non-zero status (``returncode``, ``cmd``,
    ``output`` and ``stderr`` as on ``subprocess.CalledProcessError``)."""


class CommandTimeoutError(StorageError, subprocess.TimeoutExpired):
    """``node.call(..., timeout=s)``: the program ran longer and was killed."""


class CommandRefusedError(StorageError, ValueError):
    """``node.call()`` was asked for a shell (``shell=True``): it never starts one."""


#: Why a directory cannot go: listed entries (the caller may delete recursively), or only
#: the hidden temporary file of a write still going on, or killed less than an hour ago.
NOT_EMPTY = "directory not empty (use recursive=True)"
WRITE_IN_PROGRESS = (
    "directory holds the temporary file of a write in progress (or of one killed less "
    "than an hour ago, removed once stale)"
)

_BUILTIN_TO_STORAGE: tuple[tuple[type[OSError], type[StorageError], str], ...] = (
    (FileNotFoundError, StorageNotFoundError, "no such file or directory"),
    (FileExistsError, StorageExistsError, "it already exists"),
    (PermissionError, StoragePermissionError, "permission denied by the backend"),
    (IsADirectoryError, StorageIsADirectoryError, "it is a directory"),
    (NotADirectoryError, StorageNotADirectoryError, "not a directory"),
)


def raise_as_storage_error(exc: BaseException, where: str) -> NoReturn:
    """Re-raise a backend's builtin error as the matching storage error, with ``where``.

    Storage errors pass through unchanged; anything that is not an OSError is not
    the backend's to translate and propagates as it is.
    """
    if isinstance(exc, StorageError) or not isinstance(exc, OSError):
        raise exc
    for builtin, mapped, why in _BUILTIN_TO_STORAGE:
        if isinstance(exc, builtin):
            raise mapped(f"{where}: {_own_reason(exc) or why}") from exc
    if exc.errno == errno.ENOTEMPTY:
        # A directory that lists as empty but holds a write's temporary file says so.
        why = exc.strerror if exc.strerror == WRITE_IN_PROGRESS else NOT_EMPTY
        raise DirectoryNotEmptyError(f"{where}: {why}") from exc
    if exc.errno == errno.ENAMETOOLONG:
        raise StorageNameTooLongError(f"{where}: name too long") from exc
    raise StorageError(f"{where}: {exc.strerror or type(exc).__name__}") from exc


def _own_reason(exc: OSError) -> str | None:
    """The reason a backend wrote itself (``PermissionError(EROFS, "base64 mounts are
    read-only", location)``), kept over the generic one; None for the operating system's
    text of the errno, and for errors built without a numeric errno, whose arguments may
    hold a location (``FileNotFoundError(message, key)``)."""
    if not isinstance(exc.errno, int) or not exc.strerror:
        return None
    return None if exc.strerror == os.strerror(exc.errno) else exc.strerror
