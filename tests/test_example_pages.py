"""The example project's pages over HTTP, on its own settings: a real server, a real login.

One server for the module (tests/support/example_server.py): a fresh database and mounts in a
temporary directory, the demo user and documents seeded by ``manage.py seed_demo``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.support.example_server import ExampleServer, running_example, signed_links

SEEDED = ("Welcome letter", "Monthly figures 2026", "Quarterly report")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleServer]:
    with running_example(tmp_path_factory.mktemp("example")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(example: ExampleServer) -> requests.Session:
    """The demo user's logged-in session (one login: hashing the password takes ~0.4 s)."""
    return example.login()


def uploads_dir(example: ExampleServer) -> Path:
    return example.var_dir / "uploads"


def stored_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pages_need_a_login(example: ExampleServer) -> None:
    anonymous = requests.Session()
    anonymous.trust_env = False
    for path in ("/", "/upload/", "/sync/"):
        answer = anonymous.get(example.url(path), allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/accounts/login/?next={path}"
    login = anonymous.get(example.url("/accounts/login/"), timeout=10)
    assert "Demo login" in login.text  # DEBUG is on: the page shows the demo credentials
    # A wrong password is refused.
    page = anonymous.post(
        example.url("/accounts/login/"),
        data={
            "username": "demo",
            "password": "wrong",
            "csrfmiddlewaretoken": anonymous.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 200
    assert "enter a correct username and password" in page.text


def test_list_shows_the_seeded_documents_with_signed_links(
    example: ExampleServer, browser: requests.Session
) -> None:
    page = browser.get(example.url("/"), timeout=10)
    assert page.status_code == 200
    for title in SEEDED:
        assert title in page.text
    files = stored_files(uploads_dir(example))
    welcome = next(data for path, data in files.items() if path.endswith("welcome.txt"))
    # {{ file|storage_size|filesizeformat }} (with a no-break space)
    assert re.search(rf"{len(welcome)}\s+bytes", page.text)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", page.text)  # {{ file|storage_mtime|date }}

    links = signed_links(page.text)
    downloads = [link for link in links if "download=1" in link]
    inline = [link for link in links if "download=1" not in link]
    assert len(downloads) == len(inline) >= len(SEEDED)
    for link in links:
        path = link.split("?")[0].removeprefix("/files/uploads/")
        answer = browser.get(example.url(link), timeout=10)
        assert answer.status_code == 200, link
        assert answer.content == files[path]
        disposition = answer.headers["Content-Disposition"]
        assert disposition.startswith("attachment" if "download=1" in link else "inline")
        assert answer.headers["Cache-Control"] == "private, max-age=3600"


def test_unsigned_or_tampered_urls_are_refused(
    example: ExampleServer, browser: requests.Session
) -> None:
    links = [
        link
        for link in signed_links(browser.get(example.url("/"), timeout=10).text)
        if "download=1" not in link
    ]
    link, other = links[0], links[1]
    unsigned = link.split("?")[0]
    # Refused even with a logged-in session: the mount serves signed URLs only.
    assert browser.get(example.url(unsigned), timeout=10).status_code == 403
    later = re.sub(r"exp=(\d+)", lambda m: f"exp={int(m[1]) + 60}", link)
    assert browser.get(example.url(later), timeout=10).status_code == 403
    # One file's signature does not open another file.
    borrowed = other.split("?")[0] + "?" + link.split("?")[1]
    assert browser.get(example.url(borrowed), timeout=10).status_code == 403
    assert browser.get(example.url(link), timeout=10).status_code == 200
    # The archive is never served, signed or not; nor are unknown mounts.
    archived = unsigned.replace("/files/uploads/", "/files/archive/")
    assert browser.get(example.url(archived), timeout=10).status_code == 404
    assert browser.get(example.url("/files/nope/a.txt"), timeout=10).status_code == 404


def test_covers_are_public(example: ExampleServer, browser: requests.Session) -> None:
    anonymous = requests.Session()
    anonymous.trust_env = False
    page = browser.get(example.url("/"), timeout=10).text
    covers = re.findall(r'src="(/files/public/covers/[^"]+)"', page)
    assert len(covers) == 2
    for cover in covers:
        answer = anonymous.get(example.url(cover), timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.headers["Cache-Control"] == "public, max-age=86400"
        assert answer.content.startswith(b"\x89PNG")


def test_upload_form_stores_the_file_and_lists_it(
    example: ExampleServer, browser: requests.Session
) -> None:
    form = browser.get(example.url("/upload/"), timeout=10)
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.text
    content = bytes(range(256)) * 5000  # 1.28 MB: more than one 1 MiB chunk
    cover = png(64, 48)
    answer = browser.post(
        example.url("/upload/"),
        data={
            "title": "Board minutes",
            "description": "Minutes of the board meeting.",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        files={"file": ("minutes.bin", content), "cover": ("minutes.png", cover)},
        timeout=30,
    )
    assert answer.status_code == 200  # followed the redirect to the list
    assert answer.url == example.url("/")
    assert "Uploaded “Board minutes”." in answer.text
    stored = list(uploads_dir(example).rglob("minutes*.bin"))
    assert len(stored) == 1 and stored[0].read_bytes() == content
    assert [p.read_bytes() for p in (example.var_dir / "public").rglob("minutes*.png")] == [cover]
    link = next(link for link in signed_links(answer.text) if "minutes" in link)
    assert browser.get(example.url(link), timeout=10).content == content


def test_upload_form_reports_missing_fields(
    example: ExampleServer, browser: requests.Session
) -> None:
    answer = browser.post(
        example.url("/upload/"),
        data={"title": "", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.url == example.url("/upload/")
    assert answer.text.count("This field is required.") == 2


def test_sync_page_copies_then_skips_then_deletes(
    example: ExampleServer, browser: requests.Session
) -> None:
    archive = example.var_dir / "archive"

    def sync(**flags: str) -> str:
        data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"], **flags}
        answer = browser.post(example.url("/sync/"), data=data, timeout=30)
        assert answer.status_code == 200
        return answer.text

    def count(page: str, what: str) -> int:
        found = re.search(rf'id="{what}-count">(\d+)<', page)
        assert found, f"no {what} count on the page"
        return int(found[1])

    page = browser.get(example.url("/sync/"), timeout=10).text
    assert "<code>local</code>" in page
    uploads = stored_files(uploads_dir(example))

    dry = sync(dry_run="on")
    assert "Dry run" in dry and "--dry-run" in dry
    assert count(dry, "copied") == len(uploads)
    assert "<dt>would transfer</dt>" in dry and "<dt>transferred</dt>" not in dry
    assert stored_files(archive) == {}

    first = sync()
    assert count(first, "copied") == len(uploads)
    assert count(first, "error") == 0
    assert stored_files(archive) == uploads
    for path in uploads:
        assert f"<code>{path}</code>" in first  # the archive listing

    again = sync()
    assert (count(again, "copied"), count(again, "skipped")) == (0, len(uploads))

    gone = next(path for path in uploads if path.endswith("welcome.txt"))
    (uploads_dir(example) / gone).unlink()
    kept = sync()  # without "delete" the archive keeps it
    assert count(kept, "deleted") == 0 and (archive / gone).exists()
    pruned = sync(delete="on")
    assert count(pruned, "deleted") == 1
    assert "--delete --noinput" in pruned
    assert not (archive / gone).exists()


def test_sync_page_offers_the_force_its_error_asks_for(
    example: ExampleServer, browser: requests.Session
) -> None:
    uploads, kept = uploads_dir(example), example.var_dir / "uploads-kept"
    archive = example.var_dir / "archive"
    page = browser.get(example.url("/sync/"), timeout=10).text
    assert 'name="force"' in page and "(--force)" in page

    def sync(**flags: str) -> str:
        data = {"csrfmiddlewaretoken": browser.cookies["csrftoken"], **flags}
        answer = browser.post(example.url("/sync/"), data=data, timeout=30)
        assert answer.status_code == 200
        return answer.text

    sync()  # the archive holds the uploads
    archived = stored_files(archive)
    assert archived
    uploads.rename(kept)
    uploads.mkdir()
    try:
        refused = sync(delete="on")
        assert "the source is empty (force to allow it)" in refused
        assert stored_files(archive) == archived
        forced = sync(delete="on", force="on")
        assert "--delete --noinput --force" in forced
        assert re.search(rf'id="deleted-count">{len(archived)}<', forced)
        assert stored_files(archive) == {}
    finally:
        uploads.rmdir()
        kept.rename(uploads)


def test_sync_page_shows_a_failed_sync(example: ExampleServer, browser: requests.Session) -> None:
    archive = example.var_dir / "archive"
    kept = example.var_dir / "archive-kept"
    if archive.exists():
        archive.rename(kept)
    archive.write_bytes(b"a file where the archive directory should be")
    try:
        answer = browser.post(
            example.url("/sync/"),
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            timeout=30,
        )
    finally:
        archive.unlink()
        if kept.exists():
            kept.rename(archive)
    assert answer.status_code == 200
    assert re.search(r'id="sync-error">\d+ error\(s\)', answer.text)
    errors = re.search(r'id="error-count">(\d+)<', answer.text)
    assert errors and int(errors[1]) > 0
    assert '<li class="error">error <code>uploads:documents/' in answer.text


def test_admin_lists_the_documents(example: ExampleServer, browser: requests.Session) -> None:
    answer = browser.get(example.url("/admin/documents/document/"), timeout=10)
    assert answer.status_code == 200
    for title in SEEDED[1:]:
        assert title in answer.text
