"""The reviewer's and the editor's journeys in a real browser.

Debian's Chromium (headless, through Playwright) against the live server, a
real Celery worker process and the PAI emulator over loopback. The pages'
own JavaScript does the live updates: nothing here reloads to see a change.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from approvals.models import ApprovalStatus, AuditEvent, ModelVersion, Workspace
from approvals.pai_clients import client_for
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs"
PUSH_TIMEOUT_MS = 25_000


def version_path(version: ModelVersion) -> str:
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def remote(version: ModelVersion) -> dict:
    return client_for(version.workspace).get_model_version(version.model.model_id, version.version_name)


def slow_pai(pai_emulator) -> None:
    # Each call to PAI takes a moment, so the page is sure to show the push before it is done.
    pai_emulator.faults.latency_ms = 700


def push_badge(page):
    return page.locator("#h-push + div .push-headline [data-push-state]")


def watch_for_reloads(page) -> None:
    # A flag on window survives only as long as the document: a reload would drop it.
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def test_an_editor_signs_in_edits_in_chinese_and_sees_the_push_reach_pai_without_a_reload(
    browse, person, celery_worker_process, synced_workspace, pai_emulator
):
    person("edna", "editor")
    slow_pai(pai_emulator)
    page = browse().page

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()

    page.locator("table tbody th[scope=row] a").first.click()
    model_id, version_name = re.search(r"/models/([^/]+)/versions/([^/]+)/$", page.url).groups()
    version = ModelVersion.objects.get(model__model_id=model_id, version_name=version_name)
    metrics = json.loads(json.dumps(version.metrics))
    metrics["Results"][0]["Metrics"]["accuracy"] = 0.9321
    description = "中文描述：在新的评测集上准确率提升到 93.21%。"
    # The metric is fixed in the table, without writing JSON: the row of the first dataset's accuracy.
    row = list(metrics["Results"][0]["Metrics"]).index("accuracy")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Version description").fill(description)
    page.locator(f"#id_metric-{row}-value").fill("0.9321")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="2 fields will change")).to_be_visible()
    expect(page.locator("main")).to_contain_text(description)
    expect(page.locator("table.side-by-side tr.changed")).to_have_count(1)
    expect(page.locator("table.side-by-side tr.changed")).to_contain_text("0.9321")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("Saved. Pushing to PAI…")).to_be_visible()
    watch_for_reloads(page)
    assert push_badge(page).get_attribute("data-push-state") in ("queued", "pushing")
    expect(push_badge(page)).to_have_text("push: done", timeout=PUSH_TIMEOUT_MS)
    expect(page.locator(".push-state")).to_contain_text("RequestId")
    assert_not_reloaded(page)

    held = remote(version)
    assert held["VersionDescription"] == description
    assert held["Metrics"]["Results"][0]["Metrics"]["accuracy"] == 0.9321
    assert AuditEvent.objects.filter(action="version.edited", actor="edna", version_name=version_name).count() == 1


def test_an_approver_approves_after_the_confirmation_and_pai_holds_approved(
    browse, person, celery_worker_process, synced_workspace, pending_version, pai_emulator
):
    reviewer = person("rita", "approver")
    slow_pai(pai_emulator)
    session = browse()
    session.sign_in_as(reviewer)
    page = session.page

    page.goto(version_path(pending_version))
    page.get_by_role("link", name="Approve…").click()
    expect(page.get_by_role("heading", name="This cannot be undone")).to_be_visible()
    expect(page.get_by_role("heading", name="What is being approved")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Better on every dataset.")
    page.get_by_role("button", name="Approve and next").click()

    model_name = pending_version.model.name
    expect(page.get_by_text(f"Approved {model_name} {pending_version.version_name}. Pushing to PAI…")).to_be_visible()
    # The reviewer lands on the next version waiting; the decided one shows the push and the decision.
    assert version_path(pending_version) not in page.url
    page.goto(version_path(pending_version))
    expect(page.get_by_role("heading", name="Decided: Approved")).to_be_visible()
    watch_for_reloads(page)
    expect(push_badge(page)).to_have_text("push: done", timeout=PUSH_TIMEOUT_MS)
    assert_not_reloaded(page)
    assert remote(pending_version)["ApprovalStatus"] == "Approved"
    event = AuditEvent.objects.get(action="version.approved", version_name=pending_version.version_name)
    assert event.actor == "rita" and event.payload["reason"] == "Better on every dataset."


def test_a_rejection_without_a_reason_is_refused_and_nothing_changes(browse, person, synced_workspace, pending_version):
    session = browse()
    session.sign_in_as(person("rita", "approver"))
    page = session.page

    page.goto(version_path(pending_version))
    page.get_by_role("link", name="Reject…").click()
    page.get_by_role("button", name="Reject and next").click()

    expect(page.get_by_role("alert").filter(has_text="A rejection needs a reason.")).to_be_visible()
    pending_version.refresh_from_db()
    assert pending_version.approval_status == ApprovalStatus.PENDING
    assert pending_version.revision == 0
    assert not AuditEvent.objects.filter(action="version.rejected").exists()


def test_with_two_approvers_required_the_first_approval_waits_and_the_second_sends_it(
    browse, person, settings, celery_worker_process, synced_workspace, pending_version
):
    settings.APPROVALS_REQUIRED_APPROVERS = 2
    first, second = browse(), browse()
    first.sign_in_as(person("rita", "approver"))
    second.sign_in_as(person("ravi", "approver"))

    first.page.goto(version_path(pending_version))
    first.page.get_by_role("link", name="Approve…").click()
    expect(first.page.get_by_text("0 of 2 approvals")).to_be_visible()
    first.page.get_by_role("button", name="Approve and next").click()
    expect(first.page.get_by_text("is recorded (1 of 2).", exact=False)).to_be_visible()
    first.page.goto(version_path(pending_version))
    expect(first.page.get_by_text("You approved this version; it waits for another approver.")).to_be_visible()
    pending_version.refresh_from_db()
    assert pending_version.approval_status == ApprovalStatus.PENDING
    assert remote(pending_version)["ApprovalStatus"] == "Pending"

    second.page.goto(version_path(pending_version))
    expect(second.page.get_by_text("1 of 2 approvals")).to_be_visible()
    second.page.get_by_role("link", name="Approve…").click()
    second.page.get_by_role("button", name="Approve and next").click()
    expect(second.page.get_by_text("Pushing to PAI…", exact=False)).to_be_visible()
    second.page.goto(version_path(pending_version))
    expect(push_badge(second.page)).to_have_text("push: done", timeout=PUSH_TIMEOUT_MS)
    assert remote(pending_version)["ApprovalStatus"] == "Approved"


def test_a_conflict_with_a_console_edit_is_resolved_in_the_page(
    browse, person, celery_worker_process, synced_workspace, pending_version
):
    session = browse()
    session.sign_in_as(person("edna", "editor"))
    page = session.page
    page.goto(reverse("version_edit", args=[pending_version.model.model_id, pending_version.version_name]))
    # Someone changes the description in the PAI console while the editor types.
    client_for(synced_workspace).update_model_version(
        pending_version.model.model_id, pending_version.version_name, {"VersionDescription": "console text"}
    )
    page.get_by_label("Version description").fill("dashboard text")
    page.get_by_role("button", name="Preview changes").click()
    page.get_by_role("button", name="Save", exact=True).click()

    watch_for_reloads(page)
    expect(push_badge(page)).to_have_text("push: conflict", timeout=PUSH_TIMEOUT_MS)
    conflict = page.locator("form.conflict")
    expect(conflict).to_contain_text("console text")
    expect(conflict).to_contain_text("dashboard text")
    assert_not_reloaded(page)
    assert remote(pending_version)["VersionDescription"] == "console text"

    conflict.get_by_label("apply mine").check()
    conflict.get_by_role("button", name="Resolve conflict").click()
    expect(page.get_by_text("Conflict resolved. Pushing to PAI…")).to_be_visible()
    expect(push_badge(page)).to_have_text("push: done", timeout=PUSH_TIMEOUT_MS)
    assert remote(pending_version)["VersionDescription"] == "dashboard text"
    assert AuditEvent.objects.filter(action="version.conflict_resolved", actor="edna").count() == 1


def test_an_auditor_filters_the_audit_log_and_downloads_exactly_those_events_as_csv(
    browse, person, synced_workspace, pending_version
):
    from approvals import services

    editor = person("edna", "editor")
    services.version_edit(
        version_id=pending_version.pk, user=editor, values={"VersionDescription": "audited"}, base_revision=0
    )
    session = browse()
    session.sign_in_as(person("audrey", "auditor"))
    page = session.page

    page.goto(reverse("audit_log"))
    # By what the pages show: the model's name and the action in words.
    page.get_by_label("Model", exact=True).fill(pending_version.model.name)
    page.get_by_label("Action").fill("edited")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("edna")
    expect(rows.first).to_contain_text(pending_version.version_name)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these events as CSV").click()
    download = download_info.value
    assert re.fullmatch(r"audit-\d{8}T\d{6}Z\.csv", download.suggested_filename)
    lines = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert [(r["actor"], r["action"], r["model_id"], r["version_name"]) for r in lines] == [
        ("edna", "version.edited", pending_version.model.model_id, pending_version.version_name)
    ]
    assert json.loads(lines[0]["payload"])["fields"]["VersionDescription"][1] == "audited"


def test_the_interface_switches_to_chinese_and_shows_times_in_the_browsers_zone(
    browse, person, synced_workspace, pending_version
):
    session = browse(timezone_id="Asia/Shanghai")
    session.sign_in_as(person("rita", "approver"))
    page = session.page

    page.goto("/")
    page.get_by_label("Language").select_option("zh-hans")
    page.get_by_role("button", name="Switch").click()

    expect(page.get_by_role("heading", name="审核队列", level=1)).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.get_by_role("link", name="审计日志")).to_be_visible()
    expect(page.locator(".counts")).to_contain_text("待审批")
    # The time-zone cookie was set by the first page's script; every page since prints local time.
    expect(page.locator("footer")).to_contain_text("Asia/Shanghai")

    page.goto(version_path(pending_version))
    expect(page.get_by_role("heading", name="推送到 PAI")).to_be_visible()
    expect(page.get_by_role("link", name="批准…")).to_be_visible()
    expect(page.get_by_role("heading", name="模型各版本的指标")).to_be_visible()
    created = pending_version.gmt_create_time.astimezone(ZoneInfo("Asia/Shanghai"))
    expect(page.locator(".facts").first).to_contain_text(created.strftime("%Y-%m-%d %H:%M:%S"))

    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", name="Push to PAI")).to_be_visible()


def test_the_spec_diff_compares_with_the_version_picked_and_the_url_keeps_the_choice(browse, person, synced_workspace):
    version = ModelVersion.objects.filter(workspace=synced_workspace, model__name="sentiment-classifier").latest(
        "gmt_create_time"
    )
    other = version.model.versions.order_by("gmt_create_time").first()
    ModelVersion.objects.filter(pk=other.pk).update(training_spec={"epochs": 3, "lr": 0.001})
    ModelVersion.objects.filter(pk=version.pk).update(training_spec={"epochs": 5, "lr": 0.001})
    session = browse()
    session.sign_in_as(person("vic", "viewer"))
    page = session.page

    page.goto(version_path(version))
    page.get_by_role("link", name="Compare specs with another version").click()
    page.get_by_label("Compare with", exact=True).select_option(other.version_name)
    page.get_by_role("button", name="Compare", exact=True).click()

    assert f"with={other.version_name}" in page.url
    training = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Training spec")))
    changed = training.locator("tr.changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("td.left")).to_have_text('"epochs": 3,')
    expect(changed.locator("td.right")).to_have_text('"epochs": 5,')
    expect(changed.locator("td.mark")).to_contain_text("changed")
    page.reload()
    expect(page.get_by_label("Compare with", exact=True)).to_have_value(other.version_name)


def test_pages_fit_a_375_px_screen_and_work_from_the_keyboard(browse, person, synced_workspace, pending_version):
    session = browse(viewport={"width": 375, "height": 800})
    session.sign_in_as(person("rita", "approver"))
    page = session.page

    for path in ("/", reverse("version_list"), version_path(pending_version), reverse("audit_log")):
        page.goto(path)
        # Wide tables scroll inside their container; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name)"""
        )
        assert unlabelled == [], (path, unlabelled)
        unnamed = page.evaluate(
            """() => [...document.querySelectorAll('button, a[href]')]
                .filter(e => !(e.innerText || e.getAttribute('aria-label') || '').trim()).map(e => e.outerHTML)"""
        )
        assert unnamed == [], (path, unnamed)
        headless_tables = page.evaluate(
            "() => [...document.querySelectorAll('thead th')].filter(th => th.getAttribute('scope') !== 'col').length"
        )
        assert headless_tables == 0, path

    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()


