"""Single sign-on's writes: the account a provider's person signs in as, their roles from
the groups claim, the record of every sign-in, and the end of a session the provider refuses.

Memberships with source `idp` are the provider's: at each sign-in they become exactly
what the groups claim gives now (a group removed there is a role removed here, audited as
membership.revoked with its source). Memberships granted by hand are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.errors import ApplicationError
from approvals.models import IdentityLink, Membership, MembershipSource, Workspace
from approvals.services import audit_events
from approvals.services.group_roles import Grant, grants_for_groups, groups_from_claim
from approvals.services.memberships import membership_grant, membership_revoke

PASSWORD = "password"  # noqa: S105 (a sign-in method, not a password)
PROVIDER = "oidc"

# Django's User columns.
USERNAME_MAX = 150
NAME_MAX = 150
EMAIL_MAX = 254


@dataclass
class SignIn:
    """Who signed in through the provider, and what their groups changed."""

    user: Any
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    reactivated: bool = False

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"provider": settings.OIDC_PROVIDER_NAME}
        if self.granted:
            details["roles_granted"] = self.granted
        if self.revoked:
            details["roles_revoked"] = self.revoked
        if self.reactivated:
            details["reactivated"] = True
        return details


def _claim(claims: dict[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _described(grants: set[Grant], workspace_ids: dict[int, str]) -> list[str]:
    """["approver@118493", "viewer@*"]: what the sign-in's audit event lists."""
    return sorted(f"{role}@{workspace_ids[pk]}" if pk else f"{role}@*" for role, pk in grants)


def _account_for(*, issuer: str, subject: str, username: str, email: str) -> tuple[IdentityLink, Any]:
    link = (
        IdentityLink.objects.select_for_update().select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if link is not None:
        return link, link.user
    users = get_user_model()._default_manager
    user = users.filter(username=username).first()
    if user is None:
        try:
            user = users.create_user(username=username, email=email)  # no usable password
            return IdentityLink.objects.create(user=user, issuer=issuer, subject=subject), user
        except IntegrityError as exc:
            # The same person's first sign-in in another tab won the race; this one rolls back.
            raise ApplicationError(_("Another sign-in of this account is under way; please try again.")) from exc
    if user.is_superuser or username in settings.LOCAL_LOGIN_BREAK_GLASS_USERS or user.identity_links.exists():
        # A name at the provider is no proof of owning a local administrator or another person's account.
        raise ApplicationError(
            _(
                "The account %(username)s exists here and cannot be taken over by signing in through the provider; "
                "ask an administrator."
            )
            % {"username": username}
        )
    return IdentityLink.objects.create(user=user, issuer=issuer, subject=subject), user


def _check_domain(email: str, claims: dict[str, Any]) -> None:
    allowed = settings.OIDC_ALLOWED_EMAIL_DOMAINS
    if not allowed:
        return
    domain = email.rpartition("@")[2].lower()
    if domain not in allowed or claims.get("email_verified") is False:
        raise ApplicationError(_("Only accounts of %(domains)s may sign in here.") % {"domains": ", ".join(allowed)})


def identity_sign_in(*, issuer: str, claims: dict[str, Any]) -> SignIn:
    """The account for these verified claims (created on first sign-in), its roles replaced from the groups.

    Raises ApplicationError when the claims name nobody usable or the account may not sign in.
    """
    subject = _claim(claims, "sub", 255)
    username = _claim(claims, settings.OIDC_USERNAME_CLAIM, USERNAME_MAX + 1)
    if not subject or not username or len(username) > USERNAME_MAX:
        raise ApplicationError(
            _("The identity provider sent no usable username (claim %(claim)s).")
            % {"claim": settings.OIDC_USERNAME_CLAIM}
        )
    email = _claim(claims, settings.OIDC_EMAIL_CLAIM, EMAIL_MAX)
    _check_domain(email, claims)
    with transaction.atomic():
        link, user = _account_for(issuer=issuer, subject=subject, username=username, email=email)
        outcome = SignIn(user=user)
        if not user.is_active:
            if not link.deactivated_by_provider:
                raise ApplicationError(_("This account is deactivated; ask an administrator."))
            # The provider refused this person before and signs them in now: it has let them back.
            user.is_active, link.deactivated_by_provider, outcome.reactivated = True, False, True
        name = _claim(claims, settings.OIDC_NAME_CLAIM, NAME_MAX)
        user.email = email or user.email
        if name:  # the whole display name, as the provider writes it
            user.first_name, user.last_name = name, ""
        user.save()
        link.last_sign_in_at = timezone.now()
        link.save(update_fields=["last_sign_in_at", "deactivated_by_provider"])
        groups = groups_from_claim(claims.get(settings.OIDC_GROUPS_CLAIM))
        outcome.granted, outcome.revoked = provider_memberships_replace(user=user, grants=grants_for_groups(groups))
    return outcome


def provider_memberships_replace(*, user: Any, grants: set[Grant]) -> tuple[list[str], list[str]]:
    """Make the user's `idp` memberships exactly `grants`; returns what was granted and revoked."""
    held = set(Membership.objects.filter(user=user, source=MembershipSource.IDP).values_list("role", "workspace_id"))
    pks = {pk for _role, pk in grants | held if pk}
    workspaces = Workspace.objects.in_bulk(pks)
    ids = {pk: w.workspace_id for pk, w in workspaces.items()}
    by = audit_events.IDENTITY_PROVIDER
    granted, revoked = grants - held, held - grants
    for role, pk in sorted(granted, key=str):
        membership_grant(user=user, role=role, workspace=workspaces.get(pk), by=by, source=MembershipSource.IDP)
    for role, pk in sorted(revoked, key=str):
        membership_revoke(user=user, role=role, workspace=workspaces.get(pk), by=by, source=MembershipSource.IDP)
    return _described(granted, ids), _described(revoked, ids)


def sign_in_record(*, user: Any, method: str, details: dict[str, Any] | None = None, client_ip: str | None) -> None:
    with transaction.atomic():
        audit_events.signed_in(user=user, method=method, details=details, client_ip=client_ip)


def sign_in_failure_record(*, username: str, method: str, reason: str, client_ip: str | None) -> None:
    with transaction.atomic():
        audit_events.sign_in_failed(username=username, method=method, reason=reason, client_ip=client_ip)


def provider_session_refused(*, user: Any, reason: str, client_ip: str | None = None) -> bool:
    """The provider would not renew the session: audit it and, with OIDC_REFUSAL_DEACTIVATES,
    deactivate the account (the token receivers then revoke its API tokens). Returns whether it did."""
    deactivate = settings.OIDC_REFUSAL_DEACTIVATES and user.is_active
    with transaction.atomic():
        audit_events.provider_session_ended(user=user, reason=reason, deactivated=deactivate, client_ip=client_ip)
        if deactivate:
            IdentityLink.objects.filter(user=user).update(deactivated_by_provider=True)
            user.is_active = False
            user.save(update_fields=["is_active"])
    return deactivate
