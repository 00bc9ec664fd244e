"""The authentication backend for the provider's callback: the code for tokens, the ID token
checked, the claims to an account (services.identity).

mozilla-django-oidc 5.0.2 decodes the ID token without checking its audience or issuer and
with no clock leeway; `verify_token` here checks signature, `iss`, `aud` (and `azp`), `exp`,
`iat` and `nonce`, allowing OIDC_LEEWAY_SECONDS of clock skew, before any claim is used.
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from approvals.errors import ApplicationError
from approvals.services.identity import identity_sign_in
from approvals.web.local_login import REFUSAL_ATTRIBUTE
from approvals.web.oidc.discovery import provider_endpoints
from approvals.web.oidc.session import store_provider_tokens

_NO_NONCE = object()

# Set on the request by a successful sign-in, for its audit event.
SIGN_IN_ATTRIBUTE = "provider_sign_in"
# ... and by a refusal of verified claims: whom the provider said it was, for signin.failed's actor.
REFUSED_NAME_ATTRIBUTE = "sign_in_refused_name"


class ProviderBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not super().__init__: it reads every endpoint from settings, at each authenticate()
        # of any backend. Here they come from discovery, and only when the callback needs them.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self._token_response: dict[str, Any] = {}

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return provider_endpoints().token

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return provider_endpoints().userinfo

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return provider_endpoints().jwks

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the callback view, which has checked the state and passes the sign-in's nonce and
        # PKCE verifier: a code sent to any other door (say the login form's URL) is no sign-in.
        if not settings.OIDC_ENABLED or request is None or not kwargs.get("nonce"):
            return None
        if request.path != reverse("oidc_authentication_callback"):
            return None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The session's user, while active (as ModelBackend: the library's would keep a deactivated one)."""
        user = self.UserModel._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        self._token_response = super().get_token(payload)
        return self._token_response

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, after every check OpenID Connect Core 3.1.3.7 asks of a client."""
        if not isinstance(token, str) or not token:
            raise SuspiciousOperation("The provider sent no ID token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token unreadable: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm not in settings.OIDC_SIGNING_ALGORITHMS:
            raise SuspiciousOperation(f"ID token signed with {algorithm!r}, not one of OIDC_SIGNING_ALGORITHMS.")
        key = self.retrieve_matching_jwk(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without this client as azp.")
        nonce = kwargs.get("nonce", _NO_NONCE)
        if nonce is not _NO_NONCE and claims.get("nonce") != nonce:
            raise SuspiciousOperation("ID token nonce does not match this sign-in (replayed?).")
        return claims

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        """The provider's key that signed `token`: by `kid`, or its only key of that type when the
        token names none (the library's own lookup fails on a key without a kid)."""
        response = requests.get(provider_endpoints().jwks, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        try:
            keys = response.json()["keys"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SuspiciousOperation("The provider's JWKS is not a key set.") from exc
        header = jwt.get_unverified_header(token)
        kid, algorithm = header.get("kid"), header.get("alg")
        usable = [k for k in keys if isinstance(k, dict) and k.get("alg", algorithm) == algorithm]
        usable = [k for k in usable if k.get("use", "sig") == "sig"]
        matching = [k for k in usable if k.get("kid") == kid] if kid else usable
        if len(matching) != 1:
            raise SuspiciousOperation(f"No single key of the provider's JWKS matches the ID token (kid {kid!r}).")
        try:
            return jwt.PyJWK(matching[0], algorithm=algorithm)
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"The provider's key is unusable: {exc}") from exc

    def store_tokens(self, access_token: str, id_token: str) -> None:
        """Nothing yet: the tokens are kept once the account may sign in (get_or_create_user)."""

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("The userinfo answer is about another subject.")
        # The ID token's claims win: they are signed. Userinfo adds what the token leaves out.
        claims = {**userinfo, **payload}
        try:
            outcome = identity_sign_in(issuer=settings.OIDC_ISSUER, claims=claims)
        except ApplicationError as exc:
            setattr(self.request, REFUSAL_ATTRIBUTE, exc.message)
            username = claims.get(settings.OIDC_USERNAME_CLAIM)
            setattr(self.request, REFUSED_NAME_ATTRIBUTE, username[:150] if isinstance(username, str) else "")
            return None
        setattr(self.request, SIGN_IN_ATTRIBUTE, outcome)
        store_provider_tokens(self.request.session, self._token_response)
        return outcome.user
