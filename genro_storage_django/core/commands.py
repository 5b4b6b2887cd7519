"""``node.call(...)``: run an external program (ffmpeg, pandoc, convert...) on nodes;
:class:`NodeCommands` is the mixin of ``StorageNode`` that gives it ``call``.

Each :class:`~.node.StorageNode` among the arguments becomes a real local path: the file
itself on a local mount, else a temporary copy downloaded first (when the file exists).
When the program exits with status 0, every temporary copy it created or changed is
uploaded back to its node (atomically, and only if its mount allows writes); copies it left
alone are not uploaded again. When it fails, nothing is uploaded.

Security: the program is started from an argument list, never through a shell
(``shell=True`` is refused), so a file name cannot smuggle shell syntax; node arguments
are absolute paths, so no name can be taken for an option (``-rf``). The program runs with
the server's own privileges and environment, and on a local mount it works on the mount's
real files: run only programs you trust on nodes your code chose.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

from .backends.local_tree import make_dirs
from .errors import (
    CommandFailedError,
    CommandNotFoundError,
    CommandRefusedError,
    CommandTimeoutError,
)
from .modes import CHUNK_SIZE

if TYPE_CHECKING:
    from .node import StorageNode

__all__ = ["NodeCommands", "run_command"]

logger = logging.getLogger(__name__)


class NodeCommands:
    """``call`` of a ``StorageNode``."""

    __slots__ = ()

    def call(
        self,
        *args: object,
        callback: Callable[[], None] | None = None,
        async_mode: bool = False,
        return_output: bool = False,
        **subprocess_kwargs: Any,
    ) -> str | None:
        """Run an external program; node arguments become local paths, changed ones are
        uploaded back (see :func:`run_command`)."""
        return run_command(
            *args,
            callback=callback,
            async_mode=async_mode,
            return_output=return_output,
            **subprocess_kwargs,
        )


def run_command(
    *args: object,
    callback: Callable[[], None] | None = None,
    async_mode: bool = False,
    return_output: bool = False,
    **subprocess_kwargs: Any,
) -> str | None:
    """Run ``args`` (strings, path-likes and nodes) and return its standard output as text
    when ``return_output`` is true.

    ``subprocess_kwargs`` go to :func:`subprocess.run` (``cwd``, ``env``, ``timeout``...).
    ``callback()`` is called once the program succeeded and its outputs are uploaded. With
    ``async_mode`` the program runs in a background thread and None is returned at once; a
    failure there is logged (``genro_storage_django.core.commands``) and skips the callback.

    Raises :class:`CommandNotFoundError`, :class:`CommandFailedError` (non-zero exit) or
    :class:`CommandTimeoutError`: also ``FileNotFoundError``,
    ``subprocess.CalledProcessError`` and ``subprocess.TimeoutExpired``.
    """
    if not args:
        raise CommandRefusedError("call() needs a program to run")
    if subprocess_kwargs.get("shell"):
        raise CommandRefusedError(
            "call() never runs a shell: pass the program and its arguments separately "
            "(call('convert', node, '-resize', '50%', out))"
        )

    def execute() -> str | None:
        output = _run(args, return_output, subprocess_kwargs)
        if callback is not None:
            callback()
        return output

    if not async_mode:
        return execute()

    def background() -> None:
        try:
            execute()
        except Exception:
            logger.exception("call(%s) failed in the background", args[0])

    # In a copy of the caller's context: a tenant mount's files are staged there.
    context = contextvars.copy_context()
    threading.Thread(
        target=context.run, args=(background,), name="genro-storage-call", daemon=True
    ).start()
    return None


def _run(args: Sequence[object], return_output: bool, options: dict[str, Any]) -> str | None:
    with ExitStack() as stack:
        staged: list[_Staged] = []
        command: list[str] = []
        scratch: str | None = None
        for arg in args:
            # A NodeCommands is a StorageNode: the mixin is the class this module can name.
            if not isinstance(arg, NodeCommands):
                command.append(os.fspath(arg) if isinstance(arg, os.PathLike) else str(arg))
                continue
            node = cast("StorageNode", arg)
            direct = node.backend.local_file(node.location)
            # The real file only where the mount lets it be changed: a program given a
            # read-only mount's file could rewrite it. There it works on a copy, as on a
            # cloud mount, whose changes the mount then refuses.
            if direct is not None and node.mount.permissions.can_write:
                # An output in a folder that does not exist yet: the program expects it there.
                make_dirs(os.path.dirname(direct), exist_ok=True)
                command.append(direct)
                continue
            if scratch is None:
                scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="genro-call-"))
            copy = _Staged(node, os.path.join(scratch, str(len(staged))))
            staged.append(copy)
            command.append(copy.local)
        completed = _completed(command, return_output, options)
        for copy in staged:
            copy.upload_if_changed()
    output: bytes | str | None = completed.stdout
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output


def _completed(
    command: list[str], return_output: bool, options: dict[str, Any]
) -> subprocess.CompletedProcess[Any]:
    if return_output:
        options = {"stdout": subprocess.PIPE, **options}
    try:
        completed = subprocess.run(command, check=False, **options)
    except FileNotFoundError as exc:
        raise CommandNotFoundError(f"cannot run {command[0]!r}: command not found") from exc
    except PermissionError as exc:
        raise CommandNotFoundError(f"cannot run {command[0]!r}: not executable") from exc
    except subprocess.TimeoutExpired as exc:
        raise CommandTimeoutError(exc.cmd, exc.timeout, exc.output, exc.stderr) from exc
    if completed.returncode != 0:
        raise CommandFailedError(completed.returncode, command, completed.stdout, completed.stderr)
    return completed


class _Staged:
    """The temporary local copy of a node that has no local file."""

    def __init__(self, node: StorageNode, folder: str) -> None:
        self.node = node
        os.mkdir(folder)
        self.local = os.path.join(folder, node.basename or "content")
        self.before: tuple[int, int] | None = None
        if node.is_file():
            with node.open("rb") as source, open(self.local, "wb") as target:
                shutil.copyfileobj(source, target, CHUNK_SIZE)
            self.before = self._signature()

    def _signature(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.local)
        except FileNotFoundError:
            return None
        return found.st_size, found.st_mtime_ns

    def upload_if_changed(self) -> None:
        after = self._signature()
        if after is None or after == self.before:
            return
        with open(self.local, "rb") as source, self.node.open("wb") as target:
            shutil.copyfileobj(source, target, CHUNK_SIZE)
