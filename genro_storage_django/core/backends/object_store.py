"""What the S3, GCS and Azure mounts share: a bucket, a prefix, and no real directories.

* The mount root is ``<bucket>/<prefix>``, applied by fsspec's ``DirFileSystem``, so
  every path below it is joined as ``<prefix>/<path>``; listings, walks and deletes
  list ``<prefix>/`` (with the slash), so a sibling prefix such as ``data-old`` next
  to ``data`` is never listed, written or deleted, and a recursive delete of the
  mount root deletes its objects, never the bucket.
* Listing caches are off unless the mount's ``options`` turn them on: s3fs, gcsfs and
  adlfs keep directory listings forever by default, which would hide what other
  processes write. Mutations through the node invalidate them anyway.
* Memory stays bounded: reads go through a readahead block of :data:`READ_BLOCK_SIZE`
  and uploads through parts of :data:`PART_SIZE` (s3fs and adlfs default to 50 MB).
* Copies between mounts on the same store with the same credentials stay server-side
  (``cp_file``: S3 CopyObject, GCS rewrite, Azure copy-from-URL).
* Failures of the store itself raise the storage errors that say what to fix, never the
  SDK's exceptions: :class:`StorageCredentialsError`, :class:`StorageUnavailableError`
  (after the mount's bounded timeouts and retries, see :mod:`.timeouts`) and
  :class:`StorageBucketNotFoundError`. A not-found answer is checked against the bucket
  once per backend, so a missing bucket never reads as a missing file or an empty mount.
"""

from __future__ import annotations

import errno
import functools
import mimetypes
import posixpath
import re
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import replace
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

from ..capabilities import BackendCapabilities
from ..config import invalid
from ..errors import StorageError
from ..listing import OnSkip
from ..paths import normalize
from .base import MAX_EXPIRY, AtomicWriter, Backend, StatResult
from .cloud_errors import CloudErrors, guard_methods
from .fsspec_base import FsspecBackend, has_glob
from .object_options import (
    OBJECT_OPTION_KEYS,
    check_object_options,
    custom_domain_url,
    mount_prefix,
)
from .timeouts import TIMEOUT_KEYS, validate_limits
from .writers import StreamingUploadWriter

__all__ = ["OBJECT_STORE_KEYS", "PART_SIZE", "READ_BLOCK_SIZE", "ObjectStoreBackend"]

#: Keys every object-store mount accepts besides its bucket and credentials.
OBJECT_STORE_KEYS = (
    frozenset({"prefix", "options", "part_size"}) | OBJECT_OPTION_KEYS | TIMEOUT_KEYS
)

#: Upload part size: S3's minimum part, a multiple of GCS's 256 KiB. An upload holds
#: about three parts in memory (s3fs's buffer, its copy, the HTTP body), so a streamed
#: copy stays near 20 MB of RSS; S3's 10,000-part cap then limits streamed uploads to
#: 48.8 GiB, which the mount key ``part_size`` raises.
PART_SIZE = 5 * 2**20
#: Readahead block of streaming reads: a read holds about two blocks at a time.
READ_BLOCK_SIZE = 4 * 2**20

_ROOT = StatResult(name="", kind="directory")


