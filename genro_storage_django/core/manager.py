"""``StorageManager``: named mounts, each a backend with permissions, and nodes on them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .backends import Backend, BackendRegistry, default_registry, missing_requirement
from .backends.composite import CompositeBackend
from .capabilities import BackendCapabilities
from .config import (
    ConfigProblem,
    Permissions,
    check_mount_config,
    load_mount_configs,
    mount_type,
    permissions_of,
    with_own_keys,
)
from .datastore import DataStore
from .errors import StorageConfigError, StorageNotFoundError
from .node import StorageNode, UrlSigner
from .paths import is_valid_mount_name, join, normalize, split_fullpath
from .virtual import DiffNode, IterNode, VirtualNode

if TYPE_CHECKING:
    from .backends.composite import RepairReport

__all__ = ["Mount", "StorageManager", "validate_mounts"]


@dataclass(frozen=True)
class Mount:
    """A configured mount: its backend, effective permissions and full configuration."""

    name: str
    type_name: str
    backend: Backend
    permissions: Permissions
    config: Mapping[str, Any]

    @property
    def capabilities(self) -> BackendCapabilities:
        """The backend's capabilities less what :attr:`permissions` forbid."""
        return self.backend.capabilities.restricted(self.permissions)


class _Grammar:
    """``StorageManager.grammar``: the configuration grammar, imported when first asked for."""

    def __get__(self, instance: object, owner: type) -> type:
        from .storage_grammar import StorageGrammar  # the optional ``grammar`` extra

        return StorageGrammar


