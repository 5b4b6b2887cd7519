"""The base of mounts built on other mounts (``relative`` today; mirror, cache, archive).

A composite mount names its parent mounts in its configuration. The manager reads
them through :meth:`CompositeBackend.parent_names` before building anything, so it
can install parents first, refuse a missing parent or a cycle, give the mount no
more permission than its parents allow (:meth:`CompositeBackend.combine_permissions`)
and recompute that when a parent is replaced. The transfer engine looks through a
composite with :meth:`Backend.resolve_location` to find the backend that really
holds a file, so a copy between two mounts on one store stays server-side.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import StorageConfigError
from .base import Backend, PhysicalLocation

if TYPE_CHECKING:
    from ..config import MountContext, Permissions

__all__ = ["CompositeBackend", "RepairAction", "RepairReport"]


@dataclass
class RepairAction:
    """One copy to, or delete on, one parent mount, made (or planned) by a repair."""

    op: str  # "copy" or "delete"
    path: str
    target: str
    source: str | None = None
    error: str | None = None


@dataclass
class RepairReport:
    """What :meth:`CompositeBackend.repair` did (or, on a dry run, would do)."""

    mount: str
    dry_run: bool
    verify: bool
    actions: list[RepairAction] = field(default_factory=list)
    #: Records of missed changes replayed (and removed, unless a dry run).
    replayed: int = 0

    @property
    def failed(self) -> list[RepairAction]:
        return [action for action in self.actions if action.error is not None]

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


class CompositeBackend(Backend):
    """A mount whose files live on other mounts, named in its configuration.

    A subclass declares where its configuration names the parents
    (:attr:`parent_key`, :meth:`parent_names`) and, when one parent holds a
    location, which one (:meth:`~Backend.resolve_location`). The parents are looked
    up by name on each use (:meth:`parent_backend`), so a parent replaced in the manager is
    seen at once.
    """

    #: The configuration key that names the parents (errors about them point there).
    parent_key: ClassVar[str] = "parents"

    def __init__(self, mount_name: str, options: Mapping[str, Any], context: MountContext):
        super().__init__(mount_name, options, context)
        #: The parent mounts' names, in the order the configuration gives them.
        self.parent_mounts = self.parent_names(options)

    @classmethod
    @abstractmethod
    def parent_names(cls, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The mounts a (validated) configuration builds on."""

    @classmethod
    def combine_permissions(
        cls, own: Permissions, parents: Mapping[str, Permissions]
    ) -> Permissions:
        """The mount's effective permissions from its own and its parents'.

        By default a mount allows no more than its strictest parent: what it writes or
        deletes lands there. A mount that never writes to its parents (a read cache
        over a read-only origin, say) may return ``own``.
        """
        for permissions in parents.values():
            own = own.restrict(permissions)
        return own

    def parent_backend(self, name: str) -> Backend:
        """The backend of the parent mount ``name``, as the manager holds it now."""
        return self.context.resolve_backend(name)

    def physical_location(self, location: str) -> PhysicalLocation:
        # Where the holding parent keeps the file: overlaps are seen through the mount.
        holder, inner = self.resolve_location(location)
        if holder is self:
            return super().physical_location(location)
        return holder.physical_location(inner)

    def repair(self, *, verify: bool = False, dry_run: bool = False) -> RepairReport:
        """Give the parents the changes some of them missed (a ``mirror`` replays its
        journal; ``verify`` also compares them). A mount that records none refuses."""
        raise StorageConfigError(
            f"mount {self.mount_name!r} is a {self.type_name} mount: it keeps no repair journal"
        )
