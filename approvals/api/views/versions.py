"""Versions: list, read, edit (PATCH with If-Match), decide, history. Thin: validate, call one
service, answer. Every rule is the services'; their errors become statuses in api/errors.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors, services
from approvals.api import serializers
from approvals.api.errors import valid
from approvals.api.pagination import Ordering, cursor_page
from approvals.api.parsers import MERGE_PATCH, BoundedJSONParser, BoundedMergePatchParser, merge_patch
from approvals.api.permissions import Approvers, EditorsWrite
from approvals.api.query import PAGING, checked_query
from approvals.api.schema import CURSOR, ETAG, HEADERS, IF_MATCH, IF_MATCH_DECISION, PATH, PER_PAGE, errors
from approvals.display.audit import comment_ids, shown_events
from approvals.errors import PreconditionFailed, PreconditionRequired, StaleEdit
from approvals.fields import FORMAT_TYPES, FRAMEWORK_TYPES, OBJECT_NAMES
from approvals.models import Approval, ApprovalStatus, ModelVersion, ReviewState, SourceType
from approvals.permissions import APPROVER, EDITOR, has_any_role, readable
from approvals.selectors import audit as audit_selectors
from approvals.selectors.policies import policy_of
from approvals.selectors.reviews import retracted_comment_ids
from approvals.selectors.versions import VERSION_SORTS
from approvals.web.forms.filters import VERSION_SORT_CHOICES, VersionFilterForm, cursor_form
from approvals.web.security import client_ip

NULLABLE = frozenset({"gmt_create_time", "gmt_modified_time"})


def etag(version: ModelVersion) -> str:
    return f'"{version.revision}"'


def get_version(model_id: str, version_name: str, *, user: Any, roles: Iterable[str] = ()) -> ModelVersion:
    """The version the caller may read, or 404 (outside their workspaces it does not exist for them);
    with `roles`, 403 unless the caller holds one of them in the version's workspace."""
    # NUL cannot be in a PAI identifier, and PostgreSQL refuses it in a query.
    if "\x00" in model_id or "\x00" in version_name:
        raise Http404
    try:
        version = selectors.version_by_name(model_id, version_name, scope=readable(user))
    except ModelVersion.DoesNotExist:
        raise Http404 from None
    prefetch_related_objects([version], "approvals__approver")
    roles = tuple(roles)
    if roles and not has_any_role(user, roles, version.workspace):
        raise PermissionDenied(
            f"This needs the {' or '.join(roles)} role in workspace {version.workspace.workspace_id}."
        )
    return version


def base_revision(request: Request, version: ModelVersion) -> int:
    """The revision the edit is based on: If-Match's, or the current one when there is none."""
    header = request.headers.get("If-Match")
    if header is None:
        return version.revision
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return version.revision
    revisions = []
    for tag in tags:
        bare = tag[1:-1] if len(tag) >= 2 and tag[0] == tag[-1] == '"' else tag
        if bare.isascii() and bare.isdigit() and len(bare) < 10:
            revisions.append(int(bare))
    if version.revision in revisions:
        return version.revision
    if not revisions:
        raise PreconditionFailed('If-Match must be the ETag of the version (e.g. "3") or *.', changed={})
    # The service compares and reports what changed since the newest revision named.
    return max(revisions)


class VersionListApi(APIView):
    @extend_schema(
        operation_id="versions_list",
        tags=["versions"],
        summary="List versions with the versions page's filters, search and sort",
        parameters=[
            OpenApiParameter("workspace", str, description="WorkspaceId."),
            OpenApiParameter("model", str, description="ModelId."),
            OpenApiParameter("status", str, enum=ApprovalStatus.values),
            OpenApiParameter("source", str, enum=SourceType.values, description="SourceType."),
            OpenApiParameter("framework", str, enum=list(FRAMEWORK_TYPES), description="FrameworkType."),
            OpenApiParameter("format", str, enum=list(FORMAT_TYPES), description="FormatType."),
            OpenApiParameter("q", str, description="Model name, version name or description contains."),
            OpenApiParameter(
                "label",
                str,
                description="key=value, or key for any value. Repeat the parameter (label=a=1&label=b) or separate "
                "terms by commas: a version must hold every one. Bad syntax is a 400 naming `label`.",
            ),
            OpenApiParameter("sort", str, enum=[value for value, _ in VERSION_SORT_CHOICES]),
            OpenApiParameter("review", str, enum=ReviewState.values, description="The dashboard's review state."),
            OpenApiParameter("assigned", str, enum=["me"], description="me: the versions assigned to the caller."),
            PER_PAGE,
            CURSOR,
            *HEADERS,
        ],
        responses={200: serializers.VersionPage, **errors(400)},
    )
    def get(self, request: Request) -> Response:
        scope = readable(request.user)
        # "page" is the HTML page's; the API pages by cursor.
        query = checked_query(request, (*(n for n in VersionFilterForm.base_fields if n != "page"), "cursor"))
        form = valid(VersionFilterForm(query, workspaces=selectors.workspaces(scope=scope), user=request.user))
        paging = valid(cursor_form(query))
        filters = form.filters()
        sort = filters.sort if filters.sort.lstrip("-") in VERSION_SORTS else selectors.DEFAULT_VERSION_SORT
        ordering = Ordering(
            paths=(*VERSION_SORTS[sort.lstrip("-")],), descending=sort.startswith("-"), nullable=NULLABLE
        )
        listing = selectors.version_list(filters, scope=scope)
        page = cursor_page(
            listing,
            ordering,
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=form.page_size,
        )
        rows = serializers.VersionListItem(page.items, many=True, context={"request": request}).data
        # Of the whole listing, not of the cursor's side of it: the same on every page.
        count, exact = selectors.count_up_to(listing)
        body = {"next": page.next_url, "previous": page.previous_url, "count": count, "count_exact": exact}
        return Response({**body, "results": rows})


