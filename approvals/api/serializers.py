"""Input and output serializers. PAI's fields keep PAI's names (a body written for
UpdateModelVersion works here too); what only the dashboard knows (revision, push
state) is in snake_case, as in the audit export.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from approvals.fields import EDITABLE, JSON_ATTRS, VERSION_FIELDS, Kind, VersionField
from approvals.models import ApprovalStatus, MembershipSource, PushState, ReviewState, Role, SyncState
from approvals.pai.fields import METRICS_MAX_CHARS, SOURCE_ID_FORMAT
from approvals.web.forms.json_fields import parse_json_text

from .errors import ERROR_CODES
from .fields import PaiChoice, PaiLabels, PaiObject, PaiString
from .links import model_versions_url, version_url, workspace_url

# What the API says of each field beyond its kind; the fields themselves are approvals/fields.py's table.
HELP = {
    "VersionDescription": "Free text, any language.",
    "Metrics": f"A JSON object, at most {METRICS_MAX_CHARS:,} characters once serialized compactly.",
    "Options": "JSON text held as a string (e.g. '{\"a\":1}'); may be empty.",
    "SourceId": f"For PAIFlow and TrainingService: {SOURCE_ID_FORMAT}",
    "Labels": "PAI's [{Key, Value}]: the version's whole set of labels (an empty list removes them all); each key "
    "once, keys and values at most 128 bytes without '=' or ','. Kept in order of key. A key the workspace "
    "protects may be set, changed or removed only by its approvers (403 otherwise).",
}
OBJECT_HELP = "A JSON object; it replaces the stored one whole."


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


def _input(field: VersionField) -> serializers.Field:
    """The PATCH body's field for one editable version field, by its kind."""
    if field.kind == Kind.OBJECT:
        return PaiObject(help_text=HELP.get(field.name, OBJECT_HELP))
    if field.kind == Kind.LIST:
        return PaiLabels(help_text=HELP.get(field.name, ""))
    if field.kind == Kind.ENUM:
        return PaiChoice(choices=field.choices, required=False)
    max_length = 512 if field.name == "SourceId" else None
    return PaiString(max_length=max_length, help_text=HELP.get(field.name, ""))


def _validate_options(self: Any, value: str) -> str:
    if value.strip():
        try:
            parse_json_text(value)
        except Exception as exc:  # forms.ValidationError: the form's "Line 1, column 6: ..." message
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])) from None
    return value


VersionPatchInput = type(
    "VersionPatchInput",
    (_ClosedBody,),
    {
        "__module__": __name__,
        "__doc__": "Any of the editable fields, by PAI's names; each replaces the stored value whole.",
        "refused_fields": {"ApprovalStatus": "ApprovalStatus is decided with POST …/decision, not with PATCH."},
        "validate_Options": _validate_options,
        **{field.name: _input(field) for field in EDITABLE},
    },
)


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
    revision = serializers.IntegerField(help_text="The revision approved; a later change of content dismisses it.")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    dismissed_at = serializers.DateTimeField(allow_null=True)
    dismissed_reason = serializers.CharField()


def _output(field: VersionField) -> serializers.Field:
    """A version field as the API answers it, by its kind."""
    if field.kind == Kind.OBJECT:
        return PaiObject(source=field.attr)
    if field.kind == Kind.LIST:
        return serializers.ListField(source=field.attr, child=serializers.JSONField(), help_text=HELP.get(field.name))
    if field.kind == Kind.TIME:
        return serializers.DateTimeField(source=field.attr, allow_null=True)
    if field.name == "ApprovalStatus":
        return serializers.ChoiceField(source=field.attr, choices=ApprovalStatus.values)
    if field.kind == Kind.ENUM:
        return serializers.CharField(source=field.attr, help_text=f"Known values: {', '.join(field.choices)}.")
    if field.kind == Kind.JSON_TEXT:
        return serializers.CharField(source=field.attr, help_text="JSON text held as a string; may be empty.")
    return serializers.CharField(source=field.attr)


