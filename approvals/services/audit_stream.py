"""The audit stream: every audit event, in order, to another system (README "Security").

Sinks come from the settings: AUDIT_STREAM_URL (JSON over HTTPS, in Splunk HEC's
shape or Alibaba Cloud SLS web tracking's) and AUDIT_SYSLOG_ADDRESS (RFC 5424,
octet-counted, over TCP or TLS). Delivery is at least once and in order: one
delivery in flight per sink, events by seq, and a failed batch blocks the ones after
it until it is delivered. Each message carries the event's seq, hash, prev_hash and
key_id, so a receiver sees a gap and can check the chain.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import AuditEvent, AuditStreamSink, OutboxMessage, OutboxState
from approvals.pai.endpoints import endpoint_allowed
from approvals.services import delivery
from approvals.services.destinations import redact_url, secret_pieces, url_refusal
from approvals.services.http_send import Answer, post
from approvals.services.outbox import HTTP_SINK, SYSLOG_SINK

# RFC 5424: facility 13 (log audit), severity 5 (notice); our SD-ID under the documentation PEN.
SYSLOG_PRI = 13 * 8 + 5
SD_ID = "audit@32473"
APP_NAME = "pai-model-review"


def event_record(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
        "key_id": event.key_id,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "workspace_id": event.workspace_id,
        "model_id": event.model_id,
        "model_name": event.model_name,
        "version_name": event.version_name,
        "payload": event.payload,
        "client_ip": event.client_ip,
    }


def _hostname() -> str:
    name = "".join(ch for ch in socket.gethostname() if 33 <= ord(ch) <= 126)
    return name[:255] or "-"


def hec_body(events: list[AuditEvent]) -> bytes:
    """Splunk HTTP Event Collector: one JSON object per event, concatenated."""
    lines = [
        json.dumps(
            {
                "time": round(e.created_at.timestamp(), 6),
                "host": _hostname(),
                "source": settings.AUDIT_STREAM_SOURCE,
                "sourcetype": "_json",
                "event": event_record(e),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for e in events
    ]
    return "\n".join(lines).encode("utf-8")


def sls_body(events: list[AuditEvent]) -> bytes:
    """Alibaba Cloud SLS web tracking: __logs__ of string values."""
    logs = [
        {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in event_record(e).items()}
        for e in events
    ]
    body = {"__topic__": "audit", "__source__": settings.AUDIT_STREAM_SOURCE, "__logs__": logs}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sd_value(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_frame(event: AuditEvent) -> bytes:
    """One RFC 5424 message, framed by octet counting (RFC 6587 / RFC 5425)."""
    stamp = event.created_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    msgid = "".join(ch for ch in event.action if 33 <= ord(ch) <= 126)[:32] or "-"
    params = {"seq": event.seq, "hash": event.hash, "prev_hash": event.prev_hash, "key_id": event.key_id or "-"}
    sd = f"[{SD_ID} " + " ".join(f'{k}="{_sd_value(v)}"' for k, v in params.items()) + "]"
    body = json.dumps(event_record(event), ensure_ascii=False, separators=(",", ":"))
    message = f"<{SYSLOG_PRI}>1 {stamp} {_hostname()} {APP_NAME} - {msgid} {sd} ".encode() + b"\xef\xbb\xbf"
    message += body.encode("utf-8")
    return f"{len(message)} ".encode() + message


def syslog_target() -> tuple[str, int, bool, str | None]:
    """(host, port, tls, refusal) from AUDIT_SYSLOG_ADDRESS, e.g. "tls://siem.example.com:6514"."""
    address = settings.AUDIT_SYSLOG_ADDRESS.strip()
    tls = settings.AUDIT_SYSLOG_TLS or address.startswith("tls://")
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname or "", parts.port or (6514 if tls else 514)
    except ValueError:
        return "", 0, tls, _("AUDIT_SYSLOG_ADDRESS is not host:port.")
    if not host:
        return "", 0, tls, _("AUDIT_SYSLOG_ADDRESS is not host:port.")
    # Plain TCP only to an address listed for it (loopback receivers in the demo and the tests).
    if not tls and not endpoint_allowed(f"tcp://{host}:{port}", settings.NOTIFY_ALLOWED_URLS):
        return host, port, tls, _("Syslog without TLS goes only to an address listed in NOTIFY_ALLOWED_URLS.")
    return host, port, tls, None


def _send_syslog(events: list[AuditEvent]) -> Answer:
    started = time.monotonic()
    host, port, tls, refusal = syslog_target()
    if refusal:
        return Answer(False, None, refusal, 0)
    try:
        with socket.create_connection((host, port), timeout=settings.NOTIFY_TIMEOUT_SECONDS) as raw:
            sock: socket.socket = raw
            if tls:
                context = ssl.create_default_context(cafile=settings.AUDIT_SYSLOG_CA_FILE or None)
                sock = context.wrap_socket(raw, server_hostname=host)
            # Syslog has no acknowledgement: a batch written whole to the connection counts as sent.
            sock.sendall(b"".join(syslog_frame(e) for e in events))
            sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        return Answer(False, None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000))
    return Answer(True, None, "", int((time.monotonic() - started) * 1000))


def _send_http(events: list[AuditEvent]) -> Answer:
    url, token = settings.AUDIT_STREAM_URL, settings.AUDIT_STREAM_TOKEN
    refusal = url_refusal(url)
    if refusal:
        return Answer(False, None, refusal, 0)
    headers = {"User-Agent": APP_NAME}
    if settings.AUDIT_STREAM_FORMAT == "sls":
        body = sls_body(events)
        headers |= {
            "Content-Type": "application/json",
            "x-log-apiversion": "0.6.0",
            "x-log-bodyrawsize": str(len(body)),
        }
    else:
        body = hec_body(events)
        headers |= {"Content-Type": "application/json", "Authorization": f"Splunk {token}"}
    return post(url, body, headers, secrets=secret_pieces(url, token))


def describe_sink(name: str) -> str:
    if name == HTTP_SINK:
        return f"{settings.AUDIT_STREAM_FORMAT} {redact_url(settings.AUDIT_STREAM_URL)}"
    return f"syslog {settings.AUDIT_SYSLOG_ADDRESS}"


def stream_deliver(*, sink: str) -> delivery.Outcome:
    """Send the sink's pending events oldest first, a batch at a time, stopping at the first failure."""
    state, _created = AuditStreamSink.objects.get_or_create(name=sink)
    owner = delivery.new_owner()
    if not delivery.claim(AuditStreamSink, state.pk, owner):
        return delivery.Outcome(0)
    values: dict[str, Any] = {}
    sent = 0
    send = _send_syslog if sink == SYSLOG_SINK else _send_http
    try:
        for _round in range(20):
            rows = list(
                OutboxMessage.objects.filter(sink=sink, state=OutboxState.PENDING)
                .select_related("event")
                .order_by("seq")[: settings.AUDIT_STREAM_BATCH]
            )
            if not rows:
                return delivery.Outcome(sent)
            answer = send([r.event for r in rows])
            if answer.ok:
                delivery.record(rows, answer, retry_in=None, sink=sink)
                values, state.consecutive_failures, state.failing_since = delivery.success_values(), 0, None
                sent += len(rows)
                delivery.renew(AuditStreamSink, state.pk, owner)
                continue
            values, delay = delivery.failure_values(state, answer, timezone.now())
            delivery.record(rows, answer, retry_in=delay, sink=sink)
            return delivery.Outcome(sent, retry_in=delay + delivery.COME_BACK_MARGIN_SECONDS)
        return delivery.Outcome(sent, retry_in=0)
    finally:
        delivery.release(AuditStreamSink, state.pk, owner, **values)
