"""Signed, expiring file URLs, built on ``django.core.signing``.

A signed URL keeps the readable path (``/files/<mount>/<path>``) and carries in
its query string an expiry time and a signature over mount, path, expiry and
the download options, so none of them can be changed without breaking it.

Long lifetimes (:data:`ROUNDED_FROM` seconds or more) end on a multiple of
:data:`EXPIRY_STEP`, rounded down: every URL signed for the same file within that
step is the same string, so browsers and CDNs can cache the file instead of seeing
a new URL on each page view. Rounding down shortens a lifetime by less than a step
and never extends it; short lifetimes are kept exact (to the next whole second), so
``expires_in=1`` is refused two seconds later.

Signatures are HMACs keyed by ``SECRET_KEY`` (salted for this use only); URLs
signed with a key listed in ``SECRET_KEY_FALLBACKS`` stay valid while it is listed.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.utils.crypto import constant_time_compare

__all__ = [
    "EXPIRY_STEP",
    "ROUNDED_FROM",
    "InvalidSignature",
    "SignedQuery",
    "make_query",
    "verify_query",
]

SALT = "genro_storage_django.files"
EXPIRY_STEP = 60
#: Lifetimes from this many seconds on are rounded: losing up to a step is then under 10 %.
ROUNDED_FROM = 600
DEFAULT_EXPIRES_IN = 3600


@dataclass(frozen=True)
class SignedQuery:
    """The download options a verified query grants."""

    download: bool
    filename: str | None


class InvalidSignature(Exception):
    """The signature is missing, wrong, or expired; the message says which."""


def make_query(
    mount: str,
    path: str,
    *,
    expires_in: int | None = None,
    download: bool = False,
    filename: str | None = None,
    now: float | None = None,
) -> str:
    """The query string (without ``?``) that authorises ``mount:path`` until it expires."""
    lifetime = DEFAULT_EXPIRES_IN if expires_in is None else expires_in
    if lifetime <= 0:
        raise ValueError("expires_in must be a positive number of seconds")
    moment = time.time() if now is None else now
    if lifetime >= ROUNDED_FROM:
        expires = math.floor((moment + lifetime) / EXPIRY_STEP) * EXPIRY_STEP
    else:
        expires = math.ceil(moment + lifetime)
    params = {"exp": str(expires)}
    if download or filename:
        params["download"] = "1"
    if filename:
        params["filename"] = filename
    params["sig"] = _signature(mount, path, params)
    return urlencode(params)


def verify_query(
    mount: str, path: str, query: dict[str, str], *, now: float | None = None
) -> SignedQuery:
    """Check a request's query for ``mount:path``; raise InvalidSignature if it fails."""
    given = query.get("sig")
    if not given:
        raise InvalidSignature("no signature")
    params: dict[str, str] = {
        key: query[key] for key in ("exp", "download", "filename") if key in query
    }
    signer = _signer()
    payload = _payload(mount, path, params)
    keys = [signer.key, *signer.fallback_keys]
    if not any(constant_time_compare(given, signer.signature(payload, key)) for key in keys):
        raise InvalidSignature("bad signature")
    try:
        expires = int(params.get("exp", ""))
    except ValueError:
        raise InvalidSignature("bad expiry") from None
    if (time.time() if now is None else now) > expires:
        raise InvalidSignature("expired")
    return SignedQuery(download=params.get("download") == "1", filename=params.get("filename"))


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def _payload(mount: str, path: str, params: dict[str, str]) -> str:
    # A JSON list, not a joined string: no field can borrow another's separator.
    fields = [mount, path, *(params.get(key, "") for key in ("exp", "download", "filename"))]
    return json.dumps(fields, ensure_ascii=True, separators=(",", ":"))


def _signature(mount: str, path: str, params: dict[str, str]) -> str:
    return _signer().signature(_payload(mount, path, params))
