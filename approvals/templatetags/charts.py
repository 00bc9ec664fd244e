"""The metric charts' repeated markup (templates/approvals/_metric_charts.html), written in Python.

One SVG mark per point and one table row per version, 40 versions to a chart: as template
nodes they were half of the version page's render. Every text is escaped here (the standard
library's html.escape, as Django's escape does it, without the lazy-string check on each call).
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from approvals.display.charts import Point, TableRow
from approvals.display.labels import status_label
from approvals.models import ApprovalStatus

register = template.Library()

_MARKS = {
    ApprovalStatus.APPROVED: '<polygon class="mark-approved" points="0,-6 6,0 0,6 -6,0"/>'
    '<text class="mark-label" y="-10" text-anchor="middle">✓</text>',
    ApprovalStatus.REJECTED: '<path class="mark-rejected" d="M-5,-5 L5,5 M5,-5 L-5,5"/>',
}
_PENDING_MARK = '<circle class="mark-pending" r="5"/>'
_CURRENT_RING = '<circle class="mark-current" r="10"/>'


@register.simple_tag
def chart_points(points: list[Point]) -> SafeString:
    """Each point: a group at its place with its title (version, value, status) and its status mark."""
    parts = []
    labels: dict[str, str] = {}
    for p in points:
        label = labels.get(p.status)
        if label is None:
            label = labels[p.status] = escape(str(status_label(p.status)))
        parts.append(
            f'<g class="point" transform="translate({p.x} {p.y})">\n'
            f"  <title>{escape(p.version_name)}: {escape(p.value_display)} ({label})</title>\n"
            f"  {_CURRENT_RING if p.current else ''}{_MARKS.get(p.status, _PENDING_MARK)}\n</g>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag
def chart_table_rows(rows: list[TableRow]) -> SafeString:
    """The charts' table: one row per version with its status, creation time and values."""
    this_version = f' <span class="muted">({escape(str(gettext("this version")))})</span>'
    parts = []
    labels: dict[str, str] = {}
    for row in rows:
        label = labels.get(row.status)
        if label is None:
            label = labels[row.status] = escape(str(status_label(row.status)))
        # The template's |date:"Y-m-d H:i" in the current time zone, without its format parser.
        created = template_localtime(row.created).strftime("%Y-%m-%d %H:%M") if row.created is not None else ""
        values = "".join(f'<td class="num">{escape(value or "—")}</td>' for value in row.values)
        start = '<tr class="current">' if row.current else "<tr>"
        parts.append(
            f'{start}<th scope="row">{escape(row.version_name)}{this_version if row.current else ""}</th>'
            f"<td>{label}</td><td>{escape(created or '—')}</td>{values}</tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
