"""The rows of the list pages (the versions list, the review queue, a model's versions) as plain
values, computed once in Python; templatetags/list_tables.py writes them as table rows.

Each row is a dict of text to escape: links (row_links), labels in
the active language, times as the `date` filter writes them in the current time zone, and
"—" where a cell has nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from approvals.display import actions, durations, labels
from approvals.display.row_links import RowLinks
from approvals.fields import value_label

# Push states whose cell the page polls until they settle (push-state.js).
POLLED_PUSH_STATES = frozenset({"queued", "pushing", "retrying"})

NOTHING = "—"


def minute(moment: dt.datetime | None) -> str:
    """`moment|date:"Y-m-d H:i"|default:"—"`: in the current time zone, "—" for none."""
    if moment is None:
        return NOTHING
    local = template_localtime(moment)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def iso(moment: dt.datetime) -> str:
    """`moment|date:"c"`: ISO 8601 in the current time zone."""
    return template_localtime(moment).isoformat()


def _translated(translation: str, **values: Any) -> SafeString:
    """What `{% blocktranslate %}` writes: the translation as it is, the values escaped."""
    return mark_safe(translation % {name: conditional_escape(value) for name, value in values.items()})  # noqa: S308


class _PushTexts(dict[str, str]):
    """A push state's badge text ("push: queued"), translated once per page and state."""

    def __missing__(self, state: str) -> str:
        text = self[state] = _translated(gettext("push: %(label)s"), label=labels.push_state_label(state))
        return text


def _push_cells(row: dict[str, Any], version: Any, links: RowLinks, texts: _PushTexts) -> None:
    state = version.push_state
    polled = state in POLLED_PUSH_STATES
    row["poll_url"] = links.push_state(version.model.model_id, version.version_name) + "?part=badge" if polled else ""
    row["push"] = "" if state == "done" else state
    row["push_text"] = "" if state == "done" else texts[state]


def _name_cells(version: Any, links: RowLinks) -> dict[str, Any]:
    model_id = version.model.model_id
    return {
        "name": version.version_name,
        "url": links.version(model_id, version.version_name),
        "gone": version.gone,
    }


def version_list_rows(versions: Iterable[Any]) -> list[dict[str, Any]]:
    """The versions list's rows (templates/approvals/version_list.html)."""
    links, texts = RowLinks(), _PushTexts()
    rows = []
    for version in versions:
        row = _name_cells(version, links)
        status = version.approval_status
        row.update(
            model_url=links.model(version.model.model_id),
            model_name=version.model.name,
            status=status.lower(),
            status_label=labels.status_label(status),
            changes_requested=version.review_state == "changes_requested",
            overdue=getattr(version, "overdue", False),
            source=value_label(version.source_type or ""),
            framework=value_label(version.framework_type or "") or NOTHING,
            format=value_label(version.format_type or "") or NOTHING,
            workspace=version.workspace.name,
            created=minute(version.gmt_create_time),
            modified=minute(version.gmt_modified_time),
        )
        _push_cells(row, version, links, texts)
        rows.append(row)
    return rows


def queue_rows(versions: Iterable[Any]) -> list[dict[str, Any]]:
    """The review queue's rows (templates/approvals/_queue_rows.html), with `selectors.review_queue`'s
    `superseded`, `newer_approved`, `last_event`, `due_at` and `overdue` on each version."""
    links, texts = RowLinks(), _PushTexts()
    rows = []
    for version in versions:
        row = _name_cells(version, links)
        created, due, event, assignee = version.gmt_create_time, version.due_at, version.last_event, version.assignee
        row.update(
            model_url=links.model(version.model.model_id),
            model_name=version.model.name,
            superseded=version.superseded,
            newer_approved=getattr(version, "newer_approved", 0),
            source=value_label(version.source_type or ""),
            workspace=version.workspace.name,
            created_iso=iso(created) if created else "",
            created=minute(created) if created else "",
            age=durations.age(created) if created else "",
            changes_requested=version.review_state == "changes_requested",
            overdue=version.overdue,
            assignee=assignee.get_username() if assignee else "",
            due_iso=iso(due) if due else "",
            due=minute(due) if due else "",
            last_change=_last_change(event) if event else "",
        )
        _push_cells(row, version, links, texts)
        rows.append(row)
    return rows


def _last_change(event: Any) -> SafeString:
    return _translated(
        gettext('%(action)s by %(actor)s, <time datetime="%(iso)s">%(ago)s ago</time>'),
        action=actions.action_label(event.action),
        actor=event.actor,
        iso=iso(event.created_at),
        ago=durations.age(event.created_at),
    )


def model_version_rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """A model's versions with their key metrics (templates/approvals/model_detail.html), from
    `selectors.model_versions`' rows."""
    links, texts = RowLinks(), _PushTexts()
    out = []
    for source in rows:
        version = source.version
        status = version.approval_status
        row = _name_cells(version, links)
        row.update(
            status=status.lower(),
            status_label=labels.status_label(status),
            created=minute(version.gmt_create_time),
            metrics=[value or NOTHING for value in source.metric_values],
        )
        _push_cells(row, version, links, texts)
        out.append(row)
    return out
