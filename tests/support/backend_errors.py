"""The errors a backend with a file ``d/f.txt`` raises where a file and a directory are
confused, checked on the backend itself (the node checks some of them first)."""

from __future__ import annotations

import pytest

from genro_storage_django.core import Backend

__all__ = ["check_file_and_directory_errors"]


def check_file_and_directory_errors(backend: Backend) -> None:
    """``backend`` holds the file ``d/f.txt`` (so the directory ``d``)."""
    with pytest.raises(IsADirectoryError):
        backend.open_read(backend.locate("d"))
    with pytest.raises(IsADirectoryError):
        backend.open_writer(backend.locate("d"))
    with pytest.raises(NotADirectoryError):
        backend.open_writer(backend.locate("d/f.txt/under"))
