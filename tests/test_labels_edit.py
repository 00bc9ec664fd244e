"""Editing a version's labels: the edit form and PATCH, validation at the field, the audit
log, the approval rules, and the workspace's protected keys at every door and role."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.urls import reverse

from approvals import services
from approvals.errors import ApplicationError, ProtectedLabel
from approvals.models import Approval, AuditEvent, Change, VersionLabel, WorkspacePolicy
from approvals.services.policies import policy_update
from tests.factories import grant, make_model, make_user, make_version, make_workspace, write_state

pytestmark = pytest.mark.django_db

STAGE = [{"Key": "stage", "Value": "canary"}]


@pytest.fixture
def workspace():
    return make_workspace(workspace_id="ws-nlp", name="NLP")


@pytest.fixture
def other_workspace():
    return make_workspace(workspace_id="ws-cv", name="CV")


@pytest.fixture
def version(workspace):
    labels = [{"Key": "team", "Value": "nlp"}, *STAGE]
    return make_version(make_model(workspace, model_id="m-asr", name="speech-asr"), version_name="1.0.0", labels=labels)


@pytest.fixture
def people(workspace, other_workspace):
    """Each role in the version's workspace, and an editor and an approver of another one only."""
    made = {role: make_user(role, group=role, workspace=workspace) for role in ("viewer", "editor", "approver")}
    made["auditor"] = make_user("auditor", group="auditor", workspace=workspace)
    made["staff"] = make_user("staff", staff=True)
    made["nobody"] = make_user("nobody")
    made["other_editor"] = make_user("other_editor", group="editor", workspace=other_workspace)
    made["other_approver"] = make_user("other_approver", group="approver", workspace=other_workspace)
    # An approver who may also edit: only such a person can set a protected key through the edit doors.
    made["editing_approver"] = grant(make_user("ea", group="approver", workspace=workspace), "editor", workspace)
    return made


@pytest.fixture
def protected(workspace, people):
    policy_update(workspace=workspace, user=people["staff"], values={"protected_label_keys": ["stage"]})


def edit_url(version) -> str:
    return reverse("version_edit", args=[version.model.model_id, version.version_name])


def api_url(version) -> str:
    return f"/api/models/{version.model.model_id}/versions/{version.version_name}"


def page_post(client, version, labels_text: str, *, confirm: bool, data: dict | None = None):
    """Submit the edit page as a browser would, with `labels_text` typed in the Labels box.

    `data`: the form as read earlier (a page opened before someone else saved).
    """
    data = dict(data if data is not None else form_data(client, version))
    data["Labels"] = labels_text
    return client.post(edit_url(version), {**data, **({"confirm": "1"} if confirm else {})})


def form_data(client, version) -> dict[str, str]:
    page = client.get(edit_url(version)).content.decode()
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page):
        data[name] = html.unescape(value)
    for name, text in re.findall(r'<textarea name="(\w+)"[^>]*>\n?(.*?)</textarea>', page, re.S):
        data[name] = html.unescape(text)
    for name, attrs in re.findall(r'<input type="text" name="(\w+)"([^>]*)>', page):
        value = re.search(r'value="([^"]*)"', attrs)
        data[name] = html.unescape(value.group(1)) if value else ""
    select = re.search(r'<select name="SourceType".*?</select>', page, re.S).group(0)
    data["SourceType"] = re.search(r'<option value="([^"]*)" selected>', select).group(1)
    data.pop("csrfmiddlewaretoken", None)
    return data


