"""The transfers of a :class:`~genro_storage_django.core.StorageNode`: ``copy_to`` and
``move_to``, returning nodes as genro-storage does.

A mixin of ``StorageNode`` that uses the node's public interface, and ``_retarget``
(which ``StorageNode`` provides) to make a moved node name its destination. The figures
of a transfer come from the functions of :mod:`.transfer`, which return a
:class:`~.reports.TransferReport`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .transfer import CopyOptions, copy, move

if TYPE_CHECKING:
    from .manager import StorageManager
    from .node import StorageNode

__all__ = ["NodeTransfers"]


class NodeTransfers:
    """Copies and moves of the file or tree at a node's path."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by StorageNode

        @property
        def manager(self) -> StorageManager: ...
        def _retarget(self, destination: StorageNode) -> None: ...

    def copy_to(
        self, dest: StorageNode | str, options: CopyOptions | None = None, **fields: Any
    ) -> StorageNode:
        """Copy this file or directory tree to ``dest`` and return the destination node.

        ``options`` and keyword ``fields`` are :class:`~.transfer.CopyOptions`. A tree some
        files of which failed raises :class:`~.errors.TransferError` once the others are
        copied, its ``report`` saying what happened to each; :func:`transfer.copy
        <genro_storage_django.core.transfer.copy>` returns that report instead.
        """
        destination = self.manager.resolve(dest)
        copy(cast("StorageNode", self), destination, options, **fields).raise_for_errors()
        return destination

    def move_to(self, dest: StorageNode | str, **options: Any) -> StorageNode:
        """Move (copy, verify, then delete the source: see :func:`transfer.move`) and
        retarget this node: it names the destination from now on, and is returned.

        Its hash changes with its name: take a node out of a set or a dict key before
        moving it. Failures raise as for :meth:`copy_to`; the node then keeps its name.
        """
        destination = self.manager.resolve(dest)
        move(cast("StorageNode", self), destination, **options).raise_for_errors()
        self._retarget(destination)
        return cast("StorageNode", self)
