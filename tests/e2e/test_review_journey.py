"""The review as a conversation, in a real browser: the reviewer asks for changes and mentions the
editor, the editor finds both in her inbox, fixes the version, the reviewer is told and approves."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import services
from approvals.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_changes_requested_then_fixed_then_approved_with_each_person_told(
    browse, person, synced_workspace, pending_version
):
    edna, rita = person("edna", "editor"), person("rita", "approver")
    services.version_edit(
        version_id=pending_version.pk,
        user=edna,
        values={"VersionDescription": "first try"},
        base_revision=pending_version.revision,
    )
    path = reverse("version_detail", args=[pending_version.model.model_id, pending_version.version_name])

    reviewer = browse()
    reviewer.sign_in_as(rita)
    page = reviewer.page
    page.goto(path)
    page.get_by_label("What should change").fill("Add the test-set metrics")
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_text("Changes are requested; the version's editors are told.")).to_be_visible()
    expect(page.get_by_text("rita requested changes (Add the test-set metrics)")).to_be_visible()
    page.get_by_label("Comment", exact=True).fill("@edna see above, and https://example.com/run/7")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator(".comment .mention")).to_have_text("@edna")
    expect(page.locator(".comment a[href='https://example.com/run/7']")).to_be_visible()

    editor = browse()
    editor.sign_in_as(edna)
    mine = editor.page
    mine.goto("/")
    expect(mine.get_by_role("link", name="Inbox 2 unread")).to_be_visible()
    mine.get_by_role("link", name="Inbox 2 unread").click()
    expect(mine.get_by_text("rita mentioned you in a comment on")).to_be_visible()
    mine.get_by_role("button", name="Open and mark read").first.click()
    expect(mine).to_have_url(f"{editor.base_url}{path}")
    mine.get_by_role("link", name="Edit", exact=True).click()
    mine.get_by_label("Version description").fill("with the test set")
    mine.get_by_role("button", name="Preview changes").click()
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.get_by_text("Ready for review.")).to_be_visible()

    page.goto(reverse("inbox"))
    expect(page.get_by_text("edna changed")).to_be_visible()
    page.goto(path)
    page.get_by_role("link", name="Approve…").click()
    page.get_by_role("button", name="Approve and next").click()
    expect(page.get_by_text("Pushing to PAI…", exact=False)).to_be_visible()
    expect(
        page.get_by_text(f"Approved {pending_version.model.name} {pending_version.version_name}.", exact=False)
    ).to_be_visible()

    actions = list(
        AuditEvent.objects.filter(version_name=pending_version.version_name, actor__in=["edna", "rita"])
        .order_by("seq")
        .values_list("actor", "action")
    )
    assert actions == [
        ("edna", "version.edited"),
        ("rita", "review.changes_requested"),
        ("rita", "comment.created"),
        ("edna", "version.edited"),
        ("edna", "review.ready"),
        ("rita", "version.approved"),
    ]
    told = Notification.objects.filter(user=edna).values_list("kind", flat=True)
    assert sorted(told) == ["approved", "changes_requested", "mentioned"]
