"""``BackendCapabilities``: the value, what each mount type declares, and what a mount's
permissions take off. The conformance suite (``test_core_conformance.py``) checks on every
writable kind that the flags are true; here the read-only kinds and the flags that depend on
a mount's configuration (URLs, credentials)."""

from __future__ import annotations

import dataclasses
import urllib.request
from pathlib import Path

import pytest

from genro_storage_django.core import (
    BackendCapabilities,
    Permissions,
    StorageError,
    StorageManager,
    StoragePermissionError,
)
from genro_storage_django.core.backends import default_registry
from genro_storage_django.core.backends.memory import MemoryBackend
from tests.support.cloud import cloud_config, server_of
from tests.support.servers import HTTPFileServer
from tests.support.upload_signatures import service_account_file

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# -- the value ---------------------------------------------------------------------------


def test_defaults_describe_a_plain_writable_filesystem() -> None:
    caps = BackendCapabilities()
    assert caps.read and caps.write and caps.delete and caps.mkdir and caps.list_dir
    assert caps.atomic_operations and caps.append_mode and caps.seek_support and caps.directories
    off = ("versioning", "metadata", "presigned_urls", "public_urls", "readonly", "temporary")
    assert not any(getattr(caps, flag) for flag in off)
    assert str(caps) == "basic file operations"


def test_a_value_compares_hashes_and_cannot_change() -> None:
    one = BackendCapabilities(metadata=True)
    assert one == BackendCapabilities(metadata=True)
    assert one != BackendCapabilities()
    assert one != "metadata"
    assert len({one, BackendCapabilities(metadata=True), BackendCapabilities()}) == 2
    assert {one: "meta"}[BackendCapabilities(metadata=True)] == "meta"
    assert "BackendCapabilities(" in repr(one)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.write = False  # type: ignore[misc]


def test_str_names_the_notable_flags_in_order() -> None:
    caps = BackendCapabilities(
        versioning=True,
        metadata=True,
        presigned_urls=True,
        copy_optimization=True,
        hash_on_metadata=True,
        symbolic_links=True,
        readonly=True,
        temporary=True,
    )
    assert str(caps) == (
        "versioning, metadata, presigned URLs, server-side copy, fast hashing, "
        "symbolic links, read-only, temporary storage"
    )


def test_read_only_turns_every_writing_flag_off() -> None:
    caps = BackendCapabilities.read_only(public_urls=True)
    assert caps.readonly and caps.read and caps.public_urls
    assert not (caps.write or caps.delete or caps.mkdir or caps.append_mode)
    assert not (caps.keeps_mtime or caps.presigned_uploads or caps.copy_optimization)


def test_permissions_restrict_the_capabilities() -> None:
    full = BackendCapabilities(presigned_urls=True, presigned_uploads=True, keeps_mtime=True)
    assert full.restricted(Permissions.DELETE) is full
    readwrite = full.restricted(Permissions.READWRITE)
    assert readwrite == dataclasses.replace(full, delete=False)
    readonly = full.restricted(Permissions.READONLY)
    assert readonly.readonly and readonly.presigned_urls
    assert not (readonly.write or readonly.delete or readonly.mkdir or readonly.presigned_uploads)


# -- what each type declares -------------------------------------------------------------

_WRITABLE = {"read", "write", "delete", "mkdir", "list_dir", "atomic_operations"}
_WRITABLE |= {"append_mode", "seek_support"}
_OBJECT_STORE = _WRITABLE | {"copy_optimization", "hash_on_metadata", "presigned_urls"}
_OBJECT_STORE |= {"presigned_uploads"}
# The flags each built-in type declares on (its mounts may refine them: see below).
DECLARED: dict[str, set[str]] = {
    "local": _WRITABLE
    | {"directories", "symbolic_links", "copy_optimization"}
    | {"keeps_mtime", "local_files"},
    "memory": _WRITABLE | {"directories", "copy_optimization", "temporary"},
    "fsspec": _WRITABLE | {"directories", "copy_optimization"},
    "s3": _OBJECT_STORE,
    "gcs": _OBJECT_STORE,
    "azure": _OBJECT_STORE,
    "http": {"read", "list_dir", "seek_support", "public_urls", "readonly"},
    # A write gives the node a new path (the data): nothing is deleted, nothing listed.
    "base64": {"read", "write", "append_mode", "seek_support", "atomic_operations"},
    "sqlite": _WRITABLE | {"keeps_mtime", "hash_on_metadata"},
    # The Django app's mount (registered when the app is ready): sqlite's chunk logic.
    "database": _WRITABLE | {"keeps_mtime", "hash_on_metadata"},
    "zip": _WRITABLE,
    "tar": _WRITABLE,
    "hashdir": _WRITABLE | {"directories", "keeps_mtime"},
    # A relative mount answers its parent's, a mirror what all its mounts share, a cache
    # its origin's: the classes keep the defaults (the conformance suite checks what the
    # mounts answer).
    "relative": _WRITABLE | {"directories"},
    "mirror": _WRITABLE | {"directories"},
    "cache": _WRITABLE | {"directories"},
}
ALIASES = {"gs": "gcs", "az": "azure", "abfs": "azure", "https": "http"}


