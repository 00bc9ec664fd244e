"""Verifying ACS3-HMAC-SHA256 requests the way PAI's gateway does.

The verifier rebuilds the canonical request from what arrived on the wire (raw
path, decoded query, the headers the request says it signed), so any correct
signer passes, including the official SDK that signs more headers than needed.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from approvals.pai import signing

from .errors import ApiError

WINDOW_SECONDS = 15 * 60
REQUIRED_HEADERS = ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


@dataclass(frozen=True)
class AccessKey:
    secret: str
    security_token: str | None = None


def normalize_keys(keys: Mapping[str, str | tuple[str, str | None] | AccessKey]) -> dict[str, AccessKey]:
    """Accept id -> secret, id -> (secret, token) or id -> AccessKey."""
    out = {}
    for key_id, value in keys.items():
        if isinstance(value, AccessKey):
            out[key_id] = value
        elif isinstance(value, str):
            out[key_id] = AccessKey(value)
        else:
            secret, token = value
            out[key_id] = AccessKey(secret, token or None)
    return out


class NonceCache:
    """Nonces seen within the window. Entries are kept in arrival order, so the
    expired ones are always at the front and eviction is cheap: memory stays
    bounded by the request rate times the window."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, nonce: str) -> bool:
        """Record `nonce`; False if it was already seen within the window."""
        now = self.clock()
        with self._lock:
            while self._seen:
                oldest, expires = next(iter(self._seen.items()))
                if expires > now:
                    break
                del self._seen[oldest]
            if nonce in self._seen:
                return False
            self._seen[nonce] = now + self.window
            return True


def incomplete(message: str) -> ApiError:
    return ApiError(400, "IncompleteSignature", message)


def _check_date(value: str, now: float, window: float) -> None:
    try:
        if not _DATE_RE.match(value):
            raise ValueError(value)
        stamp = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise ApiError(
            400, "InvalidTimeStamp.Expired", f"x-acs-date {value[:40]!r} is not a UTC time like 2026-01-01T00:00:00Z."
        ) from None
    if abs(stamp - now) > window:
        raise ApiError(
            400,
            "InvalidTimeStamp.Expired",
            f"Specified time stamp or date value is expired: x-acs-date {value} is more than "
            f"{int(window // 60)} minutes from the server time.",
        )


class Verifier:
    def __init__(
        self,
        access_keys: Mapping[str, str | tuple[str, str | None] | AccessKey],
        *,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = normalize_keys(access_keys)
        self.window = window_seconds
        self.clock = clock
        self.nonces = NonceCache(window_seconds)

    def verify(
        self, *, method: str, raw_path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
    ) -> str:
        """Return the caller's AccessKeyId, or raise the ApiError PAI would answer with.

        `headers` must be keyed by lowercase name; `query` is already decoded.
        """
        value = headers.get("authorization")
        if not value:
            raise incomplete("The request has no Authorization header.")
        try:
            auth = signing.parse_authorization(value)
        except ValueError as exc:
            raise incomplete(f"The Authorization header is malformed: {exc}.") from None
        missing = [h for h in REQUIRED_HEADERS if not headers.get(h)]
        if missing:
            raise incomplete(f"The request lacks the header(s) {', '.join(missing)}.")
        unsigned = sorted(
            h for h in headers if (h == "host" or h.startswith("x-acs-")) and h not in auth.signed_headers
        )
        if unsigned:
            raise incomplete(f"The header(s) {', '.join(unsigned)} must be listed in SignedHeaders.")
        key = self.keys.get(auth.access_key_id)
        if key is None:
            raise ApiError(403, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        _check_date(headers["x-acs-date"], self.clock(), self.window)
        if not hmac.compare_digest(signing.sha256_hex(body), headers["x-acs-content-sha256"].lower()):
            raise ApiError(
                400,
                "SignatureDoesNotMatch",
                "The content hash does not match: x-acs-content-sha256 is not the SHA-256 of the request body.",
            )
        canonical = signing.canonical_request(
            method=method,
            canonical_uri=raw_path,
            query=query,
            headers=headers,
            signed_headers=auth.signed_headers,
            hashed_payload=headers["x-acs-content-sha256"],
        )
        if not hmac.compare_digest(signing.signature(key.secret, canonical), auth.signature):
            string_to_sign = f"{signing.ALGORITHM}\n{signing.sha256_hex(canonical.encode('utf-8'))}"
            raise ApiError(
                400,
                "SignatureDoesNotMatch",
                f"Specified signature does not match our calculation. server string to sign is:{string_to_sign}",
            )
        if (headers.get("x-acs-security-token") or None) != key.security_token:
            raise ApiError(400, "InvalidSecurityToken.Mismatch", "The security token does not match the access key.")
        if not self.nonces.add(f"{auth.access_key_id}\n{headers['x-acs-signature-nonce']}"):
            raise ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        return auth.access_key_id
