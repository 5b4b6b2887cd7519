"""100 MB through every cloud mount: byte-exact, and with the process RSS growing by less
than 32 MB while an object is read or copied (psutil sampling, benchmarks/_harness.py).

The emulators run in their own processes (tests/support/servers.py), so what is measured is this
process: the client. One 100 MB file travels local -> s3 -> gcs -> azure -> local; each hop
is a cross-backend streamed copy, and each cloud copy is then read back in full.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
from dataclasses import dataclass, field

import pytest

from benchmarks._harness import peak_rss_growth
from genro_storage_django.core import StorageManager
from tests.support.cloud import CLOUD_KINDS, cloud_config

pytestmark = [pytest.mark.cloud, pytest.mark.slow]

SIZE = 100 * 2**20
RSS_LIMIT = 32 * 2**20
CHAIN = ["local:source.bin", "s3:big.bin", "gcs:big.bin", "azure:big.bin", "local:back.bin"]


@dataclass
class Journey:
    manager: StorageManager
    md5: str
    hops: dict[str, int] = field(default_factory=dict)  # "a -> b": peak RSS growth


@pytest.fixture(scope="module")
def journey(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Journey:
    root = tmp_path_factory.mktemp("large")
    digest = hashlib.md5()
    with open(root / "source.bin", "wb") as stream:
        for _ in range(SIZE // 2**20):
            chunk = os.urandom(2**20)
            digest.update(chunk)
            stream.write(chunk)
    mounts = {kind: cloud_config(kind, request) for kind in CLOUD_KINDS}
    manager = StorageManager({"local": {"type": "local", "path": str(root)}, **mounts})
    for kind in CLOUD_KINDS:  # clients made and connected before anything is measured
        warm = manager.node(f"{kind}:warm.txt")
        warm.write_bytes(b"warm")
        warm.read_bytes()
    found = Journey(manager, digest.hexdigest())
    for source, target in itertools.pairwise(CHAIN):
        gc.collect()
        growth = peak_rss_growth(lambda s=source, t=target: manager.node(s).copy_to(t))
        found.hops[f"{source} -> {target}"] = growth
    return found


def test_cross_backend_chain_is_byte_exact(journey: Journey) -> None:
    assert journey.manager.node("local:back.bin").md5hash() == journey.md5
    for kind in CLOUD_KINDS:
        assert journey.manager.node(f"{kind}:big.bin").size() == SIZE


def test_cross_backend_copies_keep_memory_flat(journey: Journey) -> None:
    report = {hop: f"{growth / 2**20:.1f} MB" for hop, growth in journey.hops.items()}
    print(report)  # shown with -s; the benchmark prints the same figures
    assert all(growth < RSS_LIMIT for growth in journey.hops.values()), report


@pytest.mark.parametrize("kind", CLOUD_KINDS)
def test_reading_100_mb_keeps_memory_flat(journey: Journey, kind: str) -> None:
    node = journey.manager.node(f"{kind}:big.bin")
    digest = hashlib.md5()

    def read_all() -> None:
        with node.open("rb") as stream:
            while chunk := stream.read(2**20):
                digest.update(chunk)

    gc.collect()
    growth = peak_rss_growth(read_all)
    assert digest.hexdigest() == journey.md5
    assert growth < RSS_LIMIT, f"{growth / 2**20:.1f} MB"


@pytest.mark.parametrize("kind", CLOUD_KINDS)
def test_md5hash_of_a_multipart_object(journey: Journey, kind: str) -> None:
    """Uploaded in 5 MiB parts (S3 multipart, GCS resumable, Azure blocks): the checksum is
    the content's, whether the store reports it or it is streamed."""
    node = journey.manager.node(f"{kind}:big.bin")
    found: list[str] = []
    gc.collect()
    growth = peak_rss_growth(lambda: found.append(node.md5hash()))
    assert found == [journey.md5]
    assert growth < RSS_LIMIT


def test_same_store_copy_moves_no_bytes_through_the_process(
    journey: Journey, request: pytest.FixtureRequest
) -> None:
    manager = journey.manager
    manager.add_mount({"name": "s3b", **cloud_config("s3", request)})
    gc.collect()
    growth = peak_rss_growth(lambda: manager.node("s3:big.bin").copy_to("s3b:copy.bin"))
    assert manager.node("s3b:copy.bin").size() == SIZE
    assert growth < 4 * 2**20
