"""The charts' points and table rows, written in Python (approvals/templatetags/charts.py): the
same markup the template wrote, every text escaped, times in the current time zone."""

import datetime as dt

from django.utils import timezone, translation

from approvals.display.charts import Point, TableRow
from approvals.display.labels import status_label
from approvals.templatetags.charts import chart_points, chart_table_rows


def test_a_point_has_its_title_status_mark_and_ring_with_its_text_escaped():
    points = [
        Point(x=40.5, y=12.0, version_name="<b>1.0</b>", status="Approved", value_display="0.2", current=True),
        Point(x=60.0, y=30.1, version_name="1.1", status="Rejected", value_display="0.3", current=False),
        Point(x=80.0, y=90.0, version_name="1.2", status="Pending", value_display="0.25&", current=False),
    ]
    html = chart_points(points)
    assert '<g class="point" transform="translate(40.5 12.0)">' in html
    assert "<title>&lt;b&gt;1.0&lt;/b&gt;: 0.2 (Approved)</title>" in html and "<b>" not in html
    assert html.count('class="mark-current" r="10"') == 1 and html.count('class="mark-approved"') == 1
    assert html.count('class="mark-rejected"') == 1 and html.count('class="mark-pending"') == 1
    assert "<title>1.2: 0.25&amp; (Pending)</title>" in html


def test_a_table_row_says_its_status_in_the_language_and_its_time_in_the_time_zone():
    created = dt.datetime(2024, 1, 1, 23, 30, tzinfo=dt.UTC)
    rows = [
        TableRow(version_name="<i>2.0</i>", status="Pending", created=created, current=True, values=["0.15", ""]),
        TableRow(version_name="2.1", status="Approved", created=None, current=False, values=["0.2", "0.3"]),
    ]
    with timezone.override("Asia/Shanghai"), translation.override("zh-hans"):
        html = chart_table_rows(rows)
        this_version = translation.gettext("this version")
        pending = status_label("Pending")
    assert pending != "Pending"  # the label is in Chinese
    first, second = html.splitlines()
    assert first.startswith('<tr class="current"><th scope="row">&lt;i&gt;2.0&lt;/i&gt; <span class="muted">(')
    assert f"({this_version})</span></th><td>{pending}</td><td>2024-01-02 07:30</td>" in first
    assert first.endswith('<td class="num">0.15</td><td class="num">—</td></tr>')
    assert second.startswith('<tr><th scope="row">2.1</th>') and "<td>—</td>" in second
