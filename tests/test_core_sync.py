"""The sync engine: rclone-style comparisons, the delete guards, dry runs, filters."""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from genro_storage_django.core import (
    CopyOptions,
    StorageManager,
    StorageNode,
    StoragePermissionError,
    SyncOptions,
)
from genro_storage_django.core.backends import StatResult, local_writer
from genro_storage_django.core.compare import MTIME_TOLERANCE, current_reason, is_newer
from genro_storage_django.core.sync import Compare, plan_sync, sync
from genro_storage_django.core.transfer import TransferReport, copy, transfer_files

FILES = ("a.txt", "docs/b.pdf", "docs/deep/c.txt", "img/d.png")


@pytest.fixture
def manager(tmp_path: Path) -> StorageManager:
    return StorageManager(
        {
            "src": {"type": "local", "path": str(tmp_path / "src")},
            "dst": {"type": "local", "path": str(tmp_path / "dst")},
            "mem": {"type": "memory"},
        }
    )


def fill(root: StorageNode) -> None:
    for path in FILES:
        root.child(path).write_bytes(os.urandom(1000 + len(path)))


def test_first_sync_copies_and_second_is_a_no_op(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    first = sync(manager.node("src:"), manager.node("dst:"))
    assert first.ok
    assert sorted(first.copied) == sorted(f"src:{p}" for p in FILES)
    assert first.bytes == sum(manager.node("src:", p).size() for p in FILES)
    for path in FILES:
        assert manager.node("dst:", path).read_bytes() == manager.node("src:", path).read_bytes()
        assert manager.node("dst:", path).mtime() == manager.node("src:", path).mtime()
    second = sync(manager.node("src:"), manager.node("dst:"))
    assert second.copied == []
    assert {reason for _p, reason in second.skipped} == {"same size and mtime"}


def test_second_sync_to_an_object_store_is_a_no_op(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    assert len(sync(manager.node("src:"), manager.node("mem:backup")).copied) == 4
    again = sync(manager.node("src:"), manager.node("mem:backup"))
    assert again.copied == []
    assert {reason for _p, reason in again.skipped} <= {
        "same size, uploaded after the source changed",
        "same size and mtime",
    }
    time.sleep(0.01)
    manager.node("src:a.txt").write_bytes(b"changed, and a new size")
    assert sync(manager.node("src:"), manager.node("mem:backup")).copied == ["src:a.txt"]


def test_touched_files_only_get_their_time_fixed(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    sync(manager.node("src:"), manager.node("dst:"))
    touched = manager.node("src:docs/b.pdf")
    os.utime(touched.backend.locate(touched.path), (2_000_000_000, 2_000_000_000))
    report = sync(manager.node("src:"), manager.node("dst:"))
    assert report.copied == []
    assert ("src:docs/b.pdf", "same content, mtime updated") in report.skipped
    assert manager.node("dst:docs/b.pdf").mtime() == pytest.approx(2_000_000_000)
    assert sync(manager.node("src:"), manager.node("dst:")).copied == []


def test_same_size_change_with_same_mtime_needs_checksum(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    sync(manager.node("src:"), manager.node("dst:"))
    node = manager.node("src:a.txt")
    stat = node.stat()
    node.write_bytes(os.urandom(stat.size))
    os.utime(node.backend.locate(node.path), (stat.mtime or 0, stat.mtime or 0))
    assert sync(manager.node("src:"), manager.node("dst:")).copied == []
    assert sync(manager.node("src:"), manager.node("dst:"), compare="size-only").copied == []
    found = sync(manager.node("src:"), manager.node("dst:"), compare=Compare.CHECKSUM)
    assert found.copied == ["src:a.txt"]
    assert manager.node("dst:a.txt").read_bytes() == node.read_bytes()


@pytest.mark.parametrize(
    ("offset", "current"),
    [(-0.5, True), (0.5, True), (-1.5, False), (30.0, False)],
    ids=["half-a-second-older", "half-a-second-newer", "older", "newer-on-a-disk"],
)
def test_copy_to_skip_mtime_and_sync_agree_on_a_current_destination(
    manager: StorageManager, offset: float, current: bool
) -> None:
    # One rule (compare.py): same size and times within the tolerance. Other content
    # of the same size, so only the times can make a destination current.
    source, target = manager.node("src:a.txt"), manager.node("dst:a.txt")
    source.write_bytes(b"source content")
    target.write_bytes(b"target content")
    when = 1_700_000_000.0
    os.utime(source.location, (when, when))
    os.utime(target.location, (when + offset, when + offset))
    planned = sync(source, target, dry_run=True)
    assert planned.copied == ([] if current else ["src:a.txt"])
    copied = copy(source, target, skip="mtime")
    # A newer destination on a disk (which keeps times) counts as current for copy_to
    # ("not older"); sync compares the content instead, as rclone does.
    assert copied.copied == ([] if current or offset > 0 else ["src:a.txt"])


def test_the_current_rule_on_stats() -> None:
    source = StatResult("a.txt", "file", 10, 1_000.0)
    assert current_reason(source, replace(source, mtime=None), newer_is_current=False) == (
        "same size"
    )
    assert current_reason(source, replace(source, size=11), newer_is_current=True) is None
    newer = replace(source, mtime=1_000.0 + MTIME_TOLERANCE)
    assert current_reason(source, newer, newer_is_current=False) is None
    assert current_reason(source, newer, newer_is_current=True) == (
        "same size, uploaded after the source changed"
    )
    assert is_newer(newer, source) and not is_newer(source, newer)


def test_update_and_ignore_existing(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    hour_ago = time.time() - 3600
    for path in FILES:
        os.utime(manager.node("src:", path).backend.locate(path), (hour_ago, hour_ago))
    sync(manager.node("src:"), manager.node("dst:"))
    newer = manager.node("dst:a.txt")
    newer.write_bytes(b"edited at the destination")
    kept = sync(manager.node("src:"), manager.node("dst:"), update=True)
    assert kept.copied == []
    assert ("src:a.txt", "destination newer") in kept.skipped
    assert newer.read_bytes() == b"edited at the destination"
    ignored = sync(manager.node("src:"), manager.node("dst:"), ignore_existing=True)
    assert {reason for _p, reason in ignored.skipped} == {"exists"}
    assert sync(manager.node("src:"), manager.node("dst:")).copied == ["src:a.txt"]


def test_delete_prunes_extra_files_after_copying(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    manager.node("dst:extra/old.txt").write_bytes(b"old")
    manager.node("dst:zz.txt").write_bytes(b"old")
    kept = sync(manager.node("src:"), manager.node("dst:"))
    assert kept.deleted == []
    assert manager.node("dst:zz.txt").exists()
    pruned = sync(manager.node("src:"), manager.node("dst:"), delete=True)
    assert pruned.ok
    assert pruned.deleted == ["dst:extra/old.txt", "dst:zz.txt"]
    assert not manager.node("dst:zz.txt").exists()


def test_negative_max_delete_is_refused(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    manager.node("dst:old.txt").write_bytes(b"old")
    with pytest.raises(ValueError, match="max_delete must be 0 or more"):
        sync(manager.node("src:"), manager.node("dst:"), delete=True, max_delete=-1)
    assert manager.node("dst:old.txt").exists()


def test_max_delete_stops_and_reports(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    for index in range(5):
        manager.node(f"dst:extra{index}.txt").write_bytes(b"x")
    report = sync(manager.node("src:"), manager.node("dst:"), delete=True, max_delete=2)
    assert len(report.deleted) == 2
    assert not report.ok
    assert "max-delete 2 reached: 3 file(s) left undeleted" in report.errors[-1][1]


def test_empty_source_deletes_nothing_unless_forced(manager: StorageManager) -> None:
    manager.node("dst:keep.txt").write_bytes(b"precious")
    refused = sync(manager.node("src:"), manager.node("dst:"), delete=True)
    assert not refused.ok
    assert "source is empty" in refused.errors[0][1]
    assert manager.node("dst:keep.txt").exists()
    forced = sync(manager.node("src:"), manager.node("dst:"), delete=True, allow_empty_source=True)
    assert forced.deleted == ["dst:keep.txt"]


def test_confirmation_can_refuse_deletions(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    manager.node("dst:extra.txt").write_bytes(b"x")
    asked: list[list[str]] = []

    def refuse(nodes: list[StorageNode]) -> bool:
        asked.append([n.fullpath for n in nodes])
        return False

    report = sync(manager.node("src:"), manager.node("dst:"), delete=True, confirm_delete=refuse)
    assert asked == [["dst:extra.txt"]]
    assert report.errors == [("dst:", "deletion not confirmed")]
    assert manager.node("dst:extra.txt").exists()


def test_failed_copies_block_deletions(manager: StorageManager, tmp_path: Path) -> None:
    fill(manager.node("src:"))
    manager.node("dst:extra.txt").write_bytes(b"x")
    blocker = tmp_path / "dst" / "img"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"a file where a directory must go")
    report = sync(manager.node("src:"), manager.node("dst:"), delete=True)
    assert [path for path, _m in report.errors[:-1]] == ["src:img/d.png"]
    assert report.errors[-1] == ("dst:", "not deleting anything: some copies failed")
    assert manager.node("dst:extra.txt").exists()
    blocker.unlink()
    rerun = sync(manager.node("src:"), manager.node("dst:"), delete=True)
    assert rerun.ok
    assert rerun.copied == ["src:img/d.png"]
    assert rerun.deleted == ["dst:extra.txt"]


def test_dry_run_changes_nothing(manager: StorageManager, tmp_path: Path) -> None:
    fill(manager.node("src:"))
    manager.node("dst:extra.txt").write_bytes(b"x")
    before = sorted(str(p) for p in (tmp_path / "dst").rglob("*"))
    report = sync(manager.node("src:"), manager.node("dst:"), delete=True, dry_run=True)
    assert report.dry_run
    assert len(report.copied) == 4
    assert report.deleted == ["dst:extra.txt"]
    assert sorted(str(p) for p in (tmp_path / "dst").rglob("*")) == before
    assert report.as_dict()["dry_run"] is True


def test_filters_limit_copies_and_deletions(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    manager.node("dst:other.pdf").write_bytes(b"x")
    manager.node("dst:keep.bin").write_bytes(b"x")
    report = sync(manager.node("src:"), manager.node("dst:"), include="*.pdf", delete=True)
    assert report.copied == ["src:docs/b.pdf"]
    assert report.deleted == ["dst:other.pdf"]
    assert manager.node("dst:keep.bin").exists()
    excluded = sync(manager.node("src:"), manager.node("dst:"), exclude=["docs/**"])
    assert sorted(excluded.copied) == ["src:a.txt", "src:img/d.png"]


def test_single_file_sync(manager: StorageManager) -> None:
    manager.node("src:one.txt").write_bytes(b"single")
    assert sync(manager.node("src:one.txt"), manager.node("dst:copy.txt")).copied == ["src:one.txt"]
    assert manager.node("dst:copy.txt").read_bytes() == b"single"
    assert sync(manager.node("src:one.txt"), manager.node("dst:copy.txt")).copied == []
    manager.node("dst:dir/x").write_bytes(b"x")
    with pytest.raises(OSError, match="is a directory"):
        plan_sync(manager.node("src:one.txt"), manager.node("dst:dir"))


def test_single_file_sync_to_a_store_that_cannot_keep_times(manager: StorageManager) -> None:
    manager.node("src:one.txt").write_bytes(b"single")
    manager.get_backend("src").set_mtime(manager.node("src:one.txt").location, 1_000_000)
    assert sync(manager.node("src:one.txt"), manager.node("mem:one.txt")).copied == ["src:one.txt"]
    again = sync(manager.node("src:one.txt"), manager.node("mem:one.txt"))
    # The upload is newer than the source: current, with no content comparison.
    assert again.skipped == [("src:one.txt", "same size, uploaded after the source changed")]


def test_report_as_dict_and_permissions(manager: StorageManager) -> None:
    fill(manager.node("src:"))
    report = sync(manager.node("src:"), manager.node("mem:"), transfers=1)
    data = report.as_dict()
    assert set(data) == {"copied", "skipped", "deleted", "bytes", "errors", "seconds", "dry_run"}
    assert data["bytes"] == report.bytes
    manager.add_mount(
        {"name": "ro", "type": "relative", "path": "mem:", "permissions": "readwrite"}
    )
    with pytest.raises(StoragePermissionError):
        sync(manager.node("src:"), manager.node("ro:"), delete=True)


# -- batched server-side copies --------------------------------------------------------


def many_files(root: StorageNode, count: int) -> dict[str, bytes]:
    contents = {f"d{index % 3}/f{index:03d}.bin": os.urandom(100 + index) for index in range(count)}
    for path, data in contents.items():
        root.child(path).write_bytes(data)
    return contents


@pytest.mark.parametrize(("source", "target"), [("src:", "dst:"), ("mem:a", "mem:b")])
def test_a_failed_file_in_a_batch_leaves_the_others_copied(
    manager: StorageManager, tmp_path: Path, source: str, target: str
) -> None:
    contents = many_files(manager.node(source), 10)
    plan = plan_sync(manager.node(source), manager.node(target))
    manager.node(source, "d1/f004.bin").delete()  # gone between planning and copying
    report = transfer_files(
        [item for item, _reason in plan.copies],
        TransferReport(manager.node(source), manager.node(target)),
        workers=2,
        preserve_mtime=True,
    )
    missing = manager.node(source, "d1/f004.bin")
    assert [path for path, _message in report.errors] == [missing.fullpath]
    assert "no such file" in report.errors[0][1]
    assert len(report.copied) == 9
    root = manager.node(target)
    prefix = len(root.path) + 1 if root.path else 0
    landed = {n.path[prefix:]: n.read_bytes() for n, _s in root.walk_files()}
    assert landed == {path: data for path, data in contents.items() if path != "d1/f004.bin"}
    if target == "dst:":
        assert [
            n for _d, _s, names in os.walk(tmp_path / "dst") for n in names if n[0] == "."
        ] == []


@pytest.mark.parametrize("durable", ["syncfs", "fsync", False])
@pytest.mark.parametrize("target", ["disk:", "inner:"])  # a relative mount batches too
def test_a_batch_is_durable_before_any_file_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: str | bool, target: str
) -> None:
    manager = StorageManager(
        {
            "src": {"type": "local", "path": str(tmp_path / "src")},
            "disk": {"type": "local", "path": str(tmp_path / "disk"), "fsync": bool(durable)},
            "inner": {"type": "relative", "path": "disk:inner"},
        }
    )
    contents = many_files(manager.node("src:"), 40)
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace
    real_syncfs = local_writer._syncfs()
    assert real_syncfs is not None  # Linux 5.8 or later

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def syncfs(fd: int) -> int:
        events.append(("syncfs", os.readlink(f"/proc/self/fd/{fd}")))
        return real_syncfs(fd)

    def replace(source: str, target: str) -> None:
        events.append(("publish", source))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(local_writer, "_syncfs", lambda: syncfs if durable == "syncfs" else None)
    report = sync(manager.node("src:"), manager.node(target), transfers=1)
    assert report.ok and len(report.copied) == 40
    published = [path for kind, path in events if kind == "publish"]
    assert len(published) == 40
    kinds = [kind for kind, _path in events]
    if durable == "syncfs":
        # One batch on one filesystem: one syncfs, then every file published.
        assert kinds == ["syncfs"] + ["publish"] * 40
        assert events[0][1] in published  # called on one of the staged files
    elif durable == "fsync":
        # Every file made durable under its temporary name, then all published.
        assert kinds == ["fsync"] * 40 + ["publish"] * 40
        assert sorted(path for kind, path in events if kind == "fsync") == sorted(published)
    else:
        assert kinds == ["publish"] * 40
    landed = tmp_path / "disk" / ("inner" if target == "inner:" else "")
    for path, data in contents.items():
        assert (landed / path).read_bytes() == data
        assert manager.node(target, path).mtime() == manager.node("src:", path).mtime()


def test_a_failed_syncfs_publishes_none_of_its_batch(
    manager: StorageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(manager.node("src:"), 5)

    def failing_syncfs(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(local_writer, "_syncfs", lambda: failing_syncfs)
    report = sync(manager.node("src:"), manager.node("dst:"))
    assert report.copied == [] and len(report.errors) == 5
    assert all("syncfs: Input/output error" in message for _path, message in report.errors)
    assert [name for _d, _s, names in os.walk(tmp_path / "dst") for name in names] == []


def test_syncfs_is_used_only_where_it_reports_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    find = local_writer._syncfs.__wrapped__
    assert find() is not None
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "h", "5.4.0", "", "")))
    assert find() is None  # before 5.8 syncfs returned 0 even when write-back failed
    monkeypatch.setattr(sys, "platform", "darwin")
    assert find() is None


def test_an_interrupted_batch_publishes_nothing_and_leaves_no_temporary(
    manager: StorageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_files(manager.node("src:"), 6)
    real_sendfile = os.sendfile
    calls = []

    def interrupt_third(out_fd: int, in_fd: int, offset: int, count: int) -> int:
        calls.append(offset)
        if len(calls) == 5:  # two calls a file: the third file's first chunk
            raise KeyboardInterrupt
        return real_sendfile(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", interrupt_third)
    with pytest.raises(KeyboardInterrupt):
        sync(manager.node("src:"), manager.node("dst:"), transfers=1)
    left = [name for _d, _s, names in os.walk(tmp_path / "dst") for name in names]
    assert left == []


def test_batch_failures_of_single_files_are_reported_and_the_rest_copied(
    manager: StorageManager, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = many_files(manager.node("src:"), 6)
    manager.node("src:escape/a.txt").write_bytes(b"would leave the mount")
    manager.node("src:blocked").write_bytes(b"a file where the destination has a directory")
    (tmp_path / "outside").mkdir()
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "escape").symlink_to(tmp_path / "outside")
    (tmp_path / "dst" / "blocked").mkdir()
    (tmp_path / "dst" / "blocked" / "keep.txt").write_bytes(b"kept")
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # one file's fsync fails, the others' succeed
        # Temporary names do not carry the target's: f004.bin is the file of its size.
        if os.fstat(fd).st_size == len(contents["d1/f004.bin"]):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(local_writer, "_syncfs", lambda: None)  # one fsync per file
    report = sync(manager.node("src:"), manager.node("dst:"))
    errors = dict(report.errors)
    assert set(errors) == {"src:escape/a.txt", "src:blocked", "src:d1/f004.bin"}
    assert "outside the mount root" in errors["src:escape/a.txt"]
    assert "input/output error" in errors["src:d1/f004.bin"].lower()
    assert sorted(report.copied) == sorted(f"src:{p}" for p in contents if p != "d1/f004.bin")
    assert os.listdir(tmp_path / "outside") == []
    assert (tmp_path / "dst" / "blocked" / "keep.txt").read_bytes() == b"kept"
    assert not (tmp_path / "dst" / "d1" / "f004.bin").exists()
    hidden = [n for _d, _s, names in os.walk(tmp_path / "dst") for n in names if n[0] == "."]
    assert hidden == []


@pytest.mark.parametrize("durability", ["syncfs", "fsync"])
def test_a_batch_copied_without_sendfile_lands_whole_with_its_times(
    manager: StorageManager, monkeypatch: pytest.MonkeyPatch, durability: str
) -> None:
    contents = many_files(manager.node("src:"), 8)

    def refuse(*args: object) -> int:
        raise OSError(errno.EINVAL, "sendfile not supported here")

    monkeypatch.setattr(os, "sendfile", refuse)
    if durability == "fsync":
        monkeypatch.setattr(local_writer, "_syncfs", lambda: None)
    assert sync(manager.node("src:"), manager.node("dst:")).ok
    for path, data in contents.items():
        assert manager.node("dst:", path).read_bytes() == data
        assert manager.node("dst:", path).mtime() == manager.node("src:", path).mtime()


@pytest.mark.parametrize("kind", ["local", "fsspec"])
def test_delete_never_removes_a_kept_file_through_a_symlinked_directory(
    tmp_path: Path, kind: str
) -> None:
    # dst/link -> sub: dst:link/x is dst:sub/x under another name. The source has sub/x
    # only, so link/x is "extra", and deleting it would delete the kept sub/x.
    source, target = tmp_path / "src", tmp_path / "dst"
    (source / "sub").mkdir(parents=True)
    (target / "sub").mkdir(parents=True)
    for root in (source, target):
        (root / "sub" / "x.txt").write_bytes(b"kept")
    (target / "sub" / "gone.txt").write_bytes(b"extra")
    (target / "link").symlink_to("sub")

    def config(path: Path) -> dict[str, str]:
        if kind == "local":
            return {"type": "local", "path": str(path)}
        return {"type": "fsspec", "protocol": "file", "path": str(path)}

    manager = StorageManager({"s": config(source), "d": config(target)})
    report = sync(manager.node("s:"), manager.node("d:"), delete=True)
    assert report.ok, report.errors
    assert (target / "sub" / "x.txt").read_bytes() == b"kept"
    # An extra file is deleted by its own name, never through the link.
    assert report.deleted == ["d:sub/gone.txt"]
    assert not (target / "sub" / "gone.txt").exists()
    assert ("d:link/x.txt", "symlink-alias") in report.skipped
    assert ("d:link/gone.txt", "symlink-alias") in report.skipped


def test_delete_never_reaches_out_of_the_destination_through_a_symlink(tmp_path: Path) -> None:
    # dst is m:d; m:d/link -> ../keep lists m:keep's files as extra files of the sync.
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    (tmp_path / "m" / "d").mkdir(parents=True)
    (tmp_path / "m" / "keep").mkdir()
    (tmp_path / "m" / "keep" / "precious.txt").write_bytes(b"precious")
    (tmp_path / "m" / "d" / "link").symlink_to("../keep")
    manager = StorageManager(
        {
            "s": {"type": "local", "path": str(tmp_path / "src")},
            "m": {"type": "local", "path": str(tmp_path / "m")},
            "r": {"type": "relative", "path": "m:d"},
        }
    )
    report = sync(manager.node("s:"), manager.node("m:d"), delete=True)
    assert report.ok and report.deleted == []
    assert ("m:d/link/precious.txt", "symlink-alias") in report.skipped
    # A relative mount's walk does not follow a link out of its own root at all.
    report = sync(manager.node("s:"), manager.node("r:"), delete=True)
    assert report.ok and report.deleted == []
    assert (tmp_path / "m" / "keep" / "precious.txt").read_bytes() == b"precious"


def test_options_objects_take_keyword_overrides_and_refuse_unknown_names(
    tmp_path: Path,
) -> None:
    manager = StorageManager({"a": {"type": "memory"}, "b": {"type": "memory"}})
    manager.node("a:x.txt").write_text("x")
    base = SyncOptions(dry_run=True)
    report = sync(manager.node("a:"), manager.node("b:"), base, dry_run=False)
    assert report.copied == ["a:x.txt"] and not report.dry_run  # the keyword won
    assert manager.node("b:x.txt").read_text() == "x"
    assert base.dry_run  # the object itself is unchanged
    with pytest.raises(TypeError):
        sync(manager.node("a:"), manager.node("b:"), base, dryrun=True)
    with pytest.raises(TypeError):
        manager.node("a:x.txt").copy_to("b:y.txt", CopyOptions(), skipp="size")
    with pytest.raises(ValueError, match="size-mtime"):
        SyncOptions(compare="sizes")
