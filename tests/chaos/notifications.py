"""The chaos run's notification channel: a receiver that fails and restarts, and nothing lost.

A real receiver process (`manage.py demo_webhook_receiver`, checking each Standard
Webhooks signature) is killed and restarted during the load; at the end every
outbox row of the channel is delivered and its message id (a digest's, for rows
gathered into one) is in the receiver's log with a valid signature.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from .processes import Cluster, Service, listens, python_command

SECRET = "whsec_Y2hhb3MtcmVjZWl2ZXItc2VjcmV0LW9mLTMyLWJ5dGVzIQ=="
EVENTS = ["version.pending", "approved", "rejected", "approvals_dismissed", "push_failed", "push_conflict"]


def environment(port: int) -> dict[str, str]:
    return {
        "NOTIFY_ALLOWED_URLS": f"http://127.0.0.1:{port}",
        "NOTIFY_SECRETS_KEYS": Fernet.generate_key().decode(),
        "NOTIFY_RETRY_BASE_SECONDS": "0.5",
        "NOTIFY_RETRY_MAX_DELAY_SECONDS": "2",
        "NOTIFY_COALESCE_SECONDS": "0.5",
        "NOTIFY_TIMEOUT_SECONDS": "2",
    }


def receiver(cluster: Cluster, port: int, log: Path) -> Service:
    command = python_command("manage.py", "demo_webhook_receiver", "--port", str(port), "--log", str(log))
    return cluster.add("receiver", [*command, "--secret", SECRET], listens(port))


def configure_channel(workspace: Any, port: int) -> Any:
    from approvals.models import NotificationChannel
    from approvals.services.channels import channel_save
    from tests.factories import make_user

    channel = NotificationChannel(workspace=workspace, name="chaos receiver", channel_type="webhook", events=EVENTS)
    url = f"http://127.0.0.1:{port}/hooks/chaos"
    return channel_save(channel=channel, url=url, secret=SECRET, user=make_user("chaos-staff", staff=True))


def pending(channel_id: int) -> int:
    from approvals.models import OutboxMessage

    return OutboxMessage.objects.filter(channel_id=channel_id, state="pending").count()


def check(channel_id: int, log: Path, found: Any) -> None:
    """Every message delivered and in the receiver's log, signed; the receiver's duplicates counted."""
    from approvals.models import NotificationChannel, OutboxMessage

    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    received = {line["id"] for line in lines if line["signature_ok"]}
    rows = list(OutboxMessage.objects.filter(channel_id=channel_id).values("pk", "digest_id", "state"))
    for row in rows:
        message_id = f"msg_{row['digest_id'] or row['pk']}"
        if row["state"] != "delivered":
            found.lost.append(f"notification msg_{row['pk']} is still {row['state']}")
        elif message_id not in received:
            found.lost.append(f"notification {message_id} is delivered, yet the receiver never logged it")
    forged = [line["id"] for line in lines if not line["signature_ok"]]
    if forged:
        found.lost.append(f"the receiver refused the signature of {forged[:5]}")
    channel = NotificationChannel.objects.get(pk=channel_id)
    found.figures.update(
        notifications=len(rows),
        notification_messages=len({r["digest_id"] or r["pk"] for r in rows}),
        notification_digests=len({r["digest_id"] for r in rows if r["digest_id"]}),
        notification_requests_received=len(lines),
        notification_duplicates_received=sum(1 for line in lines if line["duplicate"]),
        notification_failed_attempts=channel.attempts.filter(ok=False).count(),
        notification_channel_paused=channel.paused_at is not None,
    )
