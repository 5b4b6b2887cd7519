"""Check signed uploads and CDN URLs as the real services would; the emulators do not.

moto accepts any POST form (it checks neither the policy's signature nor its
conditions) and the GCS emulator any PUT, so the tests recompute what S3, GCS and
CloudFront verify: the POST policy and its conditions, a V4 signed PUT with its signed
headers, a CloudFront canned-policy signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from tests.support.signatures import gcs_request_signed

__all__ = [
    "cloudfront_signature_valid",
    "gcs_put_signature_valid",
    "rsa_key_pem",
    "s3_post_allows",
    "service_account_file",
    "service_account_info",
]


def s3_post_allows(
    fields: Mapping[str, str], secret: str, *, bucket: str, size: int, content_type: str
) -> bool:
    """Whether S3 would store a ``size``-byte file of ``content_type`` posted with ``fields``."""
    policy_b64 = fields["policy"]
    scope = fields["x-amz-credential"].split("/", 1)[1]
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["x-amz-signature"]):
        return False
    policy = json.loads(base64.b64decode(policy_b64))
    expiration = time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    if time.mktime(expiration) - time.timezone < time.time():
        return False
    sent = {name.lower(): value for name, value in fields.items()}
    sent |= {"bucket": bucket, "content-type": content_type}
    covered = {"policy", "x-amz-signature", "file"}
    for condition in policy["conditions"]:
        if isinstance(condition, dict):
            ((field_name, expected),) = condition.items()
            operator, name, value = "eq", f"${field_name}", expected
        else:
            operator, name, value = condition
        if operator == "content-length-range":
            if not name <= size <= value:
                return False
            continue
        field = name.lstrip("$").lower()
        covered.add(field)
        actual = sent.get(field)
        if actual is None or not (
            actual == value if operator == "eq" else actual.startswith(value)
        ):
            return False
    # Every field of the form must be named by a condition (bucket is the URL's).
    return set(sent) - {"bucket"} <= covered


def gcs_put_signature_valid(url: str, headers: Mapping[str, str], public_key: Any) -> bool:
    """A V4 signed PUT URL checked with the headers the browser will send."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(pair for pair in pairs if pair[0] != "X-Goog-Signature")
    )
    sent = {name.lower(): value.strip() for name, value in headers.items()}
    sent["host"] = parts.netloc
    signed = params["X-Goog-SignedHeaders"].split(";")
    if set(signed) != set(sent):
        return False  # a header sent but not signed, or signed but not sent
    canonical_headers = "".join(f"{name}:{sent[name]}\n" for name in signed)
    request = "\n".join(
        ["PUT", parts.path, query, canonical_headers, ";".join(signed), "UNSIGNED-PAYLOAD"]
    )
    return gcs_request_signed(params, request, public_key)


def cloudfront_signature_valid(url: str, public_key: Any) -> bool:
    """A canned-policy CloudFront URL checked with the key pair's public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    resource, _, query = url.partition("?")
    params = dict(parse_qsl(query))
    statement = {
        "Statement": [
            {
                "Resource": resource,
                "Condition": {"DateLessThan": {"AWS:EpochTime": int(params["Expires"])}},
            }
        ]
    }
    policy = json.dumps(statement, separators=(",", ":"))
    encoded = params["Signature"].translate(str.maketrans("-_~", "+=/"))
    try:
        public_key.verify(
            base64.b64decode(encoded), policy.encode(), padding.PKCS1v15(), hashes.SHA1()
        )
    except InvalidSignature:
        return False
    return int(params["Expires"]) > time.time()


def rsa_key_pem() -> tuple[str, Any]:
    """A new RSA private key as PEM, and its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def service_account_info(
    *, key_id: str = "test-key", token_uri: str = "https://oauth2.googleapis.com/token"
) -> tuple[dict[str, str], Any]:
    """A service-account key made here (no Google account involved) and its public key."""
    pem, public_key = rsa_key_pem()
    info = {
        "type": "service_account",
        "project_id": "test",
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": "signer@test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }
    return info, public_key


def service_account_file(tmp_path: Path) -> tuple[Path, Any]:
    """:func:`service_account_info` written to a key file, and its public key."""
    info, public_key = service_account_info()
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    return path, public_key
