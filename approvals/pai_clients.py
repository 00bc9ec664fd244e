"""PAI clients built from settings, one per endpoint and thread (requests sessions are not shared across threads)."""

from __future__ import annotations

import threading

from django.conf import settings

from .models import Workspace
from .pai.client import PaiClient, credentials

_local = threading.local()


def client_for(workspace: Workspace | None = None) -> PaiClient:
    endpoint = (workspace.endpoint if workspace else "") or settings.PAI_ENDPOINT
    cache: dict[str, PaiClient] = _local.__dict__.setdefault("clients", {})
    if endpoint not in cache:
        cache[endpoint] = PaiClient(
            endpoint=endpoint,
            credentials=credentials(
                settings.PAI_ACCESS_KEY_ID, settings.PAI_ACCESS_KEY_SECRET, settings.PAI_SECURITY_TOKEN
            ),
            connect_timeout=settings.PAI_CONNECT_TIMEOUT,
            read_timeout=settings.PAI_READ_TIMEOUT,
        )
    return cache[endpoint]


def reset_clients() -> None:
    """Forget cached clients (tests that change settings call this)."""
    _local.__dict__.pop("clients", None)