@pytest.mark.parametrize("type_name", default_registry.names())
def test_every_registered_type_declares_its_capabilities(type_name: str) -> None:
    backend_class = default_registry.get(type_name)
    assert backend_class is not None
    declared = backend_class.declared_capabilities
    on = {field.name for field in dataclasses.fields(declared) if getattr(declared, field.name)}
    assert on == DECLARED[ALIASES.get(type_name, type_name)]


def test_node_and_mount_answer_the_backends_capabilities(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "disk": {"type": "local", "path": str(tmp_path)},
            "web": {"type": "local", "path": str(tmp_path), "base_url": "/media/"},
            "mem": {"type": "memory"},
            "b64": {"type": "base64"},
        }
    )
    disk = manager.node("disk:a.txt")
    assert disk.capabilities == disk.mount.capabilities == disk.backend.capabilities
    assert not disk.capabilities.public_urls
    assert disk.url() is None
    web = manager.node("web:a.txt")
    assert web.capabilities.public_urls
    assert web.url() == "/media/a.txt"
    assert manager.node("mem:").capabilities.temporary
    b64 = manager.node("b64:dGVzdA==").capabilities
    assert b64.read and b64.write and not b64.readonly  # a write gives the node a new path
    assert not (b64.delete or b64.mkdir or b64.list_dir)


def test_memory_mounts_are_temporary_stores_of_their_own() -> None:
    manager = StorageManager({"one": {"type": "memory"}})
    manager.node("one:kept.txt").write_bytes(b"in this store only")
    manager.configure({"two": {"type": "memory"}})
    assert not manager.node("two:kept.txt").exists()
    assert manager.node("one:kept.txt").capabilities.temporary


# -- permissions and relative mounts --------------------------------------------------------


def test_a_mount_loses_what_its_permissions_forbid(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "full": {"type": "local", "path": str(tmp_path)},
            "ro": {"type": "local", "path": str(tmp_path), "permissions": "readonly"},
            "rw": {"type": "local", "path": str(tmp_path), "permissions": "readwrite"},
        }
    )
    full = manager.get_mount("full").capabilities
    assert full.delete and full.keeps_mtime
    readonly = manager.node("ro:x").capabilities
    assert readonly == full.restricted(Permissions.READONLY)
    assert readonly.readonly and not readonly.write and readonly.local_files
    with pytest.raises(StoragePermissionError):
        manager.node("ro:x").write_bytes(b"x")
    readwrite = manager.node("rw:x").capabilities
    assert readwrite.write and not readwrite.delete and not readwrite.readonly


def test_relative_mounts_inherit_their_parents_capabilities(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "data": {"type": "memory"},
            "child": {"type": "relative", "path": "data:child"},
            "frozen": {"type": "relative", "path": "data:child", "permissions": "readonly"},
            "disk": {"type": "local", "path": str(tmp_path), "permissions": "readwrite"},
            "under": {"type": "relative", "path": "disk:sub"},
        }
    )
    data = manager.get_mount("data").capabilities
    assert manager.get_mount("child").capabilities == data
    assert manager.get_backend("child").capabilities == manager.get_backend("data").capabilities
    assert manager.get_mount("frozen").capabilities == data.restricted(Permissions.READONLY)
    # The parent's permissions bound the child's, and the disk's flags come through.
    under = manager.get_mount("under").capabilities
    assert under.local_files and under.keeps_mtime and not under.delete


# -- read-only kinds -----------------------------------------------------------------------