def labels_error(page: str) -> str:
    match = re.search(r'<div class="error" id="id_Labels_error" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def patch(client, version, body):
    return client.generic("PATCH", api_url(version), json.dumps(body), content_type="application/json")


def indexed(version) -> list[tuple[str, str]]:
    return sorted(VersionLabel.objects.filter(version=version).values_list("key", "value"))


# --- the edit form --------------------------------------------------------------


def test_the_form_shows_the_labels_as_key_value_lines(client, people, version):
    client.force_login(people["editor"])
    page = client.get(edit_url(version)).content.decode()
    textarea = re.search(r'<textarea name="Labels"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1)
    assert textarea == "stage=canary\nteam=nlp"


def test_adding_changing_and_removing_labels_on_the_form_is_previewed_then_saved_and_audited(client, people, version):
    client.force_login(people["editor"])
    before = write_state(version)
    preview = page_post(client, version, "team=speech\nowner = alice\n", confirm=False)
    assert preview.status_code == 200
    shown = preview.content.decode()
    # Before and after as the form has them: key=value lines, by key.
    assert "<pre>stage=canary\nteam=nlp</pre>" in shown and "<pre>owner=alice\nteam=speech</pre>" in shown
    assert write_state(version) == before  # a preview saves nothing

    saved = page_post(client, version, "team=speech\nowner = alice\n", confirm=True)

    assert saved.status_code == 302
    version.refresh_from_db()
    want = [{"Key": "owner", "Value": "alice"}, {"Key": "team", "Value": "speech"}]
    assert version.labels == want
    assert indexed(version) == [("owner", "alice"), ("team", "speech")]
    change = Change.objects.get(version=version)
    assert change.fields == {"Labels": [[*STAGE, {"Key": "team", "Value": "nlp"}], want]}
    event = AuditEvent.objects.get(action="version.edited")
    assert event.payload["fields"]["Labels"] == change.fields["Labels"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=orphan", "Line 1: a label needs a key before '=' (key=value)."),
        ("a=1\nb=2=3", "Line 2: a label value cannot contain '='."),
        ("a=1\n\na=2", "Line 3: the key a is already on line 1; a key holds one value."),
        ("k=" + "值" * 43, "Line 1: Labels[0].Value is 129 bytes in UTF-8; the limit is 128."),
        ("k,j=1", "Line 1: Labels[0].Key must not contain '=' or ','."),
        ("\n".join(f"k{i}=v" for i in range(51)), "51 labels; a version holds at most 50."),
    ],
)
def test_bad_labels_are_refused_at_the_field_and_nothing_is_saved(client, people, version, text, message):
    client.force_login(people["editor"])
    before = write_state(version)
    response = page_post(client, version, text, confirm=True)
    assert response.status_code == 400
    assert labels_error(response.content.decode()) == message
    assert write_state(version) == before
    assert indexed(version) == [("stage", "canary"), ("team", "nlp")]


def test_the_same_labels_in_another_order_are_no_change(client, people, version):
    client.force_login(people["editor"])
    response = page_post(client, version, "team=nlp\nstage=canary", confirm=True)
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()


# --- the API -----------------------------------------------------------------------


def test_patch_sets_the_whole_set_of_labels_in_canonical_order(client, people, version):
    client.force_login(people["editor"])
    response = patch(client, version, {"Labels": [{"Key": "z", "Value": "1"}, {"Key": "a"}]})
    assert response.status_code == 200, response.json()
    assert response.json()["Labels"] == [{"Key": "a", "Value": ""}, {"Key": "z", "Value": "1"}]
    assert indexed(version) == [("a", ""), ("z", "1")]


def test_patch_with_an_empty_list_removes_every_label(client, people, version):
    client.force_login(people["editor"])
    assert patch(client, version, {"Labels": []}).status_code == 200
    version.refresh_from_db()
    assert version.labels == [] and indexed(version) == []


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("stage=canary", "Labels must be a list of {Key, Value} objects."),
        ([{"Key": "a"}, {"Key": "a", "Value": "2"}], "The key 'a' appears twice; each key holds one value."),
        ([{"Key": "a", "Value": 5}], "Labels[0].Value must be a string."),
        ([{"Key": "a", "Colour": "red"}], "Labels[0] has Colour; a label has only Key and Value."),
        ([{"Key": "bad\x00key"}], "Labels contains a NUL character, which cannot be stored."),
        ([{"Key": " padded"}], "Labels[0].Key must not start or end with whitespace."),
    ],
)
def test_patch_refuses_bad_labels_with_400_naming_the_field(client, people, version, labels, message):
    client.force_login(people["editor"])
    before = write_state(version)
    response = patch(client, version, {"Labels": labels})
    assert response.status_code == 400
    assert response.json()["fields"]["Labels"] == [message]
    assert write_state(version) == before


