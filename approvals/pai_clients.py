"""PAI clients built from settings, one per endpoint and thread (requests sessions are not shared across threads)."""

from __future__ import annotations

import threading

import redis
from django.conf import settings
from django.utils.translation import gettext

from .errors import EndpointNotAllowed
from .models import Workspace, endpoint_refusal
from .pai.client import Pacer, PaiClient, credentials
from .pai_pacing import LocalPacer, RedisPacer

_local = threading.local()
_pacers: dict[tuple, Pacer] = {}
_pacers_lock = threading.Lock()


def pacer() -> Pacer | None:
    """The pacer of this process for PAI_REQUESTS_PER_SECOND (None: no pacing), shared by its threads:
    in Redis when PAI_PACING_REDIS_URL names one (every worker shares the bucket), else in memory."""
    rate = settings.PAI_REQUESTS_PER_SECOND
    if not rate:
        return None
    config = (float(rate), settings.PAI_REQUESTS_BURST, settings.PAI_PACING_REDIS_URL, settings.PAI_PACING_KEY_PREFIX)
    with _pacers_lock:
        if config not in _pacers:
            rate, burst, url, prefix = config
            if url:
                _pacers[config] = RedisPacer(redis.Redis.from_url(url), rate, burst, prefix=prefix)
            else:
                _pacers[config] = LocalPacer(rate, burst)
        return _pacers[config]


def _shown(endpoint: str) -> str:
    # A refused URL may carry userinfo ("https://id:secret@host"): never repeat that part.
    return endpoint.rsplit("@", 1)[-1][:200]


def client_for(workspace: Workspace | None = None) -> PaiClient:
    """The client for the workspace's endpoint (or PAI_ENDPOINT); EndpointNotAllowed before any
    request is built when that is neither HTTPS on a PAI host nor in PAI_ALLOWED_ENDPOINTS."""
    endpoint = (workspace.endpoint if workspace else "") or settings.PAI_ENDPOINT
    problem = endpoint_refusal(endpoint)
    if problem:
        message = gettext("The PAI endpoint %(endpoint)s is refused. %(problem)s")
        raise EndpointNotAllowed(message % {"endpoint": _shown(endpoint), "problem": problem}, endpoint=endpoint)
    cache: dict[str, PaiClient] = _local.__dict__.setdefault("clients", {})
    if endpoint not in cache:
        cache[endpoint] = PaiClient(
            endpoint=endpoint,
            credentials=credentials(
                settings.PAI_ACCESS_KEY_ID, settings.PAI_ACCESS_KEY_SECRET, settings.PAI_SECURITY_TOKEN
            ),
            connect_timeout=settings.PAI_CONNECT_TIMEOUT,
            read_timeout=settings.PAI_READ_TIMEOUT,
            pacer=pacer(),
        )
    return cache[endpoint]


def reset_clients() -> None:
    """Forget cached clients (tests that change settings call this)."""
    _local.__dict__.pop("clients", None)
    with _pacers_lock:
        _pacers.clear()