class StorageManager:
    """A set of named mounts.

    ``extra_keys`` are configuration keys the core accepts on every mount without
    using them (the Django layer keeps its serving options there); they stay
    readable in ``mount.config``.

    ``option_defaults`` are values for options a mount's type accepts, used where a
    mount does not set them (the Django layer fills the local mounts' permission
    modes from ``FILE_UPLOAD_PERMISSIONS`` this way). They are validated as if the
    mount had set them.
    """

    #: The configuration grammar's vocabulary, for a document that mounts it (genro-builders'
    #: ``subbuilder``); needs the ``grammar`` extra.
    grammar = _Grammar()

    def __init__(
        self,
        mounts: Any = None,
        *,
        extra_keys: Iterable[str] = (),
        option_defaults: Mapping[str, Any] | None = None,
        node_class: type[StorageNode] = StorageNode,
    ) -> None:
        #: The class of the nodes ``node()`` makes (a StorageNode subclass of yours); the
        #: nodes they make in turn come from their ``_create_node`` (docs/core.md).
        self.node_class = node_class
        self._registry: BackendRegistry = default_registry.copy()
        self._mounts: dict[str, Mount] = {}
        self._extra_keys = frozenset(extra_keys)
        self._option_defaults = dict(option_defaults or {})
        self._lock = threading.RLock()
        #: Makes ``node.signed_url()``; None (the default) leaves it unavailable.
        self.url_signer: UrlSigner | None = None
        if mounts is not None:
            self.configure(mounts)

    # -- configuration ---------------------------------------------------------
    def configure(self, mounts: Any) -> None:
        """Add (or replace, by name) mounts from a list, a dict or a .json/.yaml path.

        The whole set is validated first: on any error nothing changes.
        """
        configs = [self._with_defaults(config) for config in load_mount_configs(mounts)]
        problems = validate_mounts(
            configs, self._registry, self._extra_keys, known=self._known_parents()
        )
        if problems:
            raise problems[0].error()
        with self._lock:
            for config in _parents_first(configs, self._registry):
                self._install(config)

    def add_mount(self, config: Mapping[str, Any]) -> Mount:
        """Add one mount (replacing a mount of the same name) and return it."""
        full = self._with_defaults(config)
        problems = validate_mounts(
            [full], self._registry, self._extra_keys, known=self._known_parents()
        )
        if problems:
            raise problems[0].error()
        with self._lock:
            return self._install(full)

    def delete_mount(self, name: str) -> None:
        with self._lock:
            if name not in self._mounts:
                raise self._no_mount(name)
            children = [m for m in self._mounts.values() if name in _parents_of(m)]
            if children:
                named = ", ".join(f"{m.type_name} mount {m.name!r}" for m in children)
                raise StorageConfigError(f"mount {name!r} is the parent of {named}")
            del self._mounts[name]

    def has_mount(self, name: str) -> bool:
        return name in self._mounts

    def get_mount_names(self) -> list[str]:
        return list(self._mounts)

    def get_mount(self, name: str) -> Mount:
        try:
            return self._mounts[name]
        except KeyError:
            raise self._no_mount(name) from None

    def _no_mount(self, name: str) -> StorageNotFoundError:
        known = ", ".join(repr(known) for known in self._mounts) or "none"
        return StorageNotFoundError(f"Mount point {name!r} not found (mounts: {known})")

    def is_current(self, mount: Mount) -> bool:
        """Whether ``mount`` is still the configuration of its name (not replaced or removed)."""
        return self._mounts.get(mount.name) is mount

    def get_backend(self, name: str) -> Backend:
        return self.get_mount(name).backend

    def repair(self, name: str, *, verify: bool = False, dry_run: bool = False) -> RepairReport:
        """Give the mounts under ``name`` the changes some of them missed (a mirror's repair
        journal, see docs/core.md)."""
        backend = self.get_backend(name)
        if not isinstance(backend, CompositeBackend):
            raise StorageConfigError(
                f"mount {name!r} is a {self.get_mount(name).type_name} mount: "
                "it keeps no repair journal"
            )
        return backend.repair(verify=verify, dry_run=dry_run)

    def register_backend_type(self, type_name: str, backend_class: type[Backend]) -> None:
        """Make a backend class available to this manager's mounts as ``type_name``."""
        self._registry.register(type_name, backend_class)

    @property
    def backend_types(self) -> list[str]:
        return self._registry.names()

    def check(self, mounts: Any) -> list[ConfigProblem]:
        """Every problem of a configuration, without applying it (for system checks)."""
        try:
            configs = load_mount_configs(mounts)
        except StorageConfigError as exc:
            return [ConfigProblem("invalid_value", "?", str(exc))]
        configs = [self._with_defaults(config) for config in configs]
        return validate_mounts(configs, self._registry, self._extra_keys)

    def _with_defaults(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The config with its keys under their own names (``base_path`` is ``path``) and
        the option defaults its type accepts and it does not set."""
        backend_class = self._registry.get(mount_type(config))
        own = with_own_keys(config, backend_class)
        if backend_class is None or not self._option_defaults:
            return own
        accepted = backend_class.optional_keys
        defaults = {k: v for k, v in self._option_defaults.items() if k in accepted}
        return {**defaults, **own}

    def _install(self, config: dict[str, Any]) -> Mount:
        type_name = mount_type(config)
        backend_class = self._registry.get(type_name)
        assert backend_class is not None  # validated before install
        options = MappingProxyType(dict(config))
        backend = backend_class.implementation(options)(config["name"], options, self)
        permissions = self._effective_permissions(backend, config)
        mount = Mount(config["name"], str(type_name), backend, permissions, options)
        self._mounts[mount.name] = mount
        self._refresh_children(mount.name)
        return mount

    def _effective_permissions(self, backend: Backend, config: Mapping[str, Any]) -> Permissions:
        own = permissions_of(config, type(backend))
        if not isinstance(backend, CompositeBackend):
            return own
        parents = {name: self.resolve_permissions(name) for name in backend.parent_mounts}
        return backend.combine_permissions(own, parents)

    def _refresh_children(self, parent: str) -> None:
        """Composite mounts inherit permissions: recompute them when a parent changes."""
        for child in [m for m in self._mounts.values() if parent in _parents_of(m)]:
            effective = self._effective_permissions(child.backend, child.config)
            self._mounts[child.name] = Mount(
                child.name, child.type_name, child.backend, effective, child.config
            )
            self._refresh_children(child.name)

    def _known_parents(self) -> dict[str, tuple[str, ...]]:
        return {name: _parents_of(mount) for name, mount in self._mounts.items()}

    # -- MountContext (used by composite mounts) -----------------------------------
    def resolve_backend(self, name: str) -> Backend:
        return self.get_mount(name).backend

    def resolve_permissions(self, name: str) -> Permissions:
        return self.get_mount(name).permissions

    # -- nodes -------------------------------------------------------------------
    def node(self, path: str | StorageNode, *parts: str | os.PathLike[str]) -> StorageNode:
        """``node("uploads:reports/q3.pdf")``, ``node("uploads", "reports", "q3.pdf")``."""
        if isinstance(path, StorageNode):
            return path.child(*parts) if parts else path
        if ":" not in path and is_valid_mount_name(path):
            name, raw = path, ""
        else:
            name, raw = split_fullpath(path)
        mount = self.get_mount(name)
        return self.node_class(
            self, mount, join(normalize(mount.backend.prepare_path(raw)), *parts)
        )

    def resolve(self, target: StorageNode | str) -> StorageNode:
        """A node from a node or a ``"mount:path"`` string."""
        return self.node(target)

    def iternode(self, *nodes: StorageNode | VirtualNode | str) -> IterNode:
        """A virtual node reading as ``nodes`` concatenated, read when it is (docs/core.md)."""
        return IterNode(
            self, [node if isinstance(node, VirtualNode) else self.resolve(node) for node in nodes]
        )

    def diffnode(self, old: StorageNode | str, new: StorageNode | str) -> DiffNode:
        """A virtual node reading as the unified diff from ``old`` to ``new``."""
        return DiffNode(self, self.resolve(old), self.resolve(new))

    def datastore(self, path: str | StorageNode, *, allow_pickle: bool = False) -> DataStore:
        """A :class:`~.datastore.DataStore` of the values kept below ``path``
        (``"mount:prefix"``); ``allow_pickle`` only for files from trusted writers."""
        return DataStore(self.node(path), allow_pickle=allow_pickle)

    def __repr__(self) -> str:
        return f"StorageManager(mounts={self.get_mount_names()!r})"


def validate_mounts(
    configs: list[dict[str, Any]],
    registry: BackendRegistry = default_registry,
    extra_keys: frozenset[str] = frozenset(),
    known: Mapping[str, Sequence[str]] | Iterable[str] | None = None,
) -> list[ConfigProblem]:
    """Every problem in a list of mount configs.

    ``known`` names the mounts that already exist; as a mapping it also gives each one's
    parent mounts, so that a new mount cannot close a cycle through existing ones.
    """
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    graph: dict[str, tuple[str, ...]] = {}
    composites: dict[str, type[CompositeBackend]] = {}
    for config in configs:
        name = config.get("name")
        backend_class = registry.get(mount_type(config))
        found = check_mount_config(config, backend_class, extra_keys)
        problems.extend(found)
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    ConfigProblem(
                        "duplicate_name", name, f"mount {name!r} is defined twice", key="name"
                    )
                )
            seen.add(name)
        if backend_class is None or found:
            continue
        missing = missing_requirement(backend_class)
        if missing is not None:
            problems.append(
                ConfigProblem(
                    "missing_extra",
                    str(name),
                    f"mount {name!r}: {missing}",
                    key="type",
                    hint=f"pip install 'genro-storage-django[{missing.extra}]'",
                )
            )
        if issubclass(backend_class, CompositeBackend):
            composites[str(name)] = backend_class
            graph[str(name)] = backend_class.parent_names(config)
    existing = dict(known) if isinstance(known, Mapping) else dict.fromkeys(known or (), ())
    available = seen | set(existing)
    # The new configs replace existing mounts of the same name, parents included.
    links = {**{k: tuple(v) for k, v in existing.items() if k not in seen}, **graph}
    for name, backend_class in composites.items():
        absent = [parent for parent in graph[name] if parent not in available]
        cycle = None if absent else _cycle(name, links)
        if absent or cycle:
            message = (
                f"Parent mount {absent[0]!r} not found for mount {name!r}"
                if absent
                else f"mount {name!r}: mounts built on other mounts form a cycle: "
                + " -> ".join(cycle or ())
            )
            problems.append(
                ConfigProblem(
                    "unknown_parent",
                    name,
                    message,
                    key=backend_class.parent_key,
                )
            )
    return problems


def _cycle(start: str, links: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A path of parent links from ``start`` back to itself, if there is one."""
    path, on_path, done = [start], {start}, set()

    def visit(name: str) -> list[str] | None:
        for parent in links.get(name, ()):
            if parent == start:
                return [*path, start]
            if parent in on_path or parent in done:
                continue  # a loop not through ``start`` is reported for its own mounts
            path.append(parent)
            on_path.add(parent)
            found = visit(parent)
            if found:
                return found
            path.pop()
            on_path.discard(parent)
            done.add(parent)
        return None

    return visit(start)


def _parents_first(
    configs: list[dict[str, Any]], registry: BackendRegistry
) -> list[dict[str, Any]]:
    """Order configs so that every composite mount comes after its parents."""
    by_name = {config["name"]: config for config in configs}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(config: dict[str, Any]) -> None:
        if config["name"] in placed:
            return
        placed.add(config["name"])  # validated acyclic: marking first only saves work
        backend_class = registry.get(mount_type(config))
        if backend_class is not None and issubclass(backend_class, CompositeBackend):
            for parent in backend_class.parent_names(config):
                if parent in by_name:
                    place(by_name[parent])
        ordered.append(config)

    for config in configs:
        place(config)
    return ordered


def _parents_of(mount: Mount) -> tuple[str, ...]:
    backend = mount.backend
    return backend.parent_mounts if isinstance(backend, CompositeBackend) else ()