class ObjectStoreBackend(CloudErrors, FsspecBackend):
    """An fsspec object store mounted at ``<bucket>/<prefix>``."""

    declared_capabilities = BackendCapabilities(
        directories=False,
        copy_optimization=True,
        hash_on_metadata=True,
        presigned_urls=True,
        presigned_uploads=True,
    )
    key_aliases = {"base_path": "prefix"}
    writer_class = StreamingUploadWriter
    read_options: ClassVar[Mapping[str, Any]] = {
        "block_size": READ_BLOCK_SIZE,
        "cache_type": "readahead",
    }
    #: The key naming the bucket (``container`` on Azure) and the keys holding strings.
    bucket_key: ClassVar[str] = "bucket"
    #: What the store's SDK takes as a bucket name: refused here, a bad one would reach
    #: the SDK's own validation on first use, which raises outside the storage errors.
    bucket_pattern: ClassVar[re.Pattern[str]] = re.compile(r"[A-Za-z0-9._-]+")
    string_keys: ClassVar[tuple[str, ...]] = ()
    #: Hosts (and their subdomains) of the provider's own service, one bucket namespace.
    public_hosts: ClassVar[tuple[str, ...]] = ()
    #: The ``object_parameters`` names the store knows, and its canned ACLs (none: no ACLs).
    object_parameter_names: ClassVar[frozenset[str]] = frozenset()
    acl_names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard_methods(cls)

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        name = options["name"]
        for key in (cls.bucket_key, "prefix", *cls.string_keys):
            value = options.get(key)
            if value is not None and not isinstance(value, str):
                raise invalid(name, key, f"{key} must be a string")
        bucket = options[cls.bucket_key]
        if not bucket:
            raise invalid(name, cls.bucket_key, f"{cls.bucket_key} must not be empty")
        if not cls.bucket_pattern.fullmatch(bucket):
            raise invalid(
                name,
                cls.bucket_key,
                f"{cls.bucket_key} must be a name of letters, digits, '.', '-' and '_' "
                f"(got {bucket!r})",
            )
        endpoint = options.get("endpoint_url")
        if endpoint:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise invalid(
                    name,
                    "endpoint_url",
                    f"endpoint_url must be an http:// or https:// URL (got {endpoint!r})",
                )
        check_object_options(
            options,
            parameters=cls.object_parameter_names,
            acls=cls.acl_names,
            max_expiry=MAX_EXPIRY,
        )
        try:
            normalize(mount_prefix(options).strip("/"))
        except StorageError:
            key = "prefix" if options.get("prefix") else "location"
            raise invalid(
                name, key, f"{key} must be a relative path without '..' or control characters"
            ) from None
        if not isinstance(options.get("options", {}), Mapping):
            raise invalid(name, "options", "options must be a dict of filesystem arguments")
        part_size = options.get("part_size", PART_SIZE)
        if (
            not isinstance(part_size, int)
            or isinstance(part_size, bool)
            or part_size < PART_SIZE
            or part_size % 2**18
        ):
            raise invalid(
                name, "part_size", "part_size must be a multiple of 256 KiB, at least 5 MiB"
            )
        validate_limits(options)

    @property
    def part_size(self) -> int:
        return int(self.options.get("part_size") or PART_SIZE)

    # -- the filesystem ----------------------------------------------------------
    def filesystem_class(self) -> Any:
        raise NotImplementedError

    def filesystem_options(self) -> dict[str, Any]:
        """Constructor arguments from the mount's own keys."""
        return {}

    def create_filesystem(self) -> Any:
        kwargs: dict[str, Any] = {"use_listings_cache": False, **self.filesystem_options()}
        for key, value in dict(self.options.get("options") or {}).items():
            # One level deep, so options={"client_kwargs": {...}} keeps the endpoint.
            merge = isinstance(value, Mapping) and isinstance(kwargs.get(key), Mapping)
            kwargs[key] = {**kwargs[key], **value} if merge else value
        return self.filesystem_class()(**kwargs)

    def root_path(self) -> str:
        prefix = normalize(mount_prefix(self.options).strip("/"))
        bucket = str(self.options[self.bucket_key])
        return f"{bucket}/{prefix}" if prefix else bucket

    def store_identity(self) -> Hashable:
        # The service, never the credentials: two key pairs may reach the same bucket,
        # which the physical path (bucket first) then names alike.
        return (self.protocol_name, self.service())

    def service(self) -> str:
        """The endpoint as one spelling per service, so that a bucket reached through
        two spellings is seen as one: case, a default port and a trailing slash do not
        count, and any host of the provider's public service (:attr:`public_hosts`,
        where bucket names are global) is that service."""
        endpoint = self.endpoint()
        if not endpoint:
            return "public"
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        if any(host == public or host.endswith("." + public) for public in self.public_hosts):
            return "public"
        default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
        port = "" if parts.port in (None, default_port) else f":{parts.port}"
        return f"{host}{port}{parts.path.rstrip('/')}"

    def endpoint(self) -> str | None:
        """The service's address as configured (None: the provider's public one)."""
        arguments = self.base_fs.storage_options
        client = arguments.get("client_kwargs")
        nested = client.get("endpoint_url") if isinstance(client, Mapping) else None
        found = arguments.get("endpoint_url") or nested
        return str(found).rstrip("/") if found else None

    def bucket_and_key(self, location: str) -> tuple[str, str]:
        bucket, _, key = self.full_path(location).partition("/")
        return bucket, key

    # -- metadata ----------------------------------------------------------------
    def stat(self, location: str) -> StatResult:
        # The mount root is a directory even when an object is named like the prefix.
        return _ROOT if not location else super().stat(location)

    def exists(self, location: str) -> bool:
        if not location:
            return True
        found = bool(super().exists(location))
        if not found:
            self.confirm_bucket()
        return found

    def listdir(self, location: str) -> list[StatResult]:
        try:
            entries = super().listdir(location)
        except NotADirectoryError:
            # An object named exactly like the prefix sits beside the mount root, not in it.
            if not location:
                return []
            raise
        if not entries and not location:
            self.confirm_bucket()
        return entries

    # -- content -----------------------------------------------------------------
    def open_read(self, location: str) -> IO[bytes]:
        """Open first, then look at what the open found: a file costs its HEAD (and the
        GETs of the reads), not a LIST more asking whether it is a directory."""
        if not location:
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        stream = self.fs.open(location, "rb", **self.read_options)
        details = getattr(stream, "details", None)
        if isinstance(details, Mapping) and details.get("type") == "directory":
            stream.close()
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        if not isinstance(details, Mapping) and self.fs.isdir(location):
            stream.close()
            raise IsADirectoryError(errno.EISDIR, "is a directory", location)
        self.guard_reads(stream)
        return stream  # type: ignore[no-any-return]

    def content_type(self, location: str) -> str:
        guessed, _encoding = mimetypes.guess_type(posixpath.basename(location), strict=False)
        return guessed or "application/octet-stream"

    def upload_options(self, location: str) -> dict[str, Any]:
        """Extra ``open``/``pipe_file`` arguments of an upload (the content type)."""
        return {}

    def after_upload(self, location: str) -> None:
        """What an upload needs once the object exists (GCS: its ACL)."""

    def open_writer(self, location: str, *, exclusive: bool = False) -> AtomicWriter:
        if exclusive and self.exists(location):
            # Besides the store's own precondition (If-None-Match, ifGenerationMatch=0):
            # fails before any byte is uploaded, and holds on emulators that ignore it.
            raise FileExistsError(errno.EEXIST, "already exists", location)
        return StreamingUploadWriter(
            self.fs,
            location,
            exclusive=exclusive,
            on_commit=functools.partial(self.after_upload, location),
            translate=self.cloud_error,
            block_size=self.part_size,
            **self.upload_options(location),
        )

    def write_bytes(self, location: str, data: bytes) -> None:
        if len(data) > self.part_size:
            super().write_bytes(location, data)
            return
        # One PUT is atomic by itself, and the request the bare filesystem makes.
        self.fs.pipe_file(location, data, **self.upload_options(location))
        self.after_upload(location)

    # -- tree --------------------------------------------------------------------
    def mkdir(self, location: str, *, parents: bool, exist_ok: bool) -> None:
        # Nothing to create (and never a bucket): refuse only what a filesystem would.
        try:
            found = self.stat(location)
        except FileNotFoundError:
            return
        if found.is_file or (location and not exist_ok):
            raise FileExistsError(errno.EEXIST, "already exists", location)

    def remove_dir(self, location: str, *, recursive: bool) -> None:
        below = list(self._files_below(location))
        if below and not recursive:
            raise OSError(errno.ENOTEMPTY, "directory not empty", location)
        if below:
            self.delete_objects(below)
        self.invalidate(location)

    def _files_below(self, location: str) -> dict[str, Mapping[str, Any]]:
        """Objects strictly below ``location``: one recursive listing of ``location/``."""
        found = self.fs.find(location, detail=True)
        if not isinstance(found, Mapping):
            # adlfs answers [location] (ignoring detail=) when a blob has that very name,
            # and then lists nothing below it: see docs/backends.md.
            return {}
        start = f"{location}/" if location else ""
        return {
            name: info
            for name, info in found.items()
            if name.startswith(start) and len(name) > len(start) and info.get("type") != "directory"
        }

    def walk_files(
        self, location: str, on_skip: OnSkip | None = None
    ) -> Iterator[tuple[str, StatResult]]:
        found = self._files_below(location)
        if not found:
            self.confirm_bucket()
        for name, info in found.items():
            yield self.relative(name), self.to_stat(info, name)

    def delete_objects(self, names: list[str]) -> None:
        """Delete objects by literal name, batched where the filesystem batches."""
        literal = [name for name in names if not has_glob(self.full_path(name))]
        if literal:
            self.fs.rm(literal)  # s3fs: 1000 keys per DeleteObjects; gcsfs: batch API
        for name in names:
            if has_glob(self.full_path(name)):
                self.fs.rm_file(name)

    # -- transfers ---------------------------------------------------------------
    def move_within(self, source: str, target: str, other: Backend) -> None:
        assert isinstance(other, FsspecBackend)
        origin, destination = self.full_path(source), other.full_path(target)
        move_file = getattr(self.base_fs, "mv_file", None)
        if move_file is not None:
            move_file(origin, destination)  # GCS: one moveTo, falling back to rewrite+delete
        else:
            self.base_fs.cp_file(origin, destination)
            self.base_fs.rm_file(origin)
        self.invalidate(source)
        other.invalidate(target)

    # -- URLs --------------------------------------------------------------------
    @property
    def capabilities(self) -> BackendCapabilities:
        # Signing needs credentials that can sign; with ``querystring_auth: False`` (a
        # public bucket), or without them, url() gives the plain address instead.
        can_sign = self.can_sign()
        signed = can_sign and self.options.get("querystring_auth", True) is not False
        return replace(
            self.declared_capabilities,
            presigned_urls=signed,
            public_urls=not signed,
            presigned_uploads=can_sign,
        )

    def can_sign(self) -> bool:
        """Whether the mount's credentials can sign URLs and uploads."""
        raise NotImplementedError

    @property
    def object_parameters(self) -> Mapping[str, Any]:
        return dict(self.options.get("object_parameters") or {})

    def url(self, location: str, path: str, expires_in: int | None) -> str | None:
        """Signed unless ``querystring_auth`` is false; on ``custom_domain`` when set."""
        if expires_in is None:
            expires_in = self.options.get("querystring_expire")
        seconds = self.expiry(expires_in)
        signed = self.options.get("querystring_auth", True) is not False
        domain = self.options.get("custom_domain")
        if domain:
            return self.domain_url(domain, location, seconds if signed else None)
        return self.signed_url(location, seconds) if signed else self.plain_url(location)

    def signed_url(self, location: str, seconds: int) -> str:
        raise NotImplementedError

    def plain_url(self, location: str) -> str:
        """The object's address at the store, signed by nothing."""
        raise NotImplementedError

    def domain_url(self, domain: str, location: str, seconds: int | None) -> str:
        """The object's URL on ``custom_domain``: a CDN in front of the bucket serves
        ``<domain>/<key>``. Signed where the store can sign for another host."""
        return custom_domain_url(domain, self.bucket_and_key(location)[1])


guard_methods(ObjectStoreBackend)
