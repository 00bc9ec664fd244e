"""How the interface names PAI's approval statuses and the push states.

The stored values stay PAI's English words (they go over the wire); only what
a person reads is translated.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, pgettext_lazy

from approvals.fields import label_of

STATUS_LABELS = {
    "Pending": pgettext_lazy("approval status", "Pending"),
    "Approved": pgettext_lazy("approval status", "Approved"),
    "Rejected": pgettext_lazy("approval status", "Rejected"),
}


PUSH_STATE_LABELS = {
    "done": pgettext_lazy("push state", "done"),
    "queued": pgettext_lazy("push state", "queued"),
    "pushing": pgettext_lazy("push state", "pushing"),
    "retrying": pgettext_lazy("push state", "retrying"),
    "failed": pgettext_lazy("push state", "failed"),
    "conflict": pgettext_lazy("push state", "conflict"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def push_state_label(state: str) -> str:
    return str(PUSH_STATE_LABELS.get(state, state))


def field_label(name: str) -> str:
    """PAI's field `name` as people read it, in the active language (the table holds the English)."""
    return str(gettext_lazy(label_of(name)))


NOTIFICATION_KIND_LABELS = {
    "new_pending": pgettext_lazy("notification kind", "A new version waits for review"),
    "assigned": pgettext_lazy("notification kind", "A review is assigned to you"),
    "mentioned": pgettext_lazy("notification kind", "You are mentioned in a comment"),
    "comment": pgettext_lazy("notification kind", "A comment on a version you take part in"),
    "changes_requested": pgettext_lazy("notification kind", "Changes are requested to a version you edited"),
    "ready": pgettext_lazy("notification kind", "A version you asked changes of is ready again"),
    "approved": pgettext_lazy("notification kind", "Approved"),
    "rejected": pgettext_lazy("notification kind", "Rejected"),
    "approvals_dismissed": pgettext_lazy("notification kind", "Approvals dismissed"),
    "push_failed": pgettext_lazy("notification kind", "Your change failed to reach PAI"),
    "push_conflict": pgettext_lazy("notification kind", "Your change conflicts with one made in PAI"),
    "overdue": pgettext_lazy("notification kind", "A review is overdue"),
    "sync_failed": pgettext_lazy("notification kind", "A sync of PAI failed"),
}


def notification_kind_label(kind: str) -> str:
    return str(NOTIFICATION_KIND_LABELS.get(kind, kind))