def test_the_queue_counts_and_sync_progress_update_without_a_reload(browse, person, synced_workspace):
    Workspace.objects.filter(pk=synced_workspace.pk).update(
        sync_state="running", sync_started_at=timezone.now(), sync_progress={"models": 1, "models_total": 11}
    )
    session = browse()
    session.sign_in_as(person("rita", "approver"))
    page = session.page
    page.goto("/")
    pending_count = page.locator(".counts a[href$='status=Pending'] strong")
    pending = int(pending_count.inner_text())
    expect(page.locator(".sync-states")).to_contain_text("1 of 11 models, 0 versions")
    watch_for_reloads(page)

    oldest = ModelVersion.objects.filter(approval_status="Pending").order_by("pk")[:1]
    ModelVersion.objects.filter(pk__in=oldest.values("pk")).update(approval_status="Approved")
    Workspace.objects.filter(pk=synced_workspace.pk).update(
        sync_progress={"models": 4, "models_total": 11, "versions": 37}
    )

    expect(page.locator(".sync-states")).to_contain_text("4 of 11 models, 37 versions", timeout=10_000)
    expect(pending_count).to_have_text(str(pending - 1), timeout=15_000)
    Workspace.objects.filter(pk=synced_workspace.pk).update(sync_state="failed", sync_error="PAI said no")
    expect(page.locator(".sync-states")).to_contain_text("Last sync failed: PAI said no", timeout=10_000)
    assert_not_reloaded(page)


