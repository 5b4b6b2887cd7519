"""genro-storage's configuration grammar: mounts declared as typed method calls.

Needs the ``grammar`` extra (``pip install 'genro-storage-django[grammar]'``: genro-builders
on genro-bag, Python 3.11+). A configuration is a :class:`StorageConfig` subclass whose
``main(root)`` fills the ``mounts`` collection, one element per mount type, named by
``name``::

    class Mounts(StorageConfig):
        def main(self, root):
            m = root.mounts()
            m.local(name="home", base_path="/srv/data")
            m.relative(name="public", path="home:public", permissions="readonly")

    manager.configure(Mounts)          # or an instance whose create() has run

Each element's signature is its validation (genro-builders checks it while the recipe
builds): a parameter without a default is required, ``permissions`` takes one of the
three levels only, two mounts of one name clash. A value that comes from outside the
recipe (an environment variable, a secret) may be a genro-bag ``BagResolver``, read once
when the manager is configured. :func:`mount_configs` turns a built configuration into the
mount dicts :meth:`StorageManager.configure` reads, with this project's key names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

try:
    from genro_bag import BagResolver
    from genro_builders.builder import BuilderBase, element
except ImportError as exc:  # pragma: no cover - the dev environment has the extra
    raise ImportError(
        "the configuration grammar needs genro-builders: "
        "pip install 'genro-storage-django[grammar]' (Python 3.11+)"
    ) from exc

from .errors import StorageConfigError

__all__ = ["StorageConfig", "StorageGrammar", "is_storage_config", "mount_configs"]

Permissions = Literal["readonly", "readwrite", "delete"]

#: The element tags allowed inside ``mounts``.
MOUNT_TAGS = "local,memory,base64,relative,s3,gcs,azure,http,fsspec,smb,sftp"

#: genro-storage's field names that this project spells otherwise, per mount type.
_RENAMED: dict[str, dict[str, str]] = {
    "s3": {"access_key": "key", "secret_key": "secret"},
    "http": {"base_path": "base_url"},
}
#: Types reached through the ``fsspec`` mount type: their fields are the filesystem's.
_THROUGH_FSSPEC = frozenset({"smb", "sftp"})


class StorageGrammar:
    """The vocabulary alone, to mount in another document (``StorageManager.grammar``).

    No element names its parents: only ``mounts`` says what may be inside it, so the
    same elements build alone (:class:`StorageConfig`) or under a host's envelope.
    """

    @element(sub_tags=MOUNT_TAGS, collection_key="name", node_label="mounts")
    def mounts(self) -> None:
        """The mounts, each labelled by its ``name``."""

    @element()
    def local(
        self,
        *,
        name: str,
        base_path: str | Callable[..., Any] | BagResolver,
        base_url: str | None = None,
        fsync: bool | None = None,
        within: str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """A directory of this machine; ``base_path`` may be a callable (asked on each use)."""

    @element()
    def memory(
        self,
        *,
        name: str,
        base_path: str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """A store in this process, private to the mount."""

    @element()
    def base64(self, *, name: str, permissions: Permissions | None = None) -> None:
        """Paths that are their own content, base64-encoded."""

    @element()
    def relative(self, *, name: str, path: str, permissions: Permissions | None = None) -> None:
        """A directory of a mount declared in the same configuration (``parent:sub``)."""

    @element()
    def s3(
        self,
        *,
        name: str,
        bucket: str,
        base_path: str | BagResolver | None = None,
        region: str | None = None,
        anon: bool | str | BagResolver | None = None,
        access_key: str | BagResolver | None = None,
        secret_key: str | BagResolver | None = None,
        endpoint_url: str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """An S3 bucket (any S3-compatible server through ``endpoint_url``)."""

    @element()
    def gcs(
        self,
        *,
        name: str,
        bucket: str,
        base_path: str | BagResolver | None = None,
        token: str | BagResolver | None = None,
        project: str | None = None,
        endpoint_url: str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """A Google Cloud Storage bucket."""

    @element()
    def azure(
        self,
        *,
        name: str,
        container: str,
        account_name: str,
        account_key: str | BagResolver | None = None,
        sas_token: str | BagResolver | None = None,
        connection_string: str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """An Azure Blob Storage container."""

    @element()
    def http(
        self, *, name: str, base_path: str | BagResolver, permissions: Permissions | None = None
    ) -> None:
        """Files read over HTTP(S) below ``base_path``, a URL."""

    @element()
    def fsspec(
        self,
        *,
        name: str,
        protocol: str,
        path: str | BagResolver | None = None,
        options: dict[str, Any] | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """Any fsspec filesystem, with its own ``options``."""

    @element()
    def smb(
        self,
        *,
        name: str,
        host: str | BagResolver,
        share: str,
        base_path: str | BagResolver | None = None,
        username: str | BagResolver | None = None,
        password: str | BagResolver | None = None,
        port: int | str | BagResolver | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """An SMB share on ``host`` (an ``fsspec`` mount of protocol ``smb``)."""

    @element()
    def sftp(
        self,
        *,
        name: str,
        host: str | BagResolver,
        username: str | BagResolver,
        base_path: str | BagResolver | None = None,
        password: str | BagResolver | None = None,
        port: int | str | BagResolver | None = None,
        key_filename: str | None = None,
        permissions: Permissions | None = None,
    ) -> None:
        """A directory on an SSH server (an ``fsspec`` mount of protocol ``sftp``)."""


class StorageConfig(BuilderBase, StorageGrammar):
    """A configuration: subclass it and declare the mounts in ``main(root)``."""

    _name = "storage_config"


def is_storage_config(source: Any) -> bool:
    """Whether ``source`` is a :class:`StorageConfig` subclass or instance."""
    if isinstance(source, type):
        return issubclass(source, StorageConfig)
    return isinstance(source, StorageConfig)


def mount_configs(source: StorageConfig | type[StorageConfig]) -> list[dict[str, Any]]:
    """The mount dicts of a configuration, in the order it declares them.

    A subclass is built here; an instance must have been built (its ``create()`` run),
    or nothing tells an empty configuration from a forgotten call. Resolvers are read
    now, once each.
    """
    if isinstance(source, type):
        config = source()
        config.create()
    else:
        config = source
    if not len(config.source):
        raise StorageConfigError(
            f"{type(config).__name__} has not been built: pass the class, or an instance "
            "after its create()"
        )
    collection = config.source.get_node("mounts")
    if collection is None:
        return []
    # An empty collection holds None, not an empty bag.
    return [
        _mount(node.node_tag, config.runtime_values(node)[1]) for node in collection.value or ()
    ]


def _mount(tag: str, fields: dict[str, Any]) -> dict[str, Any]:
    renamed = _RENAMED.get(tag, {})
    fields = {renamed.get(key, key): value for key, value in fields.items()}
    if tag not in _THROUGH_FSSPEC:
        return {"type": tag, **fields}
    mount: dict[str, Any] = {"type": "fsspec", "protocol": tag}
    mount.update((key, fields.pop(key)) for key in ("name", "permissions") if key in fields)
    parts = (fields.pop("share", ""), fields.pop("base_path", ""))
    mount["path"] = "/".join(str(part).strip("/") for part in parts if part)
    mount["options"] = fields
    return mount
