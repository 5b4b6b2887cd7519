"""S3 checksum options against a server that refuses botocore's new default checksums.

Since boto3 1.36, botocore adds a CRC to every upload and asks for one on reads
("when_supported"); S3-compatible servers that predate those headers answer 400. The
mount keys ``request_checksum_calculation`` / ``response_checksum_validation`` set
botocore's options of the same names. The strict server here is moto behind a small
proxy that refuses any request carrying those headers, as such servers do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from genro_storage_django.core import StorageConfigError, StorageError, StorageManager
from tests.support.cloud import cloud_config
from tests.support.relay import Seen, running_relay

pytestmark = pytest.mark.cloud

_REFUSED = (
    b"<Error><Code>InvalidArgument</Code><Message>x-amz-checksum-* unsupported</Message></Error>"
)


def refuse_checksums(seen: Seen) -> tuple[int, bytes] | None:
    asked = any(name.startswith(("x-amz-checksum-", "x-amz-sdk-checksum")) for name in seen.headers)
    return (400, _REFUSED) if asked else None


@pytest.fixture
def strict_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    upstream = request.getfixturevalue("s3_server").endpoint_url
    with running_relay(upstream, refuse_checksums) as relay:
        yield relay.endpoint_url


def test_default_checksums_are_refused(
    request: pytest.FixtureRequest, strict_endpoint: str
) -> None:
    config = cloud_config("s3", request, endpoint_url=strict_endpoint, retries=0)
    node = StorageManager({"m": config}).node("m:f.txt")
    with pytest.raises(StorageError):
        node.write_bytes(b"refused")


def test_when_required_works_with_such_a_server(
    request: pytest.FixtureRequest, strict_endpoint: str
) -> None:
    config = cloud_config(
        "s3",
        request,
        endpoint_url=strict_endpoint,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    root = StorageManager({"m": config}).node("m:")
    (root / "small.txt").write_bytes(b"accepted")
    with (root / "streamed.bin").open("wb") as stream:
        stream.write(b"x" * 100_000)
    assert (root / "small.txt").read_bytes() == b"accepted"
    with (root / "streamed.bin").open("rb") as stream:
        assert stream.read() == b"x" * 100_000
    assert (root / "small.txt").is_file()  # the synchronous client's HEAD
    assert [child.name for child in root.children()] == ["small.txt", "streamed.bin"]
    assert (root / "small.txt").delete()


def test_checksum_values_are_validated(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, request_checksum_calculation="never")
    with pytest.raises(StorageConfigError, match="request_checksum_calculation"):
        StorageManager({"m": config})
