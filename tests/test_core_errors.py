"""How a backend's builtin error becomes a storage error (core/errors.py): which reason the
message gives, and that it never carries the backend's location."""

from __future__ import annotations

import errno
import os

import pytest

from genro_storage_django.core import (
    StorageError,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage_django.core.errors import raise_as_storage_error


def message_of(exc: OSError) -> str:
    with pytest.raises(StorageError) as caught:
        raise_as_storage_error(exc, "cannot read m:a.txt")
    assert caught.value.__cause__ is exc
    return str(caught.value)


def test_a_reason_the_backend_wrote_is_kept() -> None:
    refused = PermissionError(errno.EROFS, "Base64 mounts are read-only", "/srv/bucket/a.txt")
    assert message_of(refused) == "cannot read m:a.txt: Base64 mounts are read-only"


def test_the_operating_systems_text_gives_the_generic_reason() -> None:
    denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/srv/root/a.txt")
    assert message_of(denied) == "cannot read m:a.txt: permission denied by the backend"


def test_an_error_without_a_numeric_errno_never_shows_its_arguments() -> None:
    # s3fs's form: FileNotFoundError(message, key), where Python reads the key as strerror.
    missing = FileNotFoundError("The specified key does not exist.", "bucket/prefix/a.txt")
    text = message_of(missing)
    assert text == "cannot read m:a.txt: no such file or directory"
    with pytest.raises(StorageNotFoundError):
        raise_as_storage_error(FileNotFoundError("bucket/prefix/a.txt"), "cannot read m:a.txt")


def test_storage_errors_and_other_exceptions_pass_unchanged() -> None:
    already = StoragePermissionError("cannot write m:a.txt: mount 'm' is readonly")
    with pytest.raises(StoragePermissionError) as caught:
        raise_as_storage_error(already, "ignored")
    assert caught.value is already
    with pytest.raises(KeyError):
        raise_as_storage_error(KeyError("a"), "ignored")