# --- the approval rules ---------------------------------------------------------------


def test_a_label_edit_is_content_it_dismisses_an_approval_of_the_earlier_revision(people, version, settings):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    services.version_decide(version_id=version.pk, user=people["approver"], status="Approved", reason="ok")
    assert Approval.objects.filter(version=version, dismissed_at__isnull=True).count() == 1
    version.refresh_from_db()
    services.version_edit(
        version_id=version.pk, user=people["editor"], values={"Labels": STAGE}, base_revision=version.revision
    )
    assert Approval.objects.filter(version=version, dismissed_at__isnull=True).count() == 0


# --- protected keys, at every door and for every role ------------------------------------


@pytest.mark.parametrize("labels", [[], [{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "nlp"}]])
def test_an_editor_who_is_not_an_approver_cannot_remove_or_change_a_protected_key(
    client, people, version, protected, labels
):
    client.force_login(people["editor"])
    before = write_state(version)
    response = patch(client, version, {"Labels": labels})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["fields"]["Labels"] == [
        "Only approvers of workspace ws-nlp may set, change or remove the protected label keys: stage."
    ]
    assert write_state(version) == before


def test_an_editor_may_still_change_the_keys_that_are_not_protected(client, people, version, protected):
    client.force_login(people["editor"])
    response = patch(client, version, {"Labels": [*STAGE, {"Key": "team", "Value": "speech"}]})
    assert response.status_code == 200, response.json()


def test_the_edit_page_refuses_a_protected_key_at_the_preview_and_at_the_save(client, people, version, protected):
    client.force_login(people["editor"])
    before = write_state(version)
    page = client.get(edit_url(version)).content.decode()
    assert "Protected keys (only this workspace's approvers may set, change or remove them): stage." in page
    for confirm in (False, True):
        response = page_post(client, version, "stage=prod\nteam=nlp", confirm=confirm)
        assert response.status_code == 403
        assert labels_error(response.content.decode()).startswith("Only approvers of workspace ws-nlp")
    assert write_state(version) == before


def test_an_approver_of_the_workspace_who_edits_sets_a_protected_key_and_cannot_then_approve_it(
    client, people, version, protected
):
    client.force_login(people["editing_approver"])
    response = patch(client, version, {"Labels": [{"Key": "stage", "Value": "prod"}]})
    assert response.status_code == 200, response.json()
    version.refresh_from_db()
    assert version.labels == [{"Key": "stage", "Value": "prod"}]
    # A content change they made: separation of duties keeps them from approving it.
    with pytest.raises(ApplicationError):
        services.version_decide(
            version_id=version.pk, user=people["editing_approver"], status="Approved", reason="mine"
        )


def test_the_service_refuses_a_protected_key_to_code_that_has_no_page(people, version, protected):
    with pytest.raises(ProtectedLabel):
        services.version_edit(
            version_id=version.pk, user=people["editor"], values={"Labels": []}, base_revision=version.revision
        )


def test_an_approver_of_another_workspace_is_no_approver_here(people, version, protected, workspace):
    user = grant(people["other_approver"], "editor", workspace)  # an editor here, an approver elsewhere
    with pytest.raises(ProtectedLabel):
        services.version_edit(version_id=version.pk, user=user, values={"Labels": []}, base_revision=version.revision)


@pytest.mark.parametrize("role", ["viewer", "approver", "auditor", "staff", "nobody"])
def test_everyone_who_is_not_an_editor_here_is_refused_a_label_edit_at_both_doors(client, people, version, role):
    client.force_login(people[role])
    before = write_state(version)
    api = patch(client, version, {"Labels": []})
    page = client.post(edit_url(version), {"Labels": "", "base_revision": "0"})
    assert api.status_code in (403, 404) and page.status_code in (403, 404)
    assert write_state(version) == before


