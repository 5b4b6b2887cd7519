"""The data store's behaviour: keys and formats, ambiguity, refusals, safety, handlers."""

from __future__ import annotations

import dataclasses
import os
import pickle
import sys
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pytest
import yaml
from PIL import Image

from genro_storage_django.core import StorageManager, UnsafePathError
from genro_storage_django.core.datastore import (
    AmbiguousKeyError,
    DataHandler,
    DataStore,
    MissingLibraryError,
    UnsafeFormatError,
    register_handler,
)
from genro_storage_django.core.datastore.handlers import default_registry, optional_import


@dataclasses.dataclass
class Point:
    x: int
    label: str


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def store(root: Path) -> DataStore:
    root.mkdir()
    return StorageManager({"disk": {"type": "local", "path": str(root)}}).datastore("disk:data")


def files(root: Path) -> list[str]:
    base = root / "data"
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def test_the_format_follows_the_type_and_the_file_name_records_it(
    store: DataStore, root: Path
) -> None:
    store["runs/2026/metrics"] = {"loss": 0.25}
    store["rows"] = [{"a": 1}, {"a": 2}]
    store["empty"] = []
    store["note"] = "line\r\nnext"
    store["blob"] = b"\x00\xff"
    store["grid"] = np.arange(6, dtype="int16").reshape(2, 3)
    store["point"] = Point(1, "a")
    assert files(root) == [
        "blob.bin",
        "empty.json",
        "grid.npy",
        "note.txt",
        "point.json",
        "rows.jsonl",
        "runs/2026/metrics.json",
    ]
    assert store["note"] == "line\r\nnext"
    assert store["point"] == Point(1, "a")
    assert store["rows"] == [{"a": 1}, {"a": 2}]
    assert store["runs/2026/metrics"] == {"loss": 0.25}


def test_a_key_naming_an_extension_uses_that_format(store: DataStore, root: Path) -> None:
    store["table.csv"] = "a,b\n1,2\n"
    store["settings.yaml"] = {"debug": False, "hosts": ["a", "b"]}
    store["page.html"] = "<p>hi</p>"
    store["upper.JSON"] = "extensions match as registered: this is a text key"
    assert files(root) == ["page.html", "settings.yaml", "table.csv", "upper.JSON.txt"]
    assert yaml.safe_load((root / "data" / "settings.yaml").read_text()) == {
        "debug": False,
        "hosts": ["a", "b"],
    }
    assert store["settings"] == {"debug": False, "hosts": ["a", "b"]}
    assert store["settings.yaml"] == store["settings"]
    assert store["table"] == "a,b\n1,2\n"
    assert store["page"] == "<p>hi</p>"
    with pytest.raises(TypeError, match=r"stores a bytes exactly as \.csv"):
        store["table.csv"] = b"raw"


def test_a_new_format_replaces_the_old_file_of_the_key(store: DataStore, root: Path) -> None:
    store["value"] = {"a": 1}
    store["value"] = "now text"
    assert files(root) == ["value.txt"]
    assert store["value"] == "now text"


def test_two_files_of_one_key_are_ambiguous_never_a_silent_pick(
    store: DataStore, root: Path
) -> None:
    store["report"] = {"a": 1}
    (root / "data" / "report.txt").write_text("other program")
    with pytest.raises(AmbiguousKeyError, match=r"report\.json.*report\.txt"):
        store["report"]
    with pytest.raises(AmbiguousKeyError):
        del store["report"]
    assert "report" in store
    assert list(store) == ["report"]
    assert store["report.txt"] == "other program"  # naming the format chooses
    store["report"] = [1]  # a write in the key's format leaves the other file alone
    with pytest.raises(AmbiguousKeyError):
        store["report"]
    del store["report.txt"]  # deleting it settles the key
    assert store["report"] == [1]
    (root / "data" / "report.md").write_text("another program again")
    store["report"] = "text now"  # a change of format replaces every other file of the key
    assert files(root) == ["report.txt"]


