"""Mirror and cache mounts are mounts like any other for Django: MountStorage saves,
opens and deletes through them, and the commands list them."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from genro_storage_django import get_manager, mount
from genro_storage_django.core.backends.cache import CacheBackend


def test_mount_storage_on_mirror_and_cache(settings: SettingsWrapper, tmp_path: Path) -> None:
    for name in ("disk", "origin"):
        (tmp_path / name).mkdir()
    settings.STORAGE_MOUNTS = {
        "disk": {"type": "local", "path": str(tmp_path / "disk")},
        "ram": {"type": "memory"},
        "media": {"type": "mirror", "mounts": ["disk", "ram"],
                  "journal_dir": str(tmp_path / "journal")},
        "origin": {"type": "local", "path": str(tmp_path / "origin")},
        "fast": {"type": "cache", "origin": "origin", "path": str(tmp_path / "cache")},
    }  # fmt: skip
    media = mount("media")
    name = media.save("docs/q3.txt", ContentFile(b"quarter", name="q3.txt"))
    assert (tmp_path / "disk" / name).read_bytes() == b"quarter"
    assert get_manager().node("ram", name).read_bytes() == b"quarter"
    with media.open(name) as stream:
        assert stream.read() == b"quarter"
    assert media.size(name) == 7
    media.delete(name)
    assert not media.exists(name)
    assert not (tmp_path / "disk" / name).exists()

    fast = mount("fast")
    name = fast.save("big.txt", ContentFile(b"far away", name="big.txt"))
    assert (tmp_path / "origin" / name).read_bytes() == b"far away"
    for _ in range(2):
        with fast.open(name) as stream:
            assert stream.read() == b"far away"
    cache = get_manager().get_backend("fast")
    assert isinstance(cache, CacheBackend)
    info = cache.cache_info()
    assert (info.hits, info.misses) == (1, 1)
    out = io.StringIO()
    call_command("storage_ls", "fast:", stdout=out)
    assert out.getvalue() == "fast:big.txt\n"
