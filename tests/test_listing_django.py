"""What the commands and the file view make of entries a listing leaves out and of
symlinks leading out of fsspec-file and relative mounts."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django import get_manager, mount
from genro_storage_django.core.backends.local_tree import remove_tree


@pytest.fixture
def roots(settings: SettingsWrapper, tmp_path: Path) -> dict[str, Path]:
    roots = {name: tmp_path / name for name in ("src", "dst", "fs", "outside")}
    for root in roots.values():
        root.mkdir()
    settings.STORAGE_MOUNTS = {
        "src": {"type": "local", "path": str(roots["src"]), "serve": "public"},
        "dst": {"type": "local", "path": str(roots["dst"])},
        "fs": {"type": "fsspec", "protocol": "file", "path": str(roots["fs"]), "serve": "public"},
        "rel": {"type": "relative", "path": "src:sub", "serve": "public"},
    }
    (roots["outside"] / "secret.txt").write_bytes(b"secret")
    (roots["src"] / "sub").mkdir()
    (roots["src"] / "sub" / "ok.txt").write_bytes(b"ok")
    (roots["src"] / "secret.txt").write_bytes(b"secret")
    return roots


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_storage_ls_and_sync_report_what_they_leave_out(roots: dict[str, Path]) -> None:
    with open(os.path.join(os.fsencode(roots["src"]), b"sub/back\\slash\xff.txt"), "wb") as f:
        f.write(b"x")
    (roots["src"] / "sub" / "loop").symlink_to("..")
    out, err = run("storage_ls", "src:", "-R")
    assert out.splitlines() == [
        "src:secret.txt",
        "src:sub/",
        "src:sub/loop/",
        "src:sub/ok.txt",
    ]
    assert err.splitlines() == [
        "skip src:sub/back\\slash\\xff.txt: unsafe-name",
        "skip src:sub/loop: symlink-loop",
    ]
    assert mount("src").listdir("sub") == (["loop"], ["ok.txt"])
    for run_number in range(2):
        out, err = run("storage_sync", "src:sub", "dst:", "--delete", "--noinput", "--json")
        summary = json.loads(out.splitlines()[-1])
        assert summary["copied"] == (["src:sub/ok.txt"] if run_number == 0 else [])
        assert summary["deleted"] == []
        assert {"path": "src:sub/back\\slash\\xff.txt", "reason": "unsafe-name"} in summary[
            "skipped"
        ]
        assert {"path": "src:sub/loop", "reason": "symlink-loop"} in summary["skipped"]
        assert "skip src:sub/back\\slash\\xff.txt: unsafe-name" in err.splitlines()
    assert sorted(os.listdir(roots["dst"])) == ["ok.txt"]


@pytest.mark.parametrize(
    ("url", "served"),
    [
        ("/files/fs/inside.txt", b"inside"),
        ("/files/fs/escape/secret.txt", None),
        ("/files/fs/escape-file", None),
        ("/files/rel/ok.txt", b"ok"),
        ("/files/rel/up/secret.txt", None),
    ],
)
def test_the_file_view_keeps_to_the_mount_root(
    roots: dict[str, Path], url: str, served: bytes | None
) -> None:
    (roots["fs"] / "inside.txt").write_bytes(b"inside")
    (roots["fs"] / "escape").symlink_to(roots["outside"])
    (roots["fs"] / "escape-file").symlink_to(roots["outside"] / "secret.txt")
    (roots["src"] / "sub" / "up").symlink_to("..")
    response = Client().get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if served is None:
        assert response.status_code == 404
        assert b"secret" not in body
    else:
        assert response.status_code == 200
        assert body == served


def test_storage_ls_lists_a_thousand_nested_directories(roots: dict[str, Path]) -> None:
    deep = "/".join(["d"] * 1000)
    get_manager().node(f"src:{deep}/f.txt").write_bytes(b"deep")
    try:
        out, err = run("storage_ls", "src:d", "-R")
        lines = out.splitlines()
        assert len(lines) == 1000
        assert lines[-1] == f"src:{deep}/f.txt"
        assert err == ""
    finally:
        # pytest's own clean-up of old temporary directories would recurse this deep.
        remove_tree(str(roots["src"] / "d"))
