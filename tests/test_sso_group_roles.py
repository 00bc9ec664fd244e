"""The groups claim to roles: OIDC_GROUP_ROLES patterns and the GroupRoleRule table (staff, in
admin, audited), and what the provider's memberships become at a sign-in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.errors import ApplicationError
from approvals.models import AuditEvent, GroupRoleRule, Membership
from approvals.services.group_roles import compile_pattern, grants_for_groups, groups_from_claim
from approvals.services.identity import identity_sign_in
from approvals.services.memberships import membership_grant
from tests.factories import make_user, make_workspace

pytestmark = pytest.mark.django_db

ISSUER = "https://idp.example.test"


@pytest.fixture
def teams():
    return make_workspace(workspace_id="118493"), make_workspace(workspace_id="ws-vision-2")


def test_patterns_give_a_role_in_a_workspace_or_in_every_workspace(teams):
    search, vision = teams

    grants = grants_for_groups(["pai-118493-approver", "pai-ws-vision-2-editor", "pai-all-auditor", "engineering"])

    assert grants == {("approver", search.pk), ("editor", vision.pk), ("auditor", None)}


def test_a_group_naming_an_unknown_workspace_or_role_gives_nothing(teams):
    assert grants_for_groups(["pai-999999-approver", "pai-118493-owner", "PAI-118493-APPROVER", "pai-118493-"]) == set()


def test_a_rule_maps_a_group_by_its_exact_name_or_id(teams):
    search, _vision = teams
    GroupRoleRule.objects.create(group="5f0c1f6e-8d4b-4c1e-a7a3-0d6c1e2b9a10", role="approver", workspace=search)
    GroupRoleRule.objects.create(group="ml-auditors", role="auditor")

    grants = grants_for_groups(["5f0c1f6e-8d4b-4c1e-a7a3-0d6c1e2b9a10", "ml-auditors", "ml-auditors-extra"])

    assert grants == {("approver", search.pk), ("auditor", None)}


def test_a_pattern_needs_a_role_placeholder():
    with pytest.raises(ValueError, match=r"no \{role\}"):
        compile_pattern("pai-{workspace}")


def test_the_groups_claim_is_a_list_of_strings_or_one_string_and_nothing_else_counts():
    assert groups_from_claim(["a", 3, None, "", "b" * 256, "c"]) == ["a", "c"]
    assert groups_from_claim("pai-all-viewer") == ["pai-all-viewer"]
    assert groups_from_claim({"nested": ["x"]}) == groups_from_claim(None) == []
    assert len(groups_from_claim([f"g{i}" for i in range(5000)])) == 1000


def test_each_sign_in_makes_the_providers_memberships_exactly_the_groups_and_keeps_hand_grants(teams):
    search, _vision = teams
    claims = {"sub": "s-1", "preferred_username": "carol", "groups": ["pai-118493-editor", "pai-all-viewer"]}
    carol = identity_sign_in(issuer=ISSUER, claims=claims).user
    membership_grant(user=carol, role="editor", workspace=search, by="staff")  # the same role, by hand

    again = identity_sign_in(issuer=ISSUER, claims={**claims, "groups": ["pai-ws-vision-2-approver"]})

    held = set(Membership.objects.filter(user=carol).values_list("role", "workspace__workspace_id", "source"))
    assert held == {("editor", "118493", "manual"), ("approver", "ws-vision-2", "idp")}
    assert again.granted == ["approver@ws-vision-2"]
    assert again.revoked == ["editor@118493", "viewer@*"]
    revoked = AuditEvent.objects.filter(action="membership.revoked").order_by("seq")
    assert [(e.actor, e.payload["role"], e.payload["source"]) for e in revoked] == [
        ("identity-provider", "editor", "idp"),
        ("identity-provider", "viewer", "idp"),
    ]


def test_a_sign_in_without_a_usable_username_is_refused():
    with pytest.raises(ApplicationError, match="no usable username"):
        identity_sign_in(issuer=ISSUER, claims={"sub": "s-2", "preferred_username": "x" * 151})
    assert not Membership.objects.exists()


# --- the admin door ------------------------------------------------------------------------


def test_staff_add_and_delete_rules_in_admin_through_the_audited_service(client, teams):
    search, _vision = teams
    client.force_login(make_user("admin", staff=True))

    added = client.post(
        reverse("admin:approvals_grouprolerule_add"),
        {"group": "ml-approvers", "role": "approver", "workspace": search.pk},
    )
    rule = GroupRoleRule.objects.get()
    deleted = client.post(reverse("admin:approvals_grouprolerule_delete", args=[rule.pk]), {"post": "yes"})

    assert added.status_code == deleted.status_code == 302
    assert not GroupRoleRule.objects.exists()
    created, removed = AuditEvent.objects.filter(action__startswith="group_rule.").order_by("seq")
    assert (created.action, created.actor, created.workspace_id) == ("group_rule.created", "admin", "118493")
    assert created.payload == {"group": "ml-approvers", "role": "approver", "workspace": "118493"}
    assert (removed.action, removed.actor) == ("group_rule.deleted", "admin")


def test_people_who_are_not_staff_cannot_see_or_add_rules(client, teams):
    client.force_login(make_user("approver", group="approver"))

    listing = client.get(reverse("admin:approvals_grouprolerule_changelist"))
    added = client.post(reverse("admin:approvals_grouprolerule_add"), {"group": "g", "role": "approver"})

    assert listing.status_code == added.status_code == 302  # to admin's login
    assert not GroupRoleRule.objects.exists()


def test_the_membership_list_in_admin_shows_where_each_role_came_from(client, teams):
    client.force_login(make_user("admin", staff=True))
    identity_sign_in(issuer=ISSUER, claims={"sub": "s-3", "preferred_username": "dave", "groups": ["pai-all-viewer"]})

    page = client.get(reverse("admin:approvals_membership_changelist")).content.decode()

    assert "dave" in page and "from the identity provider" in page


def test_with_allowed_domains_only_verified_addresses_of_them_sign_in(settings):
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["example.com"]
    person = {"sub": "s-4", "preferred_username": "erin", "email": "erin@example.com"}

    with pytest.raises(ApplicationError, match=r"Only accounts of example\.com"):
        identity_sign_in(issuer=ISSUER, claims={**person, "email": "erin@gmail.com"})
    with pytest.raises(ApplicationError, match=r"Only accounts of example\.com"):
        identity_sign_in(issuer=ISSUER, claims={**person, "email_verified": False})
    assert identity_sign_in(issuer=ISSUER, claims={**person, "email_verified": True}).user.username == "erin"
