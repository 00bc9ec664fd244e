import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import at, make_event, make_model, make_user, make_version, make_versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client):
    client.force_login(make_user("reviewer", group="approver"))


def queue_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def test_the_queue_lists_pending_versions_oldest_first_with_model_source_and_last_change(client, reviewer):
    model = make_model(name="speech-asr")
    newer = make_version(model, version_name="1.1.0", gmt_create_time=at(20), source_type="PAIFlow")
    older = make_version(model, version_name="1.0.0", gmt_create_time=at(10))
    make_version(model, version_name="0.9.0", approval_status="Approved")
    make_version(model, version_name="0.8.0", approval_status="Rejected")
    make_version(model, version_name="0.7.0", gone=True)
    make_event(older, actor="PAI", action="pai_changed")
    make_event(older, actor="alice", action="edit")
    make_event(newer, actor="bob", action="edit")

    html = client.get(reverse("home")).content.decode()
    rows = queue_rows(html)

    assert len(rows) == 2
    assert rows[0].startswith("speech-asr 1.0.0") and " Custom " in rows[0] and "edit by alice" in rows[0]
    assert rows[1].startswith("speech-asr 1.1.0") and " PAIFlow " in rows[1] and "edit by bob" in rows[1]


def test_the_queue_counts_versions_per_status(client, reviewer):
    model = make_model()
    make_versions(model, 3)
    make_version(model, approval_status="Approved")
    make_version(model, approval_status="Rejected")
    make_version(model, approval_status="Rejected")

    html = client.get(reverse("home")).content.decode()

    counts = dict(re.findall(r'class="badge status-\w+">(\w+)</span>\s*<strong>(\d+)</strong>', html))
    assert counts == {"Pending": "3", "Approved": "1", "Rejected": "2"}


def test_an_empty_queue_says_nothing_is_waiting(client, reviewer):
    make_version(approval_status="Approved")

    html = client.get(reverse("home")).content.decode()

    assert "Nothing is waiting for review." in html


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1e9", "123456789012345678901234567890"])
def test_a_bad_queue_page_gets_a_message(client, reviewer, page):
    make_version()

    response = client.get(reverse("home"), {"page": page})

    assert response.status_code == 400
    assert "Page: The page must" in response.content.decode()


def test_the_queue_pages_and_its_query_count_does_not_grow_with_the_page(client, reviewer):
    model = make_model()
    versions = make_versions(model, 30)
    for version in versions[:5]:
        make_event(version, action="edit")

    with CaptureQueriesContext(connection) as first:
        page1 = client.get(reverse("home")).content.decode()
    page2 = client.get(reverse("home"), {"page": 2}).content.decode()
    make_versions(make_model(), 100)
    with CaptureQueriesContext(connection) as later:
        client.get(reverse("home"))

    assert len(queue_rows(page1)) == 25 and len(queue_rows(page2)) == 5
    assert "Page 2" in page2 and 'rel="prev"' in page2
    # session, user, the user's memberships, the review times, the overdue rows (none here), the
    # page's rows, their last events, the counts, the workspaces, the header's unread count
    assert len(first) == len(later) == 10
