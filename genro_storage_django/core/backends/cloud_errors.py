"""What a cloud SDK's exception means for a mount: bad credentials, no answer, no bucket.

s3fs, gcsfs and adlfs let botocore, google-auth, azure-core and aiohttp exceptions
through, or turn them into builtins that hide the cause (s3fs reports a missing bucket
as FileNotFoundError, the same as a missing key). :func:`classify` reads an exception
and the chain of causes behind it and answers which of three failures it is, or None
when it is none of them (a missing key stays a FileNotFoundError for the node).

Types are looked up by import, once, skipping the SDKs that are not installed: the
module imports with none of them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, Protocol

from ..errors import (
    StorageBucketNotFoundError,
    StorageCredentialsError,
    StorageError,
    StorageUnavailableError,
)
from .timeouts import Limits

__all__ = ["GUARDED_METHODS", "CloudErrors", "Failure", "classify", "guard_methods", "reraise"]

Failure = Literal["credentials", "unavailable", "bucket"]

# (module, class, failure) of the SDKs' exception types, most specific first.
_TYPES: tuple[tuple[str, str, Failure], ...] = (
    ("botocore.exceptions", "NoCredentialsError", "credentials"),
    ("botocore.exceptions", "PartialCredentialsError", "credentials"),
    ("botocore.exceptions", "CredentialRetrievalError", "credentials"),
    # EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError...
    ("botocore.exceptions", "ConnectionError", "unavailable"),
    # ReadTimeoutError, ConnectionClosedError...
    ("botocore.exceptions", "HTTPClientError", "unavailable"),
    ("google.auth.exceptions", "DefaultCredentialsError", "credentials"),
    ("google.auth.exceptions", "RefreshError", "credentials"),
    ("google.auth.exceptions", "TransportError", "unavailable"),
    ("azure.core.exceptions", "ClientAuthenticationError", "credentials"),
    ("azure.core.exceptions", "ServiceRequestError", "unavailable"),
    ("azure.core.exceptions", "ServiceResponseError", "unavailable"),
    # ClientConnectorError, ServerDisconnectedError, ServerTimeoutError...
    ("aiohttp.client_exceptions", "ClientConnectionError", "unavailable"),
    ("requests.exceptions", "ConnectionError", "unavailable"),
    ("requests.exceptions", "Timeout", "unavailable"),
    ("fsspec.exceptions", "FSTimeoutError", "unavailable"),
)

# Error codes the stores put in their answers (S3 <Code>, Azure x-ms-error-code).
_CODES: dict[str, Failure] = {
    "NoSuchBucket": "bucket",
    "ContainerNotFound": "bucket",
    "InvalidAccessKeyId": "credentials",
    "SignatureDoesNotMatch": "credentials",
    "ExpiredToken": "credentials",
    "InvalidToken": "credentials",
    "TokenRefreshRequired": "credentials",
    "AccessDenied": "credentials",
    "AllAccessDisabled": "credentials",
    "AuthorizationHeaderMalformed": "credentials",
    "AuthenticationFailed": "credentials",
    "AuthorizationFailure": "credentials",
    "AuthorizationPermissionMismatch": "credentials",
    "InvalidAuthenticationInfo": "credentials",
    "NoAuthenticationInformation": "credentials",
    "ServiceUnavailable": "unavailable",
    "SlowDown": "unavailable",
    "ServerBusy": "unavailable",
    "InternalError": "unavailable",
    "OperationTimedOut": "unavailable",
}

# Statuses that say enough without a code; gcsfs answers 403 with a bare OSError.
_HTTP_STATUS: dict[int, Failure] = {401: "credentials", 403: "credentials", 503: "unavailable"}
_GCSFS_FORBIDDEN = "Forbidden: "


def classify(exc: BaseException) -> tuple[Failure, str] | None:
    """(failure, the store's own words) for a cloud failure, None for anything else."""
    for link in _chain(exc):
        failure = _by_code(link) or _by_type(link)
        if failure is not None:
            return failure, _detail(link)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes (s3fs raises its builtins ``from`` the botocore error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _by_code(exc: BaseException) -> Failure | None:
    response: Any = getattr(exc, "response", None)
    code: Any = None
    status: Any = None
    if isinstance(response, dict):  # botocore ClientError
        code = response.get("Error", {}).get("Code")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    else:  # azure HttpResponseError; gcsfs HttpError has its status as ``code``
        code = getattr(exc, "error_code", None)
        status = getattr(exc, "status_code", None)
        if type(exc).__module__ == "gcsfs.retry":
            status = getattr(exc, "code", None)
    if isinstance(code, str) and code in _CODES:
        return _CODES[code]
    if isinstance(status, int) and status in _HTTP_STATUS:
        # A HEAD has no body, so no code: its status is all there is.
        return _HTTP_STATUS[status]
    if type(exc) is OSError and str(exc).startswith(_GCSFS_FORBIDDEN):
        return "credentials"
    return None


def _by_type(exc: BaseException) -> Failure | None:
    for kind, failure in _known_types():
        if isinstance(exc, kind):
            return failure
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return "unavailable"
    return None


@functools.cache
def _known_types() -> tuple[tuple[type[BaseException], Failure], ...]:
    found: list[tuple[type[BaseException], Failure]] = []
    for module_name, class_name, failure in _TYPES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # that SDK is not installed: none of its errors can happen
        kind = getattr(module, class_name, None)
        if isinstance(kind, type) and issubclass(kind, BaseException):
            found.append((kind, failure))
    return tuple(found)


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if not text:
        return name
    return f"{name}: {text[:200]}"


#: The backend calls whose SDK exceptions the object stores translate.
GUARDED_METHODS = (
    "__init__",
    "stat",
    "exists",
    "is_file",
    "listdir",
    "walk_files",
    "open_read",
    "open_writer",
    "read_bytes",
    "write_bytes",
    "mkdir",
    "remove_file",
    "remove_dir",
    "touch",
    "copy_within",
    "move_within",
    "url",
    "presigned_upload",
)


class Translating(Protocol):
    def cloud_error(self, exc: Exception) -> BaseException: ...


def reraise(exc: Exception, translate: Callable[[Exception], BaseException]) -> NoReturn:
    """Raise what ``translate`` makes of ``exc`` (chained to it), or ``exc`` itself."""
    mapped = translate(exc)
    if mapped is exc:
        raise exc
    raise mapped from exc


def guard_methods(cls: type) -> None:
    """Wrap ``cls``'s :data:`GUARDED_METHODS` (own or inherited, unless already wrapped)
    so that what they raise goes through ``self.cloud_error`` first."""
    for name in GUARDED_METHODS:
        method = getattr(cls, name)
        if method not in _GUARDS:
            setattr(cls, name, _guarded(method))


#: The wrappers made here: a subclass's inherited method is wrapped once, not again.
_GUARDS: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generate(self: Translating, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except Exception as exc:
                reraise(exc, self.cloud_error)

        _GUARDS.add(generate)
        return generate

    @functools.wraps(method)
    def call(self: Translating, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            reraise(exc, self.cloud_error)

    _GUARDS.add(call)
    return call


class CloudErrors:
    """The object stores' side of the translation: messages naming the mount and the fix,
    and the one request telling a missing bucket from a missing key."""

    #: How to give the mount working credentials (the end of a credentials error).
    credentials_hint: ClassVar[str] = "check the mount's credentials"
    #: The store's address when the mount names none.
    default_endpoint: ClassVar[str] = ""
    _bucket_confirmed = False

    if TYPE_CHECKING:
        type_name: ClassVar[str]
        bucket_key: ClassVar[str]
        mount_name: str
        options: Mapping[str, Any]
        base_fs: Any

        def endpoint(self) -> str | None: ...

    @property
    def limits(self) -> Limits:
        return Limits(self.options)

    def cloud_error(self, exc: Exception) -> BaseException:
        """The storage error ``exc`` means (naming the mount and the fix), else ``exc``."""
        if isinstance(exc, StorageError):
            return exc
        found = classify(exc)
        if found is None:
            if isinstance(exc, FileNotFoundError) and self.bucket_missing():
                return self.missing_bucket_error()
            return exc
        failure, detail = found
        if failure == "bucket":
            self._bucket_confirmed = False
            return self.missing_bucket_error()
        if failure == "credentials":
            return self.credentials_error(detail)
        return StorageUnavailableError(
            f"{self.mount_and_bucket}: no answer from {self.address} ({detail}) "
            f"within {self.limits}; "
            "fix: check that the store is up and reachable from here and the mount's "
            "endpoint, or raise those limits in the mount"
        )

    def credentials_error(self, detail: str) -> StorageCredentialsError:
        return StorageCredentialsError(
            f"{self.mount_and_bucket}: the store refused the credentials, or found none "
            f"({detail}); "
            f"fix: {self.credentials_hint}"
        )

    @property
    def mount_and_bucket(self) -> str:
        return f"mount {self.mount_name!r} ({self.type_name} {self.bucket_key} {self.bucket!r})"

    @property
    def bucket(self) -> str:
        return str(self.options[self.bucket_key])

    @property
    def address(self) -> str:
        """The store's address for messages, also when construction failed half-way."""
        # Before the filesystem exists (its construction failed), the mount's own word.
        built = hasattr(self, "base_fs")
        found = self.endpoint() if built else self.options.get("endpoint_url")
        return str(found or self.default_endpoint)

    def missing_bucket_error(self) -> StorageBucketNotFoundError:
        key = self.bucket_key
        return StorageBucketNotFoundError(
            f"mount {self.mount_name!r}: the {self.type_name} {key} {self.bucket!r} does not "
            f"exist at {self.address}; fix: create it, or correct the mount's {key!r}"
        )

    def guard_reads(self, stream: Any) -> None:
        """Give a read stream's fetches (fsspec's block cache calls the store as reads go)
        the same translation: a store gone mid-read is a StorageUnavailableError too."""
        cache: Any = getattr(stream, "cache", None)
        fetch = getattr(cache, "fetcher", None)
        if fetch is None:
            return

        def fetcher(start: int | None, end: int | None) -> Any:
            try:
                return fetch(start, end)
            except Exception as exc:
                reraise(exc, self.cloud_error)

        cache.fetcher = fetcher

    def confirm_bucket(self) -> None:
        """Raise StorageBucketNotFoundError if an empty or not-found answer meant that."""
        if self.bucket_missing():
            raise self.missing_bucket_error()

    def bucket_missing(self) -> bool:
        """Whether the bucket is gone; asked on a not-found answer, until it is found once.

        Stores answer a missing bucket like a missing key (a HEAD's bare 404, gcsfs's
        FileNotFoundError of the URL): one request on the bucket itself tells them apart.
        """
        if self._bucket_confirmed:
            return False
        try:
            self.base_fs.info(self.bucket)
        except FileNotFoundError:
            return True
        except Exception:
            # Cannot tell (no right to ask about the bucket?): the caller reports the
            # error its own call met. Asking again on every missing key would only add a
            # request to each, so the bucket counts as found from now on.
            self._bucket_confirmed = True
            return False
        self._bucket_confirmed = True
        return False
