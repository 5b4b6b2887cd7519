"""End to end: the example project driven in a real headless browser.

Debian's chromium, driven by playwright-core from npm (tests/example_browser.cjs); no
browser is downloaded. scripts/test installs both (scripts/_bootstrap.sh). Without them this
test fails and says what to install: it never skips.

The browser logs in, uploads a file through the form (following its progress bar), finds it
in the list, downloads it by clicking its signed link, and gets the project's 403 page for the
same path without the signature. Then it visits every page at a desktop's width (1280 px) and
a phone's (390 px), where nothing may scroll sideways, and at the phone's width uploads a
second file, finds it with the search box and deletes it from its page.

Screenshots of every page at both widths are kept in .cache/artifacts/example-browser/
(git-ignored; EXAMPLE_SCREENSHOTS names another directory), for a person to look at: CI
keeps them as artifacts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.example_server import REPO_ROOT, ExampleServer, running_example

SCRIPT = Path(__file__).with_name("example_browser.cjs")
PLAYWRIGHT_CORE_DIR = Path(
    os.environ.get("PLAYWRIGHT_CORE_DIR")
    or REPO_ROOT / ".cache" / "node" / "node_modules" / "playwright-core"
)
INSTALL_HINT = (
    "run scripts/test once (as root it installs them), or install them by hand: "
    "apt-get install chromium chromium-driver; "
    "npm install --prefix .cache/node playwright-core@1.64.1"
)


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(f"Debian's chromium is not installed: {INSTALL_HINT}", pytrace=False)
    return found


def node() -> str:
    found = shutil.which("node")
    if not found:
        pytest.fail("node is not installed (apt-get install nodejs npm)", pytrace=False)
    if not (PLAYWRIGHT_CORE_DIR / "package.json").is_file():
        pytest.fail(
            f"playwright-core is missing at {PLAYWRIGHT_CORE_DIR}: {INSTALL_HINT}", pytrace=False
        )
    return found


SCREENSHOTS = Path(
    os.environ.get("EXAMPLE_SCREENSHOTS") or REPO_ROOT / ".cache" / "artifacts" / "example-browser"
)
PAGES = ("list", "detail", "upload", "sync", "sync-dry-run", "404", "403")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleServer]:
    # DEBUG off, as deployed: Django renders the project's 404.html only then.
    with running_example(
        tmp_path_factory.mktemp("example-browser"), seed=False, debug=False
    ) as server:
        yield server


def test_upload_list_download_and_refuse_unsigned(example: ExampleServer, tmp_path: Path) -> None:
    executable, node_bin = chromium(), node()
    content = os.urandom(300_000) + b"end of the file\n"
    upload = tmp_path / "signed contract.pdf"
    upload.write_bytes(content)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    options = {
        "base": example.base_url,
        "username": "demo",
        "password": "demo",
        "upload": str(upload),
        "title": "Signed contract",
        "second": "Phone snapshot",
        "downloads": str(downloads),
        "screenshots": str(SCREENSHOTS),
    }
    env = {**os.environ, "PLAYWRIGHT_CORE_DIR": str(PLAYWRIGHT_CORE_DIR), "CHROMIUM": executable}
    result = subprocess.run(
        [node_bin, str(SCRIPT), json.dumps(options)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"browser script failed:\n{result.stderr[-4000:]}"
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["loginUrl"] == "/accounts/login/"
    assert seen["afterLogin"] == "/"
    assert seen["afterUpload"] == "/"
    assert seen["message"] == "Uploaded “Signed contract”."
    # The progress bar moved, and reached the end.
    assert seen["progress"] and seen["progress"][-1] == 100
    assert seen["progress"] == sorted(seen["progress"])
    assert seen["rows"] == 1
    assert seen["file"] == "signed_contract.pdf"  # Django's get_valid_name
    assert seen["size"].replace("\xa0", " ") == "293.0 KB"
    assert seen["downloadHref"].startswith("/files/uploads/documents/")
    assert "sig=" in seen["downloadHref"] and "download=1" in seen["downloadHref"]

    # The browser's download holds the uploaded bytes, under the file's name.
    assert seen["downloadName"] == "signed_contract.pdf"
    assert Path(seen["downloadPath"]).read_bytes() == content
    assert seen["inlineStatus"] == 200
    assert seen["inlineDisposition"].startswith("inline")
    # Without its signature (or with a wrong one) the same path is refused.
    assert seen["unsignedStatus"] == 403
    assert seen["tamperedStatus"] == 403
    # And the file really is on the uploads mount.
    stored = list((example.var_dir / "uploads").rglob("signed_contract*.pdf"))
    assert [path.read_bytes() for path in stored] == [content]

    for width in ("1280", "390"):
        pages = seen["widths"][width]
        assert pages["list"]["heading"] == "Documents"
        assert pages["detail"]["heading"] == "Signed contract"
        assert {name: page["status"] for name, page in pages.items()} == {
            "list": 200,
            "detail": 200,
            "upload": 200,
            "sync": 200,
            "404": 404,
            "403": 403,
        }
        assert (pages["404"]["id"], pages["403"]["id"]) == ("error-404", "error-403")
        assert pages["upload"]["progressShown"] is False  # until an upload starts
        assert "would copy 1" in pages["sync"]["dryRun"]
        assert "would transfer 293.0" in pages["sync"]["dryRun"]
        overflowing = {name: page["overflow"] for name, page in pages.items() if page["overflow"]}
        assert overflowing == {}, f"pages wider than {width} px"
        for name in PAGES:
            assert (SCREENSHOTS / f"{width}-{name}.png").stat().st_size > 0

    # At the phone's width: the second upload, refused once (its cover is no image) and
    # shown again in place with the error, then found by searching and deleted.
    assert seen["coverError"].startswith("Upload a valid image.")
    assert seen["afterRefusal"] == "/upload/"
    assert seen["searchUrl"] == "?q=Phone+snapshot"
    assert seen["found"] == 1
    assert seen["afterDelete"] == "/"
    assert seen["deleteMessage"] == "Deleted “Phone snapshot” and its files."
    assert seen["rowsAfterDelete"] == 1
    assert len(list((example.var_dir / "uploads").rglob("signed_contract*.pdf"))) == 1
