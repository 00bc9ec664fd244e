"""The list pages' rows are written in Python (approvals/templatetags/list_tables.py): for every
combination of badges, for names that need escaping and in both languages, they must be the markup
the templates wrote, kept here as the reference."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation
from django.utils.safestring import mark_safe

from approvals.templatetags.list_tables import model_version_table_rows, queue_table_rows, version_list_table_rows

REFERENCE = Path(__file__).resolve().parent / "list_rows_reference"
WRITERS = {"versions": version_list_table_rows, "queue": queue_table_rows, "model": model_version_table_rows}
AWKWARD = "<b>&\"'版本 ü"


def normalized(markup: str) -> str:
    """Whitespace as a browser reads it: runs are one space, and none around table rows and cells."""
    markup = re.sub(r"\s+", " ", markup)
    markup = re.sub(r"\s*(</?(?:tr|td|th)\b[^>]*>)\s*", r"\1", markup)
    return markup.strip()


def common(awkward: bool, flags: dict[str, bool]) -> dict:
    text = AWKWARD if awkward else "model-1"
    return {
        "model_url": f"/models/{text}/",
        "model_name": text,
        "url": f"/models/{text}/versions/{text}/",
        "name": text,
        "gone": flags["gone"],
        "changes_requested": flags["changes_requested"],
        "overdue": flags["overdue"],
        "source": text,
        "workspace": text,
        "poll_url": f"/push/{text}?part=badge" if flags["polled"] else "",
        "push": "queued" if flags["push"] else "",
        "push_text": mark_safe("push: <i>queued</i>"),
    }


FLAGS = ("gone", "changes_requested", "overdue", "polled", "push", "superseded", "dated")


def all_rows() -> list[dict]:
    rows = []
    for awkward in (False, True):
        for values in itertools.product((False, True), repeat=len(FLAGS)):
            flags = dict(zip(FLAGS, values, strict=True))
            text = AWKWARD if awkward else "x"
            row = common(awkward, flags)
            dated = flags["dated"]
            row |= {
                "status": "pending",
                "status_label": text,
                "framework": text,
                "format": "—",
                "created": "2026-12-04 10:00" if dated else "",
                "modified": "2026-12-04 11:00",
                "superseded": flags["superseded"],
                "newer_approved": 1 if flags["gone"] else 3,
                "created_iso": "2026-12-04T10:00:00+00:00" if dated else "",
                "age": "2 days" if dated else "",
                "assignee": text if flags["overdue"] else "",
                "due": "2026-12-05 10:00" if flags["polled"] else "",
                "due_iso": "2026-12-05T10:00:00+00:00" if flags["polled"] else "",
                "last_change": mark_safe(f"edited by <b>{text}</b>") if flags["push"] else "",  # noqa: S308
                "metrics": [text, "0.91", "—"] if flags["gone"] else [],
            }
            rows.append(row)
    return rows


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("table", sorted(WRITERS))
def test_the_rows_written_in_python_are_the_templates_markup(table, language):
    rows = all_rows()
    reference = engines["django"].from_string((REFERENCE / f"{table}.html").read_text(encoding="utf-8"))

    with translation.override(language):
        expected = normalized(reference.render({"rows": rows}))
        written = normalized(WRITERS[table](rows))

    assert written.count("<tr") == len(rows) == 256
    assert written == expected


def test_the_rows_escape_every_value_and_keep_safe_texts():
    rows = all_rows()
    with translation.override("en"):
        written = version_list_table_rows(rows) + queue_table_rows(rows) + model_version_table_rows(rows)

    assert "<b>&" not in written.replace("<b>x</b>", "").replace(f"<b>{AWKWARD}", "")
    assert "&lt;b&gt;&amp;&quot;&#x27;版本 ü" in written
    assert "push: <i>queued</i>" in written and "edited by <b>x</b>" in written


def test_the_rows_are_in_chinese_when_the_page_is():
    rows = all_rows()
    with translation.override("zh-hans"):
        written = version_list_table_rows(rows) + queue_table_rows(rows)

    assert "Changes requested" not in written and "Overdue" not in written and "gone from PAI" not in written
    assert "newer version" not in written and "assigned to" not in written