def test_an_editor_of_another_workspace_gets_404_at_both_doors(client, people, version):
    client.force_login(people["other_editor"])
    before = write_state(version)
    assert patch(client, version, {"Labels": []}).status_code == 404
    assert client.get(edit_url(version)).status_code == 404
    assert client.post(edit_url(version), {"Labels": "", "base_revision": "0"}).status_code == 404
    assert write_state(version) == before


def test_an_approver_of_another_workspace_is_refused_without_learning_of_the_version(client, people, version):
    client.force_login(people["other_approver"])
    before = write_state(version)
    # Not an editor anywhere: refused before any lookup, as for every version (403 names no version).
    response = patch(client, version, {"Labels": []})
    assert response.status_code == 403 and "speech-asr" not in response.content.decode()
    assert client.post(edit_url(version), {"Labels": "", "base_revision": "0"}).status_code in (403, 404)
    assert write_state(version) == before


# --- the protected keys themselves: staff set them, through the service -------------------


def test_staff_set_protected_keys_through_the_api_and_it_is_audited(client, people, workspace):
    client.force_login(people["staff"])
    url = f"/api/workspaces/{workspace.workspace_id}/policy"
    body = {k: v for k, v in client.get(url).json().items()}
    body["protected_label_keys"] = ["stage", " release ", "stage"]
    response = client.put(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["protected_label_keys"] == ["release", "stage"]
    assert WorkspacePolicy.objects.get(workspace=workspace).protected_label_keys == ["release", "stage"]
    event = AuditEvent.objects.get(action="policy.changed")
    assert event.payload["after"]["protected_label_keys"] == ["release", "stage"]


def test_a_policy_put_without_protected_keys_keeps_them(client, people, workspace, protected):
    client.force_login(people["staff"])
    url = f"/api/workspaces/{workspace.workspace_id}/policy"
    body = client.get(url).json()
    del body["protected_label_keys"]
    assert client.put(url, json.dumps(body), content_type="application/json").status_code == 200
    assert WorkspacePolicy.objects.get(workspace=workspace).protected_label_keys == ["stage"]


@pytest.mark.parametrize("keys", ["stage", ["a=b"], ["x" * 129], [5], [""], ["stage", " "]])
def test_a_bad_protected_key_is_refused_naming_the_field(client, people, workspace, keys):
    client.force_login(people["staff"])
    url = f"/api/workspaces/{workspace.workspace_id}/policy"
    body = {**client.get(url).json(), "protected_label_keys": keys}
    response = client.put(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert "protected_label_keys" in response.json()["fields"]
    assert not WorkspacePolicy.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize("role", ["editor", "approver"])
def test_only_staff_set_protected_keys(client, people, workspace, role):
    client.force_login(people[role])
    url = f"/api/workspaces/{workspace.workspace_id}/policy"
    response = client.put(url, json.dumps({"protected_label_keys": ["stage"]}), content_type="application/json")
    assert response.status_code in (403, 404)
    assert not WorkspacePolicy.objects.filter(workspace=workspace).exists()


def test_staff_set_protected_keys_in_the_admin_through_the_service(client, people, workspace):
    client.force_login(people["staff"])
    response = client.post(
        reverse("admin:approvals_workspacepolicy_add"),
        {
            "workspace": workspace.pk,
            "required_approvers": "",
            "separation_of_duties": "on",
            "editable_after_decision": ["VersionDescription"],
            "protected_label_keys": "stage, release",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert WorkspacePolicy.objects.get(workspace=workspace).protected_label_keys == ["release", "stage"]
    assert AuditEvent.objects.filter(action="policy.changed").count() == 1


def test_a_stale_label_save_is_refused_and_shows_their_labels(client, people, version):
    client.force_login(people["editor"])
    opened = form_data(client, version)
    assert opened["base_revision"] == "0"
    services.version_edit(
        version_id=version.pk,
        user=people["editing_approver"],
        values={"Labels": [{"Key": "stage", "Value": "theirs"}]},
        base_revision=0,
    )
    stale = page_post(client, version, "stage=mine", confirm=True, data=opened)
    assert stale.status_code == 409
    text = html.unescape(stale.content.decode())
    assert "You and they both changed: Labels." in text
    assert re.search(r'<textarea name="Labels"[^>]*>\n?stage=theirs</textarea>', text)
    version.refresh_from_db()
    assert version.labels == [{"Key": "stage", "Value": "theirs"}]  # theirs stays; nothing of mine was saved


def test_the_admin_change_form_shows_the_protected_keys_and_saves_them_through_the_service(
    client, people, workspace, protected
):
    client.force_login(people["staff"])
    row = WorkspacePolicy.objects.get(workspace=workspace)
    url = reverse("admin:approvals_workspacepolicy_change", args=[row.pk])
    assert 'name="protected_label_keys" value="stage"' in client.get(url).content.decode()
    data = {
        "required_approvers": "",
        "separation_of_duties": "on",
        "editable_after_decision": ["VersionDescription"],
        "protected_label_keys": "stage, a=b",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "a=b cannot be a label key" in html.unescape(refused.content.decode())
    assert WorkspacePolicy.objects.get(workspace=workspace).protected_label_keys == ["stage"]
    assert client.post(url, {**data, "protected_label_keys": ""}).status_code == 302
    assert WorkspacePolicy.objects.get(workspace=workspace).protected_label_keys == []


def test_keeping_our_labels_over_a_protected_key_changed_in_pai_needs_an_approver(people, version, protected):
    """PAI's console set stage=prod; keeping ours would set stage back to canary in PAI."""
    theirs = [{"Key": "stage", "Value": "prod"}, {"Key": "team", "Value": "nlp"}]
    yours = [{"Key": "stage", "Value": "canary"}, {"Key": "team", "Value": "speech"}]
    version.push_state, version.conflict = (
        "conflict",
        {"Labels": {"base": version.labels, "theirs": theirs, "yours": yours}},
    )
    version.save()
    with pytest.raises(ProtectedLabel):
        services.version_resolve_conflict(version_id=version.pk, user=people["editor"], keep={"Labels": "yours"})
    version.refresh_from_db()
    assert version.push_state == "conflict"
    # Taking PAI's value sets nothing in PAI: anyone who may resolve may do it.
    services.version_resolve_conflict(version_id=version.pk, user=people["editor"], keep={"Labels": "theirs"})
    version.refresh_from_db()
    assert version.labels == theirs


def test_an_approver_keeps_our_labels_over_a_protected_key_changed_in_pai(people, version, protected):
    theirs = [{"Key": "stage", "Value": "prod"}]
    yours = [{"Key": "stage", "Value": "canary"}]
    version.push_state, version.conflict = (
        "conflict",
        {"Labels": {"base": version.labels, "theirs": theirs, "yours": yours}},
    )
    version.save()
    services.version_resolve_conflict(version_id=version.pk, user=people["approver"], keep={"Labels": "yours"})
    version.refresh_from_db()
    assert version.labels == yours


def test_the_conflict_page_refuses_keeping_our_labels_over_a_protected_key_at_the_field(
    client, people, version, protected
):
    theirs, yours = [{"Key": "stage", "Value": "prod"}], [{"Key": "stage", "Value": "canary"}]
    version.push_state, version.conflict = "conflict", {"Labels": {"base": [], "theirs": theirs, "yours": yours}}
    version.save()
    client.force_login(people["editor"])
    url = reverse("version_resolve_conflict", args=[version.model.model_id, version.version_name])
    response = client.post(url, {"keep_Labels": "yours", "revision": version.revision})
    assert response.status_code == 400
    assert "may set, change or remove the protected label keys: stage." in html.unescape(response.content.decode())
    version.refresh_from_db()
    assert (version.push_state, version.labels) == ("conflict", [*STAGE, {"Key": "team", "Value": "nlp"}])
