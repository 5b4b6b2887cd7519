"""Mount configuration: reading it from lists, dicts or files, and validating it.

Validation reports :class:`ConfigProblem` records with a stable ``code``, so the
Django system checks can give each kind of mistake its own check ID, while
:class:`~genro_storage_django.core.StorageManager` raises the first one as a
:class:`StorageConfigError`.
"""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import StorageConfigError
from .paths import is_valid_mount_name

if TYPE_CHECKING:
    from .backends.base import Backend

__all__ = [
    "COMMON_KEYS",
    "ConfigProblem",
    "MountContext",
    "Permissions",
    "invalid",
    "load_mount_configs",
    "mount_type",
    "with_own_keys",
]

#: Keys every mount accepts whatever its type.
COMMON_KEYS = frozenset({"name", "type", "permissions"})


class Permissions(enum.Enum):
    """What a mount allows: each level includes the ones before it."""

    READONLY = "readonly"
    READWRITE = "readwrite"
    DELETE = "delete"

    @property
    def can_write(self) -> bool:
        return self is not Permissions.READONLY

    @property
    def can_delete(self) -> bool:
        return self is Permissions.DELETE

    def restrict(self, other: Permissions) -> Permissions:
        """The stricter of the two levels."""
        order = list(Permissions)
        return order[min(order.index(self), order.index(other))]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a mount configuration."""

    code: str  # unknown_type, unknown_key, missing_key, invalid_value, duplicate_name,
    #            unknown_parent, missing_extra, not_absolute, nul_in_path, archive_path
    mount: str
    message: str
    key: str | None = None
    hint: str | None = None

    def error(self) -> StorageConfigError:
        error = StorageConfigError(self.message)
        error.problem = self  # type: ignore[attr-defined]
        return error


class MountContext(Protocol):
    """What a backend may ask the manager about other mounts (composite mounts do)."""

    def resolve_backend(self, name: str) -> Backend: ...

    def resolve_permissions(self, name: str) -> Permissions: ...


def load_mount_configs(source: Any) -> list[dict[str, Any]]:
    """Turn any accepted configuration form into a list of mount dicts with ``name``.

    Accepted: a list of dicts with ``name``; a dict ``{name: config}``; a path to a
    ``.json`` or ``.yaml``/``.yml`` file holding either form (or ``{"mounts": ...}``);
    a :class:`~.storage_grammar.StorageConfig` (subclass or built instance).
    """
    # Only a program that imported the grammar (an optional extra) can pass one of its
    # configurations: no import here, so a project without the extra never pays for it.
    grammar = sys.modules.get(__package__ + ".storage_grammar")
    if grammar is not None and grammar.is_storage_config(source):
        source = grammar.mount_configs(source)
    if isinstance(source, (str, os.PathLike)):
        source = _read_config_file(Path(source))
    if isinstance(source, Mapping):
        if set(source) == {"mounts"}:
            return load_mount_configs(source["mounts"])
        configs = []
        for name, config in source.items():
            if not isinstance(config, Mapping):
                raise StorageConfigError(f"mount {name!r}: its configuration must be a dict")
            if "name" in config and config["name"] != name:
                raise StorageConfigError(f"mount {name!r}: its 'name' key says {config['name']!r}")
            configs.append({**config, "name": name})
        return configs
    if isinstance(source, Iterable):
        configs = []
        for index, config in enumerate(source):
            if not isinstance(config, Mapping):
                raise StorageConfigError(f"mount #{index}: its configuration must be a dict")
            configs.append(dict(config))
        return configs
    raise StorageConfigError(
        f"mounts must be a list of dicts, a dict of name -> config or a file path, "
        f"not {type(source).__name__}"
    )


def _read_config_file(path: Path) -> Any:
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StorageConfigError(f"cannot read mount configuration {path}: {exc}") from exc
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise StorageConfigError(f"invalid JSON in {path}: {exc}") from exc
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise StorageConfigError(
                f"reading {path} needs PyYAML: pip install 'genro-storage-django[yaml]'"
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StorageConfigError(f"invalid YAML in {path}: {exc}") from exc
    raise StorageConfigError(f"{path}: mount files must end in .json, .yaml or .yml")


def mount_type(config: Mapping[str, Any]) -> str | None:
    """The mount's type, with ``protocol`` standing in when ``type`` is absent.

    A mount with neither whose ``path`` (or ``base_path``) reads ``parent:sub`` is a
    ``relative`` mount: genro-storage's shorthand for one.
    """
    value = config.get("type", config.get("protocol"))
    if value is None and "type" not in config and "protocol" not in config:
        path = config.get("path", config.get("base_path"))
        if isinstance(path, str) and ":" in path:
            return "relative"
    return value if isinstance(value, str) else None


def with_own_keys(config: Mapping[str, Any], backend_class: type[Backend] | None) -> dict[str, Any]:
    """The config with the other spellings of keys its type accepts under their own names.

    Both spellings given: the config is left as it is, for :func:`check_mount_config`
    to refuse.
    """
    own = dict(config)
    for alias, key in (backend_class.key_aliases if backend_class else {}).items():
        if alias in own and key not in own:
            own[key] = own.pop(alias)
    return own


def check_mount_config(
    config: Mapping[str, Any],
    backend_class: type[Backend] | None,
    extra_keys: frozenset[str],
) -> list[ConfigProblem]:
    """Every problem of one mount config, given the class its type resolved to."""
    name = config.get("name")
    label = name if isinstance(name, str) else "?"
    problems: list[ConfigProblem] = []
    if "name" not in config:
        problems.append(
            ConfigProblem(
                "missing_key",
                label,
                "mount configuration missing required field: 'name'",
                key="name",
            )
        )
    elif not is_valid_mount_name(name):
        problems.append(
            ConfigProblem(
                "invalid_value",
                label,
                f"mount name {name!r} must be a str of letters, digits, '_' or '-'",
                key="name",
            )
        )
    type_name = mount_type(config)
    if backend_class is None:
        problems.append(
            ConfigProblem(
                "unknown_type",
                label,
                f"Unknown storage type {type_name!r} for mount {label!r}"
                if type_name is not None
                else f"mount {label!r}: missing required field: 'protocol' (or 'type')",
                key="type",
            )
        )
        return problems
    aliases = backend_class.key_aliases
    allowed = COMMON_KEYS | backend_class.required_keys | backend_class.optional_keys | extra_keys
    allowed = allowed | set(aliases)
    for alias, key in sorted(aliases.items()):
        if alias in config and key in config:
            problems.append(
                ConfigProblem(
                    "invalid_value",
                    label,
                    f"mount {label!r}: {alias!r} is another name of {key!r}: give one of them",
                    key=alias,
                )
            )
    if "type" not in config:
        allowed = allowed | {"protocol"}
    for key in sorted(set(config) - allowed):
        problems.append(
            ConfigProblem(
                "unknown_key",
                label,
                f"mount {label!r}: unknown key {key!r} for type {type_name!r}",
                key=key,
                hint="accepted keys: " + ", ".join(sorted(allowed - {"name"})),
            )
        )
    for key in sorted(backend_class.required_keys - set(config)):
        spellings = sorted([key, *(alias for alias, own in aliases.items() if own == key)])
        problems.append(
            ConfigProblem(
                "missing_key",
                label,
                f"mount {label!r}: missing required field: "
                + " or ".join(repr(spelling) for spelling in spellings)
                + f" for type {type_name!r}",
                key=key,
            )
        )
    permissions = config.get("permissions", Permissions.DELETE.value)
    # A list or dict is unhashable: test the type before the set membership.
    if not isinstance(permissions, str) or permissions not in {p.value for p in Permissions}:
        problems.append(
            ConfigProblem(
                "invalid_value",
                label,
                f"Invalid permissions {permissions!r} for mount {label!r}: "
                "permissions must be one of readonly, readwrite, delete",
                key="permissions",
            )
        )
    elif (
        backend_class.declared_capabilities.readonly
        and permissions != Permissions.READONLY.value
        and ("permissions" in config)
    ):
        problems.append(
            ConfigProblem(
                "invalid_value",
                label,
                f"mount {label!r}: type {type_name!r} is read-only; "
                f"permissions {permissions!r} cannot be granted",
                key="permissions",
            )
        )
    if not any(p.code in ("unknown_key", "missing_key") for p in problems):
        try:
            backend_class.validate_options(config)
        except StorageConfigError as exc:
            problem = getattr(exc, "problem", None)
            problems.append(
                problem
                if isinstance(problem, ConfigProblem)
                else ConfigProblem("invalid_value", label, f"mount {label!r}: {exc}")
            )
    return problems


def invalid(mount: str, key: str, message: str, code: str = "invalid_value") -> StorageConfigError:
    """The error a backend's ``validate_options`` raises for one bad value."""
    return ConfigProblem(code, mount, f"mount {mount!r}: {message}", key=key).error()


def refuse_nul_path(options: Mapping[str, Any]) -> None:
    """A NUL byte in a mount's ``path``: the OS would refuse it only once the mount is used."""
    path = options.get("path")
    if isinstance(path, (str, os.PathLike)) and "\0" in os.fsdecode(path):
        raise invalid(
            options["name"], "path", f"path holds a NUL byte ({path!r})", code="nul_in_path"
        )


def permissions_of(config: Mapping[str, Any], backend_class: type[Backend]) -> Permissions:
    if backend_class.declared_capabilities.readonly:
        return Permissions.READONLY
    return Permissions(config.get("permissions", Permissions.DELETE.value))
