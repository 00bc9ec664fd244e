"""The audit log's keys, all kept outside the database (README "Security").

HMAC keys (`AUDIT_HMAC_KEYS`, or the file `AUDIT_HMAC_KEY_FILE`: `id:base64secret`
entries, the first is the one new events use) hash the events; an Ed25519 private key
(`AUDIT_SIGNING_KEY_FILE`, PEM) signs checkpoints, and public keys
(`AUDIT_VERIFY_KEY_FILE`, one or more PEM blocks, else the signing key's own) check
them. Files are read once per process: rotating a key means restarting the processes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MIN_SECRET_BYTES = 16
PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)


@dataclass(frozen=True)
class HmacKeys:
    current_id: str
    # Never in a repr: a key ring may end up in a log line or a traceback.
    secrets: Mapping[str, bytes] = field(repr=False)

    def secret(self, key_id: str) -> bytes | None:
        return self.secrets.get(key_id)


def parse_hmac_keys(text: str, *, source: str) -> HmacKeys:
    """`id:base64secret` entries separated by commas or lines (`#` starts a comment)."""
    entries = [part.strip() for line in text.splitlines() for part in line.split("#", 1)[0].split(",")]
    secrets: dict[str, bytes] = {}
    for entry in filter(None, entries):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise ImproperlyConfigured(
                f"{source}: each entry is id:base64secret, with an id of letters, digits, '.', '_' or '-' "
                "(at most 32 characters)."
            )
        if key_id in secrets:
            raise ImproperlyConfigured(f"{source}: the key id {key_id!r} appears twice.")
        try:
            # Standard or URL-safe alphabet, padding required: a typo is an error, not a shorter key.
            secret = base64.b64decode(encoded.strip().replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{source}: the secret of key {key_id!r} is not base64.") from None
        if len(secret) < MIN_SECRET_BYTES:
            raise ImproperlyConfigured(
                f"{source}: the secret of key {key_id!r} has {len(secret)} bytes; use at least {MIN_SECRET_BYTES} "
                "(32 random bytes are recommended)."
            )
        secrets[key_id] = secret
    if not secrets:
        raise ImproperlyConfigured(f"{source} names no key.")
    return HmacKeys(current_id=next(iter(secrets)), secrets=secrets)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{what} {path} cannot be read: {exc.strerror}.") from None


@lru_cache(maxsize=8)
def _load_hmac_keys(inline: str, path: str) -> HmacKeys | None:
    if inline and path:
        raise ImproperlyConfigured("Set AUDIT_HMAC_KEYS or AUDIT_HMAC_KEY_FILE, not both.")
    if path:
        return parse_hmac_keys(_read(path, "AUDIT_HMAC_KEY_FILE").decode("utf-8", "replace"), source=path)
    if inline:
        return parse_hmac_keys(inline, source="AUDIT_HMAC_KEYS")
    return None


def hmac_keys() -> HmacKeys | None:
    """The configured HMAC keys, or None when there are none."""
    return _load_hmac_keys(settings.AUDIT_HMAC_KEYS, settings.AUDIT_HMAC_KEY_FILE)


def current_hmac_keys() -> HmacKeys:
    """The keys appends need: without one the log would be only as safe as the database."""
    keys = hmac_keys()
    if keys is None:
        raise ImproperlyConfigured(
            "The audit log needs an HMAC key that is not in the database: set AUDIT_HMAC_KEYS "
            "(id:base64secret) or AUDIT_HMAC_KEY_FILE (README, Security)."
        )
    return keys


@lru_cache(maxsize=8)
def _load_signing_key(path: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(_read(path, "AUDIT_SIGNING_KEY_FILE"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE {path} is not an unencrypted PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"AUDIT_SIGNING_KEY_FILE {path} is not an Ed25519 key.")
    return key


def signing_key() -> Ed25519PrivateKey | None:
    path = settings.AUDIT_SIGNING_KEY_FILE
    return _load_signing_key(path) if path else None


@lru_cache(maxsize=8)
def _load_verify_keys(path: str) -> tuple[Ed25519PublicKey, ...]:
    keys = []
    for block in PEM_BLOCK.findall(_read(path, "AUDIT_VERIFY_KEY_FILE")):
        try:
            key = serialization.load_pem_public_key(block)
        except (ValueError, UnsupportedAlgorithm):
            raise ImproperlyConfigured(f"AUDIT_VERIFY_KEY_FILE {path} holds a block that is no public key.") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured(f"AUDIT_VERIFY_KEY_FILE {path} holds a key that is not Ed25519.")
        keys.append(key)
    if not keys:
        raise ImproperlyConfigured(f"AUDIT_VERIFY_KEY_FILE {path} holds no PEM public key.")
    return tuple(keys)


def verify_keys() -> tuple[Ed25519PublicKey, ...]:
    """The public keys checkpoints may be signed with (several while a signing key rotates)."""
    if settings.AUDIT_VERIFY_KEY_FILE:
        return _load_verify_keys(settings.AUDIT_VERIFY_KEY_FILE)
    private = signing_key()
    return (private.public_key(),) if private else ()


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def check_configuration(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A system check, so `migrate` and `check` refuse a production without the keys it needs."""
    errors = []
    try:
        if hmac_keys() is None and not settings.DEBUG:
            current_hmac_keys()
        if (settings.AUDIT_CHECKPOINT_DIR or settings.AUDIT_CHECKPOINT_S3_BUCKET) and signing_key() is None:
            raise ImproperlyConfigured("A checkpoint sink is configured: set AUDIT_SIGNING_KEY_FILE to sign them.")
        verify_keys()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="approvals.E101"))
    return errors
