"""Local mounts' ``file_permissions`` / ``directory_permissions`` and the manager's
``option_defaults`` (the Django layer fills them from ``FILE_UPLOAD_*PERMISSIONS``)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django.checks import CHECK_IDS, check_storage_mounts
from genro_storage_django.core import StorageConfigError, StorageManager


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


pytestmark = pytest.mark.usefixtures("umask_022")


def local(root: Path, **options: Any) -> dict[str, Any]:
    root.mkdir(exist_ok=True)
    return {"type": "local", "path": str(root), **options}


def test_every_way_of_making_files_and_directories_gives_the_modes(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "src": local(tmp_path / "src"),
            "dst": local(tmp_path / "dst", file_permissions=0o640, directory_permissions=0o750),
        }
    )
    dst = tmp_path / "dst"
    manager.node("dst:w/x/file.txt").write_bytes(b"written")
    with manager.node("dst:t/file.txt").open("w") as stream:
        stream.write("text")
    manager.node("dst:made/deep").mkdir(parents=True)
    manager.node("dst:single").mkdir()
    manager.node("src:copied.txt").write_bytes(b"copied")
    manager.node("src:copied.txt").copy_to("dst:c/copied.txt")
    manager.node("src:moved.txt").write_bytes(b"moved")
    manager.node("src:moved.txt").move_to("dst:m/moved.txt")
    manager.node("src:tree/one.txt").write_bytes(b"1")
    manager.node("src:tree").copy_to("dst:tree")
    for name in ["w/x/file.txt", "t/file.txt", "c/copied.txt", "m/moved.txt", "tree/one.txt"]:
        assert mode_of(dst / name) == 0o640, name
    for name in ["w", "w/x", "t", "made", "made/deep", "single", "c", "m", "tree"]:
        assert mode_of(dst / name) == 0o750, name
    # The source mount sets no modes: the umask decides there.
    assert mode_of(tmp_path / "src" / "tree" / "one.txt") == 0o644


def test_existing_directories_keep_their_mode(tmp_path: Path) -> None:
    (tmp_path / "root" / "kept").mkdir(parents=True, mode=0o711)
    manager = StorageManager({"m": local(tmp_path / "root", directory_permissions=0o770)})
    manager.node("m:kept/new/file.txt").write_bytes(b"x")
    manager.node("m:kept/new").mkdir(exist_ok=True)
    assert mode_of(tmp_path / "root" / "kept") == 0o711
    assert mode_of(tmp_path / "root" / "kept" / "new") == 0o770
    with pytest.raises(FileExistsError):
        manager.node("m:kept/new").mkdir(parents=True)


def test_option_defaults_fill_only_the_types_that_take_them(tmp_path: Path) -> None:
    manager = StorageManager(
        {
            "plain": local(tmp_path / "plain"),
            "own": local(tmp_path / "own", file_permissions=0o600),
            "ram": {"type": "memory"},
        },
        option_defaults={"file_permissions": 0o604},
    )
    manager.node("plain:a.txt").write_bytes(b"a")
    manager.node("own:a.txt").write_bytes(b"a")
    manager.node("ram:a.txt").write_bytes(b"a")
    assert mode_of(tmp_path / "plain" / "a.txt") == 0o604
    assert mode_of(tmp_path / "own" / "a.txt") == 0o600
    assert "file_permissions" not in manager.get_mount("ram").config
    manager.add_mount({"name": "later", **local(tmp_path / "later")})
    manager.node("later:a.txt").write_bytes(b"a")
    assert mode_of(tmp_path / "later" / "a.txt") == 0o604


@pytest.mark.parametrize("mode", ["0644", 0o10000, -1, True, 6.4])
def test_a_mode_must_be_permission_bits(tmp_path: Path, mode: object) -> None:
    with pytest.raises(StorageConfigError, match="file_permissions must be a mode"):
        StorageManager({"m": local(tmp_path / "m", file_permissions=mode)})
    with pytest.raises(StorageConfigError, match="directory_permissions must be a mode"):
        StorageManager({"m": {"type": "memory"}}, option_defaults={}).add_mount(
            {"name": "d", **local(tmp_path / "d", directory_permissions=mode)}
        )


def test_bad_modes_are_check_errors(tmp_path: Path, settings: SettingsWrapper) -> None:
    settings.STORAGE_MOUNTS = {"m": local(tmp_path / "m", file_permissions="0644")}
    assert [m.id for m in check_storage_mounts()] == [CHECK_IDS["invalid_value"]]
    # A bad FILE_UPLOAD_PERMISSIONS reaches the mounts as a default: reported the same way.
    settings.STORAGE_MOUNTS = {"m": local(tmp_path / "m")}
    settings.FILE_UPLOAD_PERMISSIONS = "0644"
    assert [m.id for m in check_storage_mounts()] == [CHECK_IDS["invalid_value"]]


def test_a_dangling_symlink_in_the_way_of_a_directory_fails_the_write(tmp_path: Path) -> None:
    manager = StorageManager({"m": local(tmp_path / "m", directory_permissions=0o750)})
    (tmp_path / "m" / "link").symlink_to(tmp_path / "m" / "missing")
    with pytest.raises(FileExistsError):
        manager.node("m:link/file.txt").write_bytes(b"x")
    assert not (tmp_path / "m" / "missing").exists()


def test_an_overwrite_keeps_the_file_mode(tmp_path: Path) -> None:
    manager = StorageManager({"m": local(tmp_path / "root")})
    secret = tmp_path / "root" / "secret.txt"
    manager.node("m:secret.txt").write_bytes(b"old")
    secret.chmod(0o600)
    manager.node("m:secret.txt").write_bytes(b"new")
    with manager.node("m:secret.txt").open("w") as stream:
        stream.write("newer")
    assert mode_of(secret) == 0o600
    assert secret.read_text() == "newer"
    # A symlink replaced by the write is not a file whose mode means anything: the umask decides.
    (tmp_path / "root" / "link.txt").symlink_to(secret)
    manager.node("m:link.txt").write_bytes(b"replaces the link")
    assert mode_of(tmp_path / "root" / "link.txt") == 0o644
    assert mode_of(secret) == 0o600


def test_mount_permissions_win_over_the_replaced_file_mode(tmp_path: Path) -> None:
    manager = StorageManager({"m": local(tmp_path / "root", file_permissions=0o640)})
    manager.node("m:f.txt").write_bytes(b"old")
    (tmp_path / "root" / "f.txt").chmod(0o600)
    manager.node("m:f.txt").write_bytes(b"new")
    assert mode_of(tmp_path / "root" / "f.txt") == 0o640
