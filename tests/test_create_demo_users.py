import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def signs_in(username: str, password: str) -> bool:
    # As the login page does: the login throttle (django-axes) needs the request.
    return authenticate(RequestFactory().post("/accounts/login/"), username=username, password=password) is not None


EXPECTED = {
    "reviewer": ["approver"],
    "reviewer2": ["approver"],
    "editor": ["editor"],
    "auditor": ["auditor"],
    "viewer": ["viewer"],
    "admin": [],
}


def roles():
    users = get_user_model().objects.prefetch_related("memberships").order_by("username")
    return {u.username: (sorted(m.role for m in u.memberships.all()), u.is_staff, u.is_superuser) for u in users}


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
