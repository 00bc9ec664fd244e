"""A version's page: every field, metrics against the previous and the latest Approved version,
the charts, the timeline (edits, decisions and comments), the review, and the write side
(approvals.web.version_context)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from approvals import selectors
from approvals.display.audit import shown_events
from approvals.display.console_links import source_console_url, version_console_url
from approvals.display.history import timeline
from approvals.display.labels import field_label
from approvals.display.metric_direction import MetricDirections
from approvals.display.metrics import compare_metrics, parse_metrics
from approvals.display.source_id import parse_source_id
from approvals.fields import SPECS
from approvals.models import ModelVersion
from approvals.permissions import readable
from approvals.selectors.registry import version_neighbours
from approvals.selectors.review_page import approvals_and_reviewers, decision_of
from approvals.selectors.reviews import version_comments
from approvals.web.helpers import charts_and_names, version_or_404
from approvals.web.review_context import can_review, review_context
from approvals.web.version_context import version_actions_context

HISTORY_LIMIT = 100


@login_required
def version_detail(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name, user=request.user, with_unread=True)
    return render_version_page(request, version)


def render_version_page(
    request: HttpRequest, version: ModelVersion, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """The page, with the review forms given (bound, with their errors) or fresh ones."""
    scope = readable(request.user)
    neighbours = version_neighbours(version, scope=scope)
    previous, approved = neighbours.previous, neighbours.approved
    others = [parse_metrics(v.metrics) if v is not None else None for v in (previous, approved)]
    reader = selectors.AuditReader.of(request.user)
    events = selectors.version_history(version, reader=reader, limit=HISTORY_LIMIT)
    comments = version_comments(version)
    retracted = {c.pk for c in comments if c.retracted}
    shown = shown_events(events, reveal=reader.sees_who_and_where, retracted=retracted)
    # The readable latest Approved version is the gates' baseline: the reader reads the version's workspace.
    everyone, reviewers = approvals_and_reviewers(version, reviewers=can_review(request.user, version))
    actions = version_actions_context(request, version, baseline=approved, everyone=everyone)
    source = parse_source_id(version.source_id)
    current = parse_metrics(version.metrics)
    charts, names = charts_and_names(
        version.model,
        scope=scope,
        current=version,
        datasets=[d for table in (current, *others) if table is not None for d in table.datasets],
        window=(neighbours.chart, neighbours.truncated),
    )
    rows = compare_metrics(current, others, MetricDirections.of(actions["policy"].gates), names)
    context = {
        **actions,
        **review_context(request, version, comments=comments, reviewers=reviewers, **forms),
        "version": version,
        "model": version.model,
        "previous": previous,
        "approved": approved,
        "previous_url": _version_url(previous),
        "approved_url": _version_url(approved),
        "charts": charts,
        "metric_rows": rows,
        "decision": decision_of(version),
        "specs": [(field_label(f.name), getattr(version, f.attr)) for f in SPECS],
        "source": source,
        "source_url": source_console_url(settings.PAI_CONSOLE_URL, source),
        "console_url": version_console_url(
            settings.PAI_CONSOLE_URL,
            region=version.workspace.region,
            workspace=version.workspace.workspace_id,
            model_id=version.model.model_id,
            version_name=version.version_name,
        ),
        "history": timeline(shown, {c.pk: c for c in comments}),
        "history_limit": HISTORY_LIMIT,
    }
    if hasattr(version, "reader_unread"):
        # Read with the version: the header's count (context processor unread_notifications) needs no query.
        context["unread_notifications"] = version.reader_unread
    return render(request, "approvals/version_detail.html", context, status=status)


def _version_url(version: ModelVersion | None) -> str:
    if version is None:
        return ""
    return reverse("version_detail", args=[version.model.model_id, version.version_name])
