"""Where notifications and the audit stream may go, and how their addresses are shown.

A channel's URL often carries its token (DingTalk's access_token, WeCom's key,
Lark's hook path), so pages, logs and error texts get `redact_url` and `scrub`.
A URL must be HTTPS unless its origin is in NOTIFY_ALLOWED_URLS (the receivers on
loopback of the demo and the tests), the same allow-list idea as PAI's endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from approvals.pai.endpoints import endpoint_allowed

MASK = "***"
# A path segment this long, or one made of hex or base64-like characters, may be a token.
TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{16,}")


def url_refusal(url: str) -> str | None:
    """Why `url` may not receive messages, or None when it may."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return _("Enter a URL without spaces.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return _("This URL cannot be read.")
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        return _("Enter an https:// URL.")
    if "@" in parts.netloc:
        return _("A URL with a user name or password in it is not accepted.")
    if parts.scheme.lower() == "https":
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    if endpoint_allowed(origin, settings.NOTIFY_ALLOWED_URLS):
        return None
    return _("Only https:// URLs are accepted (or origins listed in NOTIFY_ALLOWED_URLS).")


def redact_url(url: str) -> str:
    """The URL with every query value and every token-like path segment masked."""
    try:
        parts = urlsplit(url.strip())
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    path = "/".join(MASK if TOKEN_SEGMENT.fullmatch(seg) else seg for seg in parts.path.split("/"))
    query = "&".join(f"{name}={MASK}" for name, _value in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{parts.hostname or ''}{port}{path}" + (f"?{query}" if query else "")


def secret_pieces(url: str, secret: str = "") -> list[str]:
    """Every piece of a URL and secret that must never appear in a text we keep or show."""
    pieces = [url, secret]
    try:
        parts = urlsplit(url)
    except ValueError:
        return [p for p in pieces if p]
    pieces += [parts.path + (f"?{parts.query}" if parts.query else ""), parts.query]
    pieces += [value for _name, value in parse_qsl(parts.query, keep_blank_values=True)]
    pieces += [seg for seg in parts.path.split("/") if TOKEN_SEGMENT.fullmatch(seg)]
    # Longest first, so a URL is masked whole before its parts are.
    return sorted({p for p in pieces if p and len(p) >= 4}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for piece in secrets:
        text = text.replace(piece, MASK)
    return text
