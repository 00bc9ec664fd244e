"""The read side of the dashboard: plain function views over approvals.selectors.

Every page needs a signed-in user; lookups by PAI's identifiers answer 404 for
anything unknown. Query strings are validated by the filter forms first.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit_selectors, selectors
from .audit import HASHED_FIELDS
from .charts import metric_charts
from .forms import AuditFilterForm, PageForm, VersionFilterForm
from .metrics import compare_metrics, parse_metrics
from .models import ModelVersion, RegisteredModel
from .permissions import AUDITOR, can_export_audit, role_required
from .view_helpers import version_or_404
from .views_edit import version_actions_context

SPEC_FIELDS = (
    (gettext_lazy("Training spec"), "training_spec"),
    (gettext_lazy("Inference spec"), "inference_spec"),
    (gettext_lazy("Evaluation spec"), "evaluation_spec"),
    (gettext_lazy("Compression spec"), "compression_spec"),
    (gettext_lazy("Distillation spec"), "distillation_spec"),
    (gettext_lazy("Extra info"), "extra_info"),
)


def _status(form_is_valid: bool) -> int:
    # A query string the forms refuse is the client's mistake; the page still explains it.
    return 200 if form_is_valid else 400


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    form = PageForm(request.GET)
    valid = form.is_valid()
    page = selectors.review_queue(page=form.page_number) if valid else None
    context = {"form": form, "page": page, "counts": selectors.status_counts(), "workspaces": selectors.workspaces()}
    return render(request, "approvals/queue.html", context, status=_status(valid))


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    workspaces = selectors.workspaces()
    form = VersionFilterForm(request.GET, workspaces=workspaces)
    valid = form.is_valid()
    page = selectors.version_page(form.filters(), page=form.page_number, page_size=form.page_size) if valid else None
    context = {"form": form, "page": page, "workspaces": workspaces}
    return render(request, "approvals/version_list.html", context, status=_status(valid))


@login_required
def model_detail(request: HttpRequest, model_id: str) -> HttpResponse:
    try:
        model = selectors.model_by_id(model_id)
    except RegisteredModel.DoesNotExist:
        raise Http404(_("No such model.")) from None
    form = PageForm(request.GET)
    valid = form.is_valid()
    listing = selectors.model_versions(model, page=form.page_number) if valid else None
    context = {"model": model, "form": form, "listing": listing, "charts": metric_charts(model)}
    return render(request, "approvals/model_detail.html", context, status=_status(valid))


@login_required
def version_detail(request: HttpRequest, model_id: str, version_name: str) -> HttpResponse:
    version = version_or_404(model_id, version_name)
    previous = selectors.previous_version(version)
    approved = selectors.latest_approved_version(version)
    others = [parse_metrics(v.metrics) if v is not None else None for v in (previous, approved)]
    history = [
        (event, *audit_selectors.event_changes(event)) for event in selectors.version_history(version, limit=100)
    ]
    context = {
        **version_actions_context(request, version),
        "version": version,
        "model": version.model,
        "previous": previous,
        "approved": approved,
        "previous_url": _version_url(previous),
        "approved_url": _version_url(approved),
        "charts": metric_charts(version.model, current=version),
        "metric_rows": compare_metrics(parse_metrics(version.metrics), others),
        "specs": [(label, getattr(version, name)) for label, name in SPEC_FIELDS],
        "source": selectors.parse_source_id(version.source_id),
        "history": history,
        "history_limit": 100,
    }
    return render(request, "approvals/version_detail.html", context)


def _version_url(version: ModelVersion | None) -> str:
    if version is None:
        return ""
    return reverse("version_detail", args=[version.model.model_id, version.version_name])


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    valid = form.is_valid()
    page = None
    if valid:
        page = audit_selectors.audit_page(
            form.filters(), before=form.cleaned_data.get("before"), after=form.cleaned_data.get("after")
        )
    context = {"form": form, "page": page, "can_export": can_export_audit(request.user)}
    return render(request, "approvals/audit_log.html", context, status=_status(valid))


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


# Everything the chain hashes, and the hash, so an export can be checked on its own.
CSV_COLUMNS = (*HASHED_FIELDS, "hash")


def _csv_cell(value: str) -> str:
    # Spreadsheets run cells that start like a formula; PAI and users supply these values.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_lines(filters: audit_selectors.AuditFilters) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in audit_selectors.audit_export_rows(filters):
        yield writer.writerow(
            [
                str(event.seq),
                event.created_at.isoformat(),
                _csv_cell(event.actor),
                _csv_cell(event.action),
                _csv_cell(event.workspace_id),
                _csv_cell(event.model_id),
                _csv_cell(event.model_name),
                _csv_cell(event.version_name),
                json.dumps(event.payload, ensure_ascii=False, sort_keys=True),
                event.client_ip or "",
                event.prev_hash,
                event.hash,
            ]
        )


@role_required(AUDITOR)
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponse(
            _("Invalid filters: %(problems)s") % {"problems": problems} + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(_csv_lines(form.filters()), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
