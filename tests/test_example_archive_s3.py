"""The example's ``archive`` mount: local disk by default, an S3 bucket when the environment
names one (DEMO_ARCHIVE_S3_BUCKET and the standard AWS variables), synced on moto's server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.example_server import ExampleServer, example_environment, manage, running_example
from tests.support.servers import S3Server

BUCKET = "example-archive"
PRINT_ARCHIVE = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.STORAGE_MOUNTS['archive']))"
)


def archive_config(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = manage("shell", "-c", PRINT_ARCHIVE, env=example_environment(tmp_path, **env))
    config: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return config


def test_archive_is_local_by_default(tmp_path: Path) -> None:
    assert archive_config(tmp_path) == {
        "type": "local",
        "path": str(tmp_path / "archive"),
        "serve": "none",
    }


def test_archive_switches_to_s3_when_a_bucket_is_named(tmp_path: Path) -> None:
    config = archive_config(
        tmp_path,
        DEMO_ARCHIVE_S3_BUCKET="acme-docs",
        DEMO_ARCHIVE_S3_PREFIX="paperwork/archive",
        AWS_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert config == {
        "type": "s3",
        "bucket": "acme-docs",
        "prefix": "paperwork/archive",
        "serve": "none",
        "endpoint_url": "http://127.0.0.1:9000",
    }
    # The S3-specific variable wins over the general one; no endpoint means AWS itself.
    specific = archive_config(
        tmp_path,
        DEMO_ARCHIVE_S3_BUCKET="b",
        AWS_ENDPOINT_URL="http://general",
        AWS_ENDPOINT_URL_S3="http://s3-only",
    )
    assert specific["endpoint_url"] == "http://s3-only"
    assert specific["prefix"] == "archive"
    assert "endpoint_url" not in archive_config(tmp_path, DEMO_ARCHIVE_S3_BUCKET="b")


@pytest.fixture(scope="module")
def s3_example(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ExampleServer]:
    import s3fs

    s3fs.S3FileSystem(**s3_server.storage_options).mkdir(BUCKET)
    with running_example(
        tmp_path_factory.mktemp("example-s3"),
        DEMO_ARCHIVE_S3_BUCKET=BUCKET,
        AWS_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_ACCESS_KEY_ID=s3_server.key,
        AWS_SECRET_ACCESS_KEY=s3_server.secret,
        AWS_DEFAULT_REGION="us-east-1",
    ) as server:
        yield server


@pytest.mark.cloud
def test_sync_page_copies_the_uploads_to_the_bucket(
    s3_example: ExampleServer, s3_server: S3Server
) -> None:
    import s3fs

    browser = s3_example.login()
    page = browser.get(s3_example.url("/sync/"), timeout=10).text
    assert "<code>s3</code>" in page
    assert "The archive is empty" in page

    def sync() -> str:
        data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        answer = browser.post(s3_example.url("/sync/"), data=data, timeout=60)
        assert answer.status_code == 200
        return answer.text

    uploads = s3_example.var_dir / "uploads"
    local = {
        path.relative_to(uploads).as_posix(): path.read_bytes()
        for path in uploads.rglob("*")
        if path.is_file()
    }
    assert len(local) == 3
    first = sync()
    assert re.search(r'id="copied-count">3<', first)
    assert re.search(r'id="error-count">0<', first)
    fs = s3fs.S3FileSystem(**s3_server.storage_options)
    stored = {
        key.removeprefix(f"{BUCKET}/archive/"): fs.cat_file(key)
        for key in fs.find(f"{BUCKET}/archive/")
    }
    assert stored == local
    for path in local:
        assert f"<code>{path}</code>" in first  # listed from the bucket
    # Objects are newer than their sources: the next sync copies nothing.
    again = sync()
    assert re.search(r'id="copied-count">0<', again)
    assert re.search(r'id="skipped-count">3<', again)


@pytest.mark.cloud
def test_sync_page_shows_missing_credentials(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A bucket named, no credentials anywhere: the page says so (it used to answer 500)."""
    missing = str(tmp_path_factory.mktemp("no-aws") / "missing")
    with running_example(
        tmp_path_factory.mktemp("example-no-credentials"),
        DEMO_ARCHIVE_S3_BUCKET=BUCKET,
        AWS_ENDPOINT_URL=s3_server.endpoint_url,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=None,
        AWS_SECRET_ACCESS_KEY=None,
        AWS_SESSION_TOKEN=None,
        AWS_PROFILE=None,
        AWS_CONFIG_FILE=missing,
        AWS_SHARED_CREDENTIALS_FILE=missing,
        AWS_EC2_METADATA_DISABLED="true",
    ) as example:
        browser = example.login()
        page = browser.get(example.url("/sync/"), timeout=30)
        assert page.status_code == 200
        assert re.search(
            r'id="archive-error">The archive cannot be listed: [^<]*credentials', page.text
        )
        answer = browser.post(
            example.url("/sync/"),
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            timeout=60,
        )
    assert answer.status_code == 200
    assert re.search(r'id="sync-error">[^<]*credentials', answer.text), answer.text[-3000:]
