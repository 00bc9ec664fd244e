"""Per-user API tokens: create (the token is shown once), authenticate, revoke.

A token reads `pmr_<prefix>_<secret>`. The prefix is stored in clear to find the
row by index; of the whole token only its SHA-256 is kept, so a copy of the
database grants nothing. Creating and revoking are audited like any other write.

A token lives at most API_TOKEN_MAX_AGE_DAYS (when set), and every token of a user
is revoked when their password changes or they are deactivated: the receivers
below watch the User model itself, so admin, `manage.py changepassword`, the
password-change form and any code that saves a user are covered alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from approvals.errors import ApplicationError
from approvals.models import ApiToken
from approvals.services import audit_events

TOKEN_KIND = "pmr"  # noqa: S105 (the public first part of every token)


NAME_MAX = 100


PREFIX_RE = re.compile(r"[0-9a-f]{12}")


# last_used_at is written at most this often per token: a read must not be a write each time.
LAST_USED_GRANULARITY = timedelta(seconds=60)


# Why every token of a user was revoked, as the audit event's payload says it.
PASSWORD_CHANGED = "password changed"  # noqa: S105 (a reason, not a password)
DEACTIVATED = "user deactivated"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they explain old audit entries)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_create(*, user: Any, name: str, client_ip: str | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the raw token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the token a name, e.g. the pipeline that will use it."), field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(_("The name must be at most %(max)s characters.") % {"max": NAME_MAX}, field="name")
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    max_age = settings.API_TOKEN_MAX_AGE_DAYS
    expires_at = now + timedelta(days=max_age) if max_age > 0 else None
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash(raw), expires_at=expires_at)
        audit_events.token_created(user=user, name=name, prefix=prefix, expires_at=expires_at, client_ip=client_ip)
    return token, raw


def api_token_revoke(*, user: Any, token_id: int, client_ip: str | None = None) -> ApiToken:
    """Revoke one of the user's own tokens; revoking twice is harmless."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            # Someone else's token reads as missing: nobody learns which ids exist.
            raise ApplicationError(_("No such token."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_events.token_revoked(user=user, name=token.name, prefix=token.prefix, client_ip=client_ip)
    return token


def api_tokens_revoke_all(*, user: Any, reason: str) -> int:
    """Revoke every live token of `user`, one audit event each; returns how many."""
    with transaction.atomic():
        live = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).order_by("id"))
        now = timezone.now()
        for token in live:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            # The change to the user may come from anyone (admin, a command): the system revokes.
            audit_events.token_revoked_by_system(user=user, name=token.name, prefix=token.prefix, reason=reason)
    return len(live)


def api_token_authenticate(raw: str) -> ApiToken:
    """The active token `raw` names, with its user; ApplicationError otherwise."""
    kind, _sep, rest = raw.partition("_")
    prefix, _sep, secret = rest.partition("_")
    # The prefix is checked before it reaches a query: headers can carry anything, NUL included.
    if kind != TOKEN_KIND or not PREFIX_RE.fullmatch(prefix) or not secret:
        raise ApplicationError(_("Invalid token."))
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, _hash(raw)):
        raise ApplicationError(_("Invalid token."))
    if token.revoked_at is not None:
        raise ApplicationError(_("This token was revoked."))
    if token.is_expired:
        when = date_format(timezone.localtime(token.valid_until), "Y-m-d H:i")
        raise ApplicationError(
            _("This token expired on %(when)s; create a new one on the API tokens page.") % {"when": when}
        )
    if not token.user.is_active:
        raise ApplicationError(_("The token's user is inactive."))
    now = timezone.now()
    # One conditional UPDATE: concurrent requests never race, and a busy token writes once a minute.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ).update(last_used_at=now)
    return token


# --- the User model's own changes ---------------------------------------------------------


def _is_rehash(user: Any, stored_hash: str, update_fields: Any) -> bool:
    """Django's check_password storing a new hash of the same password at sign-in, when the
    stored one is of an older hasher or cost: exactly save(update_fields=["password"]) after
    set_password with the plain text dropped. That is no change of password."""
    if getattr(user, "_password", None) is not None or update_fields is None or set(update_fields) != {"password"}:
        return False
    try:
        old = identify_hasher(stored_hash)
    except ValueError:
        return False
    preferred = get_hasher("default")
    return old.algorithm != preferred.algorithm or preferred.must_update(stored_hash)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="approvals.tokens.note_credential_change")
def _note_credential_change(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Before the row is written: does this save change the password or deactivate the user?"""
    instance._revoke_tokens_because = None
    if kwargs.get("raw") or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. save(update_fields=["last_login"]) at every sign-in
    stored = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["is_active"] and not instance.is_active:
        instance._revoke_tokens_because = DEACTIVATED
    elif stored["password"] != instance.password and not _is_rehash(instance, stored["password"], update_fields):
        instance._revoke_tokens_because = PASSWORD_CHANGED


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="approvals.tokens.revoke_after_credential_change")
def _revoke_after_credential_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    reason = getattr(instance, "_revoke_tokens_because", None)
    if reason:
        instance._revoke_tokens_because = None
        api_tokens_revoke_all(user=instance, reason=reason)
