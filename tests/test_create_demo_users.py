import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from approvals.models import AuditEvent, Workspace
from tests.factories import grant, make_model, make_version

pytestmark = pytest.mark.django_db


def signs_in(username: str, password: str) -> bool:
    # As the login page does: the login throttle (django-axes) needs the request.
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password) is not None


# Two teams with their own approvers, and people who read, edit and audit every workspace.
EXPECTED = {
    "reviewer": [("approver", "118493")],
    "reviewer2": [("approver", "118493")],
    "vision-reviewer": [("approver", "207651")],
    "vision-viewer": [("viewer", "207651")],
    "editor": [("editor", None)],
    "auditor": [("auditor", None)],
    "viewer": [("viewer", None)],
    "admin": [],
}


def roles():
    users = get_user_model().objects.prefetch_related("memberships__workspace").order_by("username")
    return {
        u.username: (
            sorted((m.role, m.workspace.workspace_id if m.workspace else None) for m in u.memberships.all()),
            u.is_staff,
            u.is_superuser,
        )
        for u in users
    }


def test_it_creates_one_user_per_role_and_prints_their_passwords(capsys):
    call_command("create_demo_users")

    out = capsys.readouterr().out
    assert roles() == {name: (groups, name == "admin", name == "admin") for name, groups in EXPECTED.items()}
    for name in EXPECTED:
        assert f"demo-{name}-pass" in out
        assert signs_in(name, f"demo-{name}-pass")


def test_running_it_twice_creates_nothing_more_and_still_works(capsys):
    call_command("create_demo_users")
    first = roles()
    call_command("create_demo_users")

    assert roles() == first
    assert get_user_model().objects.count() == len(EXPECTED)
    assert "(updated)" in capsys.readouterr().out
    assert signs_in("reviewer", "demo-reviewer-pass")


def test_it_takes_one_password_for_everyone():
    call_command("create_demo_users", password="shared-secret-1")

    assert signs_in("viewer", "shared-secret-1")
    assert not signs_in("viewer", "demo-viewer-pass")


def test_a_second_run_puts_the_team_approvers_back_in_their_workspace_only_and_audits_it():
    call_command("create_demo_users")
    reviewer = get_user_model().objects.get(username="reviewer")
    grant(reviewer, "approver")  # as a person might have, for every workspace

    call_command("create_demo_users")

    assert roles()["reviewer"][0] == [("approver", "118493")]
    revoked = AuditEvent.objects.filter(action="membership.revoked", payload__user="reviewer")
    assert [e.payload["workspace"] for e in revoked] == [None]


def test_each_team_approver_reads_only_their_workspace(client):
    call_command("create_demo_users")
    nlp = make_version(make_model(Workspace.objects.get(workspace_id="118493")))
    vision = make_version(make_model(Workspace.objects.get(workspace_id="207651")))
    reviewer = get_user_model().objects.get(username="reviewer")
    client.force_login(reviewer)

    assert client.get(version_url(nlp)).status_code == 200
    assert client.get(version_url(vision)).status_code == 404


def version_url(version):
    return reverse("version_detail", args=[version.model.model_id, version.version_name])
