import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import at, make_model, make_user, make_version, make_versions, make_workspace

pytestmark = pytest.mark.django_db
URL = reverse("version_list")


@pytest.fixture
def viewer(client):
    user = make_user("viewer", group="viewer")
    client.force_login(user)
    return user


def listed(response) -> list[str]:
    """The version names in the table's rows, in order."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', body)


@pytest.fixture
def catalog():
    ws1, ws2 = make_workspace(name="Hangzhou", workspace_id="ws-hz"), make_workspace(name="Beijing")
    asr = make_model(ws1, model_id="m-asr", name="speech-asr")
    nlp = make_model(ws2, model_id="m-nlp", name="nlp-intent")
    make_version(asr, version_name="1.0.0", gmt_create_time=at(1), framework_type="Pytorch", format_type="ONNX")
    make_version(asr, version_name="1.1.0", gmt_create_time=at(2), approval_status="Approved", framework_type="Pytorch")
    make_version(
        nlp, version_name="0.1.0", gmt_create_time=at(3), source_type="PAIFlow", version_description="意图识别"
    )
    make_version(nlp, version_name="0.2.0", gmt_create_time=at(4), approval_status="Rejected", format_type="ONNX")


def test_it_lists_every_version_newest_first_by_default(client, viewer, catalog):
    response = client.get(URL)

    assert listed(response) == ["0.2.0", "0.1.0", "1.1.0", "1.0.0"]
    assert "of 4" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("workspace=ws-hz", ["1.1.0", "1.0.0"]),
        ("model=m-nlp", ["0.2.0", "0.1.0"]),
        ("status=Approved", ["1.1.0"]),
        ("source=PAIFlow", ["0.1.0"]),
        ("framework=Pytorch", ["1.1.0", "1.0.0"]),
        ("format=ONNX", ["0.2.0", "1.0.0"]),
        ("q=speech", ["1.1.0", "1.0.0"]),
        ("q=%E6%84%8F%E5%9B%BE", ["0.1.0"]),  # 意图, in the description
        ("format=ONNX&workspace=ws-hz", ["1.0.0"]),
        ("sort=version", ["0.1.0", "0.2.0", "1.0.0", "1.1.0"]),
        ("sort=-model&status=Pending", ["1.0.0", "0.1.0"]),
        ("sort=created&per_page=10&page=1", ["1.0.0", "1.1.0", "0.1.0", "0.2.0"]),
    ],
)
def test_the_query_string_filters_searches_and_sorts_exactly(client, viewer, catalog, query, expected):
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 200
    assert listed(response) == expected


def test_the_form_shows_the_state_the_url_holds(client, viewer, catalog):
    html = client.get(f"{URL}?status=Approved&q=speech&sort=version").content.decode()

    assert '<option value="Approved" selected>' in html
    assert 'value="speech"' in html
    assert '<option value="version" selected>' in html


def test_page_links_keep_the_filters_so_a_link_reproduces_the_view(client, viewer):
    model = make_model(model_id="m-many")
    make_versions(model, 12, framework_type="Keras")
    make_versions(make_model(), 3)

    first = client.get(f"{URL}?framework=Keras&sort=version&per_page=10")
    next_href = re.search(r'<a rel="next" href="([^"]+)"', first.content.decode()).group(1).replace("&amp;", "&")
    second = client.get(URL + next_href)

    assert "framework=Keras" in next_href and "sort=version" in next_href and "page=2" in next_href
    assert listed(first) == [f"2.{i}.0" for i in sorted(range(12), key=str)][:10]
    assert listed(second) == [f"2.{i}.0" for i in sorted(range(12), key=str)][10:]
    assert "Page 2" in second.content.decode()
    assert 'rel="next"' not in second.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=Maybe", "Select a valid choice. Maybe is not one of the available choices."),
        ("source=Notebook", "Select a valid choice."),
        ("framework=%3Cb%3E", "Select a valid choice. &lt;b&gt; is not one of"),
        ("workspace=ws-unknown", "Select a valid choice."),
        ("sort=price", "Select a valid choice."),
        ("per_page=7", "Select a valid choice."),
        ("page=abc", "The page must be a whole number, 1 or more."),
        ("page=-1", "The page must be 1 or more."),
        ("page=0", "The page must be 1 or more."),
        ("page=99999999999999999999999999", "The page must be at most 100,000."),
    ],
)
def test_bad_query_strings_get_a_message_not_a_500(client, viewer, catalog, query, message):
    response = client.get(f"{URL}?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert listed(response) == []


def test_a_page_past_the_end_says_so(client, viewer, catalog):
    response = client.get(f"{URL}?page=5000")

    assert response.status_code == 200
    assert "past the last page" in response.content.decode()
    assert listed(response) == []


def test_workspace_sync_state_shows_in_the_header(client, viewer):
    make_workspace(name="Failing", sync_state="failed", sync_error="PAI said Throttling <again>")
    make_workspace(name="Syncing", sync_state="running")

    html = client.get(URL).content.decode()

    assert "Last sync failed: PAI said Throttling &lt;again&gt;" in html
    assert ">sync running<" in html
    assert ">sync failed<" in html


def queries_for(client, query: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_versions_page_costs_the_same_queries_for_10_and_1000_versions_and_any_page_size(client, viewer):
    model = make_model()
    make_versions(model, 10)
    small = queries_for(client, "per_page=25")
    make_versions(make_model(), 990)
    for query in ("per_page=10", "per_page=25", "per_page=200", "per_page=200&page=3&status=Pending&q=2."):
        assert len(queries_for(client, query)) == len(small), query
    large = queries_for(client, "per_page=200")

    # session, user, the user's memberships, workspaces, the page's rows, one count, the header's unread count
    assert len(large) == 7
    # One count of the versions (the other counts the header's unread notifications).
    assert sum("COUNT(" in sql.upper() and "APPROVALS_NOTIFICATION" not in sql.upper() for sql in large) == 1