def test_refused_values_raise_type_error_and_leave_the_old_value(
    store: DataStore, root: Path
) -> None:
    store["k"] = {"kept": True}
    for value in [
        {"a": (1, 2)},
        {1: "int key"},
        [float("nan")],
        {"$class": "x", "$data": {}},
        (1, 2),
        {1, 2},
        bytearray(b"x"),
        "\ud800 lone surrogate",
        np.array([object()], dtype=object),
        Image.frombytes("P", (1, 1), b"\x05"),  # no palette
    ]:
        with pytest.raises(TypeError):
            store["k"] = value
    assert store["k"] == {"kept": True}
    assert files(root) == ["k.json"]


def test_a_handler_failing_half_way_leaves_the_old_value(store: DataStore, root: Path) -> None:
    class FailsHalfWay(DataHandler):
        extensions = (".txt",)

        def can_write(self, value: object) -> bool:
            return value == "fail"

        def write(self, value: Any, stream: BinaryIO, extension: str) -> None:
            stream.write(b"partial")
            raise TypeError("gave up half-way")

        def read(self, stream: BinaryIO, extension: str) -> Any:
            return stream.read().decode()

    store["k"] = "old"
    store.register_handler(FailsHalfWay(), priority=5)
    with pytest.raises(TypeError, match="half-way"):
        store["k"] = "fail"
    assert os.listdir(root / "data") == ["k.txt"]
    assert (root / "data" / "k.txt").read_text() == "old"


def test_handlers_rank_by_priority_then_by_registration(store: DataStore, root: Path) -> None:
    class Upper(DataHandler):
        extensions = (".up",)

        def __init__(self, tag: str) -> None:
            self.tag = tag

        def can_write(self, value: object) -> bool:
            return type(value) is str

        def write(self, value: Any, stream: BinaryIO, extension: str) -> None:
            stream.write(f"{self.tag}:{value.upper()}".encode())

        def read(self, stream: BinaryIO, extension: str) -> Any:
            return stream.read().decode()

    store.register_handler(Upper("low"), priority=-1)
    store["a"] = "x"
    assert files(root) == ["a.txt"]  # the built-in text handler outranks priority -1
    store.register_handler(Upper("first"), priority=3)
    store.register_handler(Upper("second"), priority=3)
    store["b"] = "x"
    assert (root / "data" / "b.up").read_text() == "second:X"  # a tie: the latest wins
    store.register_handler(Upper("first-again"), priority=4)
    store["c"] = "x"
    assert (root / "data" / "c.up").read_text() == "first-again:X"
    other = StorageManager({"m": {"type": "memory"}}).datastore("m:")
    other["b"] = "x"
    assert other.node("b").name == "b.txt"  # a store's own handlers stay its own


def test_register_handler_reaches_every_store_and_validates(store: DataStore) -> None:
    class Fraction(DataHandler):
        extensions = (".frac",)

        def can_write(self, value: object) -> bool:
            return type(value).__name__ == "Fraction"

        def write(self, value: Any, stream: BinaryIO, extension: str) -> None:
            stream.write(f"{value.numerator}/{value.denominator}".encode())

        def read(self, stream: BinaryIO, extension: str) -> Any:
            from fractions import Fraction as F

            return F(stream.read().decode())

    from fractions import Fraction as F

    handler = Fraction()
    register_handler(handler)
    try:
        store["third"] = F(1, 3)
        assert store["third"] == F(1, 3)
        assert store.metadata("third").format == ".frac"
    finally:
        default_registry.unregister(handler)
    with pytest.raises(KeyError):
        store["third"]  # a file of a format no handler knows is no key
    with pytest.raises(TypeError):
        register_handler(object())  # type: ignore[arg-type]

    class NoExtension(Fraction):
        extensions = ("frac",)

    with pytest.raises(ValueError, match="extensions"):
        store.register_handler(NoExtension())


