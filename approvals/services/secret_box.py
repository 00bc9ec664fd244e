"""Channel URLs and secrets, encrypted at rest with keys from the environment (NOTIFY_SECRETS_KEYS).

Fernet tokens under a MultiFernet: the first key encrypts, every key decrypts, so a
key is rotated by putting the new one first and running `manage.py rotate_notify_secrets`,
then dropping the old one. A database dump alone reveals no robot token.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _

from approvals.errors import ApplicationError


def _box() -> MultiFernet:
    keys = [k.strip() for k in settings.NOTIFY_SECRETS_KEYS if k.strip()]
    if not keys:
        raise ApplicationError(
            _("NOTIFY_SECRETS_KEYS is not set: channel URLs and secrets cannot be stored encrypted without it.")
        )
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ApplicationError(_("NOTIFY_SECRETS_KEYS holds a key that is not a Fernet key.")) from exc


def keys_problem() -> str | None:
    """Why channel secrets cannot be stored now, or None."""
    try:
        _box()
    except ApplicationError as exc:
        return exc.message
    return None


def encrypt(plain: str) -> str:
    return _box().encrypt(plain.encode("utf-8")).decode("ascii") if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _box().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        # Never say more: the token is the secret's ciphertext.
        raise ApplicationError(_("A channel secret cannot be decrypted with NOTIFY_SECRETS_KEYS.")) from exc


def rotate(token: str) -> str:
    """The same secret under the current (first) key."""
    if not token:
        return ""
    try:
        return _box().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise ApplicationError(_("A channel secret cannot be decrypted with NOTIFY_SECRETS_KEYS.")) from exc
