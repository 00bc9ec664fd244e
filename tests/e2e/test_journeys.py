"""Each person's journey, walked in Debian's Chromium in English and in Simplified Chinese, on a
laptop (1366 px) and a phone (375 px): the reviewer from the queue to the next waiting version,
the editor from the form to the saved preview, the auditor from the filters to the CSV.

The data is made by factories and services, not through the pages; each journey then reads only
what the pages say, in the language chosen. The Chinese strings come from the catalogue
(locale/zh_Hans), and a label left untranslated fails the Chinese runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect

from approvals import services
from approvals.display.actions import action_label
from approvals.models import AuditEvent, DatasetName, ModelVersion
from tests.factories import make_model, make_version, make_workspace, results_metrics

LANGUAGES = ["en", "zh-hans"]
WIDTHS = [1366, 375]
HEIGHT = {1366: 768, 375: 740}

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px"),
    pytest.mark.parametrize("language", LANGUAGES),
]


def say(language: str, text: str, context: str | None = None) -> str:
    """`text` as the catalogue has it in `language`; in Chinese it must really be translated."""
    with translation.override(language):
        said = translation.pgettext(context, text) if context else gettext(text)
    if language != "en":
        assert said != text, f"no Chinese for {text!r}"
    return said


def say_n(language: str, singular: str, plural: str, n: int) -> str:
    with translation.override(language):
        return ngettext(singular, plural, n) % {"n": n}


def open_as(browse, user: Any, language: str, width: int):
    """A signed-in page in `language` at `width` (a phone's touch screen at 375 px)."""
    phone = width < 600
    session = browse(viewport={"width": width, "height": HEIGHT[width]}, is_mobile=phone, has_touch=phone)
    session.sign_in_as(user)
    session.context.add_cookies([{"name": "django_language", "value": language, "url": session.base_url}])
    return session.page


def starts(text: str) -> re.Pattern:
    """A label that begins with `text` (the edit form adds PAI's field name after it)."""
    return re.compile("^" + re.escape(text) + r"(\s|$)")


def path_of(version: ModelVersion) -> str:
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], page.url


def at(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=30) + dt.timedelta(minutes=minutes)


# --- 1. The reviewer -------------------------------------------------------------------------


def reviewer_registry(rita) -> dict[str, ModelVersion]:
    """Vision Lab's resnet: 1.0 Pending but superseded by 1.1 Approved, 1.2 Pending (assigned to
    rita, better accuracy, worse loss on a named dataset), 1.3 Pending after it; and a Pending
    version of a model of the same name in another workspace."""
    vision, speech = make_workspace(name="Vision Lab"), make_workspace(name="Speech")
    resnet = make_model(vision, name="resnet-classifier")
    DatasetName.objects.create(dataset_id="d-imagenet-val", name="ImageNet val", fetched_at=timezone.now())

    def metrics(accuracy: float, loss: float) -> dict:
        return results_metrics(("d-imagenet-val", {"accuracy": accuracy, "loss": loss}))

    versions = {
        "superseded": make_version(resnet, version_name="1.0", approval_status="Pending", metrics=metrics(0.8, 0.4)),
        "approved": make_version(resnet, version_name="1.1", approval_status="Approved", metrics=metrics(0.88, 0.25)),
        "target": make_version(
            resnet, version_name="1.2", approval_status="Pending", metrics=metrics(0.91, 0.3), assignee=rita
        ),
        "next": make_version(resnet, version_name="1.3", approval_status="Pending", metrics=metrics(0.9, 0.3)),
        "elsewhere": make_version(make_model(speech, name="resnet-classifier"), approval_status="Pending"),
    }
    for minutes, version in enumerate(versions.values()):
        ModelVersion.objects.filter(pk=version.pk).update(gmt_create_time=at(minutes))
    return versions


def queue_rows(page):
    return page.locator("table tbody tr")