class VersionDetailApi(APIView):
    permission_classes = [*APIView.permission_classes, EditorsWrite]
    parser_classes = [BoundedJSONParser, BoundedMergePatchParser]

    def _answer(self, request: Request, version: ModelVersion) -> Response:
        data = serializers.VersionOutput(version, context={"request": request}).data
        return Response(data, headers={"ETag": etag(version)})

    @extend_schema(
        operation_id="version_read",
        tags=["versions"],
        summary="Read a version with its push state; ETag is its revision",
        parameters=[*PATH, ETAG, *HEADERS],
        responses={200: serializers.VersionOutput, **errors(404)},
    )
    def get(self, request: Request, ModelId: str, VersionName: str) -> Response:
        return self._answer(request, get_version(ModelId, VersionName, user=request.user))

    @extend_schema(
        operation_id="version_edit",
        tags=["versions"],
        summary="Edit a version's metadata (editor group), with UpdateModelVersion's field names",
        description="Send only the fields to change. With `Content-Type: application/json` each replaces the "
        "stored value whole; with `application/merge-patch+json` (RFC 7396) an object field is merged into the "
        "stored one (null removes a key; arrays, such as Metrics' Results, are replaced whole). The edit is "
        "recorded with its audit event and pushed to PAI by the worker. A body that changes nothing is refused "
        "(400).",
        parameters=[*PATH, IF_MATCH, ETAG, *HEADERS],
        request=serializers.VersionPatchInput,
        responses={200: serializers.VersionOutput, **errors(400, 404, 409, 412, 413, 415)},
    )
    def patch(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(EDITOR,))
        data = request.data
        if request.content_type.split(";")[0].strip() == MERGE_PATCH and isinstance(data, dict):
            # Merged into the values as of the base revision: a stale base is refused by the service.
            current = version.pai_values()
            data = {
                k: (merge_patch(current[k], v) if v is not None else {}) if k in OBJECT_NAMES else v
                for k, v in data.items()
            }
        body = serializers.VersionPatchInput(data=data)
        body.is_valid(raise_exception=True)
        base = base_revision(request, version)
        try:
            services.version_edit(
                version_id=version.pk,
                user=request.user,
                values=dict(body.validated_data),
                base_revision=base,
                client_ip=client_ip(request),
            )
        except StaleEdit as exc:
            if "If-Match" in request.headers:
                raise PreconditionFailed(exc.message, changed=exc.changed) from None
            raise
        return self._answer(request, get_version(ModelId, VersionName, user=request.user))


class VersionDecisionApi(APIView):
    permission_classes = [*APIView.permission_classes, Approvers]

    @extend_schema(
        operation_id="version_decide",
        tags=["versions"],
        summary="Approve or reject a version (approver group); PAI will not let the decision be undone",
        description="Send If-Match with the ETag you read: the decision covers exactly that revision. The "
        "workspace's policy applies as on the web page: a rejection needs a Reason (and an approval too, if the "
        "policy says so); nobody approves content they changed; with two or three required approvers each "
        "approval is recorded and the decision waits for the others, all on the same revision; an approval is "
        "refused while a metric gate fails; a decided version, or one whose push failed or is in conflict, "
        "cannot be decided. Refusals are 400 with code `refused`.",
        parameters=[*PATH, IF_MATCH_DECISION, *HEADERS],
        request=serializers.DecisionInput,
        responses={200: serializers.DecisionOutput, **errors(400, 404, 412, 413, 415, 428)},
    )
    def post(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(APPROVER,))
        body = serializers.DecisionInput(data=request.data)
        body.is_valid(raise_exception=True)
        header = request.headers.get("If-Match", "").strip()
        if not header or header == "*":
            raise PreconditionRequired(
                'A decision needs If-Match with the ETag of the version you read (e.g. "3"): it covers exactly '
                "that revision."
            )
        try:
            outcome = services.version_decide(
                version_id=version.pk,
                user=request.user,
                status=body.validated_data["ApprovalStatus"],
                revision=base_revision(request, version),
                reason=body.validated_data["Reason"],
                client_ip=client_ip(request),
            )
        except StaleEdit as exc:
            raise PreconditionFailed(exc.message, changed=exc.changed) from None
        version = get_version(ModelId, VersionName, user=request.user)
        data = {
            "outcome": "approval_recorded" if isinstance(outcome, Approval) else "decided",
            "approvals": version.approvals.filter(dismissed_at__isnull=True).count(),
            "required_approvers": policy_of(version.workspace).required_approvers,
            "version": serializers.VersionOutput(version, context={"request": request}).data,
        }
        return Response(data)


class VersionHistoryApi(APIView):
    @extend_schema(
        operation_id="version_history",
        tags=["versions"],
        summary="The version's audit events, newest first",
        parameters=[*PATH, PER_PAGE, CURSOR, *HEADERS],
        responses={200: serializers.AuditEventPage, **errors(400, 404)},
    )
    def get(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user)
        paging = valid(cursor_form(checked_query(request, PAGING)))
        reader = audit_selectors.AuditReader.of(request.user)
        events = audit_selectors.version_events(version, reader=reader)
        page = cursor_page(
            events,
            Ordering(paths=("seq",), descending=True),
            request=request,
            cursor=paging.cleaned_data["cursor"],
            page_size=paging.page_size,
        )
        retracted = retracted_comment_ids(comment_ids(page.items))
        shown = list(shown_events(page.items, reveal=reader.sees_who_and_where, retracted=retracted))
        rows = serializers.AuditEventOutput(shown, many=True).data
        return Response({"next": page.next_url, "previous": page.previous_url, "results": rows})
