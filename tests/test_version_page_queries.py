"""The version page reads a fixed number of queries, whatever the version carries: comments,
a review, gates and a waiver, datasets, previous and approved versions, its history, and the
model's size (up to 10,000 versions)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import Approval, ApprovalStatus, DatasetName, GateWaiver, MetricGate, Notification
from approvals.services.comments import comment_create
from approvals.services.reviews import review_request_changes
from tests.factories import make_event, make_model, make_user, make_version, make_versions, results_metrics

pytestmark = pytest.mark.django_db

# Issue 18's limit: session, user, memberships, the version (with the unread notifications), the
# previous, Approved and chart versions, history, comments, gates with their waivers, approvals with
# the reviewers, dataset names.
MAX_QUERIES = 10


def rich_version(comments: int, events: int, extra_versions: int):
    model = make_model(model_id="m-rich", name="rich")
    ws = model.workspace
    make_versions(model, extra_versions, metrics=results_metrics(("d-1", {"cer": 0.25, "acc": 0.75})))
    approved = make_version(
        model, approval_status=ApprovalStatus.APPROVED, metrics=results_metrics(("d-1", {"cer": 0.2, "acc": 0.8}))
    )
    make_version(model, metrics=results_metrics(("d-1", {"cer": 0.21, "acc": 0.79})))
    version = make_version(model, metrics=results_metrics(("d-1", {"cer": 0.19, "acc": 0.81}), ("d-2", {"cer": 0.3})))
    make_version(model)  # waiting after it
    for ds in ("d-1", "d-2"):
        DatasetName.objects.create(dataset_id=ds, name=f"set {ds}", fetched_at=timezone.now())
    MetricGate.objects.create(workspace=ws, metric="cer", higher_is_better=False, max_regression=0.05)
    acc = MetricGate.objects.create(workspace=ws, metric="acc", dataset="d-1", max_regression=0.05)
    approver = make_user("approver", group="approver")
    other = make_user("other", group="approver")
    GateWaiver.objects.create(version=version, gate=acc, waived_by=other, reason="the acc set was relabelled")
    Approval.objects.create(version=version, approver=other, revision=version.revision)
    for i in range(comments):
        comment_create(version_id=version.pk, user=other, text=f"comment {i} @approver")
    review_request_changes(version_id=version.pk, user=other, reason="please fix the labels")
    for i in range(events):
        make_event(version, action="pai_changed", payload={"fields": {"VersionDescription": [f"a{i}", f"b{i}"]}})
    assert approved.pk
    version.refresh_from_db()
    return version, approver


def queries_of(client, version):
    url = reverse("version_detail", args=[version.model.model_id, version.version_name])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(("comments", "events", "extra"), [(2, 2, 0), (12, 15, 40), (12, 15, 10_000)])
def test_a_rich_version_page_reads_at_most_ten_queries_whatever_its_size(client, comments, events, extra):
    version, approver = rich_version(comments, events, extra)
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
