"""The conformance suite's checks of ``capabilities``: every flag a mount declares is true.

Part of :class:`~genro_storage_django.testing.conformance.BackendConformance` (see there).
A flag is checked both ways where the mount can show it: a backend that claims what it
cannot do fails, and so does one that does something it does not claim, since callers
(and later features: versions, mirrors, caches) decide from the flags alone.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
import uuid

import pytest

from ..core import PresignedUpload, StorageError, StorageNode

__all__ = ["CapabilityConformance"]

#: A modification time no write can produce by accident (2023-11-14).
_PAST = 1_700_000_000.0
# The store's URL is fetched directly: a proxy from the environment must not answer it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CapabilityConformance:
    """What a writable mount's ``capabilities`` must say of it."""

    def test_writable_mount_declares_writes(self, writable_root: StorageNode) -> None:
        # The rest of the suite writes, appends, seeks and replaces atomically on it.
        caps = writable_root.capabilities
        assert caps == writable_root.mount.capabilities
        writes = ("read", "write", "delete", "mkdir", "list_dir", "atomic_operations")
        streams = ("append_mode", "seek_support")
        assert [flag for flag in writes + streams if not getattr(caps, flag)] == []
        assert not caps.readonly

    def test_directories_flag(self, writable_root: StorageNode) -> None:
        empty = writable_root / "empty"
        empty.mkdir()
        assert empty.is_dir() is writable_root.capabilities.directories

    def test_keeps_mtime_flag(self, writable_root: StorageNode) -> None:
        node = writable_root / "dated.txt"
        node.write_bytes(b"x")
        kept = node.backend.set_mtime(node.backend.locate(node.path), _PAST)
        assert kept is writable_root.capabilities.keeps_mtime
        if kept:
            assert node.mtime() == pytest.approx(_PAST)

    def test_local_files_flag(self, writable_root: StorageNode) -> None:
        node = writable_root / "here.txt"
        node.write_bytes(b"on disk?")
        local = node.backend.local_file(node.backend.locate(node.path))
        assert (local is not None) is writable_root.capabilities.local_files
        if local is not None:
            with open(local, "rb") as handle:
                assert handle.read() == b"on disk?"

    def test_symbolic_links_flag(self, writable_root: StorageNode) -> None:
        if not writable_root.capabilities.symbolic_links:
            return  # nothing to show: links exist only where files are on the disk
        assert writable_root.capabilities.local_files
        target = writable_root / "target.txt"
        target.write_bytes(b"through the link")
        local = target.backend.local_file(target.backend.locate(target.path))
        assert local is not None
        os.symlink(local, os.path.join(os.path.dirname(local), "link.txt"))
        assert (writable_root / "link.txt").read_bytes() == b"through the link"

    def test_copy_optimization_flag(self, writable_root: StorageNode) -> None:
        # The transfer engine copies server-side exactly when the holder says it can.
        node = writable_root / "source.txt"
        node.write_bytes(b"copied")
        holder, _ = node.backend.resolve_location(node.backend.locate(node.path))
        assert holder.can_copy_within(holder) is writable_root.capabilities.copy_optimization

    def test_hash_on_metadata_flag(self, writable_root: StorageNode) -> None:
        data = b"hashed by the store"
        node = writable_root / "hashed.txt"
        node.write_bytes(data)
        md5 = node.stat().md5
        if writable_root.capabilities.hash_on_metadata:
            assert md5 == hashlib.md5(data).hexdigest()
        else:
            assert md5 is None

    def test_url_flags(self, writable_root: StorageNode) -> None:
        caps = writable_root.capabilities
        node = writable_root / "linked.txt"
        node.write_bytes(b"fetched by URL")
        url = node.url(expires_in=300)
        if not (caps.presigned_urls or caps.public_urls):
            assert url is None
            return
        assert url is not None
        with _OPENER.open(url, timeout=30) as response:
            assert response.read() == b"fetched by URL"

    def test_presigned_uploads_flag(self, writable_root: StorageNode) -> None:
        node = writable_root / "direct.bin"
        if writable_root.capabilities.presigned_uploads:
            # Sent as a browser would: the store takes it, and the mount then reads it.
            _send(node.presigned_upload(expires_in=300, max_size=1024), b"sent by a browser")
            assert node.read_bytes() == b"sent by a browser"
        else:
            with pytest.raises(StorageError, match="cannot presign an upload"):
                node.presigned_upload(expires_in=300)


def _send(upload: PresignedUpload, data: bytes) -> None:
    """Send ``data`` as :class:`PresignedUpload` says: a PUT of the bytes, or a form POST
    with the signed fields first and the file last."""
    headers = dict(upload.headers)
    if upload.method == "PUT":
        body = data
    else:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in upload.fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="direct.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        body = "".join(parts).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(upload.url, data=body, method=upload.method, headers=headers)
    with _OPENER.open(request, timeout=30) as response:
        assert response.status < 300
