"""The tables, by concern; import them from here: `from approvals.models import ModelVersion`."""

from approvals.models.access import ApiToken, Membership, MembershipSource, Role
from approvals.models.history import Approval, AuditEvent, AuditEventQuerySet, Change, ChangeKind
from approvals.models.outbox import (
    AuditStreamSink,
    ChannelType,
    DeliveryAttempt,
    EventKind,
    NotificationChannel,
    OutboxMessage,
    OutboxState,
)
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
    "AuditStreamSink",
    "Change",
    "ChangeKind",
    "ChannelType",
    "DeliveryAttempt",
    "EventKind",
    "GateWaiver",
    "Membership",
    "MembershipSource",
    "MetricGate",
    "ModelVersion",
    "NotificationChannel",
    "OutboxMessage",
    "OutboxState",
    "PushState",
    "RegisteredModel",
    "Role",
    "SourceType",
    "SyncState",
    "Workspace",
    "WorkspacePolicy",
    "endpoint_refusal",
]
