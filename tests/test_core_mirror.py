"""``mirror`` mounts on real children: local, memory and S3 (moto) behind a relay that
fails chosen files, or a moto server stopped mid-test; the write policies, the repair
journal across managers, and repair until the children agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genro_storage_django.core import MirrorWriteError, StorageConfigError, StorageManager
from tests.support.cloud import cloud_config
from tests.support.relay import Seen, running_relay
from tests.support.servers import running_s3

pytestmark = pytest.mark.cloud

UNAVAILABLE = b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>"


class Flaky:
    """What the relay in front of the S3 child refuses: keys containing a broken name
    (503), or every request after a pause (a hung server) while ``hang`` is set."""

    def __init__(self) -> None:
        self.broken: set[str] = set()
        self.hang = threading.Event()

    def __call__(self, seen: Seen) -> tuple[int, bytes] | None:
        if self.hang.is_set():
            time.sleep(8)
            return (503, UNAVAILABLE)
        if any(name in seen.path for name in self.broken):
            return (503, UNAVAILABLE)
        return None


@pytest.fixture
def flaky() -> Flaky:
    return Flaky()


@pytest.fixture
def configs(
    request: pytest.FixtureRequest, tmp_path: Path, flaky: Flaky
) -> Iterator[dict[str, Any]]:
    s3 = cloud_config("s3", request, retries=0, connect_timeout=1, read_timeout=5)
    with running_relay(s3["endpoint_url"], flaky) as relay:
        (tmp_path / "disk").mkdir()
        yield {
            "disk": {"type": "local", "path": str(tmp_path / "disk")},
            "ram": {"type": "memory"},
            "s3": dict(s3, endpoint_url=relay.endpoint_url),
            "m": {
                "type": "mirror",
                "mounts": ["disk", "ram", "s3"],
                "journal_dir": str(tmp_path / "journal"),
                "timeout": 5,
            },
        }


def manager_of(configs: dict[str, Any], **mirror: Any) -> StorageManager:
    return StorageManager({**configs, "m": {**configs["m"], **mirror}})


def contents(manager: StorageManager, path: str) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for child in ("disk", "ram", "s3"):
        node = manager.node(f"{child}:{path}")
        found[child] = node.read_bytes() if node.exists() else None
    return found


def test_a_write_reaches_every_child(configs: dict[str, Any]) -> None:
    manager = manager_of(configs)
    manager.node("m:a/b.txt").write_bytes(b"hello")
    chunk = os.urandom(1 << 20)
    with manager.node("m:big.bin").open("wb") as stream:
        for _ in range(5):
            stream.write(chunk)
    assert contents(manager, "a/b.txt") == dict.fromkeys(("disk", "ram", "s3"), b"hello")
    assert set(contents(manager, "big.bin").values()) == {chunk * 5}
    assert manager.node("m:a/b.txt").read_bytes() == b"hello"
    assert [n.basename for n in manager.node("m:").children()] == ["a", "big.bin"]
    assert manager.repair("m").actions == []


@pytest.mark.parametrize(
    ("policy", "fails"), [("all", True), ("quorum", False), ("primary", False)]
)
def test_a_child_failing_a_file_is_journaled_and_repaired(
    configs: dict[str, Any], flaky: Flaky, policy: str, fails: bool
) -> None:
    manager = manager_of(configs, write=policy)
    node = manager.node("m:bad.txt")
    node.write_bytes(b"old")
    manager.repair("m")
    flaky.broken.add("bad.txt")
    if fails:
        with pytest.raises(MirrorWriteError) as raised:
            node.write_bytes(b"new")
        assert (raised.value.has, raised.value.missing) == (("disk", "ram"), ("s3",))
        assert "reached disk, ram, not s3" in str(raised.value)
    else:
        node.write_bytes(b"new")
    assert node.read_bytes() == b"new"  # never from a child that missed it
    report = manager.repair("m")  # s3 still fails the file: the record stays
    assert [a.target for a in report.failed] == ["s3"]
    flaky.broken.clear()
    # (under "primary", ram missed the write too: the first repair gave it the file)
    assert [c for c, data in contents(manager, "bad.txt").items() if data != b"new"] == ["s3"]
    again = manager_of(configs, write=policy)  # the journal outlives its manager
    assert again.repair("m", dry_run=True).replayed == 0
    assert contents(again, "bad.txt")["s3"] == b"old"  # a dry run changes nothing
    report = again.repair("m")
    assert report.ok and report.replayed == 1
    after = contents(again, "bad.txt")  # (a new manager has a new, empty memory store)
    assert (after["disk"], after["s3"]) == (b"new", b"new")
    assert again.repair("m").actions == []
    assert again.repair("m").replayed == 0


def test_the_primary_failing_fails_a_primary_write(configs: dict[str, Any], flaky: Flaky) -> None:
    configs["m"]["mounts"] = ["s3", "disk", "ram"]
    manager = manager_of(configs, write="primary")
    flaky.broken.add("p.txt")
    with pytest.raises(MirrorWriteError) as raised:
        manager.node("m:p.txt").write_bytes(b"x")
    assert raised.value.has == ()
    flaky.broken.clear()
    assert set(contents(manager, "p.txt").values()) == {None}
    assert manager.repair("m").actions == []


def test_a_missed_delete_is_repaired(configs: dict[str, Any], flaky: Flaky) -> None:
    manager = manager_of(configs)
    node = manager.node("m:gone.txt")
    node.write_bytes(b"x")
    flaky.broken.add("gone.txt")
    with pytest.raises(MirrorWriteError, match=r"delete of m:gone\.txt"):
        node.delete()
    assert not node.exists()  # the mirror's view: deleted, whatever s3 still has
    flaky.broken.clear()
    assert contents(manager, "gone.txt") == {"disk": None, "ram": None, "s3": b"x"}
    report = manager.repair("m")
    assert [(a.op, a.target) for a in report.actions] == [("delete", "s3")]
    assert set(contents(manager, "gone.txt").values()) == {None}


def test_a_stale_record_is_superseded(configs: dict[str, Any], flaky: Flaky) -> None:
    """A delete recorded as missed, then the path written again everywhere: the repair
    must not delete the new file."""
    manager = manager_of(configs, write="quorum")
    node = manager.node("m:back.txt")
    node.write_bytes(b"1")
    flaky.broken.add("back.txt")
    node.delete()
    flaky.broken.clear()
    node.write_bytes(b"2")
    assert manager.repair("m").actions == []
    assert set(contents(manager, "back.txt").values()) == {b"2"}


def test_verify_fixes_what_no_journal_saw(configs: dict[str, Any]) -> None:
    manager = manager_of(configs)
    manager.node("m:same.txt").write_bytes(b"same")
    manager.node("disk:only-primary.txt").write_bytes(b"p")
    manager.node("s3:only-replica.txt").write_bytes(b"r")
    manager.node("ram:same.txt").write_bytes(b"changed!")
    plan = manager.repair("m", verify=True, dry_run=True)
    planned = sorted((a.op, a.path, a.target) for a in plan.actions)
    assert planned == [
        ("copy", "only-primary.txt", "ram"),
        ("copy", "only-primary.txt", "s3"),
        ("copy", "same.txt", "ram"),
        ("delete", "only-replica.txt", "s3"),
    ]
    assert manager.node("s3:only-replica.txt").exists()
    assert json.dumps(plan.as_dict())  # what storage_repair --json prints
    assert manager.repair("m", verify=True).ok
    assert manager.repair("m", verify=True).actions == []
    assert contents(manager, "same.txt") == dict.fromkeys(("disk", "ram", "s3"), b"same")
    assert set(contents(manager, "only-replica.txt").values()) == {None}


def test_a_hung_child_costs_its_timeout_only(configs: dict[str, Any], flaky: Flaky) -> None:
    configs["m"]["mounts"] = ["s3", "disk", "ram"]
    manager = manager_of(configs, write="quorum")
    manager.node("m:r.txt").write_bytes(b"r")
    flaky.hang.set()
    try:
        started = time.monotonic()
        assert manager.node("m:r.txt").read_bytes() == b"r"
        manager.node("m:w.txt").write_bytes(b"w")  # disk and ram are a quorum
        assert time.monotonic() - started < 14
    finally:
        flaky.hang.clear()
    assert manager.repair("m").ok
    assert set(contents(manager, "w.txt").values()) == {b"w"}


def test_a_stopped_server_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "disk").mkdir()
    with running_s3(tmp_path) as server:
        s3 = {
            "type": "s3",
            "bucket": "mirror-down",
            "endpoint_url": server.endpoint_url,
            "key": server.key,
            "secret": server.secret,
            "retries": 0,
            "connect_timeout": 1,
        }
        import s3fs

        s3fs.S3FileSystem(**server.storage_options).mkdir("mirror-down")
        manager = StorageManager(
            {
                "s3": s3,
                "disk": {"type": "local", "path": str(tmp_path / "disk")},
                "m": {
                    "type": "mirror",
                    "mounts": ["s3", "disk"],
                    "write": "quorum",
                    "journal_dir": str(tmp_path / "journal"),
                    "timeout": 10,
                },
            }
        )
        manager.node("m:kept.txt").write_bytes(b"kept")
    # The server is gone: reads come from the disk, a write under "all" names who missed it.
    assert manager.node("m:kept.txt").read_bytes() == b"kept"
    assert manager.node("m:kept.txt").stat().size == 4
    manager.add_mount({**manager.get_mount("m").config, "write": "all"})
    with pytest.raises(MirrorWriteError) as raised:
        manager.node("m:new.txt").write_bytes(b"n")
    assert (raised.value.has, raised.value.missing) == (("disk",), ("s3",))
    report = manager.repair("m")
    assert [a.target for a in report.failed] == ["s3"]
    # The stopped server is the primary: "primary" fails, and so does a quorum of two.
    for policy in ("primary", "quorum"):
        manager.add_mount({**manager.get_mount("m").config, "write": policy})
        with pytest.raises(MirrorWriteError) as raised:
            manager.node(f"m:{policy}.txt").write_bytes(b"p")
        assert raised.value.missing[0] == "s3"


def test_memory_stays_bounded(tmp_path: Path) -> None:
    """128 MiB streamed to three local children: the process grows by far less."""
    script = textwrap.dedent(
        f"""
        import os, resource
        from genro_storage_django.core import StorageManager
        root = {str(tmp_path)!r}
        mounts = {{}}
        for name in ("a", "b", "c"):
            os.mkdir(os.path.join(root, name))
            mounts[name] = {{"type": "local", "path": os.path.join(root, name), "fsync": False}}
        mounts["m"] = {{"type": "mirror", "mounts": ["a", "b", "c"],
                        "journal_dir": os.path.join(root, "journal")}}
        node = StorageManager(mounts).node("m:big.bin")
        chunk = os.urandom(1 << 20)
        node.write_bytes(b"warm-up")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with node.open("wb") as stream:
            for _ in range(128):
                stream.write(chunk)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) // 1024)
        """
    )
    grown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert int(grown) < 64
    for name in ("a", "b", "c"):
        assert (tmp_path / name / "big.bin").stat().st_size == 128 << 20


@pytest.mark.parametrize(
    ("mirror", "message"),
    [
        ({"mounts": ["disk"]}, "at least two mounts"),
        ({"mounts": ["disk", "m"]}, "own mounts"),
        ({"mounts": ["disk", "disk"]}, "appears twice"),
        ({"mounts": "disk,ram"}, "list of mount names"),
        ({"mounts": ["disk", "ram"], "write": "some"}, "write must be one of"),
        ({"mounts": ["disk", "ram"], "timeout": 0}, "positive number"),
        ({"mounts": ["disk", "ram"], "journal": "disk"}, "other than the mirror's"),
        ({"mounts": ["disk", "ram"], "journal": 3}, "'mount' or 'mount:dir'"),
        ({"mounts": ["disk", "ram"], "journal_dir": "rel"}, "absolute path"),
        ({"mounts": ["disk", "nope"]}, "'nope' not found"),
    ],
)
def test_bad_configurations(tmp_path: Path, mirror: dict[str, Any], message: str) -> None:
    mounts = {
        "disk": {"type": "local", "path": str(tmp_path)},
        "ram": {"type": "memory"},
        "m": {"type": "mirror", **mirror},
    }
    with pytest.raises(StorageConfigError, match=message):
        StorageManager(mounts)


def test_journal_on_a_mount_and_repair_of_other_mounts(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "a": {"type": "memory"},
            "b": {"type": "local", "path": str(tmp_path)},
            "notes": {"type": "memory"},
            "m": {"type": "mirror", "mounts": ["a", "b"], "journal": "notes:mirrors",
                  "write": "primary"},
        }
    )  # fmt: skip
    manager.node("m:x.txt").write_bytes(b"x")
    [record] = manager.node("notes:mirrors/m").children()
    assert json.loads(record.read_bytes())["missing"] == ["b"]
    assert manager.node("m:x.txt").read_bytes() == b"x"
    assert manager.repair("m").replayed == 1
    assert (tmp_path / "x.txt").read_bytes() == b"x"
    assert not manager.node("notes:mirrors/m").exists()  # (memory keeps no empty directory)
    with pytest.raises(StorageConfigError, match="keeps no repair journal"):
        manager.repair("a")
    manager.add_mount({"name": "sub", "type": "relative", "path": "a:x"})
    with pytest.raises(StorageConfigError, match="relative mount: it keeps no repair journal"):
        manager.repair("sub")
    assert manager.get_backend("m").describe() == "mirror (a, b; write=primary)"


def test_a_buffer_reused_by_the_caller_is_copied(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "a": {"type": "memory"},
            "b": {"type": "local", "path": str(tmp_path)},
            "m": {"type": "mirror", "mounts": ["a", "b"], "journal_dir": str(tmp_path / "j")},
        }
    )
    buffer = bytearray(b"first ")
    with manager.node("m:buffered.txt").open("wb") as stream:
        stream.write(buffer)
        buffer[:] = b"second"  # reused before the children wrote it
        stream.write(memoryview(buffer))
    assert (tmp_path / "buffered.txt").read_bytes() == b"first second"
    assert manager.node("a:buffered.txt").read_bytes() == b"first second"


def test_the_default_journal_is_kept_apart_per_set_of_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Staging and production on one host, each with a mirror named "media": one default
    # journal directory, never one journal (a replayed delete would lose the other's file).
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def project(name: str) -> StorageManager:
        root = tmp_path / name
        return StorageManager(
            {
                "primary": {"type": "local", "path": str(root / "primary")},
                "replica": {"type": "local", "path": str(root / "replica")},
                "media": {"type": "mirror", "mounts": ["primary", "replica"], "write": "primary"},
            }
        )

    production = project("production")
    production.node("media:report.pdf").write_bytes(b"production's")  # the replica: later
    staging = project("staging")
    assert staging.repair("media").actions == []  # production's record is not staging's
    assert not (tmp_path / "staging" / "replica" / "report.pdf").exists()
    journals = sorted(p.name for p in (tmp_path / "state").rglob("media-*"))
    assert len(journals) == 1  # production's only: staging has recorded nothing
    report = project("production").repair("media")  # and it outlives its manager
    assert report.ok and report.replayed == 1
    assert (tmp_path / "production" / "replica" / "report.pdf").read_bytes() == b"production's"