@pytest.mark.cloud
def test_an_http_mount_does_what_it_declares(http_server: HTTPFileServer) -> None:
    root = http_server.root / "capabilities"
    (root / "dir").mkdir(parents=True, exist_ok=True)
    (root / "dir" / "page.txt").write_bytes(b"0123456789")
    manager = StorageManager({"web": {"type": "http", "base_url": http_server.url("capabilities")}})
    node = manager.node("web:dir/page.txt")
    caps = node.capabilities
    assert caps == manager.get_backend("web").declared_capabilities
    assert [child.basename for child in node.parent.children()] == ["page.txt"]  # list_dir
    with node.open("rb") as stream:  # seek_support
        stream.seek(5)
        assert stream.read() == b"56789"
    url = node.url()  # public_urls
    assert url is not None
    with _OPENER.open(url, timeout=10) as response:
        assert response.read() == b"0123456789"
    for attempt in (lambda: node.write_bytes(b"x"), node.delete, node.parent.child("d").mkdir):
        with pytest.raises(StoragePermissionError):
            attempt()


# -- flags that depend on a cloud mount's configuration ------------------------------------


@pytest.mark.cloud
def test_cloud_urls_are_signed_only_with_credentials_that_sign(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    s3 = cloud_config("s3", request)
    anonymous = {key: value for key, value in s3.items() if key not in ("key", "secret")}
    gcs = cloud_config("gcs", request)
    key_file, _public_key = service_account_file(tmp_path)
    azure = cloud_config("azure", request)
    keyless = {
        "type": "azure",
        "container": azure["container"],
        "connection_string": f"BlobEndpoint={server_of('azure', request).endpoint_url};",
        "options": {"anon": True},
    }
    manager = StorageManager(
        {
            "s3": s3,
            "s3-public": {**s3, "querystring_auth": False},
            "s3-anon": {**anonymous, "anon": True},
            "gcs-anon": gcs,
            "gcs-sa": {**gcs, "token": str(key_file)},
            "azure": azure,
            "azure-keyless": keyless,
        }
    )

    def flags(mount: str) -> tuple[bool, bool, bool]:
        caps = manager.get_mount(mount).capabilities
        return caps.presigned_urls, caps.public_urls, caps.presigned_uploads

    assert flags("s3") == (True, False, True)
    assert flags("s3-public") == (False, True, True)
    assert flags("s3-anon") == (False, True, False)
    assert flags("gcs-anon") == (False, True, False)
    assert flags("gcs-sa") == (True, False, True)
    assert flags("azure") == (True, False, True)
    assert flags("azure-keyless") == (False, True, False)
    manager.node("s3:a.txt").write_bytes(b"a")
    assert "X-Amz-Signature" in str(manager.node("s3:a.txt").url())
    assert "X-Amz-Signature" not in str(manager.node("s3-public:a.txt").url())
    assert "X-Goog-Signature" in str(manager.node("gcs-sa:a.txt").url())
    with pytest.raises(StorageError, match="cannot presign an upload"):
        manager.node("gcs-anon:a.txt").presigned_upload()


def test_a_backend_declaring_the_old_attributes_is_refused() -> None:
    with pytest.raises(TypeError, match="has_directories: declare declared_capabilities"):
        type("OldStyle", (MemoryBackend,), {"has_directories": False})


def test_a_mount_with_a_callable_path_has_a_local_mounts_capabilities(tmp_path: Path) -> None:
    def tenant_dir() -> str:
        return str(tmp_path / "acme")

    manager = StorageManager(
        {
            "plain": {"type": "local", "path": str(tmp_path)},
            "tenant": {"type": "local", "path": tenant_dir, "base_url": "/t/"},
        }
    )
    routed = manager.node("tenant:a.txt")
    assert routed.capabilities == dataclasses.replace(
        manager.node("plain:a.txt").capabilities, public_urls=True
    )
    routed.write_bytes(b"kept")
    assert routed.backend.set_mtime(routed.backend.locate(routed.path), 1_700_000_000.0)
    assert routed.url() == "/t/a.txt"


def test_virtual_nodes_say_they_are_read_only() -> None:
    manager = StorageManager({"mem": {"type": "memory"}})
    first, second = manager.node("mem:a.txt"), manager.node("mem:b.txt")
    first.write_text("one\n")
    second.write_text("two\n")
    for virtual in (manager.iternode(first, second), manager.diffnode(first, second)):
        caps = virtual.capabilities
        assert caps.read and caps.readonly
        assert not (caps.write or caps.list_dir or caps.presigned_urls)
        assert virtual.read_bytes()  # readable, as declared
        with virtual.open("rb") as stream:
            assert stream.seekable() is caps.seek_support
        with pytest.raises(ValueError, match="read-only"):
            virtual.write_bytes(b"x")
