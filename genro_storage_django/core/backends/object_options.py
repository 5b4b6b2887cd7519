"""The keys S3, GCS and Azure mounts share with django-storages, and how they are checked.

* ``location``: the django-storages name of ``prefix`` (one or the other, or both equal).
* ``custom_domain``: a host (``cdn.example.com``, https) or a URL base (``http://...``)
  the mount's URLs use instead of the store's own address.
* ``querystring_auth`` (default true): ``url()`` signs; false gives the plain URL of a
  public object. ``querystring_expire``: the lifetime of signed URLs when ``url()`` is
  given none.
* ``object_parameters``: what every upload sets on its object (cache control, content
  disposition, metadata...), named as the store's own API names them.
* ``default_acl``: the canned ACL of every uploaded object (S3, GCS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..config import invalid

__all__ = ["OBJECT_OPTION_KEYS", "check_object_options", "custom_domain_url", "mount_prefix"]

OBJECT_OPTION_KEYS = frozenset(
    {
        "location",
        "custom_domain",
        "querystring_auth",
        "querystring_expire",
        "object_parameters",
        "default_acl",
    }
)

_DOMAIN = re.compile(r"^(https?://)?[^\s/?#]+(/[^\s?#]*)?$")


def mount_prefix(options: Mapping[str, Any]) -> str:
    """The mount root inside the bucket: ``prefix``, or its django-storages name ``location``."""
    return str(options.get("prefix") or options.get("location") or "")


def check_object_options(
    options: Mapping[str, Any],
    *,
    parameters: frozenset[str],
    acls: frozenset[str],
    max_expiry: int,
) -> None:
    """Raise the configuration error of the first bad parity key of ``options``.

    ``parameters`` are the ``object_parameters`` names the store knows, ``acls`` its
    canned ACLs (empty: the store has no per-object ACL).
    """
    name = options["name"]
    prefix, location = options.get("prefix"), options.get("location")
    if prefix is not None and location is not None and prefix != location:
        raise invalid(name, "location", "location is another name of prefix: give one of them")
    if location is not None and not isinstance(location, str):
        raise invalid(name, "location", "location must be a string")
    domain = options.get("custom_domain")
    if domain is not None and not (isinstance(domain, str) and _DOMAIN.match(domain)):
        raise invalid(
            name,
            "custom_domain",
            "custom_domain must be a host name (cdn.example.com) or an http(s) URL "
            "without query string",
        )
    if not isinstance(options.get("querystring_auth", True), bool):
        raise invalid(name, "querystring_auth", "querystring_auth must be true or false")
    expire = options.get("querystring_expire")
    if expire is not None and (
        not isinstance(expire, int) or isinstance(expire, bool) or not 0 < expire <= max_expiry
    ):
        raise invalid(
            name,
            "querystring_expire",
            f"querystring_expire must be a number of seconds from 1 to {max_expiry}",
        )
    _check_parameters(name, options.get("object_parameters"), parameters)
    acl = options.get("default_acl")
    if acl is not None and not acls:
        raise invalid(
            name,
            "default_acl",
            f"{options.get('type')} mounts have no per-object ACL: set the public access "
            "level of the container instead",
        )
    if acl is not None and acl not in acls:
        raise invalid(name, "default_acl", "default_acl must be one of " + ", ".join(sorted(acls)))


def _check_parameters(name: str, value: Any, known: frozenset[str]) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise invalid(name, "object_parameters", "object_parameters must be a dict")
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise invalid(
            name,
            "object_parameters",
            f"object_parameters: unknown name(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(known))}",
        )
    for key, item in value.items():
        if key.lower() == "metadata":
            if not isinstance(item, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in item.items()
            ):
                raise invalid(
                    name, "object_parameters", f"object_parameters[{key!r}] must map str to str"
                )
        elif not isinstance(item, str):
            raise invalid(name, "object_parameters", f"object_parameters[{key!r}] must be a str")


def custom_domain_url(domain: str, key: str) -> str:
    """``https://<domain>/<key>``, or ``<domain>/<key>`` when the domain has its scheme."""
    base = domain if "://" in domain else f"https://{domain}"
    return f"{base.rstrip('/')}/{quote(key)}"
