"""Signed requests (AccessKey id, signature, STS token) go only to HTTPS on a PAI host or to an
address listed in PAI_ALLOWED_ENDPOINTS: admin refuses anything else at the field, and the
client refuses it before a request is built, which the push and the sync record as a failure."""

from __future__ import annotations

import contextlib

import pytest
from django.urls import reverse

from approvals import services
from approvals.errors import EndpointNotAllowed
from approvals.models import AuditEvent, PushState, SyncState, Workspace
from approvals.pai.endpoints import endpoint_allowed, is_pai_endpoint
from approvals.pai_clients import client_for, reset_clients
from approvals.services import push
from approvals.sync import SyncFailed, sync_workspace
from tests.factories import make_user

PAI_HOSTS = [
    "https://aiworkspace.cn-hangzhou.aliyuncs.com",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com/",
    "https://aiworkspace-vpc.cn-shanghai.aliyuncs.com",
    "https://pai.ap-southeast-1.aliyuncs.com",
    "https://pai-vpc.cn-shanghai-finance-1.aliyuncs.com:443",
    "aiworkspace.us-west-1.aliyuncs.com",  # no scheme: the client sends HTTPS
    "HTTPS://AIWORKSPACE.CN-BEIJING.ALIYUNCS.COM",
]
ELSEWHERE = [
    "http://aiworkspace.cn-hangzhou.aliyuncs.com",  # plain HTTP
    "https://aiworkspace.cn-hangzhou.aliyuncs.com:8443",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com.evil.example",
    "https://evil.example/aiworkspace.cn-hangzhou.aliyuncs.com",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com@evil.example",
    "https://user:secret@aiworkspace.cn-hangzhou.aliyuncs.com",
    "https://evil.example\\@aiworkspace.cn-hangzhou.aliyuncs.com",
    "https://oss.cn-hangzhou.aliyuncs.com",  # another product's host
    "https://aiworkspace.aliyuncs.com",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com/api?x=1",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com\n.evil.example",
    "https://aiworkspace.cn-hangzhou.aliyuncs.com:99999",
    "http://127.0.0.1:8765",
    "http://169.254.100.200",
    "",
]


@pytest.mark.parametrize("url", PAI_HOSTS)
def test_https_on_a_pai_host_is_allowed_without_any_setting(url):
    assert is_pai_endpoint(url) and endpoint_allowed(url, [])


@pytest.mark.parametrize("url", ELSEWHERE)
def test_anything_else_is_refused_unless_listed(url):
    assert not endpoint_allowed(url, [])


def test_a_listed_address_is_allowed_and_a_star_port_means_any_port():
    assert endpoint_allowed("http://127.0.0.1:8765", ["http://127.0.0.1:8765"])
    assert endpoint_allowed("http://127.0.0.1:8765/", ["http://127.0.0.1:8765"])
    assert not endpoint_allowed("http://127.0.0.1:8766", ["http://127.0.0.1:8765"])
    assert not endpoint_allowed("https://127.0.0.1:8765", ["http://127.0.0.1:8765"])
    assert not endpoint_allowed("http://127.0.0.2:8765", ["http://127.0.0.1:8765"])
    assert endpoint_allowed("http://127.0.0.1:40123", ["http://127.0.0.1:*"])
    assert not endpoint_allowed("http://localhost:40123", ["http://127.0.0.1:*"])
    assert not endpoint_allowed("http://user:pw@127.0.0.1:8765", ["http://127.0.0.1:8765"])


# --- admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("admin", staff=True))
    return client


def workspace_form(endpoint: str) -> dict[str, str]:
    return {"name": "Elsewhere", "workspace_id": "ws-77", "region": "cn-hangzhou", "endpoint": endpoint}


