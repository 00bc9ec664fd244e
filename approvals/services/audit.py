"""The append-only, tamper-evident audit log.

Each event stores the hash of the one before it and its own hash over its
content and that link, so editing, removing or reordering any event breaks the
chain from there on. Appends are serialized by a transaction-scoped advisory
lock (PostgreSQL) or by SQLite's immediate transactions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from approvals.models import AuditEvent

GENESIS_HASH = "0" * 64


# Any constant works; it names "the audit log's writer" among advisory locks.
APPEND_LOCK_KEY = 0x4155444954  # "AUDIT"


HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor",
    "action",
    "workspace_id",
    "model_id",
    "model_name",
    "version_name",
    "payload",
    "client_ip",
    "prev_hash",
)


def event_hash(event: AuditEvent) -> str:
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def append_event(
    *,
    actor: str,
    action: str,
    workspace_id: str = "",
    model_id: str = "",
    model_name: str = "",
    version_name: str = "",
    payload: Mapping[str, Any] | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    """Append one event; call inside the transaction that makes the change it records."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Locking the newest row is not enough: an empty log has no row to lock,
            # and a waiter on `ORDER BY seq DESC LIMIT 1 FOR UPDATE` gets the row it
            # waited for, not the one committed meanwhile, and reuses its seq.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        event = AuditEvent(
            seq=(last.seq + 1) if last else 1,
            # Microseconds are all the databases keep; hash what will be stored.
            created_at=timezone.now(),
            actor=actor,
            action=action,
            workspace_id=workspace_id,
            model_id=model_id,
            model_name=model_name,
            version_name=version_name,
            payload=json.loads(json.dumps(payload or {}, default=str)),
            # Stored as the field normalizes it (IPv6 compressed, lowercase), so hash that.
            client_ip=AuditEvent._meta.get_field("client_ip").get_prep_value(client_ip or None),
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Walk the log oldest first and say where it was edited, cut or reordered."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    problems: list[str] = []
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in events:
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"event #{event.seq}: expected #{expected_seq} here; events were removed or reordered")
        if event.prev_hash != expected_prev:
            problems.append(f"event #{event.seq}: its link does not match the event before it")
        if event_hash(event) != event.hash:
            problems.append(f"event #{event.seq}: its content does not match its hash; it was edited")
        expected_prev, expected_seq = event.hash, event.seq + 1
    return ChainReport(checked=checked, problems=problems)
