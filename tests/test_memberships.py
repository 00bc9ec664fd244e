"""Memberships from the outside: `manage.py grant` and `revoke`, GET /api/me/, the Membership
admin (through the audited services), and the admin's read-only models and versions."""

from __future__ import annotations

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.urls import reverse

from approvals.models import AuditEvent, Membership, ModelVersion, RegisteredModel
from approvals.permissions import has_role, readable
from tests.factories import grant, make_model, make_user, make_version, make_workspace, write_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return make_user("ana")


@pytest.fixture
def vision():
    return make_workspace(workspace_id="207651", name="Vision")


# --- grant and revoke ----------------------------------------------------------------


def test_grant_with_a_workspace_gives_the_role_there_only_and_audits_it(ana, vision, capsys):
    other = make_workspace()

    call_command("grant", "ana", "approver", "--workspace", "207651")

    assert has_role(ana, "approver", vision) and not has_role(ana, "approver", other)
    assert readable(ana).pks == {vision.pk}
    assert "ana is approver in workspace 207651." in capsys.readouterr().out
    event = AuditEvent.objects.get(action="membership.granted")
    assert (event.actor, event.workspace_id) == ("manage.py grant", "207651")
    assert event.payload == {"user": "ana", "role": "approver", "workspace": "207651", "source": "manual"}


def test_grant_without_a_workspace_gives_the_role_everywhere_and_twice_is_harmless(ana):
    call_command("grant", "ana", "viewer")
    call_command("grant", "ana", "viewer")

    assert list(Membership.objects.filter(user=ana).values_list("role", "workspace")) == [("viewer", None)]
    assert readable(ana).everything
    assert AuditEvent.objects.filter(action="membership.granted").count() == 1


def test_revoke_takes_away_exactly_the_membership_named(ana, vision):
    grant(ana, "editor", vision)
    grant(ana, "editor")

    call_command("revoke", "ana", "editor", "--workspace", "207651")

    assert list(Membership.objects.filter(user=ana).values_list("role", "workspace")) == [("editor", None)]
    event = AuditEvent.objects.get(action="membership.revoked")
    assert (event.actor, event.payload["workspace"]) == ("manage.py revoke", "207651")

    call_command("revoke", "ana", "editor")
    assert not Membership.objects.filter(user=ana).exists()


@pytest.mark.parametrize(
    ("command", "arguments", "message"),
    [
        ("grant", ["nobody-here", "viewer"], "There is no user 'nobody-here'."),
        ("grant", ["ana", "owner"], "'owner' is not a role; the roles are viewer, editor, approver, auditor."),
        ("grant", ["ana", "viewer", "--workspace", "999"], "There is no workspace '999'; known: 207651."),
        ("revoke", ["nobody-here", "viewer"], "There is no user 'nobody-here'."),
        ("revoke", ["ana", "owner"], "'owner' is not a role"),
        ("revoke", ["ana", "viewer", "--workspace", "999"], "There is no workspace '999'"),
        ("revoke", ["ana", "viewer"], "ana does not hold viewer in every workspace; nothing changed."),
    ],
)
def test_grant_and_revoke_refuse_what_they_do_not_know_with_a_clear_error_and_change_nothing(
    ana, vision, command, arguments, message
):
    with pytest.raises(CommandError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call_command(command, *arguments)

    assert not Membership.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_a_refused_grant_exits_non_zero_from_the_command_line(ana):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "grant", "ana", "owner"]).execute()

    assert exit_info.value.code != 0


# --- /api/me/ ----------------------------------------------------------------------------


def test_api_me_answers_the_callers_username_memberships_and_staff(client, ana, vision):
    grant(ana, "approver", vision)
    grant(ana, "viewer")
    client.force_login(ana)

    assert client.get("/api/me/").json() == {
        "username": "ana",
        "memberships": [
            {"workspace": None, "role": "viewer", "source": "manual"},
            {"workspace": "207651", "role": "approver", "source": "manual"},
        ],
        "is_staff": False,
    }


