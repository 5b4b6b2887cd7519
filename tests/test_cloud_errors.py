"""Cloud failures inside the storage error hierarchy, against the real emulators.

A missing bucket, a stopped server, a server that accepts and never answers, wrong or
no credentials: every node call, ``MountStorage`` call, streaming write, command and
the file view report them as the storage errors that name the mount and the fix, within
the mount's bounded timeouts, never as the SDK's exceptions.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings

from genro_storage_django.core import (
    StorageBucketNotFoundError,
    StorageConfigError,
    StorageCredentialsError,
    StorageError,
    StorageManager,
    StorageNode,
    StoragePermissionError,
    StorageUnavailableError,
)
from genro_storage_django.core.backends.cloud_errors import classify
from genro_storage_django.core.backends.object_store import PART_SIZE
from genro_storage_django.serving.views import RETRY_AFTER
from genro_storage_django.storage import MountStorage
from tests.support.cloud import cloud_config, cloud_params
from tests.support.relay import Seen, running_relay, serving_in_thread
from tests.support.server_process import HOST, environment, free_port
from tests.support.servers import S3Server, running_s3
from tests.support.upload_signatures import service_account_info

pytestmark = pytest.mark.cloud

#: Short limits, so a failing call ends in a few seconds.
FAST = {"connect_timeout": 0.5, "read_timeout": 0.5, "retries": 1}


@pytest.fixture(params=cloud_params())
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def elsewhere(
    kind: str, request: pytest.FixtureRequest, address: str, **extra: Any
) -> dict[str, Any]:
    """A mount config of ``kind`` whose endpoint is ``address`` (host:port)."""
    config = cloud_config(kind, request, **extra)
    if kind == "azure":
        account = config["connection_string"].split("BlobEndpoint=")[0]
        config["connection_string"] = f"{account}BlobEndpoint=http://{address}/devstoreaccount1;"
    else:
        config["endpoint_url"] = f"http://{address}"
    return config


def missing_bucket(kind: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    key = "container" if kind == "azure" else "bucket"
    return cloud_config(kind, request, **{key: "no-such-bucket-here"})


def node_calls(root: StorageNode) -> dict[str, Callable[[], object]]:
    target = root / "dir" / "file.txt"

    def streamed() -> None:
        with target.open("wb") as stream:
            stream.write(b"data")

    return {
        "children": root.children,
        "stat": target.stat,
        "exists": target.exists,
        "is_file": target.is_file,
        "is_dir": (root / "dir").is_dir,
        "read_bytes": target.read_bytes,
        "open": lambda: target.open("rb"),
        "write_bytes": lambda: target.write_bytes(b"data"),
        "streamed write": streamed,
        "walk_files": lambda: list(root.walk_files()),
        "glob": lambda: root.glob("**/*.txt"),
        "delete": target.delete,
        "mkdir": lambda: (root / "new").mkdir(exist_ok=True),
    }


# -- a missing bucket ------------------------------------------------------------------


def test_a_missing_bucket_is_no_missing_file(kind: str, request: pytest.FixtureRequest) -> None:
    root = StorageManager({"archive": missing_bucket(kind, request)}).node("archive:")
    for name, call in node_calls(root).items():
        with pytest.raises(StorageBucketNotFoundError) as caught:
            call()
        assert not isinstance(caught.value, FileNotFoundError), name
        message = str(caught.value)
        assert "'archive'" in message and "no-such-bucket-here" in message, name
        assert "fix: create it" in message, name


def test_a_missing_file_in_a_real_bucket_stays_not_found(
    kind: str, request: pytest.FixtureRequest
) -> None:
    root = StorageManager({"m": cloud_config(kind, request)}).node("m:")
    assert not (root / "absent.txt").exists()
    assert not (root / "absent.txt").is_file()
    assert root.children() == []
    with pytest.raises(FileNotFoundError, match=r"cannot stat m:absent\.txt: no such file"):
        (root / "absent.txt").stat()
    with pytest.raises(FileNotFoundError, match=r"cannot list m:nope: no such"):
        (root / "nope").children()


def test_a_bucket_it_may_not_ask_about_is_asked_once(request: pytest.FixtureRequest) -> None:
    """A key allowed to read objects but not to ask about its bucket: missing files stay
    missing files, and the bucket question is not repeated for each one."""
    config = cloud_config("s3", request)
    bucket_path = f"/{config['bucket']}"

    def refuse_bucket_questions(seen: Seen) -> tuple[int, bytes] | None:
        return (403, b"") if seen.method == "HEAD" and seen.path == bucket_path else None

    with running_relay(config["endpoint_url"], refuse_bucket_questions) as relay:
        root = StorageManager({"m": dict(config, endpoint_url=relay.endpoint_url)}).node("m:")
        for name in ("a.txt", "b.txt", "c.txt"):
            assert not (root / name).exists()
            with pytest.raises(FileNotFoundError):
                (root / name).read_bytes()
        asked = [seen for seen in relay.seen if seen.path == bucket_path]
    assert len(asked) == 1


def test_a_store_gone_mid_read(request: pytest.FixtureRequest) -> None:
    config = cloud_config("s3", request, retries=0)
    data = bytes(range(256)) * (12 * 2**12)  # 12 MiB: reads fetch 4 MiB blocks as they go
    StorageManager({"m": config}).node("m:big.bin").write_bytes(data)
    down = threading.Event()
    unavailable = b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>"

    def when_down(seen: Seen) -> tuple[int, bytes] | None:
        return (503, unavailable) if down.is_set() else None

    with running_relay(config["endpoint_url"], when_down) as relay:
        node = StorageManager({"m": dict(config, endpoint_url=relay.endpoint_url)}).node(
            "m:big.bin"
        )
        with node.open("rb") as stream:
            assert stream.read(2**20) == data[: 2**20]
            down.set()
            with pytest.raises(StorageUnavailableError, match="ServiceUnavailable"):
                stream.read(8 * 2**20)


# -- a stopped server ------------------------------------------------------------------


def test_a_stopped_server_is_unavailable_quickly(kind: str, request: pytest.FixtureRequest) -> None:
    address = f"{HOST}:{free_port()}"  # nothing listens there
    root = StorageManager({"archive": elsewhere(kind, request, address, **FAST)}).node("archive:")
    calls = node_calls(root)

    def first_part() -> None:
        with (root / "big.bin").open("wb") as stream:
            stream.write(bytes(PART_SIZE + 1))  # a full part goes out from write() itself
            pytest.fail("the part was sent without an error")

    calls["write of a part"] = first_part
    for name, call in calls.items():
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError) as caught:
            call()
        assert time.monotonic() - started < 10, name
        assert isinstance(caught.value, ConnectionError), name
        message = str(caught.value)
        assert "'archive'" in message and address in message, name
        assert "retries=1" in message and "fix: check that the store is up" in message, name


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections, reads what comes and never answers."""
    listener = socket.create_server((HOST, 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _peer = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, name="silent-server", daemon=True)
    thread.start()
    try:
        yield f"{HOST}:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()
    assert not thread.is_alive()


def test_a_hung_server_fails_within_the_bound(
    kind: str, request: pytest.FixtureRequest, silent_server: str
) -> None:
    config = elsewhere(kind, request, silent_server, **FAST)
    root = StorageManager({"archive": config}).node("archive:")
    for call in (root.children, (root / "a.txt").stat):
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError, match=r"read_timeout=0\.5s"):
            call()
        # Two attempts of 0.5 s each and one pause between them (at most 2.75 s on Azure).
        assert time.monotonic() - started < 8


