"""storage_copy, storage_sync and storage_ls, run as Django runs them."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django import get_manager
from genro_storage_django.core import StorageNode
from genro_storage_django.core.backends import AtomicWriter, default_registry
from genro_storage_django.core.backends.memory import MemoryBackend
from genro_storage_django.core.transfer import copy

FILES = {
    "a.txt": b"alpha",
    "docs/b.pdf": b"%PDF-1.7 bravo",
    "docs/deep/c.txt": b"charlie" * 100,
    "img/d.png": os.urandom(5000),
}


class FailingOnce(MemoryBackend):
    """A destination that fails files named *broken* while ``FailingOnce.broken`` is set."""

    type_name = "test-failing"
    broken = True

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        if FailingOnce.broken and "broken" in location:
            raise OSError("injected failure")
        return super().open_writer(location, exclusive=exclusive)


@pytest.fixture
def mounts(settings: SettingsWrapper, tmp_path: Path) -> Iterator[dict[str, Path]]:
    default_registry.register(FailingOnce.type_name, FailingOnce)
    FailingOnce.broken = True
    roots = {name: tmp_path / name for name in ("src", "dst")}
    settings.STORAGE_MOUNTS = {
        "src": {"type": "local", "path": str(roots["src"])},
        "dst": {"type": "local", "path": str(roots["dst"])},
        "mem": {"type": "memory"},
        "flaky": {"type": FailingOnce.type_name},
    }
    for path, data in FILES.items():
        get_manager().node("src:", path).write_bytes(data)
    yield roots
    default_registry._types.pop(FailingOnce.type_name)


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def summary(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])


def tree(node: StorageNode) -> dict[str, bytes]:
    prefix = len(node.path) + 1 if node.path else 0
    return {n.path[prefix:]: n.read_bytes() for n, _s in node.walk_files()}


def test_copy_a_tree_then_again_as_a_no_op(mounts: dict[str, Path]) -> None:
    first = summary(run("storage_copy", "src:", "mem:backup", "--json")[0])
    assert sorted(first["copied"]) == sorted(f"src:{p}" for p in FILES)
    assert first["bytes"] == sum(len(d) for d in FILES.values())
    assert set(first) >= {"copied", "skipped", "deleted", "bytes", "errors", "seconds"}
    assert tree(get_manager().node("mem:backup")) == FILES
    second = summary(run("storage_copy", "src:", "mem:backup", "--json")[0])
    assert second["copied"] == []
    assert len(second["skipped"]) == len(FILES)
    assert all(set(s) == {"path", "reason"} for s in second["skipped"])


def test_copy_a_single_file_like_cp(mounts: dict[str, Path]) -> None:
    run("storage_copy", "src:docs/b.pdf", "dst:renamed.pdf")
    assert (mounts["dst"] / "renamed.pdf").read_bytes() == FILES["docs/b.pdf"]


def test_sync_local_to_local_keeps_mtimes(mounts: dict[str, Path]) -> None:
    out, _err = run("storage_sync", "src:", "dst:", "-v", "2")
    assert "copy src:a.txt" in out
    assert "copied 4" in out
    for path in FILES:
        assert (mounts["dst"] / path).stat().st_mtime == (mounts["src"] / path).stat().st_mtime
    again = summary(run("storage_sync", "src:", "dst:", "--json")[0])
    assert again["copied"] == []


def test_dry_run_changes_nothing(mounts: dict[str, Path]) -> None:
    get_manager().node("dst:extra.txt").write_bytes(b"x")
    out, _err = run("storage_sync", "src:", "dst:", "--delete", "--dry-run")
    assert "would copy src:a.txt" in out
    assert "would delete dst:extra.txt" in out
    assert sorted(os.listdir(mounts["dst"])) == ["extra.txt"]


def test_checksum_finds_a_same_size_change(mounts: dict[str, Path]) -> None:
    run("storage_sync", "src:", "dst:")
    target = mounts["src"] / "a.txt"
    stat = target.stat()
    target.write_bytes(b"ALPHA")
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert summary(run("storage_sync", "src:", "dst:", "--json")[0])["copied"] == []
    found = summary(run("storage_sync", "src:", "dst:", "--json", "--checksum")[0])
    assert found["copied"] == ["src:a.txt"]
    assert (mounts["dst"] / "a.txt").read_bytes() == b"ALPHA"


def test_delete_with_noinput_and_max_delete(mounts: dict[str, Path]) -> None:
    manager = get_manager()
    for index in range(3):
        manager.node(f"dst:old/{index}.txt").write_bytes(b"old")
    with pytest.raises(CommandError, match="1 error"):
        run("storage_sync", "src:", "dst:", "--delete", "--noinput", "--max-delete", "2")
    assert len(list(manager.node("dst:old").iterdir())) == 1
    out = summary(run("storage_sync", "src:", "dst:", "--delete", "--noinput", "--json")[0])
    assert out["deleted"] == ["dst:old/2.txt"]


def test_delete_asks_and_a_no_deletes_nothing(
    mounts: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    get_manager().node("dst:extra.txt").write_bytes(b"x")
    answers = iter(["n"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError):
        run("storage_sync", "src:", "dst:", "--delete")
    assert (mounts["dst"] / "extra.txt").exists()
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    run("storage_sync", "src:", "dst:", "--delete")
    assert not (mounts["dst"] / "extra.txt").exists()


def test_empty_source_is_never_mirrored_by_deleting(mounts: dict[str, Path]) -> None:
    get_manager().node("dst:precious.txt").write_bytes(b"keep me")
    with pytest.raises(CommandError, match="no such file"):
        run("storage_sync", "mem:missing", "dst:", "--delete", "--noinput", "--force")
    with pytest.raises(CommandError):
        run("storage_sync", "mem:", "dst:", "--delete", "--noinput")
    assert (mounts["dst"] / "precious.txt").exists()
    run("storage_sync", "mem:", "dst:", "--delete", "--noinput", "--force")
    assert not (mounts["dst"] / "precious.txt").exists()


def test_filters(mounts: dict[str, Path]) -> None:
    copied = summary(
        run(
            "storage_copy", "src:", "mem:f", "--include", "*.txt", "--exclude", "deep/**", "--json"
        )[0]
    )["copied"]
    assert copied == ["src:a.txt"]
    copied = summary(run("storage_copy", "src:", "mem:g", "--include", "docs/**", "--json")[0])
    assert sorted(copied["copied"]) == ["src:docs/b.pdf", "src:docs/deep/c.txt"]
    anchored = summary(run("storage_copy", "src:", "mem:h", "--include", "/*.txt", "--json")[0])
    assert anchored["copied"] == ["src:a.txt"]


def test_failure_half_way_reports_and_a_rerun_completes(mounts: dict[str, Path]) -> None:
    manager = get_manager()
    manager.node("src:broken/x.bin").write_bytes(b"will fail")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("storage_sync", "src:", "flaky:", "--json", stdout=out, stderr=err)
    report = summary(out.getvalue())
    assert [e["path"] for e in report["errors"]] == ["src:broken/x.bin"]
    assert "injected failure" in err.getvalue()
    assert len(report["copied"]) == len(FILES)
    assert not manager.node("flaky:broken/x.bin").exists()
    FailingOnce.broken = False
    rerun = summary(run("storage_sync", "src:", "flaky:", "--json")[0])
    assert rerun["copied"] == ["src:broken/x.bin"]
    assert rerun["errors"] == []


def test_argument_errors(mounts: dict[str, Path]) -> None:
    with pytest.raises(CommandError, match="write mount:path"):
        run("storage_copy", "src", "dst:")
    with pytest.raises(CommandError, match="Mount point 'nope' not found"):
        run("storage_copy", "nope:x", "dst:")
    with pytest.raises(CommandError, match="'\\.\\.' in path"):
        run("storage_copy", "src:../etc", "dst:")
    with pytest.raises(CommandError, match="no such file"):
        run("storage_copy", "src:missing", "dst:")
    with pytest.raises(CommandError, match="--transfers"):
        run("storage_copy", "src:", "dst:", "--transfers", "0")


def test_max_delete_refuses_negative_numbers(mounts: dict[str, Path]) -> None:
    get_manager().node("dst:extra.txt").write_bytes(b"x")
    get_manager().node("dst:more.txt").write_bytes(b"y")
    for value in ("-1", "two"):
        with pytest.raises(CommandError, match="--max-delete"):
            run("storage_sync", "src:", "dst:", "--delete", "--noinput", "--max-delete", value)
    assert sorted(os.listdir(mounts["dst"])) == ["extra.txt", "more.txt"]
    with pytest.raises(CommandError, match="--transfers: must be at least 1"):
        run("storage_copy", "src:", "dst:", "--transfers", "-2")


@pytest.fixture
def overlapping(settings: SettingsWrapper, tmp_path: Path) -> Path:
    root = tmp_path / "m"
    settings.STORAGE_MOUNTS = {
        "m": {"type": "local", "path": str(root)},
        "nested": {"type": "local", "path": str(root / "d")},
        "backup": {"type": "relative", "path": "m:d/backup"},
    }
    for path, data in FILES.items():
        get_manager().node("m:d", path).write_bytes(data)
        get_manager().node("m:sub", path).write_bytes(data)
    return root


@pytest.mark.parametrize(
    "arguments",
    [
        ("storage_sync", "m:sub", "m:", "--delete", "--noinput"),
        ("storage_sync", "m:d", "m:d/backup"),
        ("storage_sync", "m:d", "backup:", "--delete", "--noinput"),
        ("storage_sync", "nested:", "m:", "--delete", "--noinput"),
        ("storage_copy", "m:", "nested:docs"),
    ],
)
def test_overlapping_trees_are_refused(overlapping: Path, arguments: tuple[str, ...]) -> None:
    before = sorted(str(path) for path in overlapping.rglob("*"))
    with pytest.raises(CommandError, match="source and destination overlap"):
        run(*arguments)
    assert sorted(str(path) for path in overlapping.rglob("*")) == before


def test_an_overlap_exits_non_zero_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "m" / "sub").mkdir(parents=True)
    (tmp_path / "m" / "sub" / "keep.txt").write_bytes(b"keep")
    (tmp_path / "overlap_settings.py").write_text(
        'SECRET_KEY = "overlap-test"\n'
        'INSTALLED_APPS = ["genro_storage_django"]\n'
        f"STORAGE_MOUNTS = {{'m': {{'type': 'local', 'path': {str(tmp_path / 'm')!r}}}}}\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "overlap_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()]),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "django", "storage_sync", "m:sub", "m:", "--delete", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 1
    assert "source and destination overlap" in finished.stderr
    assert (tmp_path / "m" / "sub" / "keep.txt").read_bytes() == b"keep"


def test_storage_ls(mounts: dict[str, Path]) -> None:
    out, _err = run("storage_ls", "src:")
    assert out.splitlines() == ["src:a.txt", "src:docs/", "src:img/"]
    out, _err = run("storage_ls", "src:docs", "-l", "-R")
    lines = out.splitlines()
    assert [line.split()[-1] for line in lines] == [
        "src:docs/b.pdf",
        "src:docs/deep/",
        "src:docs/deep/c.txt",
    ]
    assert lines[0].split()[0] == str(len(FILES["docs/b.pdf"]))
    entries = json.loads(run("storage_ls", "src:img/d.png", "--json")[0])
    assert entries == [
        {"path": "src:img/d.png", "kind": "file", "size": 5000, "mtime": entries[0]["mtime"]}
    ]
    assert entries[0]["mtime"].endswith("+00:00")
    with pytest.raises(CommandError):
        run("storage_ls", "src:missing")


KILL_SETTINGS = """
import os
SECRET_KEY = "kill-test"
INSTALLED_APPS = ["genro_storage_django"]
USE_TZ = True
STORAGE_MOUNTS = {
    "src": {"type": "local", "path": os.environ["KILL_SRC"]},
    "dst": (
        {"type": "local", "path": os.environ["KILL_DST"]}
        if os.environ["KILL_DST_TYPE"] == "local"
        else {"type": "fsspec", "protocol": "file", "path": os.environ["KILL_DST"]}
    ),
}
"""


@pytest.mark.parametrize("destination", ["local", "fsspec"])  # batched / streamed copies
def test_killed_copy_leaves_no_partial_file(tmp_path: Path, destination: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    block = os.urandom(1 << 20)
    for index in range(6):
        with open(tmp_path / "src" / f"big{index}.bin", "wb") as stream:
            for _ in range(40):
                stream.write(block)
    (tmp_path / "kill_settings.py").write_text(KILL_SETTINGS)
    env = {
        **os.environ,
        "KILL_SRC": str(tmp_path / "src"),
        "KILL_DST": str(tmp_path / "dst"),
        "KILL_DST_TYPE": destination,
        "DJANGO_SETTINGS_MODULE": "kill_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "storage_copy", "src:", "dst:", "--transfers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        name.startswith(".") for name in os.listdir(tmp_path / "dst")
    ):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    size = 40 << 20
    for name in os.listdir(tmp_path / "dst"):
        if not name.startswith("."):
            assert (tmp_path / "dst" / name).stat().st_size == size, name
    assert len(os.listdir(tmp_path / "dst")) < 6 * 2  # it really was interrupted
    rerun = subprocess.run(
        [sys.executable, "-m", "django", "storage_copy", "src:", "dst:", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(rerun.stdout.splitlines()[-1])["errors"] == []
    for index in range(6):
        assert (tmp_path / "dst" / f"big{index}.bin").read_bytes() == (
            tmp_path / "src" / f"big{index}.bin"
        ).read_bytes()


def test_progress_line_draws_files_bytes_and_rate() -> None:
    from genro_storage_django.management.progress import ProgressLine, human_bytes

    stream = io.StringIO()
    line = ProgressLine(stream, interval=0)
    manager = get_manager()
    source, target = manager.node("scratch:a"), manager.node("scratch:b")
    line.on_start(2, 3 * 1024 * 1024)
    line.on_bytes(1024 * 1024)
    line.on_file_done(source, target, "copied")
    line.finish()
    drawn = stream.getvalue()
    assert "\rfiles 0/2  0 B/3.0 MB" in drawn
    assert "files 1/2  1.0 MB/3.0 MB" in drawn
    assert drawn.endswith("\n")
    assert [human_bytes(v) for v in (5, 2048, 5 * 2**30, 3 * 2**50)] == [
        "5 B",
        "2.0 KB",
        "5.0 GB",
        "3072.0 TB",
    ]


@pytest.mark.parametrize("name", ["storage_copy", "storage_sync", "storage_ls"])
def test_commands_run_the_mount_checks_only(
    mounts: dict[str, Path], settings: SettingsWrapper, name: str
) -> None:
    from django.core import checks
    from django.core.management.base import SystemCheckError

    def broken_urls(**kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Error("a broken URLconf", id="elsewhere.E001")]

    arguments = ["src:", "dst:"] if name != "storage_ls" else ["src:"]
    # The mounts the test project's models and STORAGES name (absent from `mounts`).
    referenced = {"uploads": {"type": "memory"}, "static": {"type": "memory"}}
    settings.STORAGE_MOUNTS = {**settings.STORAGE_MOUNTS, **referenced}
    checks.register(broken_urls, checks.Tags.urls)
    try:
        # Another part of the project failing its checks does not stop a copy...
        call_command(name, *arguments, skip_checks=False, stdout=io.StringIO())
        # ...a broken mount configuration does.
        settings.STORAGE_MOUNTS = {**settings.STORAGE_MOUNTS, "bad": {"type": "local"}}
        with pytest.raises(SystemCheckError, match=r"genro_storage_django\.E003"):
            call_command(name, *arguments, skip_checks=False, stdout=io.StringIO())
    finally:
        checks.registry.registry.registered_checks.discard(broken_urls)


def test_storage_sync_and_copy_to_skip_the_same_half_second_older_file(
    mounts: dict[str, Path],
) -> None:
    source, target = get_manager().node("src:a.txt"), get_manager().node("dst:a.txt")
    target.write_bytes(b"ALPHA")  # the source's size, other content: only times decide
    when = 1_700_000_000.0
    os.utime(source.location, (when, when))
    os.utime(target.location, (when - 0.5, when - 0.5))
    out = io.StringIO()
    call_command("storage_sync", "src:a.txt", "dst:a.txt", "--json", stdout=out)
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["copied"] == []
    assert summary["skipped"] == [{"path": "src:a.txt", "reason": "same size and mtime"}]
    report = copy(source, target, skip="mtime")
    assert (report.copied, report.skipped) == ([], [("src:a.txt", "same size and mtime")])
    assert target.read_bytes() == b"ALPHA"


def test_storage_repair(settings: SettingsWrapper, mounts: dict[str, Path], tmp_path: Path) -> None:
    settings.STORAGE_MOUNTS = {
        **settings.STORAGE_MOUNTS,
        "mirror": {
            "type": "mirror",
            "mounts": ["dst", "flaky"],
            "write": "primary",
            "journal_dir": str(tmp_path / "journal"),
        },
    }
    manager = get_manager()
    manager.node("mirror:ok.txt").write_bytes(b"ok")
    manager.node("mirror:broken.txt").write_bytes(b"b")
    out = io.StringIO()
    call_command("storage_repair", "mirror", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        "would copy dst:ok.txt -> flaky:ok.txt",
        "would copy dst:broken.txt -> flaky:broken.txt",
        "mirror: 2 actions, 0 journal records replayed",
    ]
    with pytest.raises(CommandError, match="1 repair actions failed") as failed:
        call_command("storage_repair", "mirror", stdout=io.StringIO())
    assert failed.value.returncode == 1
    assert manager.node("flaky:ok.txt").read_bytes() == b"ok"
    FailingOnce.broken = False
    manager.node("flaky:extra.txt").write_bytes(b"not on the primary")
    out = io.StringIO()
    call_command("storage_repair", "mirror", "--verify", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] and report["replayed"] == 1
    assert [(a["op"], a["path"]) for a in report["actions"]] == [
        ("copy", "broken.txt"),
        ("delete", "extra.txt"),
    ]
    out = io.StringIO()
    call_command("storage_repair", "mirror", "--verify", stdout=out)
    assert out.getvalue() == "mirror: nothing to repair, 0 journal records replayed\n"
    with pytest.raises(CommandError, match="keeps no repair journal"):
        call_command("storage_repair", "src")
