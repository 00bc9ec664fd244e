"""Every page of the dashboard through axe-core, in Debian's Chromium: each role that can open it,
in English and in Chinese, on a laptop (1366 px) and a phone (375 px). A violation of impact
"serious" or "critical" fails the test, with the rule, its help and the elements that break it.

axe-core comes bundled with axe-playwright-python and is injected with page.evaluate (the
DevTools protocol), which the Content-Security-Policy does not govern: the pages keep their
real policy while they are checked, and the console-error check of the fixtures stays on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, resolve, reverse

from approvals import services
from approvals.models import Change, ChangeKind, MetricGate, ModelVersion, PushState
from approvals.services.comments import comment_create
from approvals.services.reviews import review_assign, review_request_changes
from approvals.services.tokens import api_token_create
from approvals.web import urls as web_urls
from tests.factories import grant, make_user

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
FAILING_IMPACTS = ("serious", "critical")
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}
LANGUAGES = ("en", "zh-hans")
ROLES = ("approver", "editor", "viewer", "auditor", "staff")
# The pages everyone opens are checked as the person who sees the most on them (staff, who
# also approves), the editor (edit links) and the viewer (the least); each role's own pages
# (edit, decide, tokens) as that role. Every role still signs in and is checked.
SHARED = ("staff", "editor", "viewer")
# The dashboard's URLs that are no page of their own; every other one in approvals/web/urls.py is checked.
NOT_PAGES = {
    "version_gate_waive": "POST only: a form on the version and decide pages",
    "version_retry_push": "POST only: a button on the version page",
    "version_push_state": "a fragment the version page polls into itself (checked there)",
    "version_comment": "POST only: a form on the version page",
    "version_comment_retract": "POST only: a button on the version page",
    "version_request_changes": "POST only: a form on the version page",
    "version_assign": "POST only: a form on the version page",
    "inbox_mark_read": "POST only: a button in the inbox",
    "inbox_mark_all_read": "POST only: a button in the inbox",
    "live_status_counts": "a fragment the queue polls into itself (checked there)",
    "live_sync_states": "a fragment the queue polls into itself (checked there)",
    "live_queue_rows": "a fragment the queue polls into itself (checked there)",
    "audit_export": "CSV, no HTML",
    "token_revoke": "POST only: a button on the tokens page",
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    # Who opens it: the roles above, or "anonymous".
    roles: tuple[str, ...] = SHARED
    # After going to `path`: what the person does to reach the state checked (a preview, an error).
    then: Callable[[Any], None] | None = None


def version_url(name: str, version: ModelVersion, query: str = "") -> str:
    return reverse(name, args=[version.model.model_id, version.version_name]) + query


def _submit_edit(page: Any) -> None:
    page.locator("main form .actions button[type=submit]").click()


def _preview(page: Any) -> None:
    page.locator("#id_VersionDescription").fill("更清楚的描述 — a clearer description")
    _submit_edit(page)
    page.wait_for_selector("#h-preview")


def _bad_source(page: Any) -> None:
    page.locator("#id_SourceType").select_option("TrainingService")
    page.locator("#id_SourceId").fill("job-1")
    _submit_edit(page)
    page.wait_for_selector(".error-summary")


def _new_token(page: Any) -> None:
    page.locator("#id_name").fill("laptop")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#new-token")


def seed(workspace) -> tuple[dict[str, Any], list[Page]]:
    """A registry with some history (edits, a review, comments, a decision, a conflict, a gate,
    notifications, tokens), one person per role, and the pages to check."""
    people = {role: make_user(f"{role}-a11y", group=role) for role in ROLES if role != "staff"}
    people["staff"] = make_user("staff-a11y", staff=True)
    grant(people["staff"], "approver")
    pending = list(
        ModelVersion.objects.filter(workspace=workspace, approval_status="Pending")
        .select_related("model")
        .order_by("gmt_create_time", "pk")
    )
    target, conflicted, rejected = pending[0], pending[1], pending[2]
    editor, approver = people["editor"], people["approver"]
    MetricGate.objects.create(workspace=workspace, metric="accuracy", higher_is_better=True, max_regression=0.01)

    services.version_edit(
        version_id=target.pk, user=editor, values={"VersionDescription": "在扩充的评测集上重新训练"}, base_revision=0
    )
    review_request_changes(version_id=target.pk, user=approver, reason="Add the test-set metrics")
    comment_create(version_id=target.pk, user=approver, text="@editor-a11y see https://example.com/run/7")
    comment_create(version_id=target.pk, user=editor, text="@approver-a11y done, please look again")
    review_assign(version_id=target.pk, user=approver, assignee=approver.get_username())
    services.version_decide(version_id=rejected.pk, user=approver, status="Rejected", reason="Recall regressed.")

    Change.objects.create(
        version=conflicted,
        revision=1,
        kind=ChangeKind.EDIT,
        author=editor,
        fields={"VersionDescription": ["old", "changed here"]},
    )
    sides = {"base": "old", "theirs": "changed in the console", "yours": "changed here"}
    ModelVersion.objects.filter(pk=conflicted.pk).update(
        version_description="changed here",
        revision=1,
        push_state=PushState.CONFLICT,
        conflict={"VersionDescription": sides},
    )
    for person in people.values():
        api_token_create(user=person, name="ci")

    other = target.model.versions.exclude(pk=target.pk).order_by("gmt_create_time").first()
    compare_with = f"?with={other.version_name}" if other else ""
    writers = ("approver", "editor", "staff")
    pages = [
        Page("queue", reverse("home")),
        Page("queue, filtered", reverse("home") + "?status=Pending"),
        Page("versions", reverse("version_list")),
        Page("model", reverse("model_detail", args=[target.model.model_id])),
        Page("version in review", version_url("version_detail", target)),
        Page("version rejected", version_url("version_detail", rejected)),
        Page("version in conflict", version_url("version_detail", conflicted)),
        Page("compare", version_url("version_compare", target, compare_with)),
        Page("edit", version_url("version_edit", target), roles=("editor",)),
        Page("edit preview", version_url("version_edit", target), roles=("editor",), then=_preview),
        Page("edit refused", version_url("version_edit", target), roles=("editor",), then=_bad_source),
        Page("decide: approve", version_url("version_decide", target, "?status=Approved"), roles=("approver", "staff")),
        Page("decide: reject", version_url("version_decide", target, "?status=Rejected"), roles=("approver", "staff")),
        Page("decide: choose", version_url("version_decide", target), roles=("approver",)),
        Page("resolve conflict", version_url("version_resolve_conflict", conflicted), roles=writers),
        Page("inbox", reverse("inbox"), roles=ROLES),
        Page("preferences", reverse("notification_preferences")),
        Page("audit log", reverse("audit_log"), roles=("auditor", "staff", "viewer")),
        Page("API tokens", reverse("token_list")),
        Page("API token created", reverse("token_list"), roles=("viewer",), then=_new_token),
        Page("refused (403)", version_url("version_decide", target, "?status=Approved"), roles=("viewer",)),
        Page("not found (404)", reverse("model_detail", args=["no-such-model"]), roles=("viewer",)),
        Page("sign in", reverse("login"), roles=("anonymous",)),
    ]
    return people, pages


def serious_violations(page: Any) -> list[dict[str, Any]]:
    # axe-core is injected once per document (the phone-width run reuses it).
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(where: str, violation: dict[str, Any]) -> str:
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
    more = len(violation["nodes"]) - 8
    return (
        f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}"
        f" — {targets}{f' (+{more} more)' if more > 0 else ''}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_for_every_role_at_both_widths_has_no_serious_accessibility_violation(
    browse, fast_passwords, synced_workspace, language
):
    people, pages = seed(synced_workspace)
    found: list[str] = []
    checked = 0
    for role in (*ROLES, "anonymous"):
        session = browse(viewport=LAPTOP)
        if role != "anonymous":
            session.sign_in_as(people[role])
        session.context.add_cookies([{"name": "django_language", "value": language, "url": session.base_url}])
        page = session.page
        for target in (p for p in pages if role in p.roles):
            page.set_viewport_size(LAPTOP)
            page.goto(target.path)
            assert page.locator("html").get_attribute("lang") == language, target.name
            if target.then:
                target.then(page)
            for size in (LAPTOP, PHONE):
                page.set_viewport_size(size)
                where = f"{target.name} [{role}, {language}, {size['width']} px]"
                found += [describe(where, v) for v in serious_violations(page)]
                checked += 1
    assert checked > 60
    visited = {resolve(p.path.split("?")[0]).url_name for p in pages}
    web_pages = {u.name for u in web_urls.urlpatterns if isinstance(u, URLPattern)}
    assert web_pages - visited - set(NOT_PAGES) == set(), "a page of approvals/web/urls.py is not checked"
    assert found == [], "\n".join(found)


def test_the_check_sees_a_violation_under_the_pages_real_content_security_policy(browse, person, synced_workspace):
    """The control: axe runs inside the page's CSP and reports what it must (here: grey on white)."""
    session = browse(viewport=LAPTOP)
    session.sign_in_as(person("vic", "viewer"))
    page = session.page
    page.goto(reverse("home"))
    assert serious_violations(page) == []

    page.evaluate(
        """() => { const p = document.createElement('p'); p.id = 'faint'; p.textContent = 'hard to read';
        p.style.color = '#d0d0d0'; p.style.background = '#ffffff'; document.querySelector('main').append(p); }"""
    )

    found = {v["id"]: v for v in serious_violations(page)}
    assert "color-contrast" in found
    assert [node["target"] for node in found["color-contrast"]["nodes"]] == [["#faint"]]
