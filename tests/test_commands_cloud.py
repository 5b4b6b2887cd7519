"""The storage commands between local disk, memory and the S3/GCS/Azure emulators."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from genro_storage_django import get_manager
from tests.support.cloud import CLOUD_KINDS, cloud_config

pytestmark = pytest.mark.cloud

FILES = {f"dir{index % 3}/file{index}.bin": os.urandom(2000 + index) for index in range(9)}


def run_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    result: dict[str, Any] = json.loads(out.getvalue().strip().splitlines()[-1])
    return result


@pytest.fixture(params=CLOUD_KINDS)
def cloud_kind(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> str:
    settings.STORAGE_MOUNTS = {
        "disk": {"type": "local", "path": str(tmp_path / "disk")},
        "back": {"type": "local", "path": str(tmp_path / "back")},
        "mem": {"type": "memory"},
        "cloud": cloud_config(request.param, request),
    }
    for path, data in FILES.items():
        get_manager().node("disk:", path).write_bytes(data)
    return str(request.param)


def test_local_to_cloud_to_memory_to_local(cloud_kind: str, tmp_path: Path) -> None:
    first = run_json("storage_sync", "disk:", "cloud:tree")
    assert len(first["copied"]) == len(FILES)
    again = run_json("storage_sync", "disk:", "cloud:tree")
    assert again["copied"] == []  # a no-op, though object stores cannot keep mtimes
    assert len(again["skipped"]) == len(FILES)
    assert len(run_json("storage_copy", "cloud:tree", "mem:copy")["copied"]) == len(FILES)
    assert len(run_json("storage_sync", "mem:copy", "back:")["copied"]) == len(FILES)
    for path, data in FILES.items():
        assert (tmp_path / "back" / path).read_bytes() == data
    # From the cloud to local disk the times are kept, so that direction is a no-op too.
    run_json("storage_sync", "cloud:tree", "back:")
    assert run_json("storage_sync", "cloud:tree", "back:")["copied"] == []


def test_dry_run_checksum_and_delete_on_the_cloud(cloud_kind: str) -> None:
    manager = get_manager()
    run_json("storage_sync", "disk:", "cloud:")
    manager.node("cloud:stale.txt").write_bytes(b"only in the cloud")
    planned = run_json("storage_sync", "disk:", "cloud:", "--delete", "--dry-run", "--noinput")
    assert planned["deleted"] == ["cloud:stale.txt"]
    assert manager.node("cloud:stale.txt").exists()
    changed = "dir0/file0.bin"
    manager.node("disk:", changed).write_bytes(os.urandom(len(FILES[changed])))
    found = run_json("storage_sync", "disk:", "cloud:", "--checksum", "--delete", "--noinput")
    assert found["copied"] == [f"disk:{changed}"]
    assert found["deleted"] == ["cloud:stale.txt"]
    assert not manager.node("cloud:stale.txt").exists()
    assert (
        manager.node("cloud:", changed).read_bytes() == manager.node("disk:", changed).read_bytes()
    )
