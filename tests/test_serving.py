"""The file-serving view through Django's test client: policies, signatures, headers, Range,
conditional requests, offload, unsafe paths; and the ASGI bodies through AsyncClient.

Real servers (gunicorn, uvicorn) are in test_e2e_servers.py.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils.http import http_date

from genro_storage_django import get_manager
from genro_storage_django.core import StorageNode
from genro_storage_django.core.http.ranges import MAX_RANGES
from genro_storage_django.core.http.streams import CHUNK_SIZE
from genro_storage_django.serving.links import file_url, node_url, signed_file_url
from genro_storage_django.serving.signing import (
    EXPIRY_STEP,
    InvalidSignature,
    make_query,
    verify_query,
)
from genro_storage_django.storage import MountStorage
from tests.support.serving_servers import parse_byteranges

TEXT = b"0123456789abcdefghijklmnopqrstuvwxyz" * 30  # 1080 bytes
SIZE = len(TEXT)
BIG = os.urandom(3 * CHUNK_SIZE + 1234)

SESSION_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


def only_txt(request: Any, node: StorageNode) -> bool:
    """A ``serve_permission`` callable: only .txt files."""
    return node.path.endswith(".txt")


class Site:
    """The mounts of one test, on fresh directories."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def local(self, name: str, **options: Any) -> dict[str, Any]:
        path = self.root / name
        path.mkdir(exist_ok=True)
        return {"type": "local", "path": str(path), **options}

    def mounts(self) -> dict[str, Any]:
        return {
            "pub": self.local("pub", serve="public"),
            "auth": self.local("auth", serve="authenticated"),
            "sig": self.local("sig", serve="signed"),
            "dflt": self.local("dflt"),
            "based": self.local("based", base_url="/media/based/"),
            "hidden": self.local("hidden", serve="none", base_url="/media/hidden/"),
            "perm": self.local("perm", serve="public", serve_permission=f"{__name__}.only_txt"),
            "permstr": self.local(
                "permstr", serve="authenticated", serve_permission="auth.view_user"
            ),
            "cached": self.local("cached", serve="public", cache_control="no-cache"),
            "mem": {"type": "memory", "serve": "public"},
            "accel": self.local(
                "accel", serve="public", offload="x-accel-redirect", offload_prefix="/internal/"
            ),
            "sendfile": self.local("sendfile", serve="public", offload="x-sendfile"),
            "redir": self.local(
                "redir", serve="public", offload="redirect", base_url="https://cdn.test/r/"
            ),
            "redirmem": {"type": "memory", "serve": "public", "offload": "redirect"},
        }

    def put(self, fullpath: str, data: bytes = TEXT) -> StorageNode:
        node = get_manager().node(fullpath)
        node.write_bytes(data)
        return node


