"""A client for the emulator's control endpoints, for commands and tests that drive a running emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ControlError(Exception):
    """The emulator could not be reached, or refused the request (its Code and Message)."""


def loopback(url: str) -> bool:
    """Control endpoints take no signature: only an emulator on this machine is driven."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK


def add_version(url: str, body: dict[str, Any], *, timeout: float = 10) -> dict[str, Any]:
    """POST /_emulator/versions; the new version, with its ModelId, ModelName and WorkspaceId."""
    if not loopback(url):
        raise ControlError(f"{url} is not an emulator on loopback (http://127.0.0.1:PORT); nothing was sent.")
    try:
        answer = requests.post(f"{url.rstrip('/')}/_emulator/versions", json=body, timeout=timeout)
    except requests.RequestException as exc:
        raise ControlError(f"The emulator at {url} did not answer ({type(exc).__name__}); is it running?") from None
    try:
        payload = answer.json()
    except ValueError:
        payload = {}
    if answer.status_code != 200 or "Version" not in payload:
        code, message = payload.get("Code", answer.status_code), payload.get("Message", answer.text[:200])
        raise ControlError(f"The emulator refused: {code}: {message}")
    return payload["Version"]
