"""``StorageManager``: named mounts, each a backend with permissions, and nodes on them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .backends import Backend, BackendRegistry, default_registry, missing_requirement
from .backends.relative import RelativeBackend
from .config import (
    ConfigProblem,
    Permissions,
    check_mount_config,
    load_mount_configs,
    mount_type,
    permissions_of,
)
from .errors import StorageConfigError, StorageNotFoundError
from .node import StorageNode, UrlSigner
from .paths import is_valid_mount_name, join, normalize, split_fullpath

__all__ = ["Mount", "StorageManager", "validate_mounts"]


@dataclass(frozen=True)
class Mount:
    """A configured mount: its backend, effective permissions and full configuration."""

    name: str
    type_name: str
    backend: Backend
    permissions: Permissions
    config: Mapping[str, Any]


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

    def __init__(
        self,
        mounts: Any = None,
        *,
        extra_keys: Iterable[str] = (),
        option_defaults: Mapping[str, Any] | None = None,
    ) -> None:
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
            configs, self._registry, self._extra_keys, known=set(self._mounts)
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
            [full], self._registry, self._extra_keys, known=set(self._mounts)
        )
        if problems:
            raise problems[0].error()
        with self._lock:
            return self._install(full)

    def delete_mount(self, name: str) -> None:
        with self._lock:
            if name not in self._mounts:
                raise StorageNotFoundError(f"no mount named {name!r}")
            children = [m.name for m in self._mounts.values() if _parent_name(m) == name]
            if children:
                raise StorageConfigError(
                    f"mount {name!r} is the parent of relative mount(s) {', '.join(children)}"
                )
            del self._mounts[name]

    def has_mount(self, name: str) -> bool:
        return name in self._mounts

    def get_mount_names(self) -> list[str]:
        return list(self._mounts)

    def get_mount(self, name: str) -> Mount:
        try:
            return self._mounts[name]
        except KeyError:
            raise StorageNotFoundError(f"no mount named {name!r}") from None

    def get_backend(self, name: str) -> Backend:
        return self.get_mount(name).backend

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
        """The config with the option defaults its type accepts and it does not set."""
        backend_class = self._registry.get(mount_type(config))
        if backend_class is None or not self._option_defaults:
            return dict(config)
        accepted = backend_class.optional_keys
        defaults = {k: v for k, v in self._option_defaults.items() if k in accepted}
        return {**defaults, **config}

    def _install(self, config: dict[str, Any]) -> Mount:
        type_name = mount_type(config)
        backend_class = self._registry.get(type_name)
        assert backend_class is not None  # validated before install
        options = MappingProxyType(dict(config))
        backend = backend_class(config["name"], options, self)
        permissions = permissions_of(config, backend_class)
        if isinstance(backend, RelativeBackend):
            permissions = permissions.restrict(self.resolve_permissions(backend.parent_name))
        mount = Mount(config["name"], str(type_name), backend, permissions, options)
        self._mounts[mount.name] = mount
        self._refresh_children(mount.name)
        return mount

    def _refresh_children(self, parent: str) -> None:
        """Relative mounts inherit permissions: recompute them when a parent changes."""
        for child in [m for m in self._mounts.values() if _parent_name(m) == parent]:
            own = permissions_of(child.config, RelativeBackend)
            effective = own.restrict(self._mounts[parent].permissions)
            self._mounts[child.name] = Mount(
                child.name, child.type_name, child.backend, effective, child.config
            )
            self._refresh_children(child.name)

    # -- MountContext (used by relative mounts) ------------------------------------
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
        return StorageNode(self, mount, join(normalize(raw), *parts))

    def resolve(self, target: StorageNode | str) -> StorageNode:
        """A node from a node or a ``"mount:path"`` string."""
        return self.node(target)

    def __repr__(self) -> str:
        return f"StorageManager(mounts={self.get_mount_names()!r})"


def validate_mounts(
    configs: list[dict[str, Any]],
    registry: BackendRegistry = default_registry,
    extra_keys: frozenset[str] = frozenset(),
    known: set[str] | None = None,
) -> list[ConfigProblem]:
    """Every problem in a list of mount configs; ``known`` names mounts that already exist."""
    problems: list[ConfigProblem] = []
    seen: set[str] = set()
    relatives: dict[str, str] = {}
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
        if issubclass(backend_class, RelativeBackend):
            relatives[str(name)] = split_fullpath(config["path"])[0]
    available = seen | (known or set())
    for name, parent in relatives.items():
        if parent not in available:
            problems.append(
                ConfigProblem(
                    "unknown_parent",
                    name,
                    f"mount {name!r}: parent mount {parent!r} does not exist",
                    key="path",
                )
            )
        elif _cycles(name, relatives):
            problems.append(
                ConfigProblem(
                    "unknown_parent",
                    name,
                    f"mount {name!r}: relative mounts form a cycle",
                    key="path",
                )
            )
    return problems


def _cycles(start: str, relatives: dict[str, str]) -> bool:
    current, visited = start, set()
    while current in relatives:
        if current in visited:
            return True
        visited.add(current)
        current = relatives[current]
    return False


def _parents_first(
    configs: list[dict[str, Any]], registry: BackendRegistry
) -> list[dict[str, Any]]:
    """Order configs so that every relative mount comes after its parent."""
    by_name = {config["name"]: config for config in configs}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(config: dict[str, Any]) -> None:
        if config["name"] in placed:
            return
        backend_class = registry.get(mount_type(config))
        if backend_class is not None and issubclass(backend_class, RelativeBackend):
            parent = split_fullpath(config["path"])[0]
            if parent in by_name:
                place(by_name[parent])
        placed.add(config["name"])
        ordered.append(config)

    for config in configs:
        place(config)
    return ordered


def _parent_name(mount: Mount) -> str | None:
    backend = mount.backend
    return backend.parent_name if isinstance(backend, RelativeBackend) else None
