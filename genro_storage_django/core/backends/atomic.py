"""The stream every backend's writer is: content appears at its target on commit only.

Part of the backend API (``genro_storage_django.core.backends.base`` exports it too,
where backend authors import it from).
"""

from __future__ import annotations

import contextlib
import io
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from ..errors import raise_as_storage_error

__all__ = ["AtomicWriter"]


class AtomicWriter(io.RawIOBase):
    """A write-only stream whose content appears at its target only on :meth:`commit`.

    ``close()`` commits; leaving a ``with`` block through an exception calls
    :meth:`abort` instead, so a failed write never replaces the target.
    """

    #: Set by the node: a failed commit's OSError then becomes the storage error that
    #: names ``mount:path`` after this text, rather than carrying the backend's location.
    error_context: str | None = None
    #: Set by the node: told where the content was published when the store places
    #: content by what it is rather than where it was asked (base64 mounts).
    on_relocated: Callable[[str], None] | None = None
    #: That location once published; None when the content went where it was asked.
    relocated_to: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self._finished = False

    def writable(self) -> bool:
        return True

    @abstractmethod
    def write(self, data: Any) -> int: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _abort(self) -> None: ...

    def _published_at(self, location: str) -> None:
        """For a writer whose store chose where the content went: say so."""
        self.relocated_to = location
        if self.on_relocated is not None:
            self.on_relocated(location)

    def commit(self) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            self._commit()
        except BaseException as exc:
            self._abort()
            if self.error_context is not None:
                raise_as_storage_error(exc, self.error_context)
            raise
        finally:
            super().close()

    def abort(self) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            self._abort()
        finally:
            super().close()

    def close(self) -> None:
        self.commit()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def __del__(self) -> None:
        # A writer dropped without close() must not publish half its data. A writer whose
        # __init__ failed half-way has nothing to abort: a finalizer must not raise then.
        if not getattr(self, "_finished", True):
            with contextlib.suppress(Exception):
                self.abort()
