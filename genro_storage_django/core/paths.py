"""The one path normaliser every entry point goes through.

A mount-relative path is a ``/``-separated string without a leading slash; the
mount root is ``""``. :func:`normalize` turns what a caller wrote into that form or
raises :class:`UnsafePathError`. Rules, and why:

* ``\\`` counts as a separator: Windows clients and some tools send it, and a name
  like ``..\\..\\x`` must not slip past the ``..`` check.
* ``.`` and empty segments are dropped (``a//./b`` is ``a/b``); a ``..`` segment is
  refused outright rather than resolved, as Django's own name validation does.
* Absolute paths and drive letters are refused: a mount path is relative to its root.
* NUL and other control characters (C0, DEL and C1, U+0080 to U+009F) are refused:
  they truncate names in C APIs, split HTTP headers, and C1 ones act as terminal
  escape sequences.
* Names of the temporary files of atomic writes (:func:`is_temp_name`) are refused:
  listings hide them, so a file saved under such a name could never be listed.
* Percent-encoding is kept literally (``%20`` is three characters), but a path whose
  *decoded* form would hold a separator, a ``..`` segment or a control character is
  refused, because an HTTP backend or proxy may decode it.
* Segments whose Unicode compatibility form is ``..`` or holds a separator (full-width
  dots and slashes) are refused: some servers fold them to ASCII.
* Lone surrogates are refused: no backend can encode them.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from urllib.parse import unquote

from .errors import UnsafePathError

__all__ = [
    "TEMP_PREFIX",
    "is_temp_name",
    "is_valid_mount_name",
    "join",
    "normalize",
    "split_fullpath",
    "temp_name",
]

#: Temporary files of atomic writes are this prefix and 12 hex digits: 21 bytes whatever
#: the target, so a target name of the filesystem's full length (255 bytes) can be written.
TEMP_PREFIX = ".gsd-tmp-"
# The second form, ``.<target>.gsd-tmp-<hex>``, is what earlier versions left behind.
_TEMP_NAME = re.compile(r"\.(?:.*\.)?gsd-tmp-[0-9a-f]{12}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_MOUNT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_MAX_DECODE_ROUNDS = 4


def normalize(path: str | os.PathLike[str]) -> str:
    """Return the canonical mount-relative form of ``path`` or raise UnsafePathError."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"a storage path must be a str, not {type(path).__name__}")
    if not path:
        return ""
    _refuse_unencodable(path)
    unified = path.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise UnsafePathError(f"absolute path {path!r}: paths are relative to the mount root")
    segments = [segment for segment in unified.split("/") if segment not in ("", ".")]
    # "./C:x" drops its "./" to become "C:x": refused like the drive path it now reads as, so that
    # normalising is idempotent (a normalised path must normalise to itself).
    if segments and _DRIVE.match(segments[0]):
        raise UnsafePathError(f"absolute path {path!r}: paths are relative to the mount root")
    for segment in segments:
        _check_segment(segment, path)
    _check_decoded(unified, path)
    return "/".join(segments)


def join(base: str, *parts: str | os.PathLike[str]) -> str:
    """Join already-normalised ``base`` with raw ``parts``, normalising the parts."""
    tail = [normalize(part) for part in parts]
    return "/".join(piece for piece in (base, *tail) if piece)


def split_fullpath(fullpath: str) -> tuple[str, str]:
    """Split ``"mount:path"`` into its mount name and raw path (not yet normalised)."""
    mount, sep, path = fullpath.partition(":")
    if not sep:
        raise UnsafePathError(f"{fullpath!r} names no mount: write 'mount:path/inside/it'")
    if not _MOUNT_NAME.match(mount):
        raise UnsafePathError(f"{mount!r} is not a valid mount name (in {fullpath!r})")
    return mount, path


def temp_name() -> str:
    """A fresh name for the temporary sibling of a file being written."""
    return TEMP_PREFIX + secrets.token_hex(6)


def is_temp_name(name: str) -> bool:
    """Whether a directory entry is the temporary file of a write (listings skip them)."""
    return name.startswith(".") and "gsd-tmp-" in name and _TEMP_NAME.fullmatch(name) is not None


def is_valid_mount_name(name: object) -> bool:
    return isinstance(name, str) and bool(_MOUNT_NAME.match(name))


def _refuse_unencodable(path: str) -> None:
    if _CONTROL.search(path):
        raise UnsafePathError(f"control character in path {path!r}")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafePathError(f"path {path!r} is not valid Unicode") from None


def _check_segment(segment: str, original: str) -> None:
    if segment == "..":
        raise UnsafePathError(f"'..' in path {original!r}")
    if is_temp_name(segment):
        raise UnsafePathError(f"{segment!r} is reserved for temporary files (in {original!r})")
    if segment.isascii():
        return
    folded = unicodedata.normalize("NFKC", segment)
    if folded in (".", "..") or "/" in folded or "\\" in folded:
        raise UnsafePathError(f"look-alike dot or separator in path {original!r}")


def _check_decoded(unified: str, original: str) -> None:
    """Refuse a path whose percent-decoded form (even decoded several times) is unsafe."""
    current = unified
    for _ in range(_MAX_DECODE_ROUNDS):
        if "%" not in current:
            return
        # "replace" keeps undecodable bytes from hiding an encoded "../" behind them.
        decoded = unquote(current, errors="replace")
        if decoded == current:
            return
        if _CONTROL.search(decoded) or "\\" in decoded or decoded.startswith("/"):
            raise UnsafePathError(f"percent-encoded control or separator in {original!r}")
        if decoded.count("/") != current.count("/"):
            raise UnsafePathError(f"percent-encoded separator in path {original!r}")
        for segment in decoded.split("/"):
            _check_segment(segment, original)
        current = decoded
    raise UnsafePathError(f"path {original!r} is percent-encoded too many times")
