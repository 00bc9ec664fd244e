"""Single sign-on in a real browser: Chromium presses "Sign in with <provider>", picks a person
at the provider (oidc-provider-mock, its own process), lands on the review queue with the
roles of that person's groups, and signs out at the dashboard and at the provider."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from approvals.models import AuditEvent, Membership
from registry_ui.settings import provider_origins
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_person_signs_in_and_out_through_the_provider_in_the_browser(sso, browse, settings):
    # As settings.py does when OIDC_ISSUER is set at start-up: sign-out's form may be redirected there.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] += provider_origins(sso.url)
    settings.CONTENT_SECURITY_POLICY = policy
    make_workspace(workspace_id="118493", name="Search & NLP")
    person = browse()
    # The provider's pages load a stylesheet from the internet; this test stays on loopback.
    person.context.route("https://**/*", lambda route: route.abort())
    page = person.page

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name="alice-sub").click()

    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    assert page.url == f"{person.base_url}/"
    assert set(Membership.objects.values_list("user__username", "role", "source")) == {
        ("alice", "approver", "idp"),
        ("alice", "viewer", "idp"),
    }
    assert AuditEvent.objects.get(action="signin.succeeded").actor == "alice"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="End Session")).to_be_visible()
    assert page.url.startswith(f"{sso.url}/oauth2/end_session?")
    page.get_by_role("button", name="End session").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/")
    assert page.url.startswith(f"{person.base_url}/accounts/login/")
