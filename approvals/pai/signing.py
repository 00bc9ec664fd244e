"""ACS3-HMAC-SHA256, Alibaba Cloud's V3 request signature.

Used by the client to sign and by the emulator to verify; no Django imports.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(value: str) -> str:
    """RFC 3986: unreserved characters kept, everything else as UTF-8 %XX."""
    return quote(value, safe="~", encoding="utf-8")


def encode_path(segments: Iterable[str]) -> str:
    """A path from raw segments, each percent-encoded, joined by '/'."""
    return "/" + "/".join(percent_encode(s) for s in segments)


def canonical_query(query: Mapping[str, str] | None) -> str:
    if not query:
        return ""
    pairs = sorted((percent_encode(k), percent_encode(str(v))) for k, v in query.items() if v is not None)
    return "&".join(f"{k}={v}" for k, v in pairs)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_request(
    *,
    method: str,
    canonical_uri: str,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str],
    signed_headers: Iterable[str],
    hashed_payload: str,
) -> str:
    """The canonical request; `headers` must be keyed by lowercase name."""
    names = sorted(h.lower() for h in signed_headers)
    canon_headers = "".join(f"{n}:{str(headers.get(n, '')).strip()}\n" for n in names)
    return "\n".join(
        [method.upper(), canonical_uri or "/", canonical_query(query), canon_headers, ";".join(names), hashed_payload]
    )


def signature(secret: str, canonical: str) -> str:
    string_to_sign = f"{ALGORITHM}\n{sha256_hex(canonical.encode('utf-8'))}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(
    *,
    method: str,
    canonical_uri: str,
    query: Mapping[str, str] | None,
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
) -> dict[str, str]:
    """Return `headers` lowercased, plus x-acs-content-sha256 and Authorization.

    Every header given is signed, so callers pass exactly what they will send.
    """
    signed = {k.lower(): str(v) for k, v in headers.items()}
    signed["x-acs-content-sha256"] = sha256_hex(body)
    names = sorted(signed)
    canonical = canonical_request(
        method=method,
        canonical_uri=canonical_uri,
        query=query,
        headers=signed,
        signed_headers=names,
        hashed_payload=signed["x-acs-content-sha256"],
    )
    signed["authorization"] = (
        f"{ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(names)},"
        f"Signature={signature(access_key_secret, canonical)}"
    )
    return signed


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization:
    """Parse an Authorization header; ValueError says what is wrong with it."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise ValueError(f"the algorithm must be {ALGORITHM}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key.strip()] = val.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise ValueError(f"Authorization lacks {', '.join(missing)}")
    return Authorization(
        access_key_id=parts["Credential"],
        signed_headers=tuple(h.lower() for h in parts["SignedHeaders"].split(";") if h),
        signature=parts["Signature"].lower(),
    )