def test_screenshots_of_the_queue_a_version_with_its_chart_and_the_audit_log(
    browse, person, synced_workspace, tmp_path
):
    """Always taken; copied into docs/ for the README when UPDATE_SCREENSHOTS=1."""
    version = ModelVersion.objects.filter(workspace=synced_workspace, model__name="sentiment-classifier").latest(
        "gmt_create_time"
    )
    from approvals import services

    # A little history, so the queue and the audit log show what people did.
    editor, reviewer = person("editor", "editor"), person("reviewer", "approver")
    pending = ModelVersion.objects.filter(workspace=synced_workspace, approval_status="Pending").order_by("pk")
    first, second = pending[0], pending[1]
    services.version_edit(
        version_id=first.pk, user=editor, values={"VersionDescription": "评测集扩充后重新训练"}, base_revision=0
    )
    services.version_decide(version_id=second.pk, user=reviewer, status="Rejected", reason="Recall regressed.")
    session = browse(viewport={"width": 1100, "height": 820}, timezone_id="Asia/Shanghai")
    session.sign_in_as(reviewer)
    page = session.page
    page.goto("/")  # sets the time-zone cookie, so the pages below print Shanghai time
    shots = {
        "screenshot-queue.png": "/",
        "screenshot-version.png": version_path(version),
        "screenshot-audit-log.png": reverse("audit_log"),
    }
    for name, path in shots.items():
        page.goto(path)
        if name == "screenshot-version.png":
            expect(page.locator("figure.chart svg").first).to_be_visible()
            page.screenshot(path=tmp_path / name, full_page=True, clip=_clip_around(page, "#h-metrics", "#h-specs"))
        else:
            page.screenshot(path=tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / name).stat().st_size > 10_000
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            shutil.copy(tmp_path / name, DOCS / name)


def _clip_around(page, start: str, end: str) -> dict:
    top = page.locator(start).bounding_box()["y"] - 60
    bottom = page.locator(end).bounding_box()["y"] - 20
    scroll = page.evaluate("window.scrollY")
    return {"x": 0, "y": top + scroll, "width": 1100, "height": bottom - top}
