"""GET /healthz: is this process able to serve? For load balancers and container healthchecks.

No sign-in, no session, plain JSON: {"database": "ok", "broker": "ok", "pai": "ok"}.
The answer is 200 when the database and the broker answer and 503 otherwise. PAI's
reachability is reported but does not fail the check: without PAI the dashboard
still reads, accepts edits and queues pushes that retry (DESIGN invariant 1), so
taking web processes out of a load balancer would only make things worse.

PAI is checked with a TCP connect to each endpoint in use, with a short timeout,
not with a signed API call: probes come every few seconds from every balancer,
and PAI's rate limits and credentials are for pushes. Credential problems show
where they matter, as failed pushes on the pages (invariant 4).

Errors are reported by kind only (e.g. "error: OperationalError"): the endpoint
is public and a driver's message can name hosts and users; the full message goes
to the log.

The parts are shown only to a probe on loopback (the container's healthcheck) and
to staff; anyone else gets {"status": "ok"} or {"status": "error"} with the same
status code. PAI's reachability is kept in the cache for HEALTHZ_PAI_CACHE_SECONDS,
so however often anyone asks, the endpoints see a connect at most that often, and
an endpoint that is not allowed (approvals/pai/endpoints.py) is never connected to.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from approvals.models import Workspace, endpoint_refusal
from approvals.web.security import client_ip

logger = logging.getLogger(__name__)


OK = "ok"


def _failed(part: str, exc: BaseException) -> str:
    logger.warning("healthz: %s check failed: %s: %s", part, type(exc).__name__, exc)
    return f"error: {type(exc).__name__}"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not ok", reported
        return _failed("database", exc)
    return OK


def check_broker() -> str:
    from registry_ui.celery import app

    timeout = settings.HEALTHZ_TIMEOUT_SECONDS
    try:
        with app.connection_for_write(connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            # Opening a channel makes a round trip (Redis answers a PING).
            conn.default_channel  # noqa: B018
    except Exception as exc:
        return _failed("broker", exc)
    return OK


def pai_endpoints() -> list[str]:
    """Every distinct endpoint a push may go to: the setting and any workspace's own."""
    endpoints = [settings.PAI_ENDPOINT]
    for endpoint in Workspace.objects.exclude(endpoint="").values_list("endpoint", flat=True).distinct()[:10]:
        if endpoint not in endpoints:
            endpoints.append(endpoint)
    return endpoints


PAI_CACHE_KEY = "healthz:pai:"


def check_pai() -> str:
    try:
        endpoints = pai_endpoints()
    except Exception as exc:  # the database is reported on its own
        endpoints = [settings.PAI_ENDPOINT]
        logger.warning("healthz: workspace endpoints unreadable: %s", type(exc).__name__)
    key = PAI_CACHE_KEY + hashlib.sha256("\n".join(endpoints).encode()).hexdigest()
    try:
        cached = cache.get(key)
    except Exception as exc:  # a cache that is down must not take the check with it
        logger.warning("healthz: cache unreadable: %s", type(exc).__name__)
        cached = None
    if cached is not None:
        return cached
    report = _connect_pai(endpoints)
    try:
        cache.set(key, report, timeout=settings.HEALTHZ_PAI_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("healthz: cache unwritable: %s", type(exc).__name__)
    return report


def _connect_pai(endpoints: list[str]) -> str:
    for endpoint in endpoints:
        if endpoint_refusal(endpoint):
            logger.warning("healthz: PAI endpoint not allowed, not checked: %s", endpoint.rsplit("@", 1)[-1])
            return "error: an endpoint is not allowed (PAI_ALLOWED_ENDPOINTS)"
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((host, port), timeout=settings.HEALTHZ_TIMEOUT_SECONDS):
                pass
        except OSError as exc:
            logger.warning("healthz: PAI endpoint %s:%s unreachable: %s", host, port, exc)
            return f"error: {host}:{port} unreachable ({type(exc).__name__})"
    return OK


def may_see_details(request: HttpRequest) -> bool:
    """A probe from this machine (not relayed by a proxy nobody declared), or a staff member."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    if settings.TRUSTED_PROXY_COUNT <= 0 and "HTTP_X_FORWARDED_FOR" in request.META:
        # A proxy on loopback relays strangers: their requests come from 127.0.0.1 too.
        return False
    try:
        return ipaddress.ip_address(client_ip(request) or "").is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = {"database": check_database(), "broker": check_broker()}
    healthy = report["database"] == OK and report["broker"] == OK
    if not may_see_details(request):
        # PAI does not decide the status, so strangers do not make the dashboard connect to it.
        return JsonResponse({"status": OK if healthy else "error"}, status=200 if healthy else 503)
    report["pai"] = check_pai()
    return JsonResponse(report, status=200 if healthy else 503)
