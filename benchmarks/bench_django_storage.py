"""``MountStorage`` vs django-storages' ``S3Storage``, on the same moto S3 server, in one run.

Run: ``.venv/bin/python -m benchmarks.bench_django_storage`` (or ``scripts/bench django_storage``).
Needs the ``bench`` extra (django-storages, boto3) and moto.

Each operation goes through the Django ``Storage`` API of both storages, with the same
names and data: save (overwrite, and a new name when taken), open+read, exists (present
and missing), size, url (private: presigned; public: plain) and listdir. Target: <= 1.0x
django-storages for each. Every operation's HTTP requests are counted, for both sides
(from the server's own request log); ``url()`` on a public mount must send none.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.servers import running_s3
from tests.testapp.mounts import answered

from ._harness import Row, Timing, median_seconds, print_rows

BUCKET = "bench"
KEY = SECRET = "testing"
REGION = "us-east-1"


def configure_django(endpoint: str) -> None:
    import django
    from django.conf import settings

    s3 = {"type": "s3", "bucket": BUCKET, "endpoint_url": endpoint, "prefix": "ours"}
    settings.configure(
        USE_TZ=True,
        INSTALLED_APPS=["genro_storage_django"],
        STORAGE_MOUNTS={
            "private": {**s3, "key": KEY, "secret": SECRET, "file_overwrite": True},
            "private_new": {**s3, "prefix": "ours-new", "key": KEY, "secret": SECRET},
            "public": {**s3, "anon": True},
        },
    )
    django.setup()


def paired_medians(
    ours: Callable[[], object], theirs: Callable[[], object], repeat: int
) -> tuple[Timing, Timing]:
    """Median times, the two sides measured in alternating rounds so that a server slowing
    down (or speeding up) over the run weighs on both alike."""
    our_rounds: list[float] = []
    their_rounds: list[float] = []
    for _ in range(repeat):
        our_rounds.append(median_seconds(ours, repeat=1, min_time=0.15))
        their_rounds.append(median_seconds(theirs, repeat=1, min_time=0.15))
    return Timing(our_rounds), Timing(their_rounds)


def run(repeat: int) -> bool:
    import boto3
    from django.core.files.base import ContentFile
    from storages.backends.s3 import S3Storage

    from genro_storage_django import mount

    with (
        tempfile.TemporaryDirectory(prefix="bench-django-") as workdir,
        running_s3(Path(workdir)) as server,
    ):
        endpoint = server.endpoint_url
        configure_django(endpoint)
        boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(Bucket=BUCKET)
        common = {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "access_key": KEY,
            "secret_key": SECRET,
            "region_name": REGION,
            # SigV4, as the mounts sign: botocore would otherwise presign with SigV2, which
            # is cheaper to compute but refused by AWS regions and buckets made since 2014/2020.
            "signature_version": "s3v4",
        }
        theirs = S3Storage(**common, file_overwrite=True, location="theirs")
        theirs_new = S3Storage(**common, file_overwrite=False, location="theirs-new")
        theirs_public = S3Storage(**common, querystring_auth=False, location="theirs")
        ours, ours_new, ours_public = mount("private"), mount("private_new"), mount("public")

        kilobyte = os.urandom(1024)
        megabyte = os.urandom(1 << 20)

        for storage in (ours, theirs):
            storage.save("read/1kb.bin", ContentFile(kilobyte))
            storage.save("read/1mb.bin", ContentFile(megabyte))
            for index in range(20):
                storage.save(f"list/file-{index:02}.txt", ContentFile(b"x"))
            storage.save("list/sub/inner.txt", ContentFile(b"x"))
        for storage in (ours_new, theirs_new):
            storage.save("upload.bin", ContentFile(kilobyte))  # the name is taken

        def sent(function: Callable[[], object]) -> int:
            """Requests the server answered during one call (from its own request log)."""
            before = len(answered(server))
            function()
            return len(answered(server)) - before

        def read(storage: Any, path: str) -> Callable[[], object]:
            def go() -> bytes:
                with storage.open(path) as stream:
                    return bytes(stream.read())

            return go

        def save(storage: Any, data: bytes) -> Callable[[], object]:
            return lambda: storage.save("save/upload.bin", ContentFile(data))

        operations: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("save 1 KB (file_overwrite)", save(ours, kilobyte), save(theirs, kilobyte)),
            (
                "save 1 KB, name taken (new name)",
                lambda: ours_new.save("upload.bin", ContentFile(kilobyte)),
                lambda: theirs_new.save("upload.bin", ContentFile(kilobyte)),
            ),
            ("open+read 1 KB", read(ours, "read/1kb.bin"), read(theirs, "read/1kb.bin")),
            ("open+read 1 MB", read(ours, "read/1mb.bin"), read(theirs, "read/1mb.bin")),
            (
                "exists (present)",
                lambda: ours.exists("read/1kb.bin"),
                lambda: theirs.exists("read/1kb.bin"),
            ),
            (
                "exists (missing)",
                lambda: ours.exists("read/missing.bin"),
                lambda: theirs.exists("read/missing.bin"),
            ),
            ("size", lambda: ours.size("read/1kb.bin"), lambda: theirs.size("read/1kb.bin")),
            (
                "url (private: presigned)",
                lambda: ours.url("read/1kb.bin"),
                lambda: theirs.url("read/1kb.bin"),
            ),
            (
                "url (public)",
                lambda: ours_public.url("read/1kb.bin"),
                lambda: theirs_public.url("read/1kb.bin"),
            ),
            (
                "listdir (20 files + 1 dir)",
                lambda: ours.listdir("list"),
                lambda: theirs.listdir("list"),
            ),
        ]

        rows: list[Row] = []
        requests: list[tuple[str, int, int]] = []
        for label, our_call, their_call in operations:
            requests.append((label, sent(our_call), sent(their_call)))
            ours_time, theirs_time = paired_medians(our_call, their_call, repeat)
            rows.append(Row(label, ours_time, theirs_time, 1.0))
        public_requests = sent(lambda: [ours_public.url("read/1kb.bin") for _ in range(100)])
        rows.append(
            Row("100 url() on a public mount: requests", public_requests, None, 0, unit="req")
        )
        met = print_rows("MountStorage vs django-storages S3Storage (moto)", rows)
        print(f"\n{'HTTP requests per call':<48} {'ours':>6} {'theirs':>7}")
        for label, our_count, their_count in requests:
            print(f"{label:<48} {our_count:>6} {their_count:>7}")
        return met


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=11, help="timing rounds per measure")
    args = parser.parse_args()
    met = run(args.repeat)
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")


if __name__ == "__main__":
    main()