def test_pickle_only_when_the_store_allows_it(root: Path) -> None:
    root.mkdir()
    manager = StorageManager({"disk": {"type": "local", "path": str(root)}})
    trusting = manager.datastore("disk:data", allow_pickle=True)
    trusting["mixed"] = {"when": (2026, 12), "tags": {"a", "b"}}
    assert trusting["mixed"] == {"when": (2026, 12), "tags": {"a", "b"}}
    assert trusting.node("mixed").name == "mixed.pkl"
    trusting["plain"] = {"json": True}
    assert trusting.node("plain").name == "plain.json"  # pickle only when nothing else fits
    careful = manager.datastore("disk:data")
    with pytest.raises(UnsafeFormatError, match="allow_pickle=True"):
        careful["mixed"]
    with pytest.raises(TypeError, match="tuple"):
        careful["other"] = {"when": (2026, 12)}
    with pytest.raises(TypeError, match="pickle"):
        trusting["fn"] = lambda: None


class _Trap:
    """Unpickling it would create the file named in its argument."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (Path.touch, (Path(self.path),))


def test_crafted_files_never_run_code(store: DataStore, root: Path) -> None:
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    marker = root / "ran"
    (data / "a.pkl").write_bytes(pickle.dumps(_Trap(str(marker))))
    with pytest.raises(UnsafeFormatError):
        store["a"]
    np.save(data / "b.npy", np.array([_Trap(str(marker))], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="allow_pickle"):
        store["b"]
    with open(data / "c.npz", "wb") as stream:
        np.savez(stream, x=np.array([_Trap(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        store["c"]
    (data / "d.yaml").write_text(f"!!python/object/apply:pathlib.Path.touch [{marker}]")
    with pytest.raises(yaml.YAMLError):
        store["d"]
    (data / "e.json").write_text('{"$class": "os:system", "$data": {}}')
    with pytest.raises(TypeError, match="not a dataclass"):
        store["e"]
    assert "antigravity" not in sys.modules
    (data / "f.json").write_text('{"$class": "antigravity:X", "$data": {}}')
    with pytest.raises(TypeError, match="import antigravity"):
        store["f"]
    assert "antigravity" not in sys.modules  # reading never imports
    assert not marker.exists()


def test_records_of_pydantic_models_and_dataclasses(store: DataStore, root: Path) -> None:
    import pydantic

    class Order(pydantic.BaseModel):
        id: int
        items: list[str]

    sys.modules[__name__].Order = Order  # type: ignore[attr-defined]
    Order.__qualname__ = "Order"
    try:
        store["order"] = Order(id=3, items=["a"])
        assert store["order"] == Order(id=3, items=["a"])
        assert type(store["order"]) is Order
    finally:
        del sys.modules[__name__].Order  # type: ignore[attr-defined]

    @dataclasses.dataclass
    class Local:
        when: object

    with pytest.raises(TypeError, match="is a tuple"):
        store["local"] = Local((1, 2))

    @dataclasses.dataclass
    class Hidden:
        x: int
        y: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError):
        store["hidden"] = Hidden(1)


def test_the_mapping_protocol(store: DataStore) -> None:
    assert len(store) == 0
    assert store.get("missing") is None
    assert store.get("missing", 5) == 5
    with pytest.raises(KeyError):
        store["missing"]
    with pytest.raises(KeyError):
        del store["missing"]
    store.update({"a": [1], "b/c": "text"})
    assert sorted(store.keys()) == ["a", "b/c"]
    assert dict(store.items()) == {"a": [1], "b/c": "text"}
    assert "a" in store and "a.json" in store and "a.txt" not in store and 3 not in store
    del store["a"]
    assert list(store) == ["b/c"]
    with pytest.raises(TypeError, match="str"):
        store[3]  # type: ignore[index]
    with pytest.raises(KeyError):
        store[""]


def test_keys_obey_the_path_rules(store: DataStore) -> None:
    for key in ["../escape", "/etc/passwd", "a/../../b"]:
        with pytest.raises(UnsafePathError):
            store[key] = "x"
        with pytest.raises(UnsafePathError):
            store[key]


def test_files_of_unknown_formats_are_not_keys(store: DataStore, root: Path) -> None:
    store["a"] = [1]
    (root / "data" / "notes.docx").write_bytes(b"x")
    (root / "data" / "plain").write_bytes(b"x")
    assert list(store) == ["a"]
    assert "notes" not in store and "plain" not in store


def test_copy_move_metadata_node(store: DataStore, root: Path) -> None:
    store["src"] = {"v": 1}
    store["dst"] = "to be replaced"
    store.copy("src", "dst")
    assert store["dst"] == {"v": 1}
    assert files(root) == ["dst.json", "src.json"]
    store.move("src", "moved/here.json")
    assert files(root) == ["dst.json", "moved/here.json"]
    with pytest.raises(ValueError, match="no conversion"):
        store.copy("dst", "other.txt")
    info = store.metadata("dst")
    assert (info.key, info.format, info.size) == ("dst", ".json", len(b'{"v": 1}'))
    assert info.mtime is not None and info.node.fullpath == "disk:data/dst.json"
    assert store.node("moved/here").read_bytes() == b'{"v": 1}'


def test_a_closed_store_refuses_work(store: DataStore) -> None:
    with store as same:
        same["a"] = [1]
    with pytest.raises(ValueError, match="closed"):
        store["a"]
    with pytest.raises(ValueError, match="closed"):
        list(store)
    assert repr(store) == "<DataStore disk:data>"


def test_a_missing_library_names_the_extra(
    store: DataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store["frame"] = np.zeros(2)
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if it were not installed
    with pytest.raises(MissingLibraryError, match=r"genro-storage-django\[data\]"):
        store["frame"]
    with pytest.raises(MissingLibraryError, match="yaml"):
        optional_import("not_a_module_at_all", "yaml")


def test_django_datastore_uses_the_configured_mounts(settings: Any, tmp_path: Path) -> None:
    from genro_storage_django import datastore

    settings.STORAGE_MOUNTS = {"reports": {"type": "local", "path": str(tmp_path)}}
    datastore("reports:2026")["sales"] = {"total": 3}
    assert (tmp_path / "2026" / "sales.json").read_text() == '{"total": 3}'


def _age(directory: Path, seconds: float = 10.0) -> None:
    """Set a directory's time into the past, as if nothing had changed it lately."""
    old = directory.stat().st_mtime - seconds
    os.utime(directory, (old, old))


