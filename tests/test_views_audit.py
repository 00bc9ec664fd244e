import csv
import io
import re

import pytest
from django.urls import reverse

from tests.factories import make_event, make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(client):
    client.force_login(make_user("auditor", group="auditor"))


@pytest.fixture
def events():
    asr = make_version(make_model(model_id="m-asr", name="speech-asr"), version_name="1.0.0")
    ocr = make_version(make_model(model_id="m-ocr", name="ocr"), version_name="2.0.0")
    return [
        make_event(asr, actor="PAI", action="pai_changed", payload={"fields": {"Metrics": [{}, {"cer": 0.2}]}}),
        make_event(asr, actor="alice", action="edit", payload={"fields": {"VersionDescription": ["", "新描述"]}}),
        make_event(ocr, actor="alice", action="decision", payload={"reason": "=HYPERLINK(1)"}),
        make_event(ocr, actor="=cmd|' /C calc'!A0", action="edit"),
    ]


def table_seqs(html: str) -> list[int]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [int(s) for s in re.findall(r'<th scope="row">(\d+)</th>', body)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, [4, 3, 2, 1]),
        ({"actor": "alice"}, [3, 2]),
        ({"action": "edit"}, [4, 2]),
        ({"model": "m-asr"}, [2, 1]),
        ({"model": "m-ocr", "version": "2.0.0", "actor": "alice"}, [3]),
        ({"version": "9.9.9"}, []),
        ({"date_from": "2000-01-01", "date_to": "2999-12-31"}, [4, 3, 2, 1]),
        ({"date_to": "2000-01-01"}, []),
    ],
)
def test_the_audit_log_filters_exactly(client, auditor, events, query, expected):
    response = client.get(reverse("audit_log"), query)

    assert response.status_code == 200
    assert table_seqs(response.content.decode()) == expected


def test_the_audit_log_pages_by_seq(client, auditor):
    version = make_version()
    for i in range(60):
        make_event(version, action=f"step-{i}")

    first = client.get(reverse("audit_log"), {"actor": "PAI"}).content.decode()
    older_href = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(reverse("audit_log") + older_href).content.decode()

    assert table_seqs(first) == list(range(60, 10, -1))
    assert "actor=PAI" in older_href and "before=11" in older_href
    assert table_seqs(second) == list(range(10, 0, -1))
    assert 'rel="next"' not in second and 'rel="prev"' in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "yesterday"}, "Enter a date as YYYY-MM-DD."),
        ({"date_to": "2024-13-45"}, "Enter a date as YYYY-MM-DD."),
        ({"date_from": "2024-05-02", "date_to": "2024-05-01"}, "The end date is before the start date."),
        ({"before": "abc"}, "Before: Enter a whole number."),
        ({"after": "-5"}, "After: Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_audit_filters_get_a_message_not_a_500(client, auditor, events, query, message):
    response = client.get(reverse("audit_log"), query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert table_seqs(response.content.decode()) == []


def export(client, query=None):
    response = client.get(reverse("audit_export"), query or {})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def test_the_csv_export_streams_the_filtered_events_oldest_first(client, auditor, events):
    response = client.get(reverse("audit_export"), {"actor": "alice"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))

    assert response.streaming
    assert 'attachment; filename="audit-' in response["Content-Disposition"]
    assert rows[0][:4] == ["seq", "created_at", "actor", "action"]
    assert [(r[0], r[2], r[3], r[5], r[7]) for r in rows[1:]] == [
        ("2", "alice", "edit", "m-asr", "1.0.0"),
        ("3", "alice", "decision", "m-ocr", "2.0.0"),
    ]
    assert "新描述" in rows[1][8]
    assert rows[1][11] == events[1].hash


def test_the_csv_export_defuses_spreadsheet_formulas(client, auditor, events):
    rows = export(client, {"model": "m-ocr", "action": "edit"})

    assert [r[2] for r in rows[1:]] == ["'=cmd|' /C calc'!A0"]


def test_the_csv_export_refuses_bad_filters(client, auditor, events):
    response = client.get(reverse("audit_export"), {"date_from": "soon"})

    assert response.status_code == 400
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_the_csv_export_link_keeps_the_filters(client, auditor, events):
    html = client.get(reverse("audit_log"), {"actor": "alice", "before": "4"}).content.decode()

    href = re.search(r'href="(/audit/export\.csv[^"]*)"', html).group(1).replace("&amp;", "&")
    assert href == "/audit/export.csv?actor=alice"


def test_payloads_in_the_audit_log_render_inert(client, auditor):
    version = make_version(version_name="1.0.0")
    make_event(
        version, actor="<script>alert(1)</script>", payload={"fields": {"x": ['"><img src=x onerror=alert(1)>', 1]}}
    )

    html = client.get(reverse("audit_log")).content.decode()

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_log_names_each_events_workspace_as_the_filters_and_other_pages_do(client, auditor):
    version = make_version(make_model(make_workspace(name="Vision Lab", workspace_id="ws-vision")))
    make_event(version, actor="alice", action="edit")
    make_event(actor="alice", action="token.created", payload={})  # of no workspace

    html = client.get(reverse("audit_log")).content.decode()
    body = html.split("<tbody>", 1)[1]

    assert 'Vision Lab <code class="muted">ws-vision</code>' in body
    # Filtered by the name the table shows, the event is found.
    found = client.get(reverse("audit_log"), {"workspace": "Vision Lab"}).content.decode()
    assert table_seqs(found) == [1]
