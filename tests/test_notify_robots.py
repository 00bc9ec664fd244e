"""DingTalk, WeCom and Lark robots: each message signed as their documentation defines, refusals read.

The receivers (tests/fixtures_receivers.py) recompute each robot's signature the way
its vendor's documentation does and answer as the robot does: HTTP 200 with an
error code in the body when they refuse.
"""

from __future__ import annotations

import pytest

from approvals.models import DeliveryAttempt, NotificationChannel, OutboxMessage
from approvals.services.channel_delivery import channel_deliver
from tests.factories import make_model, make_version, make_workspace
from tests.fixtures_receivers import DINGTALK_SECRET, LARK_SECRET, ChannelReceiver
from tests.notify_helpers import approve_event, make_channel

pytestmark = pytest.mark.django_db
SECRETS = {"dingtalk": DINGTALK_SECRET, "wecom": "", "lark": LARK_SECRET}


@pytest.fixture
def version(settings):
    settings.DASHBOARD_URL = "https://review.example.com"
    workspace = make_workspace(name="Vision", workspace_id="200001")
    return make_version(make_model(workspace, model_id="model-det", name="detector"), version_name="3.0.0")


@pytest.fixture(params=["dingtalk", "wecom", "lark"])
def robot(request):
    receiver = ChannelReceiver(request.param).start()
    yield receiver
    receiver.stop()


def test_a_robot_receives_the_message_signed_and_says_ok(version, robot):
    channel = make_channel(version.workspace, robot.url, channel_type=robot.kind, secret=SECRETS[robot.kind])
    approve_event(version, actor="abe")
    channel_deliver(channel_id=channel.pk)
    row = OutboxMessage.objects.get(channel=channel)
    assert robot.ids() == [row.message_id] and not robot.refused
    payload = robot.received[0]["payload"]
    text = {
        "dingtalk": lambda: payload["markdown"]["text"],
        "wecom": lambda: payload["markdown"]["content"],
        "lark": lambda: payload["content"]["text"],
    }[robot.kind]()
    assert "abe approved detector version 3.0.0 in Vision" in text
    assert "https://review.example.com/models/model-det/versions/3.0.0/" in text
    assert DeliveryAttempt.objects.get(channel=channel).ok


def test_a_robot_refusing_the_signature_is_a_failure_with_its_code(version, robot):
    if robot.kind == "wecom":
        url = robot.url.replace("key=", "key=ffff")  # another robot's key
        channel = make_channel(version.workspace, url, channel_type="wecom")
        code = "93000"
    else:
        wrong = "SECanother-robots-secret" if robot.kind == "dingtalk" else "another-secret"
        channel = make_channel(version.workspace, robot.url, channel_type=robot.kind, secret=wrong)
        code = {"dingtalk": "310000", "lark": "19021"}[robot.kind]
    approve_event(version)
    outcome = channel_deliver(channel_id=channel.pk)
    assert robot.refused and not robot.received and outcome.retry_in is not None
    attempt = DeliveryAttempt.objects.get(channel=channel)
    assert not attempt.ok and attempt.status_code == 200 and code in attempt.error
    assert OutboxMessage.objects.get(channel=channel).state == "pending"


def test_a_dingtalk_robot_without_a_secret_gets_no_signature(version):
    receiver = ChannelReceiver("dingtalk").start()
    try:
        channel = make_channel(version.workspace, receiver.url, channel_type="dingtalk")
        approve_event(version)
        channel_deliver(channel_id=channel.pk)
    finally:
        receiver.stop()
    assert receiver.refused == ["dingtalk sign"]  # this receiver insists on signatures: none was sent


def test_the_robot_token_is_stored_encrypted_and_never_in_an_attempt(version, robot):
    channel = make_channel(version.workspace, robot.url, channel_type=robot.kind, secret=SECRETS[robot.kind])
    robot.stop()  # down: the connection error names the URL it tried
    approve_event(version)
    channel_deliver(channel_id=channel.pk)
    token = {"dingtalk": "dingtalk-access-token", "wecom": "0a1b2c3d-4e5f", "lark": "lark-hook-token"}[robot.kind]
    stored = NotificationChannel.objects.filter(pk=channel.pk).values().get()
    assert not any(token in str(value) for value in stored.values())
    assert "***" in stored["url_shown"]
    attempt = DeliveryAttempt.objects.get(channel=channel)
    assert attempt.error and token not in attempt.error and token not in stored["last_error"]
    if SECRETS[robot.kind]:
        assert not any(SECRETS[robot.kind] in str(value) for value in stored.values())
