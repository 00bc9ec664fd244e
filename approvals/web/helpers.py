"""Small pieces the views share: the version lookup (404), the redirect back, errors on forms, charts."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from approvals import selectors
from approvals.display.charts import MetricCharts, metric_charts
from approvals.errors import ApplicationError
from approvals.models import ModelVersion, RegisteredModel


def version_or_404(model_id: str, version_name: str) -> ModelVersion:
    try:
        return selectors.version_by_name(model_id, version_name)
    except ModelVersion.DoesNotExist:
        raise Http404(_("No such model version.")) from None


def to_detail(version: ModelVersion) -> HttpResponse:
    return redirect("version_detail", version.model.model_id, version.version_name)


def show_error(form: Any, error: ApplicationError, field: str | None) -> None:
    form.add_error(field if field in form.fields else None, error.message)


def status_for(form_is_valid: bool) -> int:
    # A query string the forms refuse is the client's mistake; the page still explains it.
    return 200 if form_is_valid else 400


def charts_of(model: RegisteredModel, *, current: ModelVersion | None = None) -> MetricCharts:
    """The model's metric charts over its recent versions, `current` marked."""
    versions, truncated = selectors.model_chart_versions(model)
    return metric_charts(versions, truncated=truncated, current=current)
