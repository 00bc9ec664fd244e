"""The provider's endpoints, from OIDC_ISSUER's discovery document, read on first use and cached.

An endpoint set by hand (OIDC_TOKEN_ENDPOINT, ...) wins over discovery. The document must
name the configured issuer: a document for another issuer is refused, as OpenID Connect
Discovery 1.0 (section 4.3) requires.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or does not fit; sign-in cannot start."""


@dataclass(frozen=True)
class ProviderEndpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str  # "" when the provider offers none


_lock = threading.Lock()
_cached: dict[str, tuple[float, ProviderEndpoints]] = {}


def _read_document(issuer: str) -> dict:
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}")
    return document


def provider_endpoints() -> ProviderEndpoints:
    """The endpoints to use now; raises ProviderUnavailable (never cached) when they cannot be known."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise ProviderUnavailable("OIDC_ISSUER is not set")
    with _lock:
        hit = _cached.get(issuer)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
    manual = {
        "authorization": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo": settings.OIDC_OP_USER_ENDPOINT,
        "jwks": settings.OIDC_OP_JWKS_ENDPOINT,
    }
    document = {} if all(manual.values()) else _read_document(issuer)
    keys = {"authorization": "authorization_endpoint", "token": "token_endpoint"}
    keys |= {"userinfo": "userinfo_endpoint", "jwks": "jwks_uri"}
    found = {name: manual[name] or str(document.get(key) or "") for name, key in keys.items()}
    missing = [keys[name] for name, url in found.items() if not url]
    if missing:
        raise ProviderUnavailable(f"the provider's discovery document has no {', '.join(missing)}")
    end_session = settings.OIDC_OP_END_SESSION_ENDPOINT or str(document.get("end_session_endpoint") or "")
    endpoints = ProviderEndpoints(issuer=issuer, end_session=end_session, **found)
    with _lock:
        _cached[issuer] = (time.monotonic() + settings.OIDC_DISCOVERY_CACHE_SECONDS, endpoints)
    return endpoints


def forget_endpoints() -> None:
    """Read the discovery document again next time (tests, and a changed configuration)."""
    with _lock:
        _cached.clear()
