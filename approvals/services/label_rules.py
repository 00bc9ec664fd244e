"""The rules an edit of a version's labels must pass: PAI's (approvals.pai.labels) and the
workspace's protected keys, which only the workspace's approvers may set, change or remove."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from approvals.errors import ApplicationError, ProtectedLabel
from approvals.models import ModelVersion
from approvals.pai.labels import canonical, changed_keys, check_label_set
from approvals.permissions import APPROVER, has_role
from approvals.selectors.policies import policy_of


def labels_check(*, version: ModelVersion, user: Any, before: Sequence[Mapping[str, Any]], after: Any) -> list:
    """`after` as the version's new labels (canonical order), or ApplicationError naming Labels.

    ProtectedLabel (403 in the API) when the edit touches a key the workspace protects
    and `user` is not an approver of that workspace.
    """
    problems = check_label_set(after)
    if problems:
        raise ApplicationError(problems[0].message, field="Labels")
    labels = canonical(after)
    protected = set(policy_of(version.workspace).protected_label_keys)
    touched = sorted(protected & changed_keys(before, labels))
    if touched and not has_role(user, APPROVER, version.workspace):
        raise ProtectedLabel(
            _("Only approvers of workspace %(workspace)s may set, change or remove the protected label keys: %(keys)s.")
            % {"workspace": version.workspace.workspace_id, "keys": ", ".join(touched)},
            field="Labels",
        )
    return labels
