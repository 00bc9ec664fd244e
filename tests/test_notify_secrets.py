"""Channel URLs and secrets: encrypted with keys from the environment, rotated, masked everywhere."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from approvals.errors import ApplicationError
from approvals.models import AuditEvent, NotificationChannel
from approvals.services import secret_box
from approvals.services.channel_delivery import channel_deliver
from approvals.services.destinations import redact_url, scrub, secret_pieces, url_refusal
from tests.factories import make_user, make_version
from tests.fixtures_receivers import WEBHOOK_SECRET, ChannelReceiver
from tests.notify_helpers import approve_event, make_channel

pytestmark = pytest.mark.django_db


def test_a_secret_encrypted_under_an_old_key_still_decrypts_and_rotates_to_the_new_one(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NOTIFY_SECRETS_KEYS = [old]
    token = secret_box.encrypt("SECrobot-secret")
    assert "SECrobot-secret" not in token
    settings.NOTIFY_SECRETS_KEYS = [new, old]
    assert secret_box.decrypt(token) == "SECrobot-secret"
    rotated = secret_box.rotate(token)
    settings.NOTIFY_SECRETS_KEYS = [new]
    assert secret_box.decrypt(rotated) == "SECrobot-secret"
    with pytest.raises(ApplicationError, match="cannot be decrypted") as refused:
        secret_box.decrypt(token)
    assert "SECrobot" not in refused.value.message


def test_without_a_key_the_admin_says_so_and_saves_nothing(client, settings):
    settings.NOTIFY_SECRETS_KEYS = []
    version = make_version()
    client.force_login(make_user("root", staff=True))
    response = client.post(
        reverse("admin:approvals_notificationchannel_add"),
        {
            "workspace": version.workspace.pk,
            "name": "x",
            "channel_type": "webhook",
            "url": "https://hooks.example.com/x",
            "secret": WEBHOOK_SECRET,
            "events": ["approved"],
            "language": "en",
        },
    )
    assert response.status_code == 200 and "NOTIFY_SECRETS_KEYS is not set" in response.content.decode()
    assert not NotificationChannel.objects.exists()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abc123",
            "https://oapi.dingtalk.com/robot/send?access_token=***",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/0f6c2b8e-4a1d-4c7e",
            "https://open.feishu.cn/open-apis/bot/v2/hook/***",
        ),
        ("https://hooks.example.com:8443/in/short", "https://hooks.example.com:8443/in/short"),
    ],
)
def test_pages_get_the_url_with_its_tokens_masked(url, shown):
    assert redact_url(url) == shown


def test_scrub_removes_every_piece_of_a_url_and_secret():
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b2c3d-4e5f"
    text = f"failed {url} and /cgi-bin/webhook/send?key=0a1b2c3d-4e5f and 0a1b2c3d-4e5f and SECx1234"
    cleaned = scrub(text, secret_pieces(url, "SECx1234"))
    assert "0a1b2c3d" not in cleaned and "SECx1234" not in cleaned


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("https://hooks.example.com/x", [], False),
        ("http://hooks.example.com/x", [], True),
        ("http://127.0.0.1:9000/x", ["http://127.0.0.1:*"], False),
        ("http://127.0.0.2:9000/x", ["http://127.0.0.1:*"], True),
        ("ftp://hooks.example.com/x", [], True),
        ("https://a:b@hooks.example.com/x", [], True),
    ],
)
def test_only_https_or_a_listed_origin_may_receive(settings, url, allowed, refused):
    settings.NOTIFY_ALLOWED_URLS = allowed
    assert (url_refusal(url) is not None) == refused


def test_no_log_line_of_a_failing_delivery_carries_the_token(caplog, settings):
    settings.NOTIFY_PAUSE_AFTER_SECONDS = 0  # the first failure pauses, which logs and mails
    settings.ADMINS = [("Ops", "ops@example.com")]
    receiver = ChannelReceiver("lark").start()
    receiver.stop()
    version = make_version()
    channel = make_channel(version.workspace, receiver.url, channel_type="lark", secret="lark-secret-value")
    approve_event(version)
    with caplog.at_level(logging.DEBUG):
        channel_deliver(channel_id=channel.pk)
    channel.refresh_from_db()
    assert channel.paused_at is not None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "paused" in logged
    assert "lark-hook-token" not in logged and "lark-secret-value" not in logged
    assert "lark-hook-token" not in channel.paused_reason


def test_rotate_notify_secrets_moves_every_channel_to_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NOTIFY_SECRETS_KEYS = [old]
    version = make_version()
    channel = make_channel(version.workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET)
    settings.NOTIFY_SECRETS_KEYS = [new, old]
    call_command("rotate_notify_secrets", stdout=io.StringIO())
    settings.NOTIFY_SECRETS_KEYS = [new]
    channel.refresh_from_db()
    assert secret_box.decrypt(channel.url_ciphertext) == "https://hooks.example.com/x"
    assert secret_box.decrypt(channel.secret_ciphertext) == WEBHOOK_SECRET
    assert AuditEvent.objects.get(action="channel.secrets_rotated").payload == {"channels": 1}


def test_rotate_notify_secrets_with_a_key_missing_says_so():
    version = make_version()
    make_channel(version.workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET)
    with (
        override_settings(NOTIFY_SECRETS_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(CommandError) as refused,
    ):
        call_command("rotate_notify_secrets")
    assert "cannot be decrypted" in str(refused.value)