# A listing's row leaves out the large JSON fields; the version itself has them all.
LISTED = tuple(f for f in VERSION_FIELDS if f.attr not in JSON_ATTRS)
DETAILED = tuple(f for f in VERSION_FIELDS if f.attr in JSON_ATTRS)


def _with_fields(name: str, base: type, fields: tuple[VersionField, ...], doc: str) -> type:
    """`base` plus one serializer field per table row: DRF's metaclass collects them as if declared."""
    return type(name, (base,), {"__module__": __name__, "__doc__": doc, **{f.name: _output(f) for f in fields}})


class _VersionState(serializers.Serializer):
    ModelId = serializers.CharField(source="model.model_id")
    ModelName = serializers.CharField(source="model.name")
    WorkspaceId = serializers.CharField(source="workspace.workspace_id")
    VersionName = serializers.CharField(source="version_name")
    GmtModifiedTime = serializers.DateTimeField(source="gmt_modified_time", allow_null=True)
    revision = serializers.IntegerField(help_text="Accepted local changes so far; the ETag of the version.")
    pushed_revision = serializers.IntegerField(help_text="The newest revision PAI is known to hold.")
    push_state = serializers.ChoiceField(choices=PushState.values)
    gone = serializers.BooleanField(help_text="PAI no longer lists the version.")
    review_state = serializers.ChoiceField(
        choices=ReviewState.values, help_text="The dashboard's review: changes_requested blocks approval."
    )
    review_requested_by = serializers.CharField(source="review_requested_by.username", allow_null=True, default=None)
    review_reason = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    pending_since = serializers.DateTimeField(
        allow_null=True, help_text="First seen Pending; the review time runs from here."
    )
    url = serializers.SerializerMethodField()

    def get_url(self, version: Any) -> str:
        return version_url(self.context.get("request"), version)


VersionListItem = _with_fields("VersionListItem", _VersionState, LISTED, "A version in a listing.")


class _VersionPushState(VersionListItem):
    push_error = serializers.CharField(help_text="PAI's Code and Message of the last failed attempt.")
    push_attempts = serializers.IntegerField()
    last_request_id = serializers.CharField(help_text="PAI's RequestId of the last successful push.")
    pushed_at = serializers.DateTimeField(allow_null=True)
    conflict = serializers.DictField(
        child=serializers.DictField(), help_text='In conflict: {field: {"base", "theirs", "yours"}}.'
    )
    approvals = ApprovalOutput(many=True, help_text="Approvals recorded while a second approver is awaited.")
    synced_at = serializers.DateTimeField(allow_null=True)


VersionOutput = _with_fields("VersionOutput", _VersionPushState, DETAILED, "A version with every field and its push.")


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


def page_of(item: type[serializers.Serializer], name: str, *, counted: bool = False) -> type[serializers.Serializer]:
    """A cursor page of `item` rows, named for the schema; `counted`: with the bounded count."""
    fields: dict[str, Any] = {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    if counted:
        fields["count"] = serializers.IntegerField(
            help_text="How many rows match the filters (all pages), counted up to 10,000; see count_exact."
        )
        fields["count_exact"] = serializers.BooleanField(
            help_text="false: more rows than `count` match (the count stopped at its bound)."
        )
    return type(name, (serializers.Serializer,), fields)


VersionPage = page_of(VersionListItem, "VersionPage", counted=True)
ModelPage = page_of(ModelOutput, "ModelPage")
AuditEventPage = page_of(AuditEventOutput, "AuditEventPage")


class MembershipOutput(serializers.Serializer):
    workspace = serializers.CharField(allow_null=True, help_text="PAI's WorkspaceId; null: every workspace.")
    role = serializers.ChoiceField(choices=Role.values)
    source = serializers.ChoiceField(choices=MembershipSource.values, help_text="manual, or idp (the sign-in's).")


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    memberships = MembershipOutput(many=True)
    is_staff = serializers.BooleanField(help_text="Administrators read every workspace; staff is not a role.")
