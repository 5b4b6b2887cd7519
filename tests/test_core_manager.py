"""StorageManager configuration, the backend registry, and node naming."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from genro_storage_django.core import (
    BackendUnavailableError,
    Permissions,
    StorageConfigError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
    UnsafePathError,
    register_backend_type,
)
from genro_storage_django.core.backends import default_registry
from genro_storage_django.core.backends.local import LocalBackend
from genro_storage_django.core.backends.memory import MemoryBackend


def test_configure_accepts_list_dict_and_files(tmp_path: Path) -> None:
    as_list = [{"name": "a", "type": "memory"}, {"name": "b", "type": "local", "path": "/tmp/b"}]
    as_dict = {"a": {"type": "memory"}, "b": {"type": "local", "path": "/tmp/b"}}
    json_file = tmp_path / "mounts.json"
    json_file.write_text(json.dumps(as_list))
    yaml_file = tmp_path / "mounts.yaml"
    yaml_file.write_text(yaml.safe_dump({"mounts": as_dict}))
    for source in (as_list, as_dict, json_file, str(yaml_file)):
        manager = StorageManager(source)
        assert manager.get_mount_names() == ["a", "b"]
        assert manager.get_mount("b").type_name == "local"


def test_configure_bad_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "bad.yaml").write_text("a: [")
    (tmp_path / "mounts.txt").write_text("")
    for name, message in (
        ("bad.json", "invalid JSON"),
        ("bad.yaml", "invalid YAML"),
        ("mounts.txt", "must end in"),
        ("absent.json", "cannot read"),
    ):
        with pytest.raises(StorageConfigError, match=message):
            StorageManager(tmp_path / name)
    with pytest.raises(StorageConfigError, match="must be a list"):
        StorageManager(42)
    with pytest.raises(StorageConfigError, match="must be a dict"):
        StorageManager(["memory"])
    with pytest.raises(StorageConfigError, match="must be a dict"):
        StorageManager({"a": "memory"})
    with pytest.raises(StorageConfigError, match="'name' key says"):
        StorageManager({"a": {"name": "b", "type": "memory"}})


def test_configure_is_repeatable_and_replaces_by_name() -> None:
    manager = StorageManager({"a": {"type": "memory"}})
    manager.node("a:f").write_bytes(b"1")
    manager.configure({"b": {"type": "memory"}})
    assert manager.get_mount_names() == ["a", "b"]
    manager.configure({"a": {"type": "memory", "permissions": "readonly"}})
    assert manager.get_mount("a").permissions is Permissions.READONLY
    assert not manager.node("a:f").exists()  # a new, empty store


def test_protocol_is_an_alias_of_type() -> None:
    manager = StorageManager({"a": {"protocol": "memory"}})
    assert manager.get_mount("a").type_name == "memory"
    manager.add_mount({"name": "f", "type": "fsspec", "protocol": "memory"})
    assert manager.get_mount("f").type_name == "fsspec"
    with pytest.raises(StorageConfigError, match="unknown key 'protocol'"):
        StorageManager({"a": {"type": "memory", "protocol": "memory"}})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"x": {"type": "nope"}}, "Unknown storage type 'nope' for mount 'x'"),
        ({"x": {}}, "mount 'x': missing required field: 'protocol' \\(or 'type'\\)"),
        ({"x": {"path": "/srv"}}, "missing required field: 'protocol'"),
        ([{"type": "memory"}], "mount configuration missing required field: 'name'"),
        ({"x": {"type": "memory", "colour": "red"}}, "mount 'x': unknown key 'colour'"),
        ({"x": {"type": "local"}}, "mount 'x': missing required field: 'base_path' or 'path'"),
        ({"x": {"type": "local", "path": "/a", "base_path": "/b"}}, "another name of 'path'"),
        ({"x": {"type": "memory", "path": 3}}, "path must be a string"),
        ({"x": {"type": "memory", "base_path": "/a\0b"}}, "NUL byte"),
        ({"x": {"type": "local", "path": "relative/dir"}}, "absolute path"),
        ({"x": {"type": "local", "path": "/a", "base_url": 3}}, "base_url must be a string"),
        ({"x": {"type": "local", "path": "/a", "fsync": "no"}}, "fsync must be true or false"),
        ({"x": {"type": "s3"}}, "missing required field: 'bucket'"),
        ({"x": {"type": "s3", "bucket": ""}}, "bucket must not be empty"),
        ({"x": {"type": "s3", "bucket": 5}}, "bucket must be a string"),
        ({"x": {"type": "s3", "bucket": "my bucket!"}}, "bucket must be a name of letters"),
        ({"x": {"type": "s3", "bucket": "b\0"}}, "bucket must be a name of letters"),
        ({"x": {"type": "s3", "bucket": "b/c"}}, "bucket must be a name of letters"),
        ({"x": {"type": "gcs", "bucket": "caf\u00e9"}}, "bucket must be a name of letters"),
        ({"x": {"type": "azure", "container": "a b\nc"}}, "container must be a name of letters"),
        ({"x": {"type": "s3", "bucket": "b", "endpoint_url": "not a url"}}, "http:// or https://"),
        ({"x": {"type": "gcs", "bucket": "b", "endpoint_url": "localhost:4443"}}, "http://"),
        ({"x": {"type": "gcs", "bucket": "b", "project": 1}}, "project must be a string"),
        ({"x": {"type": "azure", "container": "ab"}}, "3 to 63 characters"),
        ({"x": {"type": "http", "base_url": "ftp://x"}}, "http\\(s\\) URL"),
        ({"x": {"type": "http", "base_url": "https://x", "permissions": "delete"}}, "read-only"),
        ({"x": {"type": "memory", "permissions": "all"}}, "Invalid permissions 'all'"),
        ({"x": {"type": "memory", "permissions": ["readonly"]}}, "must be one of readonly"),
        ({"x": {"type": "local", "path": "/srv/a\0b"}}, "NUL byte"),
        ({"x": {"type": "fsspec", "protocol": "file", "path": "/srv/a\0b"}}, "NUL byte"),
        ({"x": {"type": "fsspec"}}, "missing required field: 'protocol'"),
        ({"x": {"type": "fsspec", "protocol": ""}}, "non-empty string"),
        ({"x": {"type": "fsspec", "protocol": "nonexistent-proto"}}, "cannot load protocol"),
        ({"x": {"type": "fsspec", "protocol": "memory", "options": 1}}, "options must be a dict"),
        ({"x": {"type": "relative", "path": "nocolon"}}, "'parent:sub/dir'"),
        ({"x": {"type": "relative", "path": "x:sub"}}, "its own parent"),
        ({"x": {"type": "relative", "path": "ghost:sub"}}, "Parent mount 'ghost' not found"),
        ({"bad name": {"type": "memory"}}, "must be a str of letters"),
        (
            {"a": {"type": "relative", "path": "b:"}, "b": {"type": "relative", "path": "a:"}},
            "cycle",
        ),
    ],
)
def test_invalid_configs_name_mount_and_key(config: dict[str, Any], message: str) -> None:
    # Also a ValueError: code written for genro-storage catches that.
    with pytest.raises(ValueError, match=message) as caught:
        StorageManager(config)
    assert isinstance(caught.value, StorageConfigError)


@pytest.mark.parametrize(
    "config",
    [
        {"type": "s3", "bucket": "Legacy_Bucket.v1"},
        {"type": "s3", "bucket": "arn:aws:s3:us-east-1:123456789012:accesspoint:reports"},
        {"type": "s3", "bucket": "b", "endpoint_url": ""},
        {"type": "gcs", "bucket": "b", "endpoint_url": "http://127.0.0.1:4443"},
        {
            "type": "azure",
            "container": "$web",
            "connection_string": "AccountName=a;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/a;",
        },
    ],
)
def test_bucket_names_and_endpoints_the_stores_take(config: dict[str, Any]) -> None:
    StorageManager({"x": config})


def test_an_invalid_set_changes_nothing() -> None:
    manager = StorageManager({"keep": {"type": "memory"}})
    with pytest.raises(StorageConfigError):
        manager.configure([{"name": "new", "type": "memory"}, {"name": "bad", "type": "?"}])
    assert manager.get_mount_names() == ["keep"]


def test_duplicate_names_in_one_list() -> None:
    with pytest.raises(StorageConfigError, match="defined twice"):
        StorageManager([{"name": "a", "type": "memory"}, {"name": "a", "type": "memory"}])


def test_check_reports_every_problem_with_codes() -> None:
    problems = StorageManager().check(
        {
            "a": {"type": "nope"},
            "b": {"type": "memory", "extra": 1},
            "c": {"type": "local"},
            "d": {"type": "local", "path": "rel"},
            "e": {"type": "relative", "path": "ghost:x"},
        }
    )
    assert [(p.code, p.mount, p.key) for p in problems] == [
        ("unknown_type", "a", "type"),
        ("unknown_key", "b", "extra"),
        ("missing_key", "c", "path"),
        ("not_absolute", "d", "path"),
        ("unknown_parent", "e", "path"),
    ]
    assert "accepted keys" in (problems[1].hint or "")
    assert StorageManager().check(42)[0].code == "invalid_value"


def test_missing_extra_names_the_pip_extra() -> None:
    class NeedsModule(MemoryBackend):
        type_name = "needy"
        extra = "needy"
        requires = ("a_module_that_is_not_installed",)

    manager = StorageManager()
    manager.register_backend_type("needy", NeedsModule)
    with pytest.raises(StorageConfigError, match=r"pip install 'genro-storage-django\[needy\]'"):
        manager.configure({"x": {"type": "needy"}})
    [problem] = manager.check({"x": {"type": "needy"}})
    assert problem.code == "missing_extra"
    error = BackendUnavailableError("s3", "s3", "s3fs")
    assert isinstance(error, StorageConfigError)
    assert "genro-storage-django[s3]" in str(error)


def test_register_backend_type_per_manager_and_global() -> None:
    class Special(MemoryBackend):
        type_name = "special"

    first = StorageManager()
    first.register_backend_type("special", Special)
    first.configure({"s": {"type": "special"}})
    assert isinstance(first.get_backend("s"), Special)
    with pytest.raises(StorageConfigError, match="Unknown storage type 'special'"):
        StorageManager({"s": {"type": "special"}})
    register_backend_type("special-global", Special)
    try:
        assert "special-global" in StorageManager().backend_types
    finally:
        default_registry._types.pop("special-global")
    with pytest.raises(StorageConfigError, match="must be a Backend subclass"):
        first.register_backend_type("bad", dict)  # type: ignore[arg-type]


def test_get_backend_exposes_a_confined_fsspec_filesystem(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "mem": {"type": "memory"},
            "files": {"type": "fsspec", "protocol": "file", "path": str(tmp_path)},
        }
    )
    manager.node("mem:dir/a.txt").write_bytes(b"A")
    assert manager.get_backend("mem").fs.cat_file("dir/a.txt") == b"A"  # type: ignore[attr-defined]
    manager.node("files:x.txt").write_bytes(b"X")
    assert (tmp_path / "x.txt").read_bytes() == b"X"
    assert manager.get_backend("files").fs.ls("", detail=False) == ["x.txt"]  # type: ignore[attr-defined]
    assert isinstance(
        StorageManager({"d": {"type": "local", "path": str(tmp_path)}}).get_backend("d"),
        LocalBackend,
    )


def test_memory_mounts_never_share_files() -> None:
    one = StorageManager({"a": {"type": "memory"}, "b": {"type": "memory"}})
    two = StorageManager({"a": {"type": "memory"}})
    one.node("a:f.txt").write_bytes(b"1")
    assert not one.node("b:f.txt").exists()
    assert not two.node("a:f.txt").exists()
    two.node("a:f.txt").write_bytes(b"2")
    assert one.node("a:f.txt").read_bytes() == b"1"


def test_delete_mount_and_lookup_errors() -> None:
    manager = StorageManager(
        {"base": {"type": "memory"}, "sub": {"type": "relative", "path": "base:x"}}
    )
    with pytest.raises(StorageConfigError, match="parent of relative mount"):
        manager.delete_mount("base")
    manager.delete_mount("sub")
    manager.delete_mount("base")
    assert not manager.has_mount("base")
    with pytest.raises(StorageNotFoundError, match=r"'base' not found \(mounts: none\)"):
        manager.delete_mount("base")
    with pytest.raises(StorageNotFoundError):
        manager.node("base:x")
    with pytest.raises(FileNotFoundError):
        manager.get_backend("base")


def test_relative_mount_order_permissions_and_reconfigure() -> None:
    manager = StorageManager(
        [
            {"name": "sub", "type": "relative", "path": "base:a/b"},
            {"name": "base", "type": "memory", "permissions": "readwrite"},
            {"name": "subsub", "type": "relative", "path": "sub:c"},
        ]
    )
    assert manager.get_mount("sub").permissions is Permissions.READWRITE
    manager.node("subsub:f.txt").write_bytes(b"deep")
    assert manager.node("base:a/b/c/f.txt").read_bytes() == b"deep"
    assert manager.node("sub:c/f.txt").read_bytes() == b"deep"
    with pytest.raises(StoragePermissionError):
        manager.node("subsub:f.txt").delete()
    manager.add_mount({"name": "base", "type": "memory", "permissions": "readonly"})
    assert manager.get_mount("subsub").permissions is Permissions.READONLY
    assert "relative (base:a/b)" in manager.get_backend("sub").describe()


def test_node_forms() -> None:
    manager = StorageManager({"up": {"type": "memory"}})
    assert manager.node("up:a/b.txt") == manager.node("up", "a", "b.txt")
    assert manager.node("up").path == ""
    assert manager.node("up:a", "b/c").path == "a/b/c"
    node = manager.node("up:a")
    assert manager.node(node) is node
    assert manager.node(node, "x").fullpath == "up:a/x"
    assert manager.resolve("up:z").fullpath == "up:z"
    with pytest.raises(UnsafePathError, match="names no mount"):
        manager.node("a/b.txt")
    assert repr(manager) == "StorageManager(mounts=['up'])"


def test_node_naming_properties() -> None:
    manager = StorageManager({"up": {"type": "memory"}})
    node = manager.node("up:reports/2024/q3.final.pdf")
    assert node.fullpath == "up:reports/2024/q3.final.pdf"
    assert node.mount_name == "up"
    assert node.path == "reports/2024/q3.final.pdf"
    assert node.basename == node.name == "q3.final.pdf"
    assert node.stem == "q3.final"
    assert node.suffix == ".pdf"
    assert node.parent.fullpath == "up:reports/2024"
    assert node.dirname == "up:reports/2024"
    assert node.mimetype == "application/pdf"
    assert manager.node("up:archive.tar.gz").mimetype == "application/x-tar"
    assert manager.node("up:noext").mimetype == "application/octet-stream"
    assert manager.node("up:.hidden").suffix == ""
    assert manager.node("up:.hidden").stem == ".hidden"
    assert manager.node("up:trailing.").suffix == ""
    assert (node.parent / "x.txt").fullpath == "up:reports/2024/x.txt"
    assert node.with_name("other.txt").fullpath == "up:reports/2024/other.txt"
    assert node.with_suffix(".txt").basename == "q3.final.txt"
    assert manager.node("up:").parent == manager.node("up:")
    assert str(node) == node.fullpath
    assert repr(node) == "StorageNode('up:reports/2024/q3.final.pdf')"
    assert node.manager is manager
    assert node.mount.name == "up"


def test_nodes_compare_and_hash_by_name_never_by_content() -> None:
    manager = StorageManager({"a": {"type": "memory"}, "b": {"type": "memory"}})
    first, twin = manager.node("a:x"), manager.node("a:x")
    first.write_bytes(b"same")
    manager.node("b:x").write_bytes(b"same")
    assert first == twin
    assert hash(first) == hash(twin)
    assert first != manager.node("b:x")
    assert {first, twin, manager.node("b:x")} == {first, manager.node("b:x")}
    other_manager = StorageManager({"a": {"type": "memory"}})
    assert first != other_manager.node("a:x")
    assert first != "a:x"


def test_base64_mount() -> None:
    manager = StorageManager({"b64": {"type": "base64"}})
    node = manager.node("b64:SGVsbG8gd29ybGQ")  # unpadded
    assert node.read_bytes() == b"Hello world"
    assert node.size() == 11
    assert node.is_file()
    with node.open("rb") as stream:
        assert stream.read(5) == b"Hello"
    assert manager.node("b64:_-8").read_bytes() == b"\xff\xef"  # URL-safe alphabet
    assert not manager.node("b64:!!!").exists()
    with pytest.raises(StorageNotFoundError, match="Invalid base64"):
        manager.node("b64:!!!").read_bytes()
    with pytest.raises(StorageNotFoundError, match="Invalid base64"):
        manager.node("b64:not-valid!").read_bytes()  # URL-safe characters, still checked
    with pytest.raises(NotADirectoryError):
        node.children()
    assert node.url() is None
    assert node.md5hash() == "3e25960a79dbc69b674cd4ec67a72c62"
    assert node.mtime() == manager.node("b64:eA==").mtime() > 0  # the mount's creation


def test_base64_root_is_empty_content() -> None:
    manager = StorageManager({"b64": {"type": "base64"}})
    root = manager.node("b64:")
    assert not root.exists()
    assert not root.is_dir()
    assert root.stat_or_none() is None
    assert root.children() == []
    with pytest.raises(StorageNotFoundError, match="cannot be empty"):
        root.read_bytes()
    with pytest.raises(StorageNotFoundError, match="cannot be empty"):
        root.stat()


def test_base64_paths_drop_whitespace() -> None:
    manager = StorageManager({"b64": {"type": "base64"}})
    wrapped = "\n".join(["QUFB" * 16, "QUFB" * 16, "QUE="])  # MIME wraps at 64 characters
    assert manager.node(f"b64:  {wrapped} \n").read_bytes() == b"A" * 98
    assert manager.node("b64: SGVs bG8=\t").path == "SGVsbG8="


def test_base64_write_makes_the_data_the_path() -> None:
    manager = StorageManager({"b64": {"type": "base64"}, "mem": {"type": "memory"}})
    node = manager.node("b64:")
    assert node.write("Hello World") is True
    assert node.path == "SGVsbG8gV29ybGQ="
    assert node.read() == "Hello World"
    node.write(b"\x00\x01\x02\xff")
    # "AAEC/w==" in the standard alphabet: its "/" would be a separator, so URL-safe.
    assert node.path == "AAEC_w=="
    assert manager.node(node.fullpath).read_bytes() == b"\x00\x01\x02\xff"
    with node.open("w") as stream:
        stream.write("streamed")
    assert node.read_text() == "streamed"
    with node.open("wb") as stream:
        stream.write(b"+>")
    assert node.path == "Kz4="
    with node.open("ab") as stream:  # declared in its capabilities: append_mode
        stream.write(b"!")
    assert node.read_bytes() == b"+>!"
    assert node.capabilities.write and not node.capabilities.delete
    with pytest.raises(RuntimeError), node.open("wb") as stream:
        stream.write(b"dropped")
        raise RuntimeError("writer died")
    assert node.read_bytes() == b"+>!"
    target = manager.node("b64:")
    manager.node("mem:a.txt").write("copied")
    manager.node("mem:a.txt").copy_to(target)
    assert target.read() == "copied"
    with node.local_path("w") as path, open(path, "wb") as handle:
        handle.write(b"tool")
    assert node.read_bytes() == b"tool"


def test_base64_refuses_directories_and_deletes() -> None:
    manager = StorageManager({"b64": {"type": "base64"}})
    node = manager.node("b64:dGVzdA==")
    with pytest.raises(StoragePermissionError, match="read-only"):
        node.delete()
    with pytest.raises(StoragePermissionError, match="read-only"):
        node.mkdir()
    backend = manager.get_backend("b64")
    with pytest.raises(PermissionError, match="read-only"):
        backend.remove_dir("x", recursive=True)
    readonly = StorageManager({"b64": {"type": "base64", "permissions": "readonly"}})
    with pytest.raises(StoragePermissionError):
        readonly.node("b64:").write("x")


def test_local_url_and_describe(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "pub": {"type": "local", "path": str(tmp_path), "base_url": "/media/"},
            "priv": {"type": "local", "path": str(tmp_path)},
        }
    )
    assert manager.node("pub:a b/c#d.txt").url() == "/media/a%20b/c%23d.txt"
    assert manager.node("priv:a.txt").url() is None
    assert manager.get_backend("pub").describe() == f"local ({tmp_path.resolve()})"
    assert "memory" in StorageManager({"m": {"type": "memory"}}).get_backend("m").describe()


def test_core_imports_without_django_settings() -> None:
    code = (
        "import os, tempfile\n"
        "assert 'DJANGO_SETTINGS_MODULE' not in os.environ\n"
        "from genro_storage_django.core import StorageManager\n"
        "m = StorageManager({'d': {'type': 'local', 'path': tempfile.mkdtemp()}})\n"
        "m.node('d:x.txt').write_text('ok')\n"
        "m.node('d:x.txt').copy_to('d:y.txt')\n"
        "print(m.node('d:y.txt').read_text())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
