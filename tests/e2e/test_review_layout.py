"""The review page on a laptop (1366 px) and a phone (375 px), and the edit form's error summary,
in Debian's Chromium: nothing cut off or pushed sideways, Approve within reach, focus where the
error is. Screenshots for the README when UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.models import ModelVersion

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def review_target(workspace) -> ModelVersion:
    """A Pending version whose model has an Approved one, with metrics on more than one dataset."""
    for version in ModelVersion.objects.filter(workspace=workspace, approval_status="Pending").select_related("model"):
        results = (version.metrics or {}).get("Results") or []
        if len(results) > 1 and version.model.versions.filter(approval_status="Approved").exists():
            return version
    raise AssertionError("the demo has a Pending version with several datasets and an Approved sibling")


def path_of(version: ModelVersion) -> str:
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def overflow(page, selector: str = "html") -> int:
    """How many pixels the element is wider than its box (0: nothing sideways)."""
    return page.eval_on_selector(selector, "e => e.scrollWidth - e.clientWidth")


def test_at_1366_px_the_review_page_and_the_model_table_fit_and_say_better_or_worse(browse, person, synced_workspace):
    version = review_target(synced_workspace)
    session = browse(viewport={"width": 1366, "height": 768})
    session.sign_in_as(person("rita", "approver"))
    page = session.page

    page.goto(path_of(version))
    assert overflow(page) <= 0
    assert overflow(page, ".table-wrap:has(table.metrics)") <= 0
    expect(page.locator("table.metrics .verdict").first).to_be_visible()
    expect(page.locator("table.metrics small.direction").first).to_be_visible()
    approve = page.get_by_role("link", name="Approve…")
    assert approve.bounding_box()["y"] < 768 * 1.5

    page.goto(reverse("model_detail", args=[version.model.model_id]))
    assert overflow(page) <= 0
    assert overflow(page, ".table-wrap") <= 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_at_375_px_the_header_is_compact_metrics_stack_and_approve_is_near_the_top(
    browse, person, synced_workspace, tmp_path, language
):
    version = review_target(synced_workspace)
    session = browse(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    session.sign_in_as(person("rita", "approver"))
    session.context.add_cookies([{"name": "django_language", "value": language, "url": session.base_url}])
    page = session.page

    page.goto(path_of(version))

    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("header.top").bounding_box()["height"] <= 130
    assert overflow(page) <= 0
    approve = page.locator("a.button.approve")
    assert approve.bounding_box()["y"] < 740 * 2
    # Every metric value is on the screen, none behind a sideways scroll.
    for cell in page.locator("table.metrics td.num").all()[:12]:
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 + 1
    chart = page.locator("figure.chart svg").first
    assert chart.bounding_box()["width"] >= 300
    page.screenshot(path=tmp_path / "phone.png", full_page=False)
    assert (tmp_path / "phone.png").stat().st_size > 5_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and language == "en":
        shutil.copy(tmp_path / "phone.png", DOCS / "screenshot-version-phone.png")


def test_a_bad_source_id_puts_the_summary_at_the_top_and_the_cursor_in_the_field(browse, person, synced_workspace):
    version = review_target(synced_workspace)
    session = browse(viewport={"width": 1366, "height": 768})
    session.sign_in_as(person("edna", "editor"))
    page = session.page

    page.goto(reverse("version_edit", args=[version.model.model_id, version.version_name]))
    page.get_by_label("Source type").select_option("TrainingService")
    page.get_by_label("Source ID").fill("job-1")
    page.get_by_role("button", name="Preview changes").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Source ID:")).to_be_visible()
    expect(page.locator("#id_SourceId")).to_be_focused()
    box = page.locator("#id_SourceId").bounding_box()
    assert 0 <= box["y"] <= 768  # scrolled to the field, not left at the top looking unchanged