@pytest.fixture
def site(settings: Any, tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    settings.STORAGE_MOUNTS = site.mounts()
    settings.MIDDLEWARE = SESSION_MIDDLEWARE
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    # Another test may have removed the app's URL builder (set_url_builder(None)).
    previous = MountStorage.url_builder
    MountStorage.url_builder = node_url
    yield site
    MountStorage.url_builder = previous


def body_of(response: HttpResponseBase) -> bytes:
    """The body; the test client closes the response once it is read (as a server would)."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined,arg-type]
    return bytes(response.content)  # type: ignore[attr-defined]


def get(client: Client, url: str, **headers: str) -> tuple[HttpResponseBase, bytes]:
    response = client.get(url, headers=headers)
    return response, body_of(response)


def view_url(fullpath: str) -> str:
    mount, _, path = fullpath.partition(":")
    return reverse("genro_storage:file", kwargs={"mount": mount, "path": path})


# -- URLs -------------------------------------------------------------------------------------


def test_url_name_reverses_to_the_readable_path(site: Site) -> None:
    assert view_url("pub:a/b c.txt") == "/files/pub/a/b%20c.txt"
    assert reverse("genro_storage:file", args=["pub", "x.pdf"]) == "/files/pub/x.pdf"


def test_storage_url_of_a_local_mount_without_base_url_is_the_views(site: Site) -> None:
    site.put("dflt:doc.txt")
    url = MountStorage(mount="dflt").url("doc.txt")
    parts = urlsplit(url)
    assert parts.path == "/files/dflt/doc.txt"
    assert set(dict(parse_qsl(parts.query))) == {"exp", "sig"}  # default policy: signed
    response, body = get(Client(), url)
    assert response.status_code == 200
    assert body == TEXT


def test_storage_url_per_policy(site: Site) -> None:
    assert MountStorage(mount="pub").url("a.txt") == "/files/pub/a.txt"
    assert MountStorage(mount="auth").url("a.txt") == "/files/auth/a.txt"
    assert "sig=" in MountStorage(mount="sig").url("a.txt")
    # Without a serve key a mount keeps its own URL; "none" mounts too.
    assert MountStorage(mount="based").url("a b.txt") == "/media/based/a%20b.txt"
    assert MountStorage(mount="hidden").url("a.txt") == "/media/hidden/a.txt"


def test_download_links(site: Site) -> None:
    node = site.put("pub:r.txt")
    assert file_url(node, download=True) == "/files/pub/r.txt?download=1"
    # A download name is only honoured when signed, on every policy.
    named = file_url(node, filename="report.txt")
    assert named is not None and "sig=" in named and "filename=report.txt" in named
    response, _ = get(Client(), named)
    assert response["Content-Disposition"].startswith('attachment; filename="report.txt"')
    # A mount's own URL cannot carry a disposition: a download goes through the view.
    based = site.put("based:b.txt")
    assert node_url(based) == "/media/based/b.txt"
    link = node_url(based, download=True)
    assert link is not None and link.startswith("/files/based/b.txt?")
    response, body = get(Client(), link)
    assert response.status_code == 200 and body == TEXT
    assert response["Content-Disposition"].startswith("attachment;")


def test_unsigned_filename_is_ignored_on_public_mounts(site: Site) -> None:
    site.put("pub:r.txt")
    response, _ = get(Client(), "/files/pub/r.txt?download=1&filename=setup.exe")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename=\"r.txt\"; filename*=UTF-8''r.txt"
    )


# -- policies ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mount", "anonymous", "logged_in"),
    [
        ("pub", 200, 200),
        ("auth", 404, 200),
        ("sig", 403, 403),
        ("dflt", 403, 403),
        ("hidden", 404, 404),
    ],
)
def test_policy_without_a_signature(
    site: Site, django_user_model: Any, mount: str, anonymous: int, logged_in: int
) -> None:
    site.put(f"{mount}:there.txt")
    client = Client()
    for index, expected in enumerate((anonymous, logged_in)):
        if index:
            client.force_login(django_user_model.objects.create_user("someone"))
        there, _ = get(client, f"/files/{mount}/there.txt")
        missing, _ = get(client, f"/files/{mount}/missing.txt")
        assert there.status_code == expected
        # Someone who may not see the file learns nothing about whether it exists.
        assert missing.status_code == (404 if expected == 200 else expected)


@pytest.mark.django_db
@pytest.mark.parametrize(("mount", "expected"), [("pub", 200), ("auth", 200), ("sig", 200)])
def test_a_signed_url_lets_anyone_in_except_on_none_mounts(
    site: Site, mount: str, expected: int
) -> None:
    node = site.put(f"{mount}:f.txt")
    url = node.signed_url(expires_in=60)
    response, body = get(Client(), url)
    assert response.status_code == expected
    assert body == TEXT
    hidden = site.put("hidden:f.txt")
    forged = f"/files/hidden/f.txt?{make_query('hidden', 'f.txt')}"
    assert get(Client(), forged)[0].status_code == 404
    with pytest.raises(Exception, match="not served"):
        hidden.signed_url()


def test_signed_url_for_a_missing_file_is_404(site: Site) -> None:
    url = f"/files/sig/nothing.txt?{make_query('sig', 'nothing.txt')}"
    assert get(Client(), url)[0].status_code == 404


def test_unknown_mount_and_directories_are_404(site: Site) -> None:
    site.put("pub:dir/f.txt")
    assert get(Client(), "/files/nomount/f.txt")[0].status_code == 404
    assert get(Client(), "/files/pub/dir")[0].status_code == 404
    assert get(Client(), "/files/pub/dir/")[0].status_code == 404
    assert get(Client(), "/files/pub/")[0].status_code == 404


def test_only_get_and_head(site: Site) -> None:
    site.put("pub:f.txt")
    client = Client()
    assert client.post("/files/pub/f.txt").status_code == 405
    assert client.put("/files/pub/f.txt").status_code == 405
    assert client.delete("/files/pub/f.txt").status_code == 405
    assert client.options("/files/pub/f.txt").status_code == 405


def test_serve_permission_callable(site: Site) -> None:
    site.put("perm:yes.txt")
    site.put("perm:no.bin")
    assert get(Client(), "/files/perm/yes.txt")[0].status_code == 200
    assert get(Client(), "/files/perm/no.bin")[0].status_code == 404
    assert get(Client(), "/files/perm/missing.bin")[0].status_code == 404


@pytest.mark.django_db
def test_serve_permission_as_a_django_permission(site: Site, django_user_model: Any) -> None:
    from django.contrib.auth.models import Permission

    site.put("permstr:f.txt")
    client = Client()
    assert get(client, "/files/permstr/f.txt")[0].status_code == 404
    user = django_user_model.objects.create_user("plain")
    client.force_login(user)
    assert get(client, "/files/permstr/f.txt")[0].status_code == 404
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(django_user_model.objects.get(pk=user.pk))  # fresh permission cache
    assert get(client, "/files/permstr/f.txt")[0].status_code == 200


def test_a_mistyped_permission_callable_fails_loudly(site: Site, settings: Any) -> None:
    mounts = site.mounts()
    mounts["pub"]["serve_permission"] = "tests.no_such_module.check"
    settings.STORAGE_MOUNTS = mounts
    site.put("pub:f.txt")
    with pytest.raises(ImportError):
        Client().get("/files/pub/f.txt")


# -- signatures -------------------------------------------------------------------------------


def signed(fullpath: str, **options: Any) -> str:
    mount, _, path = fullpath.partition(":")
    return f"{view_url(fullpath)}?{make_query(mount, path, **options)}"


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return parts.path + "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())


def test_signed_url_binds_path_expiry_and_options(site: Site) -> None:
    site.put("sig:a.txt")
    site.put("sig:b.txt")
    url = signed("sig:a.txt")
    client = Client()
    assert get(client, url)[0].status_code == 200
    exp = dict(parse_qsl(urlsplit(url).query))["exp"]
    tampered = [
        url.replace("/a.txt", "/b.txt"),  # another file
        with_query(url, exp=str(int(exp) + 60)),  # a later expiry
        with_query(url, download="1"),  # a download flag it was not signed with
        with_query(url, filename="x.exe"),
        with_query(url, sig="0" + dict(parse_qsl(urlsplit(url).query))["sig"][1:]),
        with_query(url, sig=""),
        url.split("?")[0],
    ]
    for bad in tampered:
        response, body = get(client, bad)
        assert response.status_code == 403, bad
        # PermissionDenied: the project's 403.html (tests/testapp/templates) renders it.
        assert body.startswith(b"testapp 403: invalid file URL: "), body


def test_expired_signature_is_403(site: Site) -> None:
    site.put("sig:a.txt")
    url = signed("sig:a.txt", expires_in=60, now=time.time() - 3600)
    response, body = get(Client(), url)
    assert response.status_code == 403
    assert b"expired" in body


def test_a_short_lifetime_is_never_extended() -> None:
    signed_at = time.time()
    query = dict(parse_qsl(make_query("sig", "a.txt", expires_in=1, now=signed_at)))
    assert signed_at + 1 <= int(query["exp"]) < signed_at + 2  # exact to the next second
    with pytest.raises(InvalidSignature, match="expired"):
        verify_query("sig", "a.txt", query, now=signed_at + 60)
    assert verify_query("sig", "a.txt", query, now=signed_at)


@pytest.mark.parametrize("signed_at", [1_800_000_000.0, 1_800_000_059.5, 1_800_000_030.0])
def test_a_long_lifetime_is_rounded_down_to_the_minute(signed_at: float) -> None:
    query = dict(parse_qsl(make_query("m", "p", expires_in=3600, now=signed_at)))
    exp = int(query["exp"])
    assert exp % EXPIRY_STEP == 0
    assert signed_at + 3600 - EXPIRY_STEP < exp <= signed_at + 3600
    # Signed within the same minute: the same URL, so it can be cached.
    assert make_query("m", "p", expires_in=3600, now=1_800_000_000.0) == make_query(
        "m", "p", expires_in=3600, now=1_800_000_059.0
    )


def test_tampered_signature_on_a_public_mount_is_403(site: Site) -> None:
    site.put("pub:a.txt")
    url = with_query(signed("pub:a.txt"), sig="forged")
    assert get(Client(), url)[0].status_code == 403


def test_signed_download_name(site: Site) -> None:
    site.put("sig:data/r.bin")
    url = signed("sig:data/r.bin", filename="Résumé 2026 €.pdf")
    response, body = get(Client(), url)
    assert response.status_code == 200 and body == TEXT
    assert response["Content-Disposition"] == (
        'attachment; filename="Resume 2026 _.pdf"; '
        "filename*=UTF-8''R%C3%A9sum%C3%A9%202026%20%E2%82%AC.pdf"
    )


def test_signed_urls_of_odd_names_round_trip(site: Site) -> None:
    for name in ["dir/a b.txt", "ünï cödé/ç.txt", "x&y=z?.txt", "100%.txt", "a+b#c.txt", "a|b.txt"]:
        node = site.put(f"sig:{name}", name.encode())
        response, body = get(Client(), node.signed_url())
        assert response.status_code == 200, name
        assert body == name.encode()


def test_secret_key_rotation(site: Site, settings: Any) -> None:
    site.put("sig:a.txt")
    url = signed("sig:a.txt")
    settings.SECRET_KEY = "a-new-key"
    assert get(Client(), url)[0].status_code == 403
    settings.SECRET_KEY_FALLBACKS = ["tests-only-not-secret"]
    assert get(Client(), url)[0].status_code == 200


def test_signed_url_without_the_django_signer() -> None:
    from genro_storage_django.core import StorageError, StorageManager

    node = StorageManager({"m": {"type": "memory"}}).node("m:f.txt")
    with pytest.raises(StorageError, match="no url_signer"):
        node.signed_url()


def test_signed_file_url_is_signed_on_every_served_policy(site: Site) -> None:
    node = site.put("pub:a.txt")
    url = signed_file_url(node, expires_in=120, download=True)
    assert url is not None
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["download"] == "1" and "sig" in query
    response, _ = get(Client(), url)
    assert response["Content-Disposition"].startswith("attachment;")


# -- unsafe paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "../settings.py",
        "a/../../outside.txt",
        "%2e%2e/outside.txt",
        "..%2Foutside.txt",
        "a/%2e%2e/%2e%2e/outside.txt",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "C:/outside.txt",
        "a%00b.txt",
        "a%0Ab.txt",
        "..\\outside.txt",
        "link/outside.txt",
        "escape.txt",
    ],
)
def test_unsafe_paths_are_404(site: Site, path: str) -> None:
    (site.root / "outside.txt").write_bytes(b"secret")
    pub = site.root / "pub"
    (pub / "escape.txt").symlink_to(site.root / "outside.txt")
    (pub / "link").symlink_to(site.root)
    response, body = get(Client(), f"/files/pub/{path}")
    assert response.status_code == 404
    assert b"secret" not in body


# -- headers of a 200 -------------------------------------------------------------------------


def test_headers_of_a_whole_file(site: Site) -> None:
    node = site.put("pub:docs/notes.txt")
    stat = node.stat()
    response, body = get(Client(), "/files/pub/docs/notes.txt")
    assert response.status_code == 200
    assert body == TEXT
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Length"] == str(SIZE)
    assert response["ETag"] == f'"{stat.etag}"'
    assert response["Last-Modified"] == http_date(int(stat.mtime or 0))
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert (
        response["Content-Disposition"]
        == "inline; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
    )


def test_a_whole_local_file_goes_through_file_response(site: Site) -> None:
    # Under WSGI, FileResponse hands the file to wsgi.file_wrapper (sendfile).
    site.put("pub:f.bin", BIG)
    response = Client().get("/files/pub/f.bin")
    assert isinstance(response, FileResponse)
    assert body_of(response) == BIG


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.pdf", "application/pdf"),
        ("a.html", "text/html; charset=utf-8"),
        ("a.json", "application/json"),
        ("a.tar.gz", "application/gzip"),
        ("a.svg.gz", "application/gzip"),
        ("noextension", "application/octet-stream"),
        ("a.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_from_the_name(site: Site, name: str, content_type: str) -> None:
    site.put(f"pub:{name}")
    response, _ = get(Client(), f"/files/pub/{name}")
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_cache_control_per_mount(site: Site, django_user_model: Any) -> None:
    for fullpath in ("cached:a.txt", "sig:a.txt", "pub:a.txt", "auth:a.txt"):
        site.put(fullpath)
    client = Client()
    client.force_login(django_user_model.objects.create_user("cc"))
    assert get(client, "/files/cached/a.txt")[0]["Cache-Control"] == "no-cache"
    assert get(client, "/files/pub/a.txt")[0]["Cache-Control"] == "public, max-age=3600"
    assert get(client, "/files/auth/a.txt")[0]["Cache-Control"] == "private, max-age=3600"
    assert get(client, signed("sig:a.txt"))[0]["Cache-Control"] == "private, max-age=3600"


def test_download_flag_on_a_public_mount(site: Site) -> None:
    site.put("pub:a b.txt")
    response, _ = get(Client(), "/files/pub/a%20b.txt?download=1")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt"
    )
    response, _ = get(Client(), "/files/pub/a%20b.txt?download=0")
    assert response["Content-Disposition"].startswith("inline;")


def test_head(site: Site) -> None:
    site.put("pub:f.bin", BIG)
    client = Client()
    full = client.get("/files/pub/f.bin")
    body_of(full)
    head = client.head("/files/pub/f.bin")
    assert head.status_code == 200
    assert body_of(head) == b""
    for header in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control"):
        assert head[header] == full[header]
    assert head["Content-Length"] == str(len(BIG))
    ranged = client.head("/files/pub/f.bin", headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 10-19/{len(BIG)}"
    assert ranged["Content-Length"] == "10"
    assert body_of(ranged) == b""


# -- conditional requests ---------------------------------------------------------------------


@pytest.fixture
def conditional(site: Site) -> dict[str, str]:
    node = site.put("pub:c.txt")
    # A modification time well in the past, so "now" is after it.
    location = site.root / "pub" / "c.txt"
    os.utime(location, (1_700_000_000, 1_700_000_000))
    stat = node.stat()
    return {"etag": f'"{stat.etag}"', "date": http_date(1_700_000_000)}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": "{etag}"}, 304),
        ({"If-None-Match": "W/{etag}"}, 304),  # weak comparison for If-None-Match
        ({"If-None-Match": '"other", {etag}'}, 304),
        ({"If-None-Match": "*"}, 304),
        ({"If-None-Match": '"other"'}, 200),
        ({"If-Modified-Since": "{date}"}, 304),
        ({"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
        ({"If-Modified-Since": "not a date"}, 200),
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        ({"If-None-Match": '"other"', "If-Modified-Since": "{date}"}, 200),
        ({"If-Match": "{etag}"}, 200),
        ({"If-Match": "*"}, 200),
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": "W/{etag}"}, 412),  # strong comparison for If-Match
        ({"If-Unmodified-Since": "{date}"}, 200),
        ({"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 412),
        # If-Match wins over If-Unmodified-Since
        ({"If-Match": "{etag}", "If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, 200),
        # 412 before 304, and a Range does not change a 304
        ({"If-Match": '"other"', "If-None-Match": "{etag}"}, 412),
        ({"If-None-Match": "{etag}", "Range": "bytes=0-9"}, 304),
    ],
)
def test_conditional_requests(
    site: Site, conditional: dict[str, str], headers: dict[str, str], status: int
) -> None:
    sent = {name: value.format(**conditional) for name, value in headers.items()}
    for method in ("get", "head"):
        response = getattr(Client(), method)("/files/pub/c.txt", headers=sent)
        body = body_of(response)
        assert response.status_code == status, (method, sent)
        if status == 304:
            assert body == b""
            assert response["ETag"] == conditional["etag"]
            assert response["Last-Modified"] == conditional["date"]
            assert response["Cache-Control"] == "public, max-age=3600"
        elif status == 200 and method == "get":
            assert body == TEXT


@pytest.mark.parametrize(
    ("if_range", "status"),
    [
        ("{etag}", 206),
        ("{date}", 206),
        ('"other"', 200),
        ("W/{etag}", 200),  # weak validators never match If-Range
        ("Sat, 01 Jan 2000 00:00:00 GMT", 200),
        ("garbage", 200),
    ],
)
def test_if_range(site: Site, conditional: dict[str, str], if_range: str, status: int) -> None:
    headers = {"Range": "bytes=5-9", "If-Range": if_range.format(**conditional)}
    response, body = get(Client(), "/files/pub/c.txt", **headers)
    assert response.status_code == status
    assert body == (TEXT[5:10] if status == 206 else TEXT)


# -- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mount", ["pub", "mem"])  # a local file, then a memory one
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-100", SIZE - 100, SIZE - 1),
        ("bytes=-5000", 0, SIZE - 1),  # a suffix longer than the file: all of it
        ("bytes=1000-99999", 1000, SIZE - 1),  # past the end: clipped
        ("bytes=0-9,5-20", 0, 20),  # overlapping: merged
        ("bytes=0-9,10-19", 0, 19),  # adjacent: merged
        ("bytes=-10,1000-", 1000, SIZE - 1),
    ],
)
def test_single_range(site: Site, mount: str, header: str, start: int, end: int) -> None:
    site.put(f"{mount}:r.txt")
    response, body = get(Client(), f"/files/{mount}/r.txt", Range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body == TEXT[start : end + 1]


@pytest.mark.parametrize("mount", ["pub", "mem"])
def test_multiple_ranges(site: Site, mount: str) -> None:
    site.put(f"{mount}:r.txt")
    response, body = get(Client(), f"/files/{mount}/r.txt", Range="bytes=900-909,0-9,-5")
    assert response.status_code == 206
    assert "Content-Range" not in response
    assert response["Content-Length"] == str(len(body))
    parts = parse_byteranges(response["Content-Type"], body)
    assert parts == [
        (f"bytes 0-9/{SIZE}", TEXT[0:10]),
        (f"bytes 900-909/{SIZE}", TEXT[900:910]),
        (f"bytes {SIZE - 5}-{SIZE - 1}/{SIZE}", TEXT[-5:]),
    ]


def test_ranges_across_chunks(site: Site) -> None:
    site.put("pub:big.bin", BIG)
    edge = CHUNK_SIZE
    header = f"bytes={edge - 10}-{edge + 10},{2 * edge + 5}-"
    response, body = get(Client(), "/files/pub/big.bin", Range=header)
    parts = parse_byteranges(response["Content-Type"], body)
    assert [part for _, part in parts] == [BIG[edge - 10 : edge + 11], BIG[2 * edge + 5 :]]


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=1080-1090", "bytes=2000-3000,4000-"])
def test_unsatisfiable_range_is_416(site: Site, header: str) -> None:
    site.put("pub:r.txt")
    response, _ = get(Client(), "/files/pub/r.txt", Range=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


def test_range_numbers_past_int_limit(site: Site) -> None:
    site.put("pub:r.txt")
    huge = "9" * 5000
    response, _ = get(Client(), "/files/pub/r.txt", Range=f"bytes={huge}-")
    assert response.status_code == 416
    response, body = get(Client(), "/files/pub/r.txt", Range=f"bytes=5-{huge}")
    assert response.status_code == 206
    assert body == TEXT[5:]


def test_any_range_of_an_empty_file_is_416(site: Site) -> None:
    site.put("pub:empty.txt", b"")
    response, body = get(Client(), "/files/pub/empty.txt")
    assert response.status_code == 200 and body == b""
    assert response["Content-Length"] == "0"
    response, _ = get(Client(), "/files/pub/empty.txt", Range="bytes=0-")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */0"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=9-5",
        "bytes=-",
        "bytes=0-9;x",
        "lines=0-9",
        "bytes 0-9",
        "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES + 1)),
    ],
)
def test_invalid_or_abusive_ranges_are_ignored(site: Site, header: str) -> None:
    site.put("pub:r.txt")
    response, body = get(Client(), "/files/pub/r.txt", Range=header)
    assert response.status_code == 200
    assert body == TEXT
    assert "Content-Range" not in response


# -- offload ----------------------------------------------------------------------------------


def test_x_accel_redirect(site: Site) -> None:
    site.put("accel:dir/a b.pdf")
    response, body = get(Client(), "/files/accel/dir/a%20b.pdf?download=1")
    assert response.status_code == 200
    assert body == b""
    assert response["X-Accel-Redirect"] == "/internal/dir/a%20b.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="a b.pdf"')
    assert response["Cache-Control"] == "public, max-age=3600"
    assert "X-Sendfile" not in response


def test_offload_keeps_conditional_requests(site: Site) -> None:
    node = site.put("accel:a.txt")
    etag = f'"{node.stat().etag}"'
    response, _ = get(Client(), "/files/accel/a.txt", **{"If-None-Match": etag})
    assert response.status_code == 304
    assert "X-Accel-Redirect" not in response


def test_x_sendfile(site: Site) -> None:
    site.put("sendfile:d/a.txt")
    response, body = get(Client(), "/files/sendfile/d/a.txt")
    assert response.status_code == 200 and body == b""
    assert response["X-Sendfile"] == str(site.root / "sendfile" / "d" / "a.txt")
    site.put("sendfile:é 100%.txt")
    response, _ = get(Client(), "/files/sendfile/%C3%A9%20100%25.txt")
    assert response["X-Sendfile"] == quote(str(site.root / "sendfile" / "é 100%.txt"))


def test_redirect_offload(site: Site) -> None:
    site.put("redir:a b.txt")
    response, _ = get(Client(), "/files/redir/a%20b.txt")
    assert response.status_code == 302
    assert response["Location"] == "https://cdn.test/r/a%20b.txt"
    assert response["Cache-Control"] == "private, no-store"
    # A download needs a Content-Disposition the target URL cannot carry: streamed here.
    response, body = get(Client(), "/files/redir/a%20b.txt?download=1")
    assert response.status_code == 200 and body == TEXT
    # A mount with no URL of its own is streamed.
    site.put("redirmem:a.txt")
    response, body = get(Client(), "/files/redirmem/a.txt")
    assert response.status_code == 200 and body == TEXT


@pytest.mark.cloud
def test_cloud_mount_redirects_to_a_presigned_url(
    settings: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import urllib.request

    from tests.testapp.mounts import mount_config

    settings.STORAGE_MOUNTS = {
        "s3r": mount_config("s3", tmp_path, request, serve="public", offload="redirect"),
        "s3s": mount_config("s3", tmp_path, request, serve="public"),
    }
    for mount in ("s3r", "s3s"):
        get_manager().node(f"{mount}:a b.bin").write_bytes(BIG)
    response, _ = get(Client(), "/files/s3r/a%20b.bin")
    assert response.status_code == 302
    assert "Signature=" in response["Location"] or "X-Amz-Signature=" in response["Location"]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(response["Location"], timeout=30) as presigned:
        assert presigned.read() == BIG
    # Without offload a cloud file streams through the view, ranges included.
    response, body = get(Client(), "/files/s3s/a%20b.bin", Range="bytes=10-19,-5")
    parts = parse_byteranges(response["Content-Type"], body)
    assert [part for _, part in parts] == [BIG[10:20], BIG[-5:]]
    response, body = get(Client(), "/files/s3s/a%20b.bin")
    assert isinstance(response, StreamingHttpResponse)
    assert body == BIG


# -- ASGI: async bodies -----------------------------------------------------------------------


async def aget(url: str, **headers: str) -> tuple[HttpResponseBase, list[bytes]]:
    response = await AsyncClient().get(url, headers=headers)
    chunks: list[bytes] = []
    if response.streaming:
        assert response.is_async  # type: ignore[attr-defined]
        async for chunk in response.streaming_content:  # type: ignore[attr-defined]
            chunks.append(bytes(chunk))
    else:
        chunks.append(response.content)  # type: ignore[attr-defined]
    return response, chunks


@pytest.mark.parametrize("mount", ["pub", "mem"])
def test_asgi_streams_chunk_by_chunk(site: Site, mount: str) -> None:
    site.put(f"{mount}:big.bin", BIG)
    response, chunks = asyncio.run(aget(f"/files/{mount}/big.bin"))
    assert response.status_code == 200
    assert b"".join(chunks) == BIG
    # One chunk per read, never the whole file at once.
    assert max(len(chunk) for chunk in chunks) <= CHUNK_SIZE
    assert len(chunks) == 4


def test_asgi_ranges_and_head(site: Site) -> None:
    site.put("pub:big.bin", BIG)
    response, chunks = asyncio.run(aget("/files/pub/big.bin", Range="bytes=100-199"))
    assert response.status_code == 206 and b"".join(chunks) == BIG[100:200]
    response, chunks = asyncio.run(aget("/files/pub/big.bin", Range="bytes=0-9,-10"))
    parts = parse_byteranges(response["Content-Type"], b"".join(chunks))
    assert [part for _, part in parts] == [BIG[:10], BIG[-10:]]

    async def head() -> HttpResponseBase:
        return await AsyncClient().head("/files/pub/big.bin")

    response = asyncio.run(head())
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(BIG))


@pytest.mark.cloud
def test_asgi_reads_through_an_async_filesystem(
    settings: Any, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backend with ``async_source(location) -> (fs, path)`` is read with the async fs's own
    ranged requests under ASGI (no worker thread per chunk). The S3 backend gets the method
    here as FsspecBackend would implement it."""
    from tests.testapp.mounts import mount_config

    settings.STORAGE_MOUNTS = {"s3": mount_config("s3", tmp_path, request, serve="public")}
    node = get_manager().node("s3:big.bin")
    node.write_bytes(BIG)
    backend: Any = node.backend
    calls: list[str] = []

    def async_source(location: str) -> tuple[Any, str]:
        calls.append(location)
        return backend.base_fs, backend.full_path(location)

    monkeypatch.setattr(backend, "async_source", async_source, raising=False)

    def thread_hand_off_is_not_used(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read through a worker thread")

    monkeypatch.setattr(node.backend, "open_read", thread_hand_off_is_not_used)
    response, chunks = asyncio.run(aget("/files/s3/big.bin"))
    assert response.status_code == 200 and b"".join(chunks) == BIG
    response, chunks = asyncio.run(aget("/files/s3/big.bin", Range="bytes=5-9,-7"))
    parts = parse_byteranges(response["Content-Type"], b"".join(chunks))
    assert [part for _, part in parts] == [BIG[5:10], BIG[-7:]]
    assert calls == ["big.bin", "big.bin"]


# -- small pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("abc-123", '"abc-123"'),
        ('"quoted"', '"quoted"'),
        ("W/weak", '"weak"'),
        ("bad\nchar é", '"badchar"'),
        ("", None),
        (None, None),
        ('""', None),
    ],
)
def test_entity_tag(tag: str | None, expected: str | None) -> None:
    from genro_storage_django.serving.responses import entity_tag

    assert entity_tag(tag) == expected


def test_links_without_the_view_in_the_urlconf(site: Site, settings: Any) -> None:
    based = site.put("based:a.txt")
    pub = site.put("pub:a.txt")
    settings.ROOT_URLCONF = "django.contrib.staticfiles.urls"
    assert node_url(based) == "/media/based/a.txt"
    assert node_url(pub) is None  # served, but the view is not reachable and no base_url


def test_offload_of_a_file_that_is_not_on_disk_streams_it(site: Site, settings: Any) -> None:
    mounts = site.mounts()
    mounts["mem"].update(offload="x-accel-redirect", offload_prefix="/internal/")
    settings.STORAGE_MOUNTS = mounts
    site.put("mem:a.txt")
    response, body = get(Client(), "/files/mem/a.txt")
    assert response.status_code == 200 and body == TEXT
    assert "X-Accel-Redirect" not in response


def test_expires_in_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_query("m", "p", expires_in=0)


def test_a_permission_path_that_is_not_callable(site: Site, settings: Any) -> None:
    mounts = site.mounts()
    mounts["pub"]["serve_permission"] = f"{__name__}.TEXT"
    settings.STORAGE_MOUNTS = mounts
    site.put("pub:f.txt")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="not callable"):
        Client().get("/files/pub/f.txt")
