"""The tables, by concern; import them from here: `from approvals.models import ModelVersion`."""

from approvals.models.access import ApiToken, Membership, MembershipSource, Role
from approvals.models.datasets import DatasetName
from approvals.models.history import Approval, AuditEvent, AuditEventQuerySet, Change, ChangeKind
from approvals.models.policy import GateWaiver, MetricGate, WorkspacePolicy
from approvals.models.registry import (
    SYNC_STALE_AFTER,
    ApprovalStatus,
    ModelVersion,
    PushState,
    RegisteredModel,
    SourceType,
    SyncState,
    Workspace,
    endpoint_refusal,
)

__all__ = [
    "SYNC_STALE_AFTER",
    "ApiToken",
    "Approval",
    "ApprovalStatus",
    "AuditEvent",
    "AuditEventQuerySet",
    "Change",
    "ChangeKind",
    "DatasetName",
    "GateWaiver",
    "Membership",
    "MembershipSource",
    "MetricGate",
    "ModelVersion",
    "PushState",
    "RegisteredModel",
    "Role",
    "SourceType",
    "SyncState",
    "Workspace",
    "WorkspacePolicy",
    "endpoint_refusal",
]
