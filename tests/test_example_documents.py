"""The example project's document pages over HTTP: search and pagination, a document's page
and its deletion, the upload form's progress protocol, the favicon, and the project's own
403 and 404 pages (the file view's refused signed links included).

The server runs with ``DEBUG`` off, as deployed (tests/support/example_server.py): with it on,
Django shows its technical 404 page instead of the project's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.support.example_server import (
    ExampleServer,
    example_environment,
    manage,
    running_example,
    signed_links,
)

PAGE_SIZE = 10  # documents.views.PAGE_SIZE


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleServer]:
    with running_example(tmp_path_factory.mktemp("example-docs"), debug=False) as server:
        yield server


@pytest.fixture(scope="module")
def browser(example: ExampleServer) -> requests.Session:
    return example.login()


def upload(
    example: ExampleServer, session: requests.Session, title: str, name: str, **headers: str
) -> requests.Response:
    return session.post(
        example.url("/upload/"),
        data={"title": title, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        files={"file": (name, f"the file of {title}".encode())},
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )


def rows(page: str) -> list[str]:
    """The titles of a documents page, in order."""
    return re.findall(r'class="detail-link" href="/documents/\d+/"><strong>([^<]+)<', page)


def document_id(page: str, title: str) -> int:
    found = re.search(rf'href="/documents/(\d+)/"><strong>{re.escape(title)}<', page)
    assert found, f"{title!r} is not on the page"
    return int(found[1])


def test_search_and_pagination(example: ExampleServer, browser: requests.Session) -> None:
    for number in range(1, PAGE_SIZE + 3):
        assert (
            upload(example, browser, f"Invoice {number:02}", f"inv-{number}.txt").status_code == 302
        )
    first = browser.get(example.url("/?q=invoice"), timeout=10).text
    newest = [f"Invoice {n:02}" for n in range(PAGE_SIZE + 2, 0, -1)]
    assert rows(first) == newest[:PAGE_SIZE]
    assert 'id="page-number">Page 1 of 2<' in first
    assert 'rel="next" href="?q=invoice&amp;page=2"' in first
    second = browser.get(example.url("/?q=invoice&page=2"), timeout=10).text
    assert rows(second) == newest[PAGE_SIZE:]
    assert 'rel="prev" href="?q=invoice&amp;page=1"' in second
    # The search looks at file names and descriptions too, case-insensitively.
    assert rows(browser.get(example.url("/?q=INV-7."), timeout=10).text) == ["Invoice 07"]
    assert rows(browser.get(example.url("/?q=welcome.txt"), timeout=10).text) == ["Welcome letter"]
    none = browser.get(example.url("/?q=no+such+thing"), timeout=10).text
    assert rows(none) == [] and "No document matches “no such thing”." in none
    # Everything, newest first, over two pages; a page number past the end shows the last.
    everything = browser.get(example.url("/?page=99"), timeout=10).text
    assert 'id="page-number">Page 2 of 2<' in everything


def test_document_page_and_delete(example: ExampleServer, browser: requests.Session) -> None:
    assert upload(example, browser, "To be deleted", "old notes.txt").status_code == 302
    listing = browser.get(example.url("/?q=deleted"), timeout=10).text
    pk = document_id(listing, "To be deleted")
    page = browser.get(example.url(f"/documents/{pk}/"), timeout=10)
    assert page.status_code == 200
    assert 'id="file-name">old_notes.txt<' in page.text
    assert re.search(r'id="file-size">\d+\xa0bytes<', page.text)
    (link,) = [link for link in signed_links(page.text) if "download=1" in link]
    assert browser.get(example.url(link), timeout=10).content == b"the file of To be deleted"
    stored = list((example.var_dir / "uploads").rglob("old_notes*.txt"))
    assert len(stored) == 1

    deleted = browser.post(
        example.url(f"/documents/{pk}/delete/"),
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        timeout=10,
    )
    assert deleted.url == example.url("/")
    assert "Deleted “To be deleted” and its files." in deleted.text
    assert not stored[0].exists()
    gone = browser.get(example.url(f"/documents/{pk}/"), timeout=10)
    assert gone.status_code == 404 and 'id="error-404"' in gone.text
    # Deleting is a POST: a GET is refused.
    assert browser.get(example.url(f"/documents/{pk}/delete/"), timeout=10).status_code == 405


def test_only_the_owner_or_staff_may_delete(
    example: ExampleServer, browser: requests.Session
) -> None:
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_user('reader', password='reader-pass')",
        env=example_environment(example.var_dir),
    )
    reader = example.login("reader", "reader-pass")
    assert upload(example, browser, "Staff only", "staff.txt").status_code == 302
    pk = document_id(browser.get(example.url("/?q=staff"), timeout=10).text, "Staff only")
    page = reader.get(example.url(f"/documents/{pk}/"), timeout=10).text
    assert "Staff only" in page and 'id="delete-button"' not in page
    refused = reader.post(
        example.url(f"/documents/{pk}/delete/"),
        data={"csrfmiddlewaretoken": reader.cookies["csrftoken"]},
        timeout=10,
    )
    assert refused.status_code == 403
    assert 'id="error-403"' in refused.text
    assert "only its owner or staff may delete a document" in refused.text
    # The reader's own document is theirs to delete.
    assert upload(example, reader, "Reader notes", "mine.txt").status_code == 302
    own = document_id(reader.get(example.url("/?q=reader"), timeout=10).text, "Reader notes")
    assert 'id="delete-button"' in reader.get(example.url(f"/documents/{own}/"), timeout=10).text


def test_upload_with_progress_answers_json_or_the_form(
    example: ExampleServer, browser: requests.Session
) -> None:
    done = upload(example, browser, "Sent by script", "progress.txt", **{"X-Upload-Progress": "1"})
    assert done.status_code == 200
    assert done.json() == {"location": "/"}
    # The message waits for the page the script goes to.
    assert "Uploaded “Sent by script”." in browser.get(example.url("/"), timeout=10).text
    invalid = browser.post(
        example.url("/upload/"),
        data={"title": "", "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"X-Upload-Progress": "1"},
        timeout=10,
    )
    assert invalid.status_code == 400
    assert 'id="upload-form"' in invalid.text
    assert invalid.text.count("This field is required.") == 2
    page = browser.get(example.url("/upload/"), timeout=10).text
    assert 'id="upload-progress"' in page and "documents/upload.js" in page


def test_favicon(example: ExampleServer, browser: requests.Session) -> None:
    page = browser.get(example.url("/"), timeout=10).text
    found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert found
    icon = browser.get(example.url(found[1]), timeout=10)
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")


def test_refused_signed_links_and_missing_pages_are_the_project_s(
    example: ExampleServer, browser: requests.Session
) -> None:
    link = signed_links(browser.get(example.url("/"), timeout=10).text)[0]
    for bad, reason in (
        (link.split("?")[0], "no signature"),
        (link.replace("sig=", "sig=x"), "bad signature"),
    ):
        refused = browser.get(example.url(bad), timeout=10)
        assert refused.status_code == 403
        assert 'id="error-403"' in refused.text and "Paperwork" in refused.text
        assert f"invalid file URL: {reason}" in refused.text
    for missing in ("/no/such/page/", "/documents/999999/", "/files/public/covers/none.png"):
        answer = browser.get(example.url(missing), timeout=10)
        assert answer.status_code == 404, missing
        assert 'id="error-404"' in answer.text and "Nothing here" in answer.text
