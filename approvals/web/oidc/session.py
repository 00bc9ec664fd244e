"""What a session signed in through the provider keeps: the ID token (for the provider's
sign-out), the refresh token, and when to ask the provider again."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

ID_TOKEN_KEY = "_oidc_id_token"  # noqa: S105 (a session key's name)
REFRESH_TOKEN_KEY = "_oidc_refresh_token"  # noqa: S105 (a session key's name)
RENEW_AT_KEY = "_oidc_renew_at"


def store_provider_tokens(session: Any, token_response: dict[str, Any]) -> None:
    """Keep the tokens of a token-endpoint answer; the session is renewed before the access token ends."""
    if token_response.get("id_token"):
        session[ID_TOKEN_KEY] = token_response["id_token"]
    if token_response.get("refresh_token"):
        session[REFRESH_TOKEN_KEY] = token_response["refresh_token"]
    lifetime = token_response.get("expires_in")
    renew_in = settings.OIDC_RENEW_SECONDS
    if isinstance(lifetime, int | float) and 0 < lifetime < renew_in:
        renew_in = int(lifetime)
    session[RENEW_AT_KEY] = int(time.time()) + renew_in


def is_provider_session(session: Any) -> bool:
    return RENEW_AT_KEY in session
