"""The list pages' table rows (the versions list, the review queue, a model's versions), written in
Python from display/list_rows.py's values.

A hundred rows of a dozen cells each were ~14 ms of template nodes on the versions page; written
here they are ~2 ms. The markup is what the templates wrote (tests/test_list_tables.py holds the
templates' rows as the reference and compares). Every value is escaped as `{{ value }}` escapes it
(the already safe texts, a push badge's text and a last change, stay as they are); a translation
is escaped where `{% translate %}` would escape it and left as it is where `{% blocktranslate %}`
would.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from approvals.display.list_rows import NOTHING

register = template.Library()


def esc(value: Any) -> str:
    """`{{ value }}`'s escaping (conditional_escape) without its checks for lazy texts on every call:
    a safe text as it is, anything else through the standard library's html.escape, as Django's escape."""
    return value if isinstance(value, SafeData) else escape(str(value))


_SUPERSEDED_ROW = '<tr class="superseded">'


class _Texts:
    """The badges' and cells' fixed texts in the active language, looked up once per table."""

    def __init__(self) -> None:
        self.push_title = esc(gettext("Push to PAI"))
        self.changes_requested = f' <span class="badge changes-requested">{esc(gettext("Changes requested"))}</span>'
        self.overdue = f' <span class="badge overdue">⚠ {esc(gettext("Overdue"))}</span>'


def _push_cell(row: dict[str, Any], texts: _Texts) -> str:
    """The push state's cell: empty when PAI has everything; polled while the push still moves."""
    poll = f' data-poll-url="{esc(row["poll_url"])}"' if row["poll_url"] else ""
    if not row["push"]:
        return f"<td{poll}></td>"
    state = esc(row["push"])
    badge = f'<span class="badge push-{state}" data-push-state="{state}" title="{texts.push_title}">'
    badge += f"{esc(row['push_text'])}</span>"
    return f"<td{poll}>{badge}</td>"


def _name_link(row: dict[str, Any]) -> str:
    return f'<a href="{esc(row["url"])}">{esc(row["name"])}</a>'


def _model_cell(row: dict[str, Any]) -> str:
    return f'<td><a href="{esc(row["model_url"])}">{esc(row["model_name"])}</a></td>'


def _status_badge(row: dict[str, Any]) -> str:
    return f'<span class="badge status-{esc(row["status"])}">{esc(row["status_label"])}</span>'


def _table_body(rows: Iterable[str]) -> SafeString:
    return mark_safe("\n".join(rows))  # noqa: S308 (every value in it went through esc)


@register.simple_tag
def version_list_table_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The versions list's rows (templates/approvals/version_list.html)."""
    texts = _Texts()
    gone = f' <span class="badge gone">{esc(gettext("gone from PAI"))}</span>'
    out = []
    for r in rows:
        badges = (texts.changes_requested if r["changes_requested"] else "") + (texts.overdue if r["overdue"] else "")
        cells = "".join(
            f"<td>{esc(r[key])}</td>" for key in ("source", "framework", "format", "workspace", "created", "modified")
        )
        out.append(
            f"<tr>{_model_cell(r)}"
            f'<th scope="row">{_name_link(r)}{gone if r["gone"] else ""}</th>'
            f"<td>{_status_badge(r)}{badges}</td>{cells}{_push_cell(r, texts)}</tr>"
        )
    return _table_body(out)


@register.simple_tag
def queue_table_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The review queue's rows (templates/approvals/_queue_rows.html)."""
    texts = _Texts()
    due, none = esc(gettext("due")), f'<span class="muted">{esc(gettext("none"))}</span>'
    out = []
    for r in rows:
        superseded = ""
        if r["superseded"]:
            n = r["newer_approved"]
            message = ngettext(
                "superseded: %(n)s newer version Approved", "superseded: %(n)s newer versions Approved", n
            )
            superseded = f' <span class="badge superseded">{message % {"n": esc(n)}}</span>'
        age = NOTHING
        if r["created"]:
            age = f'<time datetime="{esc(r["created_iso"])}" title="{esc(r["created"])}">{esc(r["age"])}</time>'
        review = (texts.changes_requested if r["changes_requested"] else "") + (texts.overdue if r["overdue"] else "")
        if r["assignee"]:
            review += f" <span>{gettext('assigned to %(name)s') % {'name': esc(r['assignee'])}}</span>"
        if r["due"]:
            review += f' <small class="muted">{due} <time datetime="{esc(r["due_iso"])}">{esc(r["due"])}</time></small>'
        out.append(
            (_SUPERSEDED_ROW if r["superseded"] else "<tr>")
            + _model_cell(r)
            + f'<th scope="row">{_name_link(r)}{superseded}</th>'
            f"<td>{esc(r['source'])}</td><td>{esc(r['workspace'])}</td><td>{age}</td><td>{review}</td>"
            f"<td>{esc(r['last_change']) if r['last_change'] else none}</td>{_push_cell(r, texts)}</tr>"
        )
    return _table_body(out)


@register.simple_tag
def model_version_table_rows(rows: list[dict[str, Any]]) -> SafeString:
    """A model's versions with their key metrics (templates/approvals/model_detail.html)."""
    texts = _Texts()
    gone = f' <span class="badge gone">{esc(gettext("gone"))}</span>'
    out = []
    for r in rows:
        metrics = "".join(f'<td class="num">{esc(value)}</td>' for value in r["metrics"])
        out.append(
            f'<tr><th scope="row">{_name_link(r)}{gone if r["gone"] else ""}</th>'
            f"<td>{_status_badge(r)}</td><td>{esc(r['created'])}</td>{metrics}{_push_cell(r, texts)}</tr>"
        )
    return _table_body(out)
