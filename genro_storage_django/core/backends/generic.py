"""The ``fsspec`` mount type: any fsspec filesystem by protocol (sftp, zip, webdav, file...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import fsspec

from ..config import invalid
from .fsspec_base import FsspecBackend

__all__ = ["GenericFsspecBackend"]


class GenericFsspecBackend(FsspecBackend):
    type_name = "fsspec"
    required_keys = frozenset({"protocol"})
    optional_keys = frozenset({"path", "options"})

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        protocol = options["protocol"]
        if not isinstance(protocol, str) or not protocol:
            raise invalid(options["name"], "protocol", "protocol must be a non-empty string")
        if not isinstance(options.get("options", {}), Mapping):
            raise invalid(options["name"], "options", "options must be a dict")
        try:
            fsspec.get_filesystem_class(protocol)
        except (ValueError, ImportError) as exc:
            raise invalid(
                options["name"],
                "protocol",
                f"fsspec cannot load protocol {protocol!r}: {exc}",
                code="missing_extra",
            ) from exc

    def create_filesystem(self) -> Any:
        return fsspec.filesystem(self.options["protocol"], **self.options.get("options", {}))

    def root_path(self) -> str:
        return str(self.options.get("path", ""))
