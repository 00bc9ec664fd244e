"""The tables, by concern; import them from here: `from approvals.models import ModelVersion`."""

from approvals.models.access import ApiToken, Membership, MembershipSource, Role
from approvals.models.datasets import DatasetName
from approvals.models.history import Approval, AuditEvent, AuditEventQuerySet, Change, ChangeKind
from approvals.models.identity import GroupRoleRule, IdentityLink
from approvals.models.labels import VersionLabel
from approvals.models.notifications import (
    EmailChoice,
    EmailState,
    Notification,
    NotificationKind,
    NotificationPreference,
    PersonSettings,
)
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
    ReviewState,
    SourceType,
    SyncState,
    Workspace,
    endpoint_refusal,
)
from approvals.models.reviews import COMMENT_MAX_CHARS, Comment

__all__ = [
    "COMMENT_MAX_CHARS",
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
    "Comment",
    "DatasetName",
    "DeliveryAttempt",
    "EmailChoice",
    "EmailState",
    "EventKind",
    "GateWaiver",
    "GroupRoleRule",
    "IdentityLink",
    "Membership",
    "MembershipSource",
    "MetricGate",
    "ModelVersion",
    "Notification",
    "NotificationChannel",
    "NotificationKind",
    "NotificationPreference",
    "OutboxMessage",
    "OutboxState",
    "PersonSettings",
    "PushState",
    "RegisteredModel",
    "ReviewState",
    "Role",
    "SourceType",
    "SyncState",
    "VersionLabel",
    "Workspace",
    "WorkspacePolicy",
    "endpoint_refusal",
]