def test_a_kept_listing_never_hides_a_new_file(store: DataStore, root: Path) -> None:
    store["k"] = {"v": 1}
    data = root / "data"
    _age(data)
    stamp = store.root.directory_stamp()
    assert stamp is not None  # an unchanged local directory has a stamp
    assert store["k"] == {"v": 1}  # listed once, kept while the stamp holds
    (data / "k.txt").write_text("another program")  # the directory's time moves on
    assert store.root.directory_stamp() is None  # changed within the last second
    with pytest.raises(AmbiguousKeyError):
        store["k"]
    _age(data)
    assert store.root.directory_stamp() not in (None, stamp)
    with pytest.raises(AmbiguousKeyError):
        store["k"]  # listed again under the new stamp
    (data / "k.txt").unlink()
    _age(data)
    assert store["k"] == {"v": 1}


def test_listings_are_kept_per_directory_and_bounded(root: Path) -> None:
    from genro_storage_django.core.datastore.listings import ListingCache

    root.mkdir()
    manager = StorageManager({"disk": {"type": "local", "path": str(root)}})
    cache = ListingCache(directories=2)
    for name in ["a", "b", "c"]:
        (root / name).mkdir()
        (root / name / "x.json").write_text("[]")
        _age(root / name)
    for name in ["a", "b", "c"]:
        assert cache.names(manager.node("disk", name)) == {"x.json"}
    (root / "a" / "y.json").write_text("[]")
    _age(root / "a")
    assert cache.names(manager.node("disk", "a")) == {"x.json", "y.json"}
    memory = StorageManager({"m": {"type": "memory"}}).node("m:")
    memory.child("x.json").write_bytes(b"[]")
    assert cache.names(memory) is None  # no stamp: the store asks per name