def test_the_reviewer_filters_the_queue_reads_the_deltas_approves_and_lands_on_the_next(
    browse, person, language, width
):
    rita = person("rita", "approver")
    versions = reviewer_registry(rita)
    target = versions["target"]
    page = open_as(browse, rita, language, width)

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == language
    expect(page.get_by_role("heading", name=say(language, "Review queue"), level=1)).to_be_visible()
    if width == 375:
        # The header stays compact on a phone: the queue starts near the top.
        assert page.locator("header.top").bounding_box()["height"] <= 130
    no_sideways_scroll(page)

    # Workspace, search and "assigned to me": only the version waiting for rita in Vision Lab.
    page.get_by_label(say(language, "Workspace"), exact=True).select_option(label="Vision Lab")
    page.get_by_label(say(language, "Search"), exact=True).fill("resnet")
    page.get_by_label(say(language, "Assigned"), exact=True).select_option(label=say(language, "Assigned to me"))
    page.get_by_role("button", name=say(language, "Filter"), exact=True).click()
    expect(queue_rows(page)).to_have_count(1)
    expect(queue_rows(page).first).to_contain_text("1.2")
    expect(queue_rows(page).first).to_contain_text(say(language, "assigned to %(name)s") % {"name": "rita"})

    # The superseded marker: 1.0 waits although 1.1 of its model is Approved.
    page.get_by_label(say(language, "Assigned"), exact=True).select_option(label=say(language, "Anyone"))
    page.get_by_label(say(language, "Superseded"), exact=True).select_option(label=say(language, "Only superseded"))
    page.get_by_role("button", name=say(language, "Filter"), exact=True).click()
    expect(queue_rows(page)).to_have_count(1)
    superseded = say_n(
        language, "superseded: %(n)s newer version Approved", "superseded: %(n)s newer versions Approved", 1
    )
    expect(queue_rows(page).first.locator(".badge.superseded")).to_have_text(superseded)
    expect(queue_rows(page).first).to_contain_text("1.0")

    page.get_by_label(say(language, "Superseded"), exact=True).select_option(label=say(language, "Hide superseded"))
    page.get_by_role("button", name=say(language, "Filter"), exact=True).click()
    expect(queue_rows(page)).to_have_count(2)  # 1.2 and 1.3, oldest first
    order = (
        "Pending versions: overdue ones first, then oldest first; "
        "versions a newer Approved version of their model supersedes come last."
    )
    expect(page.locator("main")).to_contain_text(say(language, order))
    queue_rows(page).first.get_by_role("link", name="1.2", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(path_of(target)) + "$"))
    no_sideways_scroll(page)

    # The deltas say better or worse in words, beside the arrow and the colour.
    metrics = page.locator("table.metrics")
    accuracy = metrics.locator("tr", has=page.locator("th", has_text="accuracy"))
    loss = metrics.locator("tr", has=page.locator("th", has_text="loss"))
    expect(accuracy.locator(".verdict").first).to_have_text(say(language, "better"))
    expect(accuracy.locator(".direction")).to_have_text(say(language, "higher is better"))
    expect(loss.locator(".verdict").first).to_have_text(say(language, "worse"))
    expect(loss.locator(".direction")).to_have_text(say(language, "lower is better"))
    expect(accuracy.locator("td.dataset")).to_contain_text("ImageNet val")
    expect(accuracy.locator("td.dataset")).to_contain_text("d-imagenet-val")

    # The decision card comes before the fields, so a phone reaches it without scrolling the page.
    card = page.locator("section[aria-labelledby=h-decide]")
    expect(card.get_by_role("heading", name=say(language, "Decision"))).to_be_visible()
    expect(card).to_contain_text(say(language, "You will see what is being decided and confirm it on the next page."))
    approve = card.get_by_role("link", name=say(language, "Approve…"))
    box = approve.bounding_box()
    assert box["y"] + box["height"] <= HEIGHT[width], ("Approve is below the first screen", box)
    if width == 375:
        assert page.locator("header.top").bounding_box()["height"] <= 130
    approve.click()

    expect(page.get_by_role("heading", name=say(language, "This cannot be undone"))).to_be_visible()
    reason = "Accuracy up on ImageNet val" if language == "en" else "ImageNet 验证集上准确率提高"
    page.get_by_label(re.compile("^" + re.escape(say(language, "Reason")))).fill(reason)
    # "Approve this version", or "Approve and next" where the button also says where it goes.
    button = re.compile(r"^(Approve this version|Approve and next|批准此版本|批准并.*下一.*)$")
    page.get_by_role("button", name=button).click()

    done = say(language, "Approved %(model)s %(version)s. Pushing to PAI…") % {
        "model": "resnet-classifier",
        "version": "1.2",
    }
    expect(page.locator(".messages")).to_contain_text(done)
    expect(page.locator(".messages")).to_contain_text(say(language, "This is the next version waiting."))
    expect(page).to_have_url(re.compile(re.escape(path_of(versions["next"])) + "$"))
    expect(page.locator("h1")).to_contain_text("1.3")
    target.refresh_from_db()
    assert target.approval_status == "Approved"
    event = audit_event(target, "version.approved")
    assert event.actor == "rita" and event.payload["reason"] == reason


