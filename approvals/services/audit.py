"""The append-only, tamper-evident audit log.

Each event stores the hash of the one before it and its own hash over its
content and that link, so editing, removing or reordering any event breaks the
chain from there on. The hash is an HMAC-SHA256 with a key from outside the
database (approvals/services/audit_keys.py), named by the event's key id, so
whoever can write the database cannot recompute it; events from before the
chain was keyed have key id "" and a plain SHA-256, and verify the old way.
A cut-off end or a rewrite by someone holding the key shows against the signed
checkpoints (approvals/services/audit_checkpoints.py). Appends are serialized
by a transaction-scoped advisory lock (PostgreSQL) or by SQLite's immediate
transactions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from approvals.models import AuditEvent
from approvals.services.audit_keys import HmacKeys, current_hmac_keys, hmac_keys
from approvals.services.inbox import notify_people
from approvals.services.outbox import enqueue_for

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
# A keyed event's HMAC covers its key id too, so the id cannot be swapped for another.
KEYED_FIELDS = (*HASHED_FIELDS, "key_id")


def _encoded(event: AuditEvent, fields: tuple[str, ...]) -> bytes:
    content = {name: getattr(event, name) for name in fields}
    content["created_at"] = event.created_at.isoformat(timespec="microseconds")
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return encoded.encode("utf-8")


def event_hash(event: AuditEvent, *, keys: HmacKeys | None = None) -> str:
    """HMAC-SHA256 with the key the event names; plain SHA-256 for unkeyed (legacy) events."""
    if not event.key_id:
        return hashlib.sha256(_encoded(event, HASHED_FIELDS)).hexdigest()
    secret = (keys or current_hmac_keys()).secret(event.key_id)
    if secret is None:
        raise ImproperlyConfigured(f"The audit HMAC key {event.key_id!r} is not configured (AUDIT_HMAC_KEYS).")
    return hmac.new(secret, _encoded(event, KEYED_FIELDS), hashlib.sha256).hexdigest()


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
    # Before the lock: without a key, refuse rather than write an event anyone could forge.
    keys = current_hmac_keys()
    # No savepoint: an event that cannot be appended fails the caller's whole transaction (its
    # change must not commit without it), and a sync's page appends a hundred events in one
    # transaction: past 64 subtransactions PostgreSQL's snapshots slow down for every session.
    with transaction.atomic(savepoint=False):
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
            key_id=keys.current_id,
        )
        event.hash = event_hash(event, keys=keys)
        event.save()
        # The people it concerns are told in the same transaction (services/recipients.py says who).
        notify_people(event)
        # The notifications and the audit stream it causes, in the same transaction (invariant 10).
        enqueue_for(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problems: list[str]
    # How many events each key id hashed ("" counts the unkeyed legacy events).
    key_ids: Counter[str] = field(default_factory=Counter)
    last_unkeyed_seq: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unkeyed(self) -> int:
        return self.key_ids.get("", 0)


def verify_chain(events: Iterable[AuditEvent] | None = None, *, keys: HmacKeys | None = None) -> ChainReport:
    """Walk the log oldest first and say where it was edited, cut or reordered."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    keys = keys or hmac_keys()
    # Outside the database, the operator may say where the unkeyed events ended (0: there are none).
    unkeyed_up_to: int | None = settings.AUDIT_UNKEYED_UP_TO
    problems: list[str] = []
    key_ids: Counter[str] = Counter()
    expected_prev, expected_seq, checked, last_unkeyed, keyed_seen = GENESIS_HASH, 1, 0, 0, False
    for event in events:
        checked += 1
        key_ids[event.key_id] += 1
        if event.seq != expected_seq:
            problems.append(f"event #{event.seq}: expected #{expected_seq} here; events were removed or reordered")
        if event.prev_hash != expected_prev:
            problems.append(f"event #{event.seq}: its link does not match the event before it")
        if not event.key_id:
            last_unkeyed = event.seq
            if keyed_seen:
                # Keying began once and never stops: an unkeyed event after a keyed one is a forgery.
                problems.append(f"event #{event.seq}: it is unkeyed but follows keyed events; it was rewritten")
            elif unkeyed_up_to is not None and event.seq > unkeyed_up_to:
                problems.append(
                    f"event #{event.seq}: it is unkeyed, but AUDIT_UNKEYED_UP_TO says only events up to "
                    f"#{unkeyed_up_to} are; it was rewritten"
                )
            elif event_hash(event) != event.hash:
                problems.append(f"event #{event.seq}: its content does not match its hash; it was edited")
        elif keys is None or keys.secret(event.key_id) is None:
            if key_ids[event.key_id] == 1:
                problems.append(
                    f"event #{event.seq}: it is hashed with key {event.key_id!r}, which is not configured "
                    "(AUDIT_HMAC_KEYS); it and every later event with that key cannot be verified"
                )
        elif event_hash(event, keys=keys) != event.hash:
            problems.append(f"event #{event.seq}: its content does not match its HMAC; it was edited")
        keyed_seen = keyed_seen or bool(event.key_id)
        expected_prev, expected_seq = event.hash, event.seq + 1
    return ChainReport(checked=checked, problems=problems, key_ids=key_ids, last_unkeyed_seq=last_unkeyed)
