"""Which addresses may receive signed requests: HTTPS on an Alibaba Cloud PAI host, or one
the operator listed (the emulator on loopback in the demo and the tests).

A request carries the AccessKey id, a signature and the STS token, so an endpoint
chosen by anyone who can edit a workspace must not be any host at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, urlsplit

# aiworkspace.cn-hangzhou.aliyuncs.com, pai.ap-southeast-1.aliyuncs.com and their
# in-VPC forms (aiworkspace-vpc.cn-hangzhou.aliyuncs.com).
PAI_HOST = re.compile(r"(?:aiworkspace|pai)(?:-vpc)?\.[a-z]{2}(?:-[a-z0-9]+)+\.aliyuncs\.com")
# In an allowed address, this port means any port (the tests' emulators take a free one).
ANY_PORT = "*"
DEFAULT_PORTS = {"https": 443, "http": 80}


def _split(url: str) -> SplitResult | None:
    """The URL's parts, read as PaiClient reads them (no scheme means HTTPS), or None if malformed."""
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    if "://" not in url:
        url = f"https://{url}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return None
    # Userinfo could make the host read one way here and another to an HTTP library.
    if not parts.hostname or "@" in parts.netloc or parts.query or parts.fragment or parts.path not in ("", "/"):
        return None
    return parts


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 0)


def _listed(parts: SplitResult, allowed: Iterable[str]) -> bool:
    scheme, host, port = _origin(parts)
    for entry in allowed:
        any_port = entry.strip().endswith(f":{ANY_PORT}")
        listed = _split(entry.strip().removesuffix(f":{ANY_PORT}") if any_port else entry)
        if listed is None:
            continue
        their_scheme, their_host, their_port = _origin(listed)
        if (their_scheme, their_host) == (scheme, host) and (any_port or their_port == port):
            return True
    return False


def is_pai_endpoint(url: str) -> bool:
    """HTTPS on the default port of a PAI host, and nothing else in the URL."""
    parts = _split(url)
    return (
        parts is not None
        and parts.scheme.lower() == "https"
        and parts.port in (None, 443)
        and PAI_HOST.fullmatch(parts.hostname or "") is not None
    )


def endpoint_allowed(url: str, allowed: Iterable[str] = ()) -> bool:
    """True when requests signed with the dashboard's credentials may go to `url`."""
    if is_pai_endpoint(url):
        return True
    parts = _split(url)
    return parts is not None and _listed(parts, allowed)
