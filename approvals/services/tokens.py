"""Per-user API tokens: create (the token is shown once), authenticate, revoke.

A token reads `pmr_<prefix>_<secret>`. The prefix is stored in clear to find the
row by index; of the whole token only its SHA-256 is kept, so a copy of the
database grants nothing. Creating and revoking are audited like any other write.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.errors import ApplicationError
from approvals.models import ApiToken
from approvals.services import audit_events

TOKEN_KIND = "pmr"  # noqa: S105 (the public first part of every token)


NAME_MAX = 100


PREFIX_RE = re.compile(r"[0-9a-f]{12}")


# last_used_at is written at most this often per token: a read must not be a write each time.
LAST_USED_GRANULARITY = timedelta(seconds=60)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they explain old audit entries)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_create(*, user: Any, name: str, client_ip: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the raw token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the token a name, e.g. the pipeline that will use it.", field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(f"The name must be at most {NAME_MAX} characters.", field="name")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(raw))
        audit_events.token_created(user=user, name=name, prefix=prefix, client_ip=client_ip)
    return token, raw


def api_token_revoke(*, user: Any, token_id: int, client_ip: str | None = None) -> ApiToken:
    """Revoke one of the user's own tokens; revoking twice is harmless."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            # Someone else's token reads as missing: nobody learns which ids exist.
            raise ApplicationError("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_events.token_revoked(user=user, name=token.name, prefix=token.prefix, client_ip=client_ip)
    return token


def api_token_authenticate(raw: str) -> ApiToken:
    """The active token `raw` names, with its user; ApplicationError otherwise."""
    kind, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    # The prefix is checked before it reaches a query: headers can carry anything, NUL included.
    if kind != TOKEN_KIND or not PREFIX_RE.fullmatch(prefix) or not secret:
        raise ApplicationError("Invalid token.")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash(raw)):
        raise ApplicationError("Invalid token.")
    if token.revoked_at is not None:
        raise ApplicationError("This token was revoked.")
    if not token.user.is_active:
        raise ApplicationError("The token's user is inactive.")
    now = timezone.now()
    # One conditional UPDATE: concurrent requests never race, and a busy token writes once a minute.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ).update(last_used_at=now)
    return token
