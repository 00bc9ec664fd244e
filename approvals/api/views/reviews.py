"""A version's review through the API: comments (list, add, retract), changes requested, assignment.

Thin: validate, call one service, answer; the services hold the rules (who, what state),
their refusals are 400 and a version outside the caller's workspaces is 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api import review_serializers, serializers
from approvals.api.permissions import Approvers, Commenters, CommentersOnly
from approvals.api.schema import HEADERS, PATH, errors
from approvals.api.views.versions import get_version
from approvals.permissions import APPROVER, EDITOR
from approvals.selectors.reviews import version_comments
from approvals.services.comments import comment_create, comment_retract
from approvals.services.reviews import review_assign, review_request_changes
from approvals.web.security import client_ip


def _version_answer(request: Request, model_id: str, version_name: str) -> Response:
    version = get_version(model_id, version_name, user=request.user)
    return Response(serializers.VersionOutput(version, context={"request": request}).data)


class VersionCommentsApi(APIView):
    permission_classes = [*APIView.permission_classes, Commenters]

    @extend_schema(
        operation_id="version_comments",
        tags=["reviews"],
        summary="The version's comments, oldest first (a retracted one has text null)",
        parameters=[*PATH, *HEADERS],
        responses={200: review_serializers.CommentOutput(many=True), **errors(404)},
    )
    def get(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user)
        return Response(review_serializers.CommentOutput(version_comments(version), many=True).data)

    @extend_schema(
        operation_id="version_comment_create",
        tags=["reviews"],
        summary="Comment on a version (editors and approvers of its workspace); @username tells a member",
        parameters=[*PATH, *HEADERS],
        request=review_serializers.CommentInput,
        responses={201: review_serializers.CommentOutput, **errors(400, 403, 404, 413, 415)},
    )
    def post(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(EDITOR, APPROVER))
        body = review_serializers.CommentInput(data=request.data)
        body.is_valid(raise_exception=True)
        comment = comment_create(
            version_id=version.pk,
            user=request.user,
            text=body.validated_data.get("text", ""),
            client_ip=client_ip(request),
        )
        return Response(review_serializers.CommentOutput(comment).data, status=201)


class VersionCommentRetractApi(APIView):
    permission_classes = [*APIView.permission_classes, CommentersOnly]

    @extend_schema(
        operation_id="version_comment_retract",
        tags=["reviews"],
        summary="Retract your comment: its text is hidden, the retraction recorded",
        parameters=[*PATH, OpenApiParameter("comment_id", int, OpenApiParameter.PATH), *HEADERS],
        request=None,
        responses={200: review_serializers.CommentOutput, **errors(400, 403, 404)},
    )
    def post(self, request: Request, ModelId: str, VersionName: str, comment_id: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(EDITOR, APPROVER))
        if not (comment_id.isascii() and comment_id.isdigit() and len(comment_id) < 19):
            raise Http404
        comment = comment_retract(
            version_id=version.pk, comment_id=int(comment_id), user=request.user, client_ip=client_ip(request)
        )
        return Response(review_serializers.CommentOutput(comment).data)


class VersionChangesRequestedApi(APIView):
    permission_classes = [*APIView.permission_classes, Approvers]

    @extend_schema(
        operation_id="version_request_changes",
        tags=["reviews"],
        summary="Request changes (approvers): no approval until an editor's next edit makes it ready again",
        parameters=[*PATH, *HEADERS],
        request=review_serializers.ChangesRequestedInput,
        responses={200: serializers.VersionOutput, **errors(400, 403, 404, 413, 415)},
    )
    def post(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(APPROVER,))
        body = review_serializers.ChangesRequestedInput(data=request.data)
        body.is_valid(raise_exception=True)
        review_request_changes(
            version_id=version.pk,
            user=request.user,
            reason=body.validated_data.get("reason", ""),
            client_ip=client_ip(request),
        )
        return _version_answer(request, ModelId, VersionName)


class VersionAssignmentApi(APIView):
    permission_classes = [*APIView.permission_classes, Approvers]

    @extend_schema(
        operation_id="version_assign",
        tags=["reviews"],
        summary='Assign the review to an approver of the workspace ("me" takes it; "" takes it away)',
        parameters=[*PATH, *HEADERS],
        request=review_serializers.AssignmentInput,
        responses={200: serializers.VersionOutput, **errors(400, 403, 404, 413, 415)},
    )
    def put(self, request: Request, ModelId: str, VersionName: str) -> Response:
        version = get_version(ModelId, VersionName, user=request.user, roles=(APPROVER,))
        body = review_serializers.AssignmentInput(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = body.validated_data.get("assignee", "")
        if assignee == "me":
            assignee = request.user.get_username()
        review_assign(version_id=version.pk, user=request.user, assignee=assignee, client_ip=client_ip(request))
        return _version_answer(request, ModelId, VersionName)
