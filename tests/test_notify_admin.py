"""Only staff configure channels, in Django admin; settings are checked at their field; secrets stay hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent, NotificationChannel, OutboxMessage
from approvals.services.channel_delivery import channel_deliver
from approvals.services.secret_box import decrypt
from tests.factories import make_user, make_workspace
from tests.fixtures_receivers import WEBHOOK_SECRET
from tests.notify_helpers import make_channel

pytestmark = pytest.mark.django_db
ADD = reverse("admin:approvals_notificationchannel_add")
LIST = reverse("admin:approvals_notificationchannel_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("root", staff=True))
    return client


@pytest.fixture
def workspace():
    return make_workspace(name="NLP", workspace_id="118493")


def form(workspace, **fields):
    data = {
        "workspace": workspace.pk,
        "name": "reviews",
        "channel_type": "webhook",
        "url": "https://hooks.example.com/review/tok3nTok3nTok3nTok3n",
        "secret": WEBHOOK_SECRET,
        "events": ["approved", "version.pending"],
        "language": "en",
        "enabled": "on",
    }
    return {**data, **fields}


def test_staff_add_a_channel_stored_encrypted_and_audited_without_its_secrets(staff_client, workspace):
    response = staff_client.post(ADD, form(workspace))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = NotificationChannel.objects.get()
    assert decrypt(channel.url_ciphertext) == "https://hooks.example.com/review/tok3nTok3nTok3nTok3n"
    assert decrypt(channel.secret_ciphertext) == WEBHOOK_SECRET
    assert channel.url_shown == "https://hooks.example.com/review/***"
    event = AuditEvent.objects.get(action="channel.created")
    assert event.actor == "root" and event.workspace_id == "118493"
    assert "tok3n" not in str(event.payload) and WEBHOOK_SECRET not in str(event.payload)


def test_the_change_page_never_shows_the_url_or_the_secret(staff_client, workspace):
    channel = make_channel(workspace, "https://hooks.example.com/review/tok3nTok3nTok3nTok3n", secret=WEBHOOK_SECRET)
    page = staff_client.get(reverse("admin:approvals_notificationchannel_change", args=[channel.pk])).content.decode()
    assert "hooks.example.com/review/***" in page
    assert "tok3n" not in page and WEBHOOK_SECRET.removeprefix("whsec_") not in page


def test_changing_a_channel_with_the_url_and_secret_left_empty_keeps_them(staff_client, workspace):
    channel = make_channel(workspace, "https://hooks.example.com/review/tok3nTok3nTok3nTok3n", secret=WEBHOOK_SECRET)
    change = reverse("admin:approvals_notificationchannel_change", args=[channel.pk])
    response = staff_client.post(change, form(workspace, url="", secret="", name="renamed", events=["rejected"]))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "renamed" and channel.events == ["rejected"]
    assert decrypt(channel.url_ciphertext).endswith("tok3nTok3nTok3nTok3n") and decrypt(channel.secret_ciphertext)
    changed = AuditEvent.objects.get(action="channel.changed").payload["changed"]
    assert set(changed) == {"name", "events"}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "http://hooks.example.com/x"}, "url", "Only https:// URLs are accepted"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "url", "user name or password"),
        ({"url": "not a url"}, "url", "without spaces"),
        ({"url": ""}, "url", "Enter the channel"),
        ({"url": "https://hooks.example.com/" + "a" * 2100}, "url", "at most 2000 characters"),
        ({"secret": ""}, "secret", "A webhook needs a signing secret"),
        ({"secret": "whsec_short"}, "secret", "24 to 64 random bytes"),
        ({"events": ["bogus"]}, "events", "Select a valid choice"),
        ({"events": []}, "events", "Choose at least one kind of event"),
        ({"channel_type": "dingtalk", "secret": ""}, "url", "must be on oapi.dingtalk.com"),
        (
            {"channel_type": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
            "secret",
            "no secret",
        ),
        (
            {"channel_type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "x"},
            "secret",
            "starts with SEC",
        ),
    ],
)
def test_bad_channel_settings_get_a_clear_message_at_their_field_and_save_nothing(
    staff_client, workspace, fields, field, message
):
    response = staff_client.post(ADD, form(workspace, **fields))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not NotificationChannel.objects.exists() and not AuditEvent.objects.filter(action__startswith="channel.")


@pytest.mark.parametrize("who", ["viewer", "approver", "editor"])
def test_people_who_are_not_staff_cannot_reach_the_channels(client, workspace, who):
    client.force_login(make_user(who, group=who, workspace=workspace))
    for url in (ADD, LIST):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.post(ADD, form(workspace)).status_code == 302
    assert not NotificationChannel.objects.exists()


def test_send_a_test_queues_one_message_for_that_channel_only(staff_client, workspace, webhook_receiver):
    channel = make_channel(workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["approved"])
    other = make_channel(workspace, webhook_receiver.url, secret=WEBHOOK_SECRET, events=["approved"], name="other")
    response = staff_client.post(LIST, {"action": "send_test", "_selected_action": [channel.pk]}, follow=True)
    assert "A test message to webhook channel is queued" in response.content.decode()
    row = OutboxMessage.objects.get()
    assert row.channel_id == channel.pk and row.kind == "test"
    channel_deliver(channel_id=channel.pk)
    message = webhook_receiver.received[0]["payload"]
    assert message["type"] == "test" and "sent by root" in message["data"]["text"]
    assert not OutboxMessage.objects.filter(channel=other).exists()
    page = staff_client.get(reverse("admin:approvals_notificationchannel_change", args=[channel.pk])).content.decode()
    assert f"<td>{row.message_id}</td><td>1</td><td>200</td>" in page and "<td>ok</td>" in page  # the attempt


def test_a_paused_channel_is_announced_on_the_list_and_resumed_by_an_action(staff_client, workspace):
    channel = make_channel(workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET)
    NotificationChannel.objects.filter(pk=channel.pk).update(paused_at=timezone.now(), paused_reason="HTTP 500")
    assert "1 channel(s) paused" in staff_client.get(LIST).content.decode()
    staff_client.post(LIST, {"action": "resume", "_selected_action": [channel.pk]})
    channel.refresh_from_db()
    assert channel.paused_at is None and AuditEvent.objects.filter(action="channel.resumed").exists()


def test_deleting_a_channel_is_audited(staff_client, workspace):
    channel = make_channel(workspace, "https://hooks.example.com/x", secret=WEBHOOK_SECRET)
    delete = reverse("admin:approvals_notificationchannel_delete", args=[channel.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 302
    assert not NotificationChannel.objects.exists()
    assert AuditEvent.objects.filter(action="channel.deleted", payload__channel_id=channel.pk).exists()


def test_changing_the_type_needs_the_url_again_and_drops_the_old_secret(staff_client, workspace):
    channel = make_channel(workspace, "https://hooks.example.com/review/x", secret=WEBHOOK_SECRET)
    change = reverse("admin:approvals_notificationchannel_change", args=[channel.pk])
    response = staff_client.post(change, form(workspace, channel_type="wecom", url="", secret=""))
    assert response.status_code == 200 and "Enter the channel" in " ".join(
        response.context["adminform"].form.errors["url"]
    )
    wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0a1b2c3d"
    assert staff_client.post(change, form(workspace, channel_type="wecom", url=wecom, secret="")).status_code == 302
    channel.refresh_from_db()
    assert channel.channel_type == "wecom" and decrypt(channel.url_ciphertext) == wecom
    assert channel.secret_ciphertext == "" or decrypt(channel.secret_ciphertext) == ""


def test_a_long_url_is_kept_whole_and_shown_shortened(staff_client, workspace):
    long_url = "https://hooks.example.com/" + "/".join(["seg"] * 400)
    assert staff_client.post(ADD, form(workspace, url=long_url)).status_code == 302
    channel = NotificationChannel.objects.get()
    assert decrypt(channel.url_ciphertext) == long_url and len(channel.url_shown) == 300
