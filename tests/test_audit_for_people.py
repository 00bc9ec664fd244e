"""The audit log for people: filters by the names the pages show (model, workspace, person,
action in words, in both languages), a hint when nothing matches, and a CSV with times carrying
their offset, the reason and key in their own columns, an Excel option, and defused cells."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from approvals.display.actions import action_codes, action_label
from approvals.web.exports import csv_cell
from tests.factories import make_event, make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(client):
    vision = make_workspace(name="Vision", workspace_id="207651")
    nlp = make_workspace(name="Search & NLP", workspace_id="118493")
    asr = make_version(make_model(nlp, model_id="m-1", name="asr-conformer-zh"), version_name="1.0")
    det = make_version(make_model(vision, model_id="m-2", name="det-yolo"), version_name="2.0")
    rita = make_user("reviewer", group="approver")
    rita.first_name, rita.last_name = "Rita", "Reviewer"
    rita.save()
    events = [
        make_event(asr, actor="reviewer", action="version.approved", payload={"reason": "better cer", "revision": 2}),
        make_event(
            det, actor="edna", action="version.edited", payload={"fields": {"Metrics": [{}, {}]}, "reason": "a;=cmd"}
        ),
        make_event(asr, actor="system", action="push.done", payload={"request_id": "REQ-1"}),
    ]
    client.force_login(make_user("auditor", group="auditor"))
    return events


def seqs(client, **query):
    response = client.get(reverse("audit_log"), query)
    body = response.content.decode()
    table = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
    return [int(s) for s in re.findall(r'<th scope="row">(\d+)</th>', table)], body


def test_the_filters_take_the_names_the_pages_show(client, log):
    approved, edited, pushed = (e.seq for e in log)
    assert seqs(client, model="asr-conformer-zh")[0] == [pushed, approved]
    assert seqs(client, model="m-2")[0] == [edited]
    assert seqs(client, workspace="Vision")[0] == [edited]
    assert seqs(client, workspace="vision")[0] == [edited]
    assert seqs(client, workspace="118493")[0] == [pushed, approved]
    assert seqs(client, actor="Reviewer")[0] == [approved]
    assert seqs(client, actor="Rita Reviewer")[0] == [approved]
    assert seqs(client, action="approved")[0] == [approved]
    assert seqs(client, action="version.edited")[0] == [edited]


def test_actions_read_as_words_in_both_languages_and_filter_in_either(client, log):
    assert action_label("push.done") == "pushed to PAI"
    with translation.override("zh-hans"):
        assert action_label("version.approved") == "已批准"
        assert action_codes("已批准") == ["version.approved"]
        assert action_codes("approved") == ["version.approved"]
    _, page = seqs(client)
    assert "<td>pushed to PAI</td>" in page and "<td>push.done</td>" not in page


def test_a_filter_that_names_nothing_gets_a_hint_with_the_valid_values(client, log):
    _, page = seqs(client, workspace="Visoin")
    assert "No workspace you can read is called “Visoin”." in page
    assert re.search(r'<a href="\?workspace=Vision">Vision</a>', page)

    _, page = seqs(client, action="aproved")
    assert "“aproved” is not an action." in page and ">approved</a>" in page

    _, page = seqs(client, model="conformer")
    assert "No model is called “conformer”." in page and ">asr-conformer-zh</a>" in page

    _, page = seqs(client, actor="Nobody")
    assert "Nobody called “Nobody” appears in the audit log." in page


def export(client, **query):
    response = client.get(reverse("audit_export"), query)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_csv_has_times_with_offsets_the_reason_key_and_request_id_in_columns(client, log):
    rows = list(csv.DictReader(io.StringIO(export(client))))

    approved, edited, pushed = rows
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", approved["created_at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", approved["created_at_local"])
    assert approved["reason"] == "better cer"
    assert approved["key_id"] == log[0].key_id and log[0].key_id
    assert edited["fields_changed"] == "Metrics"
    assert edited["reason"] == "'a;=cmd"
    assert pushed["request_id"] == "REQ-1"


def test_the_csv_for_excel_starts_with_a_bom_and_the_plain_one_does_not(client, log):
    assert export(client, excel="1").startswith("\ufeffseq,")
    assert export(client).startswith("seq,")


@pytest.mark.parametrize(
    ("value", "defused"),
    [
        ("=1+1", True),
        ("+1", True),
        ("-1", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("a;=HYPERLINK(1)", True),
        ("a; =1", True),
        ("plain text", False),
        ("a-b", False),
        ("user@example.com", False),
    ],
)
def test_cells_a_spreadsheet_would_run_get_a_quote(value, defused):
    assert csv_cell(value) == ("'" + value if defused else value)
