"""What the version and decision pages say about what is being approved: the revision, who
approved it so far, the approvals a change dismissed and what changed since, and the gates'
baseline. Display only: approvals.services enforce the rules whatever a page showed."""

from __future__ import annotations

from typing import Any

from approvals.display.json_text import shown
from approvals.display.labels import field_label
from approvals.models import Approval, ModelVersion
from approvals.permissions import STAFF, has_role
from approvals.services.unpushed import changed_since
from approvals.web.forms.gates import GateWaiverForm


def approval_context(
    version: ModelVersion,
    user: Any,
    approvals: list[Approval],
    dismissed: list[Approval],
    *,
    baseline: ModelVersion | None,
) -> dict[str, Any]:
    """`approvals` are the live ones, `dismissed` the rest, both oldest first; `baseline` the gates'."""
    # The newest dismissed approval: what its approver saw is where "what changed since" starts.
    last = max(dismissed, key=lambda a: (a.revision, a.dismissed_at), default=None)
    since = changed_since(version, last.revision) if last is not None else {}
    return {
        "current_approvals": [a for a in approvals if a.revision == version.revision],
        "last_dismissed": last,
        "changed_since_dismissed": [
            {"field": name, "label": field_label(name), "before": shown(before), "after": shown(after)}
            for name, (before, after) in since.items()
        ],
        "gate_baseline": baseline,
        "can_waive": has_role(user, STAFF),
        "waiver_form": GateWaiverForm(),
    }
