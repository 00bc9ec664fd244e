"""Small pieces the views share: the version lookup (404), the redirect back, errors on forms, charts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from approvals import selectors
from approvals.display.charts import MetricCharts, metric_charts
from approvals.errors import ApplicationError
from approvals.models import ModelVersion, RegisteredModel
from approvals.permissions import Scope, has_any_role, readable
from approvals.selectors.review_page import dataset_names


def version_or_404(
    model_id: str, version_name: str, *, user: Any, roles: Iterable[str] = (), with_unread: bool = False
) -> ModelVersion:
    """The version the user may read, or 404 (outside their workspaces it does not exist for them).

    With `roles`: 403 unless the user holds one of them in the version's workspace.
    `with_unread`: the user's unread notifications count comes with it (`version.reader_unread`).
    """
    if "\x00" in model_id or "\x00" in version_name:
        # NUL cannot be in a PAI identifier, and PostgreSQL refuses it in a query.
        raise Http404(_("No such model version."))
    try:
        unread_for = user if with_unread and user.is_authenticated else None
        version = selectors.version_by_name(model_id, version_name, scope=readable(user), unread_for=unread_for)
    except ModelVersion.DoesNotExist:
        raise Http404(_("No such model version.")) from None
    roles = tuple(roles)
    if roles and not has_any_role(user, roles, version.workspace):
        raise PermissionDenied(
            _("This needs the %(roles)s role in workspace %(workspace)s.")
            % {"roles": " or ".join(roles), "workspace": version.workspace.workspace_id}
        )
    return version


def to_detail(version: ModelVersion) -> HttpResponse:
    return redirect("version_detail", version.model.model_id, version.version_name)


def show_error(form: Any, error: ApplicationError, field: str | None) -> None:
    form.add_error(field if field in form.fields else None, error.message)


def status_for(form_is_valid: bool) -> int:
    # A query string the forms refuse is the client's mistake; the page still explains it.
    return 200 if form_is_valid else 400


def charts_of(model: RegisteredModel, *, scope: Scope, current: ModelVersion | None = None) -> MetricCharts:
    """The model's metric charts over its recent versions, `current` marked."""
    return charts_and_names(model, scope=scope, current=current)[0]


def charts_and_names(
    model: RegisteredModel,
    *,
    scope: Scope,
    current: ModelVersion | None = None,
    datasets: Iterable[str] = (),
    window: tuple[list[ModelVersion], bool] | None = None,
) -> tuple[MetricCharts, dict[str, str]]:
    """The charts, and the names of their datasets and of `datasets` (one query for all names).

    `window`: the chart's versions and whether older ones exist, when the caller read them."""
    versions, truncated = window if window is not None else selectors.model_chart_versions(model, scope=scope)
    charts = metric_charts(versions, truncated=truncated, current=current)
    names = dataset_names([*(group.dataset for group in charts.datasets), *datasets])
    for group in charts.datasets:
        group.name = names.get(group.dataset, "")
    return charts, names


def focus_first_error(form: Any) -> None:
    """Move focus to the first field in error when the page loads (autofocus), in the form's order;
    with only errors of the whole form, the page's error summary takes focus instead."""
    for name, field in form.fields.items():
        if name in form.errors and not field.widget.is_hidden:
            field.widget.attrs["autofocus"] = True
            form.focused_field = name
            return
