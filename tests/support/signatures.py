"""Check presigned URLs the way the real services do, for emulators that do not.

moto and the GCS emulator serve a presigned URL without checking its signature, so a
URL with a wrong signature would pass a fetch test there. These helpers recompute the
AWS SigV4 and Google V4 signatures of a GET URL (query-string auth, ``host`` the only
signed header, unsigned payload) from the secret or public key.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = ["gcs_request_signed", "gcs_signature_valid", "s3_signature_valid"]


def _canonical(url: str, signature_key: str) -> tuple[dict[str, str], str]:
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    query = "&".join(
        f"{quote(key, safe='-_.~')}={quote(value, safe='-_.~')}"
        for key, value in sorted(pair for pair in pairs if pair[0] != signature_key)
    )
    request = "\n".join(
        ["GET", parts.path, query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    return params, request


def s3_signature_valid(url: str, secret: str) -> bool:
    params, request = _canonical(url, "X-Amz-Signature")
    if params.get("X-Amz-SignedHeaders") != "host":
        return False
    scope = params["X-Amz-Credential"].split("/", 1)[1]  # date/region/s3/aws4_request
    to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(request.encode()).hexdigest(),
        ]
    )
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["X-Amz-Signature"])


def gcs_signature_valid(url: str, public_key: object) -> bool:
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert isinstance(public_key, rsa.RSAPublicKey)
    params, request = _canonical(url, "X-Goog-Signature")
    if params.get("X-Goog-SignedHeaders") != "host":
        return False
    return gcs_request_signed(params, request, public_key)


def gcs_request_signed(params: dict[str, str], request: str, public_key: Any) -> bool:
    """Whether ``X-Goog-Signature`` signs the canonical ``request`` (V4, RSA-SHA256)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    scope = params["X-Goog-Credential"].split("/", 1)[1]  # date/auto/storage/goog4_request
    to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            params["X-Goog-Date"],
            scope,
            hashlib.sha256(request.encode()).hexdigest(),
        ]
    )
    try:
        public_key.verify(
            bytes.fromhex(params["X-Goog-Signature"]),
            to_sign.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True
