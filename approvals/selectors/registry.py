"""Reads of workspaces and models: the workspace list, a model with its versions, the chart data.

Every read costs a fixed number of queries whatever the number of rows, and takes the
reader's Scope: a workspace or model outside it does not exist for them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import CharField, QuerySet, Value

from approvals.display.metrics import MetricColumn, format_value, key_metric_columns, parse_metrics
from approvals.fields import JSON_ATTRS
from approvals.models import ModelVersion, RegisteredModel, Workspace
from approvals.permissions import Scope
from approvals.selectors.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from approvals.selectors.review_page import dataset_names
from approvals.selectors.versions import approved_query, previous_query

# What a model's version table leaves unread: every JSON column but Metrics.
MODEL_PAGE_DEFERRED = (*(attr for attr in JSON_ATTRS if attr != "metrics"), "conflict")


def workspaces(*, scope: Scope) -> list[Workspace]:
    """The readable workspaces with their sync state, for filters and the page headers (few rows)."""
    return list(scope.filter(Workspace.objects.all(), path="pk").order_by("name"))


@dataclass
class ModelVersionRow:
    version: ModelVersion
    metric_values: list[str]


@dataclass
class ModelVersionsPage:
    page: Page
    columns: list[MetricColumn]
    rows: list[ModelVersionRow] = field(default_factory=list)


def model_by_id(model_id: str, *, scope: Scope) -> RegisteredModel:
    """The model, or RegisteredModel.DoesNotExist (also when it lies outside the scope)."""
    return scope.filter(RegisteredModel.objects.select_related("workspace")).get(model_id=model_id)


def model_versions(
    model: RegisteredModel,
    *,
    scope: Scope,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    metric_columns: int = 8,
) -> ModelVersionsPage:
    """The model's versions, newest first, with their key metrics as columns (datasets by name: one query)."""
    result = paginate(model_versions_query(model, scope=scope), page=page, page_size=page_size)
    for version in result.items:
        version.model = model
    tables = [parse_metrics(version.metrics) for version in result.items]
    names = (
        dataset_names(d for table in tables for d in table.datasets)
        if len({d for t in tables for d in t.datasets}) > 1
        else {}
    )
    columns = key_metric_columns(tables, limit=metric_columns, dataset_names=names)
    rows = [
        ModelVersionRow(version=version, metric_values=[format_value(table.get(c.key)) for c in columns])
        for version, table in zip(result.items, tables, strict=True)
    ]
    return ModelVersionsPage(page=result, columns=columns, rows=rows)


def model_versions_query(model: RegisteredModel, *, scope: Scope) -> QuerySet[ModelVersion]:
    """The model's versions newest first, read along version_model_order_idx without a join (the
    caller gives each row `model`) and without the JSON columns other than Metrics."""
    return scope.filter(model.versions.defer(*MODEL_PAGE_DEFERRED)).order_by("-gmt_create_time", "-id")


def model_list(*, scope: Scope, workspace_id: str = "") -> QuerySet[RegisteredModel]:
    queryset = scope.filter(RegisteredModel.objects.select_related("workspace").defer("extra_info"))
    if workspace_id:
        queryset = queryset.filter(workspace__workspace_id=workspace_id)
    return queryset


def workspace_by_id(workspace_id: str, *, scope: Scope) -> Workspace:
    """The workspace, or Workspace.DoesNotExist (also when it lies outside the scope)."""
    return scope.filter(Workspace.objects.all(), path="pk").get(workspace_id=workspace_id)


# A chart past this many points is a smear; the newest versions matter most.
CHART_VERSIONS = 40


CHART_FIELDS = ("id", "version_name", "approval_status", "gmt_create_time", "metrics", "model_id")


def model_chart_versions(
    model: RegisteredModel, *, scope: Scope, limit: int = CHART_VERSIONS
) -> tuple[list[ModelVersion], bool]:
    """The model's newest `limit` versions, oldest first, with only what the chart needs (one query)."""
    rows = list(scope.filter(model.versions.all()).only(*CHART_FIELDS).order_by("-gmt_create_time", "-id")[: limit + 1])
    return list(reversed(rows[:limit])), len(rows) > limit


@dataclass
class VersionNeighbours:
    """What the version page reads of the model's other versions: the one created just before it,
    the latest Approved one, and the chart's window (oldest first; `truncated`: older ones exist)."""

    previous: ModelVersion | None
    approved: ModelVersion | None
    chart: list[ModelVersion]
    truncated: bool


def version_neighbours(version: ModelVersion, *, scope: Scope, limit: int = CHART_VERSIONS) -> VersionNeighbours:
    """The previous and latest Approved versions and the chart window in one query: a UNION ALL of
    three index-bounded LIMITed subqueries (the previous and Approved ones with the chart's fields)."""

    def part(name: str, ids: QuerySet) -> QuerySet:
        rows = ModelVersion.objects.filter(pk__in=ids.values("pk")).only(*CHART_FIELDS).order_by()
        return rows.annotate(part=Value(name, output_field=CharField()))

    window = scope.filter(ModelVersion.objects.filter(model_id=version.model_id)).order_by("-gmt_create_time", "-id")
    rows = (
        part("1-window", window[: limit + 1])
        .union(
            part("2-previous", previous_query(version, scope=scope)[:1]),
            part("3-approved", approved_query(version, scope=scope)[:1]),
            all=True,
        )
        .order_by("part", "-gmt_create_time", "-id")
    )
    found: dict[str, list[ModelVersion]] = {"1-window": [], "2-previous": [], "3-approved": []}
    for row in rows:
        found[row.part].append(row)
    previous, approved = (next(iter(found[part]), None) for part in ("2-previous", "3-approved"))
    for row in (previous, approved):
        if row is not None:
            row.model = version.model  # the same model: its page links need no query of their own
    chart = found["1-window"]
    return VersionNeighbours(
        previous=previous,
        approved=approved,
        chart=list(reversed(chart[:limit])),
        truncated=len(chart) > limit,
    )
