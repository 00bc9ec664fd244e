"""The access sweep's workspace dimension: a member of workspace A, whatever their role, finds
nothing of workspace B at any route (pages, fragments, API, exports): B's version, model and
workspace answer exactly as if they did not exist, nothing of B shows in a list or a count,
and nothing changes. In A they read and act as their role allows; where they read but lack
the role (a viewer of B who edits in A), the write doors answer 403."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from approvals.models import AuditEvent, PushState
from tests.factories import grant, make_event, make_model, make_user, make_version, make_workspace, write_state
from tests.test_security_access import UNSAFE, call, is_api, routes

pytestmark = pytest.mark.django_db

ROLES = ("viewer", "editor", "approver", "auditor")
# Everything of B carries this mark, so a leak anywhere in a body is found by one search.
SECRET = "bsecret"
# Routes whose path names an object; every other route is a list, a form of one's own, or public.
LISTS = {
    "home": "",
    "version_list": "",
    "live_status_counts": "",
    "live_sync_states": "",
    "live_queue_rows": "",
    "audit_log": "",
    "api-versions": "",
    "api-models": "",
    "api-audit": "",
    "api-me": "",
}


@pytest.fixture
def teams():
    a = make_workspace(workspace_id="ws-a-team", name="Team A")
    b = make_workspace(workspace_id=f"ws-{SECRET}", name=f"Team {SECRET}")
    in_a = make_version(make_model(a, model_id="a-model", name="a-model"), version_name="1.0.0")
    in_b = make_version(
        make_model(b, model_id=f"{SECRET}-model", name=f"{SECRET}-model"),
        version_name=f"9.9.9-{SECRET}",
        version_description=f"{SECRET} description",
        push_state=PushState.CONFLICT,
        revision=1,
        conflict={"VersionDescription": {"base": "a", "theirs": "b", "yours": "c"}},
    )
    make_event(in_a, actor="PAI", action="pai.changed", payload={"fields": {"Metrics": [{}, {"a": 1}]}})
    make_event(in_b, actor=f"{SECRET}-person", action="version.edited", payload={"fields": {}}, client_ip="10.9.9.9")
    users = {role: make_user(f"{role}-of-a", group=role, workspace=a) for role in ROLES}
    return {"a": a, "b": b, "in_a": in_a, "in_b": in_b, "users": users}


def object_urls(model_id: str, version_name: str, workspace_id: str) -> dict[str, str]:
    values = {
        "<str:model_id>": model_id,
        "<str:ModelId>": model_id,
        "<str:version_name>": version_name,
        "<str:VersionName>": version_name,
        "<str:WorkspaceId>": workspace_id,
    }
    urls = {}
    for name, pattern in routes():
        if "<str:" not in pattern:
            continue
        url = "/" + pattern
        for placeholder, value in values.items():
            url = url.replace(placeholder, value)
        urls[name] = url
    return urls


def urls_of(version) -> dict[str, str]:
    return object_urls(version.model.model_id, version.version_name, version.workspace.workspace_id)


def unsent(text: str, version) -> str:
    """The text without what the request itself named (a 404 page may echo the path it was asked)."""
    for sent in (version.model.model_id, version.version_name, version.workspace.workspace_id):
        text = text.replace(sent, "")
    return text


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_object_of_another_workspace_answers_as_if_it_did_not_exist_and_nothing_changes(client, teams, role):
    client.force_login(teams["users"][role])
    before = write_state(teams["in_b"])
    events = AuditEvent.objects.count()
    of_b = urls_of(teams["in_b"])
    missing = object_urls("no-such-model", "no-such-version", "no-such-workspace")
    assert set(of_b) == set(missing) and len(of_b) >= 10

    for name, url in of_b.items():
        for method in ("get", *UNSAFE):
            response = call(client, method, url)
            made_up = call(client, method, missing[name])
            assert response.status_code == made_up.status_code, (name, method)
            assert response.status_code in (403, 404, 405), (name, method, response.status_code)
            assert SECRET not in unsent(body(response), teams["in_b"]), (name, method)

    assert write_state(teams["in_b"]) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("role", "route", "method"),
    [
        ("viewer", "version_detail", "get"),
        ("viewer", "model_detail", "get"),
        ("viewer", "version_compare", "get"),
        ("viewer", "version_push_state", "get"),
        ("viewer", "api-version", "get"),
        ("viewer", "api-version-history", "get"),
        ("viewer", "api-workspace", "get"),
        ("editor", "version_edit", "get"),
        ("editor", "version_edit", "post"),
        ("editor", "version_resolve_conflict", "post"),
        ("editor", "version_retry_push", "post"),
        ("editor", "api-version", "patch"),
        ("approver", "version_decide", "get"),
        ("approver", "version_decide", "post"),
        ("approver", "api-version-decision", "post"),
    ],
)
def test_a_role_held_in_a_finds_nothing_to_act_on_in_b_404(client, teams, role, route, method):
    client.force_login(teams["users"][role])
    before = write_state(teams["in_b"])

    response = call(client, method, urls_of(teams["in_b"])[route])

    assert response.status_code == 404
    assert write_state(teams["in_b"]) == before


@pytest.mark.parametrize("role", ROLES)
def test_lists_counts_fragments_and_exports_show_nothing_of_another_workspace(client, teams, role):
    user = teams["users"][role]
    client.force_login(user)
    lists = {name: reverse(name) for name in LISTS}
    lists["api-audit-csv"] = reverse("api-audit") + "?format=csv"
    lists["audit_export"] = reverse("audit_export")

    for name, url in lists.items():
        response = client.get(url)
        if name in ("api-audit-csv", "audit_export") and role != "auditor":
            assert response.status_code == 403, name
            continue
        assert response.status_code == 200, name
        assert SECRET not in body(response), name
    # What A holds is there.
    assert "a-model" in client.get(reverse("version_list")).content.decode()
    assert [v["ModelId"] for v in client.get(reverse("api-versions")).json()["results"]] == ["a-model"]
    assert [a["action"] for a in client.get(reverse("api-audit")).json()["results"]] == ["pai.changed"]


def test_the_workspace_filter_offers_only_readable_workspaces_and_refuses_another(client, teams):
    client.force_login(teams["users"]["viewer"])

    page = client.get(reverse("version_list")).content.decode()
    refused = client.get(reverse("version_list"), {"workspace": teams["b"].workspace_id})
    api = client.get(reverse("api-versions"), {"workspace": teams["b"].workspace_id})

    assert "Team A" in page and SECRET not in page
    # The options alone: the error beside the field repeats what was typed, as for any unknown id.
    options = [chunk.split("</option>")[0] for chunk in refused.content.decode().split("<option")[1:]]
    assert refused.status_code == 400 and options and all(SECRET not in option for option in options)
    assert api.status_code == 400


@pytest.mark.parametrize("role", ROLES)
def test_in_their_own_workspace_every_role_reads_every_page(client, teams, role):
    client.force_login(teams["users"][role])
    of_a = urls_of(teams["in_a"])
    for name in ("version_detail", "model_detail", "version_compare", "version_push_state", "api-version"):
        assert client.get(of_a[name]).status_code == 200, name
    assert client.get(of_a["api-version-history"]).status_code == 200
    assert client.get(of_a["api-workspace"]).json()["WorkspaceId"] == "ws-a-team"


def test_an_editor_of_a_edits_in_a_and_an_approver_of_a_decides_in_a(teams):
    version = teams["in_a"]
    editor, approver = Client(), Client()
    editor.force_login(teams["users"]["editor"])
    approver.force_login(make_user("approver-two-of-a", group="approver", workspace=teams["a"]))
    url = urls_of(version)

    edited = editor.patch(
        url["api-version"], {"VersionDescription": "better"}, content_type="application/json", HTTP_IF_MATCH='"0"'
    )
    decided = approver.post(
        url["api-version-decision"],
        {"ApprovalStatus": "Rejected", "Reason": "not yet"},
        content_type="application/json",
        HTTP_IF_MATCH=edited["ETag"],
    )

    assert edited.status_code == 200, edited.content
    assert decided.status_code == 200, decided.content
    version.refresh_from_db()
    assert (version.version_description, version.approval_status) == ("better", "Rejected")
    assert AuditEvent.objects.filter(model_id="a-model", action="version.rejected").count() == 1


@pytest.fixture
def reads_b_edits_a(teams):
    """An editor and approver of A who is only a viewer of B."""
    user = teams["users"]["editor"]
    grant(user, "approver", teams["a"])
    grant(user, "viewer", teams["b"])
    return user


def test_someone_who_reads_b_but_holds_no_role_there_is_refused_every_write_with_403(client, teams, reads_b_edits_a):
    client.force_login(reads_b_edits_a)
    version = teams["in_b"]
    before = write_state(version)
    url = urls_of(version)

    page = client.get(url["version_detail"]).content.decode()
    refused = {
        "edit page": client.get(url["version_edit"]).status_code,
        "edit": call(client, "post", url["version_edit"]).status_code,
        "decide page": client.get(url["version_decide"] + "?status=Approved").status_code,
        "decide": call(client, "post", url["version_decide"]).status_code,
        "resolve": call(client, "post", url["version_resolve_conflict"]).status_code,
        "retry": call(client, "post", url["version_retry_push"]).status_code,
        "api edit": client.patch(
            url["api-version"], {"VersionDescription": "x"}, content_type="application/json", HTTP_IF_MATCH='"1"'
        ).status_code,
        "api decide": client.post(
            url["api-version-decision"],
            {"ApprovalStatus": "Approved"},
            content_type="application/json",
            HTTP_IF_MATCH='"1"',
        ).status_code,
    }

    assert refused == dict.fromkeys(refused, 403)
    assert write_state(version) == before
    # The page offers nothing they cannot use.
    assert reverse("version_edit", args=[version.model.model_id, version.version_name]) not in page
    assert reverse("version_decide", args=[version.model.model_id, version.version_name]) not in page
    assert 'name="keep_VersionDescription"' not in page


def test_the_version_page_of_b_shows_bs_history_to_its_viewer_without_client_addresses(client, teams, reads_b_edits_a):
    client.force_login(reads_b_edits_a)

    page = client.get(urls_of(teams["in_b"])["version_detail"]).content.decode()

    assert f"{SECRET}-person" in page
    assert "10.9.9.9" not in page


def test_is_api_is_what_the_sweep_thinks():
    assert is_api("/api/me/") and not is_api("/versions/")