def audit_event(version: ModelVersion, action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action, model_id=version.model.model_id, version_name=version.version_name)


# --- 2. The editor ---------------------------------------------------------------------------


def test_the_editor_fixes_a_metric_in_the_table_sees_the_value_diff_and_a_bad_source_id_at_the_field(
    browse, person, language, width
):
    edna = person("edna", "editor")
    version = make_version(
        make_model(make_workspace(name="Vision Lab"), name="resnet-classifier"),
        version_name="2.0",
        approval_status="Pending",
        source_type="Custom",
        metrics=results_metrics(("d-imagenet-val", {"accuracy": 0.8812, "loss": 0.25})),
    )
    page = open_as(browse, edna, language, width)

    page.goto(path_of(version))
    page.get_by_role("link", name=say(language, "Edit"), exact=True).click()
    expect(page.locator("fieldset.metric-table legend")).to_have_text(say(language, "Metrics by dataset"))
    no_sideways_scroll(page)
    # The accuracy row of the table: fixed as a number, no JSON typed.
    value = page.locator("fieldset.metric-table tr", has=page.locator("input[value=accuracy]")).locator(
        "input[id$=-value]"
    )
    expect(value).to_have_value("0.8812")
    value.fill("0.8821")
    note = "Typo: 0.8812 was 0.8821" if language == "en" else "笔误：0.8812 应为 0.8821"
    page.get_by_label(say(language, "Note: why this change")).fill(note)

    # A SourceId PAI would refuse: the summary at the top links to the field, the cursor is in it.
    page.get_by_label(starts(say(language, "Source type"))).select_option("TrainingService")
    page.get_by_label(starts(say(language, "Source ID"))).fill("job-1")
    page.get_by_role("button", name=say(language, "Preview changes")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text(
        say_n(language, "There is a problem", "There are %(n)s problems", 1)
    )
    colon = say(language, "%(label)s: %(error)s") % {"label": "", "error": ""}  # "：" in Chinese
    link = summary.get_by_role("link", name=re.compile("^" + re.escape(say(language, "Source ID") + colon)))
    expect(link).to_have_attribute("href", "#id_SourceId")
    expect(page.locator("#id_SourceId")).to_be_focused()
    box = page.locator("#id_SourceId").bounding_box()
    assert 0 <= box["y"] <= HEIGHT[width]
    message = page.locator("#id_SourceId_error")
    expect(message).to_be_visible()
    if language == "zh-hans":
        assert re.search(r"[\u4e00-\u9fff]", message.inner_text()), message.inner_text()
        assert re.search(r"[\u4e00-\u9fff]", link.inner_text()), link.inner_text()
    # Nothing typed is lost.
    expect(value).to_have_value("0.8821")
    expect(page.get_by_label(say(language, "Note: why this change"))).to_have_value(note)
    version.refresh_from_db()
    assert version.revision == 0

    page.get_by_label(starts(say(language, "Source type"))).select_option("Custom")
    page.get_by_label(starts(say(language, "Source ID"))).fill("")
    page.get_by_role("button", name=say(language, "Preview changes")).click()
    expect(page.locator("#h-preview")).to_have_text(
        say_n(language, "%(n)s field will change", "%(n)s fields will change", 1)
    )
    changed = page.locator("table.side-by-side tr.changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("td.left")).to_contain_text("0.8812")
    expect(changed.locator("td.right")).to_contain_text("0.8821")
    expect(changed.locator("td.mark")).to_contain_text(say(language, "changed"))
    expect(page.locator("main")).to_contain_text(note)
    no_sideways_scroll(page)
    page.get_by_role("button", name=say(language, "Save"), exact=True).click()

    expect(page.locator(".messages")).to_contain_text(say(language, "Saved. Pushing to PAI…"))
    version.refresh_from_db()
    assert version.metrics["Results"][0]["Metrics"] == {"accuracy": 0.8821, "loss": 0.25}
    assert version.source_type == "Custom"
    assert audit_event(version, "version.edited").payload["reason"] == note


# --- 3. The auditor --------------------------------------------------------------------------


def test_the_auditor_filters_by_what_the_pages_show_and_downloads_csv_and_the_excel_one(
    browse, person, language, width
):
    edna, rita = person("edna", "editor"), person("rita", "approver")
    vision, speech = make_workspace(name="Vision Lab"), make_workspace(name="Speech")
    resnet = make_version(make_model(vision, name="resnet-classifier"), version_name="3.0", approval_status="Pending")
    other = make_version(make_model(speech, name="resnet-classifier"), version_name="3.0", approval_status="Pending")
    bert = make_version(make_model(vision, name="bert-base"), version_name="1.0", approval_status="Pending")
    reason = "Better on every dataset" if language == "en" else "各数据集上都更好"
    for version in (resnet, other, bert):
        services.version_edit(version_id=version.pk, user=edna, values={"VersionDescription": "v"}, base_revision=0)
    services.version_decide(version_id=other.pk, user=rita, status="Approved", reason="other")
    services.version_decide(version_id=bert.pk, user=rita, status="Approved", reason="bert")
    services.version_decide(version_id=resnet.pk, user=rita, status="Approved", reason=reason)
    page = open_as(browse, person("audrey", "auditor"), language, width)

    page.goto("/")
    page.get_by_role("link", name=say(language, "Audit log"), exact=True).click()
    expect(page.get_by_role("heading", name=say(language, "Audit log"), level=1)).to_be_visible()
    no_sideways_scroll(page)
    approved = action_label_in(language, "version.approved")
    # The suggestions offer what the pages show: workspaces by name, actions in words.
    assert "Vision Lab" in page.locator("#audit-workspaces option").evaluate_all("os => os.map(o => o.value)")
    assert approved in page.locator("#audit-actions option").evaluate_all("os => os.map(o => o.value)")

    # Half a name matches nothing; the page says which filter names nothing and what it could be.
    page.get_by_label(say(language, "Model"), exact=True).fill("resnet")
    page.get_by_label(say(language, "Actor"), exact=True).fill("rit")
    page.get_by_role("button", name=say(language, "Apply"), exact=True).click()
    expect(page.locator("main")).to_contain_text(say(language, "No event matches these filters."))
    hints = page.locator("ul.hints")
    expect(hints).to_contain_text(say(language, "No model is called “%(text)s”.") % {"text": "resnet"})
    hints.get_by_role("link", name="resnet-classifier", exact=True).click()
    expect(page.get_by_label(say(language, "Model"), exact=True)).to_have_value("resnet-classifier")
    expect(hints).to_contain_text(say(language, "Nobody called “%(text)s” appears in the audit log.") % {"text": "rit"})
    hints.get_by_role("link", name="rita", exact=True).click()
    expect(page.get_by_label(say(language, "Actor"), exact=True)).to_have_value("rita")
    expect(page.locator("table tbody tr")).to_have_count(2)  # rita approved a resnet-classifier in both workspaces

    page.get_by_label(say(language, "Workspace"), exact=True).fill("Vision Lab")
    page.get_by_label(say(language, "Action"), exact=True).fill(approved)
    page.get_by_role("button", name=say(language, "Apply"), exact=True).click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("rita")
    expect(rows.first).to_contain_text(approved)
    expect(rows.first).to_contain_text("resnet-classifier")
    # The workspace reads as typed in the filter: by its name, with its ID beside it.
    expect(rows.first).to_contain_text(f"Vision Lab {vision.workspace_id}")
    expect(rows.first.get_by_role("link", name="3.0")).to_be_visible()
    no_sideways_scroll(page)

    with page.expect_download() as plain:
        page.get_by_role("link", name=say(language, "Export these events as CSV")).click()
    raw = Path(plain.value.path()).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert (row["actor"], row["action"], row["model_name"], row["version_name"]) == (
        "rita",
        "version.approved",
        "resnet-classifier",
        "3.0",
    )
    assert row["workspace_id"] == vision.workspace_id
    assert row["reason"] == reason
    # ISO 8601 with the offset, in UTC and in the reader's zone.
    for column in ("created_at", "created_at_local"):
        assert dt.datetime.fromisoformat(row[column]).utcoffset() is not None, row[column]
        assert re.search(r"[+-]\d\d:\d\d$", row[column]), row[column]

    with page.expect_download() as excel:
        page.get_by_role("link", name=say(language, "CSV for Excel (UTF-8 with BOM)")).click()
    raw = Path(excel.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    (excel_row,) = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert excel_row["reason"] == reason and excel_row["seq"] == row["seq"]


def action_label_in(language: str, code: str) -> str:
    with translation.override(language):
        said = action_label(code)
    if language != "en":
        assert re.search(r"[\u4e00-\u9fff]", said), said
    return said
