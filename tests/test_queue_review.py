"""The review queue shows what matters: the last person's change in words, push state only where
something is owed or went wrong, filters and search, superseded versions marked and last, and
rows that refresh live under the same filters."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import AuditEvent
from tests.factories import at, make_event, make_model, make_user, make_version, make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(client):
    nlp, vision = make_workspace(name="NLP"), make_workspace(name="Vision")
    asr = make_model(nlp, name="asr-conformer-zh")
    det = make_model(vision, name="det-yolo")
    old = make_version(asr, version_name="0.9", gmt_create_time=at(1))
    for n in range(4):
        make_version(asr, version_name=f"1.{n}", gmt_create_time=at(10 + n), approval_status="Approved")
    fresh = make_version(asr, version_name="2.0", gmt_create_time=timezone.now() - dt.timedelta(hours=2))
    failed = make_version(det, version_name="5.0", gmt_create_time=at(5), source_type="PAIFlow", push_state="failed")
    client.force_login(make_user("vera", group="viewer"))
    return {"old": old, "fresh": fresh, "failed": failed, "nlp": nlp, "vision": vision}


def rows(client, path="home", **query):
    response = client.get(reverse(path), query)
    return response, response.content.decode()


def row_order(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [cell.split("</a>", 1)[0].rsplit(">", 1)[1] for cell in body.split('<th scope="row">')[1:]]


def test_the_last_change_is_the_persons_in_words_not_the_push_pipelines(client, queue):
    version = queue["fresh"]
    make_event(version, actor="edna", action="version.edited")
    make_event(version, actor="system", action="push.done")

    _, html = rows(client)

    assert "edited by edna" in html
    assert "push.done" not in html and "by system" not in html


def test_push_state_shows_only_where_something_is_owed_or_went_wrong(client, queue):
    _, html = rows(client)
    assert html.count('data-push-state="failed"') == 1
    assert 'data-push-state="done"' not in html


def test_a_version_superseded_by_newer_approved_ones_is_marked_and_comes_last(client, queue):
    _, html = rows(client)
    assert row_order(html) == ["5.0", "2.0", "0.9"]
    assert "superseded: 4 newer versions Approved" in html

    _, only = rows(client, superseded="only")
    assert row_order(only) == ["0.9"]
    _, hidden = rows(client, superseded="hide")
    assert row_order(hidden) == ["5.0", "2.0"]


def test_the_queue_filters_by_workspace_search_source_and_age(client, queue):
    assert row_order(rows(client, workspace=queue["vision"].workspace_id)[1]) == ["5.0"]
    assert row_order(rows(client, q="conformer")[1]) == ["2.0", "0.9"]
    assert row_order(rows(client, source="PAIFlow")[1]) == ["5.0"]
    assert row_order(rows(client, age="7d")[1]) == ["5.0", "0.9"]
    response, html = rows(client, q="no-such-model")
    assert response.status_code == 200 and "No Pending version matches these filters." in html


def test_a_bad_filter_value_is_explained_not_a_500(client, queue):
    response, html = rows(client, age="forever")
    assert response.status_code == 400
    assert "Waiting:" in html and "forever" in html


def test_the_rows_refresh_live_under_the_pages_filters(client, queue):
    response, page = rows(client, q="det")
    assert 'data-refresh-url="/live/queue-rows/?q=det"' in page

    make_version(queue["failed"].model, version_name="5.1", gmt_create_time=at(6))
    response, fragment = rows(client, "live_queue_rows", q="det")

    assert response.status_code == 200
    assert row_order(fragment) == ["5.0", "5.1"]
    assert "<html" not in fragment


def test_the_live_rows_keep_to_the_readers_workspaces(client, queue):
    client.force_login(make_user("nina", group="viewer", workspace=queue["nlp"]))
    _, fragment = rows(client, "live_queue_rows")
    assert row_order(fragment) == ["2.0", "0.9"]
    client.logout()
    assert client.get(reverse("live_queue_rows")).status_code == 302


def test_the_per_page_box_shows_the_size_the_list_uses(client, queue):
    _, html = rows(client, "version_list")
    assert '<option value="25" selected>' in html
    _, html = rows(client, "version_list", per_page=50)
    assert '<option value="50" selected>' in html
    assert not AuditEvent.objects.exists()
