"""Encrypt every notification channel's URL and secret again under the first NOTIFY_SECRETS_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from approvals.errors import ApplicationError
from approvals.services.channels import channel_secrets_rotate


class Command(BaseCommand):
    help = (
        "After putting a new key first in NOTIFY_SECRETS_KEYS (keeping the old ones after it), encrypt every "
        "channel's URL and secret under the new key; then the old keys can be dropped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rotated = channel_secrets_rotate(by="rotate_notify_secrets")
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{rotated} channel(s) now encrypted under the current key.")
