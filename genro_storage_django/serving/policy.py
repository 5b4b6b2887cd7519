"""Who may fetch a mount's files through the file view: the ``serve`` key of a mount.

One value, parsed in one place, for the system checks, the view, the links and the
template tags (a mistyped string compared in four modules could disagree).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_POLICY", "ServePolicy"]


class ServePolicy(str, enum.Enum):
    """The ``serve`` values; a mount without the key is :attr:`SIGNED`."""

    #: anyone
    PUBLIC = "public"
    #: logged-in users, or a valid signed URL
    AUTHENTICATED = "authenticated"
    #: a URL signed by this app only
    SIGNED = "signed"
    #: never served through the view, signed or not
    NONE = "none"

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> ServePolicy | None:
        """The policy of a mount's configuration; None when its ``serve`` value is not a
        policy (the system check reports it; the view serves nothing for it)."""
        value = config.get("serve", DEFAULT_POLICY.value)
        if not isinstance(value, str):
            return None
        try:
            return cls(value)
        except ValueError:
            return None

    @property
    def served(self) -> bool:
        """Whether the view serves the mount's files at all."""
        return self is not ServePolicy.NONE


DEFAULT_POLICY = ServePolicy.SIGNED