# -- credentials -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_with_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A moto server checking every request's keys (none is known: all are wrong)."""
    with (
        environment({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}),
        running_s3(tmp_path_factory.mktemp("moto-auth")) as server,
    ):
        yield server


def test_wrong_keys_on_s3(s3_with_auth: S3Server) -> None:
    config = {
        "type": "s3",
        "bucket": "any",
        "endpoint_url": s3_with_auth.endpoint_url,
        "key": "AKIAWRONGWRONGWRONG1",
        "secret": "wrong",
    }
    root = StorageManager({"archive": config}).node("archive:")
    for name, call in node_calls(root).items():
        with pytest.raises(StorageCredentialsError) as caught:
            call()
        assert isinstance(caught.value, PermissionError), name
        assert isinstance(caught.value, StoragePermissionError), name
        message = str(caught.value)
        assert "'archive'" in message and "set the mount's key and secret" in message, name


def test_wrong_key_on_azure(request: pytest.FixtureRequest) -> None:
    config = cloud_config("azure", request)
    config["connection_string"] = config["connection_string"].replace(
        "AccountKey=Eby8", "AccountKey=Xby8"
    )
    root = StorageManager({"archive": config}).node("archive:")
    for name, call in node_calls(root).items():
        with pytest.raises(StorageCredentialsError, match="set the mount's connection_string"):
            call()
        assert name


