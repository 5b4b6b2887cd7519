"""{% storage_upload_form %} in a real browser (Debian's chromium): the page's script asks
the live server to sign, sends the file across origins to moto (a form POST) or Azurite (a
PUT), each with the bucket CORS rule a real bucket needs, then has it verified."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from genro_storage_django.conf import get_manager
from tests.support.cloud import bare_fs, bucket_of, cloud_config, server_of
from tests.test_example_browser import PLAYWRIGHT_CORE_DIR, chromium, node

pytestmark = [pytest.mark.cloud, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).with_name("direct_upload_browser.cjs")


def allow_browser_uploads(kind: str, request: pytest.FixtureRequest) -> None:
    """The bucket CORS rule direct uploads need (docs/production.md)."""
    if kind == "s3":
        rules = [{"AllowedOrigins": ["*"], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"]}]
        bare_fs("s3", request).call_s3(
            "put_bucket_cors",
            Bucket=bucket_of("s3", request),
            CORSConfiguration={"CORSRules": rules},
        )
        return
    from azure.storage.blob import BlobServiceClient, CorsRule

    service = BlobServiceClient.from_connection_string(server_of(kind, request).connection_string)
    rule = CorsRule(["*"], ["PUT", "OPTIONS"], allowed_headers=["*"], exposed_headers=["*"])
    service.set_service_properties(cors=[rule])


def choose_file(page: str, name: str, content: str) -> dict[str, Any]:
    options = {"page": page, "name": name, "type": "text/plain", "content": content}
    result = subprocess.run(
        [node(), str(SCRIPT), json.dumps(options)],
        env={**os.environ, "CHROMIUM": chromium(), "PLAYWRIGHT_CORE_DIR": str(PLAYWRIGHT_CORE_DIR)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize("kind", ["s3", "azure"])
def test_a_file_goes_from_the_page_to_the_bucket(
    request: pytest.FixtureRequest, live_server: Any, kind: str
) -> None:
    allow_browser_uploads(kind, request)
    # The suite's mounts stay: {% static %} links the form's script through "static".
    mounts = {**settings.STORAGE_MOUNTS, "direct": cloud_config(kind, request)}
    with override_settings(STORAGE_MOUNTS=mounts):
        done = choose_file(f"{live_server.url}/direct-page/", "notes.txt", "from the browser")
        assert "uploaded" in done, done
        name = done["uploaded"]["name"]
        assert name.startswith("incoming/") and name.endswith("/notes.txt")
        assert done["uploaded"]["size"] == 16
        assert done["output"] == name
        assert done["progress"] == 100
        assert get_manager().node(f"direct:{name}").read_bytes() == b"from the browser"
        too_large = choose_file(f"{live_server.url}/direct-page/", "big.txt", "x" * 1001)
    assert too_large["error"] == "the file is larger than 1000 bytes"
    assert too_large["output"] == too_large["error"]
