"""The version page reads a fixed number of queries, whatever the version carries: comments,
a review, gates and a waiver, datasets, previous and approved versions, its history, and the
model's size (up to 10,000 versions)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Notification
from tests.factories import make_rich_version

pytestmark = pytest.mark.django_db

# Issue 18's limit: session, user, memberships, the version (with the unread notifications), the
# previous, Approved and chart versions, history, comments, gates with their waivers, approvals with
# the reviewers, dataset names.
MAX_QUERIES = 10


def queries_of(client, version):
    url = reverse("version_detail", args=[version.model.model_id, version.version_name])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(("comments", "events", "extra"), [(2, 2, 0), (12, 15, 40), (12, 15, 10_000)])
def test_a_rich_version_page_reads_at_most_ten_queries_whatever_its_size(client, comments, events, extra):
    version, approver = make_rich_version(comments, events, extra)
    client.force_login(approver)
    response, sql = queries_of(client, version)
    html = response.content.decode()
    assert "set d-1" in html and "please fix the labels" in html and f"comment {comments - 1}" in html
    assert "the acc set was relabelled" in html and "waived by other" in html
    assert "1 of 1 approvals</strong>: other (" in html
    assert '<option value="approver">approver</option>' in html and '<option value="other">other</option>' in html
    unread = Notification.objects.filter(user=approver, read_at__isnull=True).count()
    assert unread and f'aria-label="{unread} unread">{unread}</span>' in html
    assert len(sql) <= MAX_QUERIES, "\n\n".join(sql)