def test_api_me_for_staff_without_memberships_and_for_nobody_signed_in(client):
    assert client.get("/api/me/").status_code == 401
    client.force_login(make_user("root", staff=True))

    assert client.get("/api/me/").json() == {"username": "root", "memberships": [], "is_staff": True}


def test_api_me_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema")).content.decode()

    assert "/api/me/:" in schema and "operationId: me_read" in schema
    assert "MeOutput:" in schema


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", staff=True))
    return client


def test_adding_a_membership_in_admin_goes_through_the_service_and_is_audited(admin_client, ana, vision):
    response = admin_client.post(
        reverse("admin:approvals_membership_add"), {"user": ana.pk, "role": "approver", "workspace": vision.pk}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Membership.objects.values_list("user__username", "role", "workspace__workspace_id")) == [
        ("ana", "approver", "207651")
    ]
    event = AuditEvent.objects.get(action="membership.granted")
    assert (event.actor, event.payload["user"]) == ("root", "ana")


def test_deleting_memberships_in_admin_goes_through_the_service_and_is_audited(admin_client, ana, vision):
    one = grant(ana, "approver", vision).memberships.get()
    other = make_user("bo", group="viewer")

    admin_client.post(reverse("admin:approvals_membership_delete", args=[one.pk]), {"post": "yes"})
    admin_client.post(
        reverse("admin:approvals_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [other.memberships.get().pk], "post": "yes"},
    )

    assert not Membership.objects.exists()
    revoked = AuditEvent.objects.filter(action="membership.revoked").order_by("seq")
    assert [(e.actor, e.payload["user"]) for e in revoked] == [("root", "ana"), ("root", "bo")]


def test_the_membership_list_shows_who_holds_what_where(admin_client, ana, vision):
    grant(ana, "approver", vision)
    grant(ana, "viewer")

    page = admin_client.get(reverse("admin:approvals_membership_changelist")).content.decode()

    assert "every workspace" in page and "207651" in page


def test_a_post_to_a_versions_change_form_in_admin_changes_nothing(admin_client):
    version = make_version(version_description="as synced", approval_status="Pending")
    before = write_state(version)
    url = reverse("admin:approvals_modelversion_change", args=[version.pk])

    shown = admin_client.get(url)
    posted = admin_client.post(
        url,
        {"version_description": "forged", "approval_status": "Approved", "revision": 9, "push_state": "done"},
    )

    assert shown.status_code == 200 and "as synced" in shown.content.decode()
    assert 'name="version_description"' not in shown.content.decode()  # shown, not an input
    assert posted.status_code == 403
    assert write_state(version) == before
    assert ModelVersion.objects.get(pk=version.pk).approval_status == "Pending"


def test_versions_and_models_cannot_be_added_or_deleted_in_admin(admin_client):
    version = make_version()
    model = version.model

    add = admin_client.get(reverse("admin:approvals_modelversion_add"))
    delete = admin_client.post(reverse("admin:approvals_modelversion_delete", args=[version.pk]), {"post": "yes"})
    model_change = admin_client.post(
        reverse("admin:approvals_registeredmodel_change", args=[model.pk]), {"name": "forged"}
    )
    bulk = admin_client.post(
        reverse("admin:approvals_modelversion_changelist"),
        {"action": "delete_selected", "_selected_action": [version.pk], "post": "yes"},
    )

    assert (add.status_code, delete.status_code, model_change.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)
    assert ModelVersion.objects.filter(pk=version.pk).exists()
    assert RegisteredModel.objects.get(pk=model.pk).name == model.name


def test_a_workspaces_id_cannot_be_changed_in_admin(admin_client):
    workspace = make_model().workspace
    url = reverse("admin:approvals_workspace_change", args=[workspace.pk])

    admin_client.post(url, {"name": "Renamed", "workspace_id": "forged", "region": "cn-hangzhou", "endpoint": ""})

    workspace.refresh_from_db()
    assert workspace.workspace_id != "forged"