@pytest.fixture
def refusing_token_server() -> Iterator[str]:
    """An OAuth token endpoint that refuses every grant, as Google's does a revoked key."""

    class Refuse(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT"})
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

    with serving_in_thread(Refuse, "token-server") as base_url:
        yield f"{base_url}/token"


def test_a_refused_service_account_on_gcs(
    request: pytest.FixtureRequest, refusing_token_server: str
) -> None:
    account, _public_key = service_account_info(key_id="revoked", token_uri=refusing_token_server)
    config = cloud_config("gcs", request, token=account, retries=0)
    root = StorageManager({"archive": config}).node("archive:")
    for name, call in node_calls(root).items():
        with pytest.raises(
            StorageCredentialsError, match=r"Invalid Credentials, 401.*fix: set the mount's token"
        ):
            call()
        assert name


def test_no_credentials_on_s3(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = cloud_config("s3", request)
    del config["key"], config["secret"]
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    # A fresh s3fs client: one made earlier with the same arguments kept its credentials.
    config["options"] = {"skip_instance_cache": True}
    root = StorageManager({"archive": config}).node("archive:")
    with pytest.raises(StorageCredentialsError, match="NoCredentialsError"):
        root.children()
    with pytest.raises(StorageCredentialsError, match="AWS_ACCESS_KEY_ID"):
        (root / "a.txt").write_bytes(b"data")


@pytest.mark.parametrize(
    "credentials",
    [{}, {"connection_string": "not a connection string"}],
    ids=["none", "unparsable"],
)
def test_no_credentials_on_azure(
    credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_NAME"):
        monkeypatch.delenv(name, raising=False)
    config = {"type": "azure", "container": "box", **credentials}
    with pytest.raises(
        StorageCredentialsError, match=r"'archive'.*set the mount's connection_string"
    ):
        StorageManager({"archive": config})


def test_no_credentials_on_gcs(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    config = cloud_config("gcs", request, token="google_default")
    # Construction asks google-auth for credentials: the manager reports it there.
    with pytest.raises(StorageCredentialsError, match=r"'archive'.*GOOGLE_APPLICATION_CREDENTIALS"):
        StorageManager({"archive": config})


# -- the Django layer --------------------------------------------------------------------


def test_mount_storage_calls(kind: str, request: pytest.FixtureRequest, settings: Settings) -> None:
    settings.STORAGE_MOUNTS = {"archive": missing_bucket(kind, request)}
    storage = MountStorage(mount="archive")
    calls: dict[str, Callable[[], object]] = {
        "exists": lambda: storage.exists("a.txt"),
        "save": lambda: storage.save("a.txt", ContentFile(b"data")),
        "open": lambda: storage.open("a.txt"),
        "size": lambda: storage.size("a.txt"),
        "listdir": lambda: storage.listdir(""),
        "delete": lambda: storage.delete("a.txt"),
    }
    for name, call in calls.items():
        with pytest.raises(StorageBucketNotFoundError, match="'archive'"):
            call()
        assert name


def test_storage_ls_on_a_missing_bucket(
    kind: str, request: pytest.FixtureRequest, settings: Settings
) -> None:
    settings.STORAGE_MOUNTS = {"archive": missing_bucket(kind, request)}
    with pytest.raises(CommandError) as caught:
        call_command("storage_ls", "archive:", stdout=io.StringIO())
    message = str(caught.value)
    assert "no-such-bucket-here" in message and "does not exist" in message
    assert "archive::" not in message
    settings.STORAGE_MOUNTS = {**settings.STORAGE_MOUNTS, "disk": {"type": "memory"}}
    with pytest.raises(CommandError, match="no-such-bucket-here"):
        call_command("storage_sync", "disk:", "archive:", stdout=io.StringIO())


def test_a_mount_root_prints_as_mount_colon(tmp_path: Path) -> None:
    root = StorageManager({"archive": {"type": "local", "path": str(tmp_path / "gone")}})
    (tmp_path / "gone").write_text("a file where the root should be")
    with pytest.raises(StorageError) as caught:
        root.node("archive:").children()
    assert "cannot list archive: (mount root): " in str(caught.value)


def test_the_file_view_answers_503(
    kind: str, request: pytest.FixtureRequest, settings: Settings, client: Client
) -> None:
    address = f"{HOST}:{free_port()}"
    settings.STORAGE_MOUNTS = {"pub": elsewhere(kind, request, address, serve="public", **FAST)}
    started = time.monotonic()
    response = client.get("/files/pub/a.txt")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)


# -- options and the classifier ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("connect_timeout", 0),
        ("read_timeout", "5"),
        ("read_timeout", True),
        ("retries", -1),
        ("retries", 1.5),
        ("retries", 21),
    ],
)
def test_limits_are_validated(
    kind: str, request: pytest.FixtureRequest, key: str, value: Any
) -> None:
    with pytest.raises(StorageConfigError, match=key):
        StorageManager({"m": cloud_config(kind, request, **{key: value})})


def test_the_classifier_leaves_other_errors_alone() -> None:
    assert classify(FileNotFoundError("a key")) is None
    assert classify(ValueError("no")) is None
    looped = OSError("loop")
    looped.__context__ = looped
    assert classify(looped) is None
    assert classify(ConnectionRefusedError(111, "refused")) == (
        "unavailable",
        "ConnectionRefusedError: [Errno 111] refused",
    )
    assert classify(TimeoutError()) == ("unavailable", "TimeoutError")


def test_the_classifier_reads_gcsfs_answers() -> None:
    from gcsfs.retry import HttpError

    assert classify(HttpError({"code": 401, "message": "Invalid Credentials"})) == (
        "credentials",
        "HttpError: Invalid Credentials, 401",
    )
    assert classify(HttpError({"code": 503, "message": "down"}))[0] == "unavailable"  # type: ignore[index]
    assert classify(OSError("Forbidden: b/bucket/o\nno access"))[0] == "credentials"  # type: ignore[index]
    assert classify(HttpError({"code": 400, "message": "bad"})) is None
