"""Input and output serializers. PAI's fields keep PAI's names (a body written for
UpdateModelVersion works here too); what only the dashboard knows (revision, push
state) is in snake_case, as in the audit export.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from approvals.models import ApprovalStatus, PushState, SyncState
from approvals.pai.fields import (
    FORMAT_TYPES,
    FRAMEWORK_TYPES,
    METRICS_MAX_CHARS,
    OBJECT_FIELDS,
    SOURCE_ID_FORMAT,
    SOURCE_TYPES,
)
from approvals.web.forms.json_fields import parse_json_text

from .errors import ERROR_CODES
from .fields import PaiChoice, PaiObject, PaiString
from .links import model_versions_url, version_url, workspace_url

OBJECT_HELP = {name: "A JSON object; it replaces the stored one whole." for name in OBJECT_FIELDS}
OBJECT_HELP["Metrics"] = f"A JSON object, at most {METRICS_MAX_CHARS:,} characters once serialized compactly."


class _ClosedBody(serializers.Serializer):
    """A body naming a field this endpoint does not take is refused, naming it."""

    refused_fields: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        errors = {
            name: [self.refused_fields.get(name, f"Unknown field {name}.")] for name in data if name not in self.fields
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = {**exc.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return value


class VersionPatchInput(_ClosedBody):
    refused_fields = {"ApprovalStatus": "ApprovalStatus is decided with POST …/decision, not with PATCH."}

    VersionDescription = PaiString(help_text="Free text, any language.")
    Metrics = PaiObject(help_text=OBJECT_HELP["Metrics"])
    TrainingSpec = PaiObject(help_text=OBJECT_HELP["TrainingSpec"])
    InferenceSpec = PaiObject(help_text=OBJECT_HELP["InferenceSpec"])
    EvaluationSpec = PaiObject(help_text=OBJECT_HELP["EvaluationSpec"])
    CompressionSpec = PaiObject(help_text=OBJECT_HELP["CompressionSpec"])
    DistillationSpec = PaiObject(help_text=OBJECT_HELP["DistillationSpec"])
    ExtraInfo = PaiObject(help_text=OBJECT_HELP["ExtraInfo"])
    Options = PaiString(help_text="JSON text held as a string (e.g. '{\"a\":1}'); may be empty.")
    SourceType = PaiChoice(choices=SOURCE_TYPES, required=False)
    SourceId = PaiString(max_length=512, help_text=f"For PAIFlow and TrainingService: {SOURCE_ID_FORMAT}")

    def validate_Options(self, value: str) -> str:
        if value.strip():
            try:
                parse_json_text(value)
            except Exception as exc:  # forms.ValidationError: the form's "Line 1, column 6: ..." message
                raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])) from None
        return value


class DecisionInput(_ClosedBody):
    ApprovalStatus = PaiChoice(choices=[ApprovalStatus.APPROVED.value, ApprovalStatus.REJECTED.value])
    Reason = PaiString(
        max_length=4000, default="", help_text="Required to reject. Kept in the audit log; PAI has no comment field."
    )


class SyncInput(_ClosedBody):
    WorkspaceId = PaiString(max_length=64, help_text="One workspace; omit to sync every workspace.")


# --- output -------------------------------------------------------------------


class ApprovalOutput(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class _VersionBase(serializers.Serializer):
    ModelId = serializers.CharField(source="model.model_id")
    ModelName = serializers.CharField(source="model.name")
    WorkspaceId = serializers.CharField(source="workspace.workspace_id")
    VersionName = serializers.CharField(source="version_name")
    VersionDescription = serializers.CharField(source="version_description")
    ApprovalStatus = serializers.ChoiceField(source="approval_status", choices=ApprovalStatus.values)
    SourceType = serializers.CharField(source="source_type", help_text=f"Known values: {', '.join(SOURCE_TYPES)}.")
    SourceId = serializers.CharField(source="source_id")
    Uri = serializers.CharField(source="uri")
    FormatType = serializers.CharField(source="format_type", help_text=f"Known values: {', '.join(FORMAT_TYPES)}.")
    FrameworkType = serializers.CharField(
        source="framework_type", help_text=f"Known values: {', '.join(FRAMEWORK_TYPES)}."
    )
    GmtCreateTime = serializers.DateTimeField(source="gmt_create_time", allow_null=True)
    GmtModifiedTime = serializers.DateTimeField(source="gmt_modified_time", allow_null=True)
    revision = serializers.IntegerField(help_text="Accepted local changes so far; the ETag of the version.")
    pushed_revision = serializers.IntegerField(help_text="The newest revision PAI is known to hold.")
    push_state = serializers.ChoiceField(choices=PushState.values)
    gone = serializers.BooleanField(help_text="PAI no longer lists the version.")
    url = serializers.SerializerMethodField()

    def get_url(self, version: Any) -> str:
        return version_url(self.context.get("request"), version)


class VersionListItem(_VersionBase):
    pass


class VersionOutput(_VersionBase):
    Metrics = PaiObject(source="metrics")
    TrainingSpec = PaiObject(source="training_spec")
    InferenceSpec = PaiObject(source="inference_spec")
    EvaluationSpec = PaiObject(source="evaluation_spec")
    CompressionSpec = PaiObject(source="compression_spec")
    DistillationSpec = PaiObject(source="distillation_spec")
    ExtraInfo = PaiObject(source="extra_info")
    Options = serializers.CharField(source="options", help_text="JSON text held as a string; may be empty.")
    Labels = serializers.ListField(source="labels", child=serializers.JSONField(), help_text="PAI's [{Key, Value}].")
    OwnerId = serializers.CharField(source="owner_id")
    UserId = serializers.CharField(source="user_id")
    push_error = serializers.CharField(help_text="PAI's Code and Message of the last failed attempt.")
    push_attempts = serializers.IntegerField()
    last_request_id = serializers.CharField(help_text="PAI's RequestId of the last successful push.")
    pushed_at = serializers.DateTimeField(allow_null=True)
    conflict = serializers.DictField(
        child=serializers.DictField(), help_text='In conflict: {field: {"base", "theirs", "yours"}}.'
    )
    approvals = ApprovalOutput(many=True, help_text="Approvals recorded while a second approver is awaited.")
    synced_at = serializers.DateTimeField(allow_null=True)


class DecisionOutput(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["decided", "approval_recorded"],
        help_text="decided: the decision is queued for PAI; approval_recorded: it waits for another approver.",
    )
    approvals = serializers.IntegerField(help_text="Approvals recorded so far.")
    required_approvers = serializers.IntegerField()
    version = VersionOutput()


class ModelOutput(serializers.Serializer):
    ModelId = serializers.CharField(source="model_id")
    ModelName = serializers.CharField(source="name")
    ModelDescription = serializers.CharField(source="description")
    WorkspaceId = serializers.CharField(source="workspace.workspace_id")
    Domain = serializers.CharField(source="domain")
    Task = serializers.CharField(source="task")
    ModelType = serializers.CharField(source="model_type")
    Origin = serializers.CharField(source="origin")
    Provider = serializers.CharField(source="provider")
    Accessibility = serializers.CharField(source="accessibility")
    Labels = serializers.ListField(source="labels", child=serializers.JSONField())
    GmtCreateTime = serializers.DateTimeField(source="gmt_create_time", allow_null=True)
    GmtModifiedTime = serializers.DateTimeField(source="gmt_modified_time", allow_null=True)
    gone = serializers.BooleanField()
    versions_url = serializers.SerializerMethodField()

    def get_versions_url(self, model: Any) -> str:
        return model_versions_url(self.context.get("request"), model)


class AuditEventOutput(serializers.Serializer):
    seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(help_text="A username, PAI or system.")
    action = serializers.CharField()
    workspace_id = serializers.CharField()
    model_id = serializers.CharField()
    model_name = serializers.CharField()
    version_name = serializers.CharField()
    payload = serializers.JSONField()
    client_ip = serializers.IPAddressField(allow_null=True)
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class WorkspaceOutput(serializers.Serializer):
    WorkspaceId = serializers.CharField(source="workspace_id")
    name = serializers.CharField()
    region = serializers.CharField()
    sync_state = serializers.ChoiceField(choices=SyncState.values)
    sync_started_at = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    sync_error = serializers.CharField()
    sync_progress = serializers.DictField()
    url = serializers.SerializerMethodField(help_text="Where to watch the sync.")

    def get_url(self, workspace: Any) -> str:
        return workspace_url(self.context.get("request"), workspace)


class SyncOutput(serializers.Serializer):
    workspaces = WorkspaceOutput(many=True)


class ErrorOutput(serializers.Serializer):
    code = serializers.ChoiceField(choices=ERROR_CODES)
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field, named as the request named it (PAI's names in bodies).",
    )
    changed = serializers.DictField(
        required=False,
        child=serializers.ListField(),
        help_text="409 and 412 only: {field: [value at your revision, value now]}.",
    )


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A cursor page of `item` rows, named for the schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


VersionPage = page_of(VersionListItem, "VersionPage")
ModelPage = page_of(ModelOutput, "ModelPage")
AuditEventPage = page_of(AuditEventOutput, "AuditEventPage")
