"""Every page for every role, and anonymous visitors sent to the login page."""

import pytest
from django.urls import reverse

from tests.factories import make_event, make_role_users, make_version

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "editor", "approver", "auditor", "staff", "nobody"]


@pytest.fixture
def users():
    return make_role_users()


@pytest.fixture
def version():
    version = make_version(version_description="the one version")
    make_event(version, action="pai_changed", payload={"fields": {"Metrics": [{}, {"a": 1}]}})
    return version


def page_urls(version):
    model_id, name = version.model.model_id, version.version_name
    return {
        reverse("home"): "Review queue",
        reverse("version_list"): version.version_name,
        reverse("model_detail", args=[model_id]): version.model.name,
        reverse("version_detail", args=[model_id, name]): "the one version",
        reverse("audit_log"): "pai_changed",
    }


@pytest.mark.parametrize("role", [role for role in ROLES if role != "nobody"])
def test_every_role_for_all_workspaces_and_staff_can_read_every_page(client, users, version, role):
    client.force_login(users[role])

    for url, expected in page_urls(version).items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert expected in response.content.decode(), url


def test_someone_without_a_membership_sees_empty_lists_and_no_version_or_model(client, users, version):
    client.force_login(users["nobody"])
    model_id, name = version.model.model_id, version.version_name

    assert client.get(reverse("model_detail", args=[model_id])).status_code == 404
    assert client.get(reverse("version_detail", args=[model_id, name])).status_code == 404
    for url in (reverse("home"), reverse("version_list"), reverse("audit_log")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert version.version_name not in client.get(reverse("version_list")).content.decode()
    assert "pai_changed" not in client.get(reverse("audit_log")).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_link_shows_for_staff_only(client, users, version, role):
    client.force_login(users[role])

    html = client.get(reverse("home")).content.decode()

    assert (reverse("admin:index") in html) is (role == "staff")


def test_anonymous_visitors_are_sent_to_the_login_page(client, version):
    urls = [*page_urls(version), reverse("audit_export")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


@pytest.mark.parametrize("role", ["auditor", "staff"])
def test_auditors_and_staff_may_export_the_audit_log(client, users, version, role):
    client.force_login(users[role])

    response = client.get(reverse("audit_export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "pai_changed" in b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("role", ["viewer", "editor", "approver", "nobody"])
def test_everyone_else_is_refused_the_export(client, users, version, role):
    client.force_login(users[role])

    response = client.get(reverse("audit_export"))

    assert response.status_code == 403
    assert "pai_changed" not in response.content.decode()
    assert "auditor" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_export_link_shows_only_to_those_who_may_use_it(client, users, version, role):
    client.force_login(users[role])

    html = client.get(reverse("audit_log")).content.decode()

    assert (reverse("audit_export") in html) is (role in ("auditor", "staff"))


def test_the_login_page_fits_the_product(client):
    html = client.get(reverse("login")).content.decode()

    assert "Sign in" in html
    assert 'for="id_username"' in html
