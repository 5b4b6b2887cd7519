"""Archive members (zip, tar, tar.gz) served by the file view: whole, and by byte ranges
(seeking in the member)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from genro_storage_django.conf import get_manager

#: Incompressible, so a range reads from the middle of the deflated stream.
CONTENT = os.urandom(300_000)


@pytest.fixture(params=[("zip", "site.zip"), ("tar", "site.tar"), ("tar", "site.tar.gz")])
def served(settings: Any, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    mount_type, filename = request.param
    (tmp_path / "disk").mkdir()
    settings.STORAGE_MOUNTS = {
        "disk": {"type": "local", "path": str(tmp_path / "disk")},
        "z": {"type": mount_type, "path": f"disk:{filename}", "serve": "public"},
    }
    get_manager().node("z:media/clip.bin").write_bytes(CONTENT)


@pytest.mark.usefixtures("served")
def test_a_member_is_served_whole() -> None:
    response = Client().get("/files/z/media/clip.bin")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT  # type: ignore[attr-defined]
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.usefixtures("served")
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=100000-100099", 100_000, 100_099), ("bytes=-10", 299_990, 299_999)],
)
def test_a_range_of_a_member(header: str, start: int, end: int) -> None:
    response = Client().get("/files/z/media/clip.bin", headers={"Range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/300000"
    assert b"".join(response.streaming_content) == CONTENT[start : end + 1]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("served")
def test_several_ranges_of_a_member() -> None:
    response = Client().get(
        "/files/z/media/clip.bin", headers={"Range": "bytes=250000-250009,10-19"}
    )
    assert response.status_code == 206
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert CONTENT[10:20] in body
    assert CONTENT[250_000:250_010] in body