def test_admin_refuses_a_workspace_endpoint_on_another_host_at_the_field(admin_client, settings):
    settings.PAI_ALLOWED_ENDPOINTS = []

    response = admin_client.post(reverse("admin:approvals_workspace_add"), workspace_form("http://evil.example"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["endpoint"] and "HTTPS on an Alibaba Cloud PAI host" in errors["endpoint"][0]
    assert not Workspace.objects.exists()


def test_admin_accepts_a_pai_host_and_a_listed_emulator(admin_client, settings):
    settings.PAI_ALLOWED_ENDPOINTS = ["http://127.0.0.1:8765"]
    url = reverse("admin:approvals_workspace_add")

    pai = admin_client.post(url, workspace_form("https://aiworkspace-vpc.cn-hangzhou.aliyuncs.com"))
    emulator = admin_client.post(url, workspace_form("http://127.0.0.1:8765") | {"workspace_id": "ws-78"})

    assert (pai.status_code, emulator.status_code) == (302, 302)

    assert set(Workspace.objects.values_list("endpoint", flat=True)) == {
        "https://aiworkspace-vpc.cn-hangzhou.aliyuncs.com",
        "http://127.0.0.1:8765",
    }


# --- the client, the push and the sync ---------------------------------------------------


@pytest.fixture
def unlisted_emulator(db, settings, pai_settings, pai_emulator):
    """The emulator runs, but it is no longer an allowed address: nothing may reach it."""
    settings.PAI_ALLOWED_ENDPOINTS = []
    reset_clients()
    pai_emulator.injector.reset_stats()
    return pai_emulator


def requests_to(emulator) -> int:
    stats = emulator.injector.stats()
    return stats["total_requests"] + sum(stats["responses"].values())


def test_the_client_refuses_an_endpoint_that_is_not_allowed_before_building_a_request(db, settings):
    settings.PAI_ALLOWED_ENDPOINTS = []
    workspace = Workspace.objects.create(name="x", workspace_id="ws-1", endpoint="http://evil.example:8080")

    with pytest.raises(EndpointNotAllowed) as refused:
        client_for(workspace)

    assert refused.value.retryable is False
    assert "evil.example:8080" in refused.value.message and "PAI_ALLOWED_ENDPOINTS" in refused.value.message


def test_the_client_refuses_the_setting_too_and_never_repeats_userinfo(settings):
    settings.PAI_ENDPOINT = "http://LTAI5tKey:the-secret@evil.example"
    settings.PAI_ALLOWED_ENDPOINTS = []

    with pytest.raises(EndpointNotAllowed) as refused:
        client_for()

    assert "the-secret" not in str(refused.value) and "LTAI5tKey" not in str(refused.value)


def test_a_push_to_an_endpoint_not_allowed_fails_permanently_and_sends_nothing(
    db, synced_workspace, pending_version, editor, unlisted_emulator
):
    version = pending_version
    services.version_edit(version_id=version.pk, user=editor, values={"VersionDescription": "x"}, base_revision=0)

    outcome = push.push_version(version_id=version.pk)

    version.refresh_from_db()
    assert outcome.state == PushState.FAILED
    assert version.push_state == PushState.FAILED and "EndpointNotAllowed" in version.push_error
    assert (version.lease_owner, version.pushed_revision) == ("", 0)
    assert "EndpointNotAllowed" in AuditEvent.objects.get(action="push.failed").payload["error"]
    assert requests_to(unlisted_emulator) == 0


def test_a_sync_of_a_workspace_whose_endpoint_is_not_allowed_is_recorded_as_failed(unlisted_emulator):
    workspace = Workspace.objects.create(name="NLP", workspace_id="118493", endpoint=unlisted_emulator.url)

    with pytest.raises(SyncFailed):
        sync_workspace(workspace=workspace)

    workspace.refresh_from_db()
    assert workspace.sync_state == SyncState.FAILED and "PAI_ALLOWED_ENDPOINTS" in workspace.sync_error
    assert requests_to(unlisted_emulator) == 0


def test_healthz_does_not_connect_to_an_endpoint_that_is_not_allowed(client, settings, db, monkeypatch):
    settings.PAI_ALLOWED_ENDPOINTS = []
    settings.PAI_ENDPOINT = "https://aiworkspace.cn-hangzhou.aliyuncs.com"
    Workspace.objects.create(name="x", workspace_id="ws-1", endpoint="http://10.0.0.1:6379")
    connects = []

    def connect(address, **options):
        connects.append(address)
        return contextlib.nullcontext()

    monkeypatch.setattr("approvals.web.views.health.socket.create_connection", connect)

    body = client.get(reverse("healthz")).json()

    assert body["pai"] == "error: an endpoint is not allowed (PAI_ALLOWED_ENDPOINTS)"
    assert ("10.0.0.1", 6379) not in connects
