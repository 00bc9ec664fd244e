"""Writes to a version's content: edits, conflict resolutions, and a failed push queued again.

Each commits its Change and AuditEvent in one transaction and enqueues the push
once that transaction has committed (docs/architecture.md, invariant 1)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from approvals import tasks
from approvals.display.field_problems import problem_message
from approvals.display.text import visible_text
from approvals.errors import ApplicationError, StaleEdit
from approvals.fields import EDITABLE_NAMES, WRITABLE_ATTRS
from approvals.models import ApprovalStatus, Change, ChangeKind, ModelVersion, PushState
from approvals.pai import fields as pai_fields
from approvals.permissions import APPROVER, EDITOR, has_any_role, has_role
from approvals.selectors.policies import policy_of
from approvals.services import audit_events
from approvals.services.dismissals import approvals_dismiss
from approvals.services.label_index import labels_index
from approvals.services.label_rules import labels_check
from approvals.services.reviews import review_ready_after_edit
from approvals.services.unpushed import changed_since


def _enqueue_push(version_id: int) -> None:
    def send() -> None:
        tasks.push_version.delay(version_id)

    # robust: a broker that is down must not turn a committed save into an error
    # page; the sweep re-enqueues what was not sent.
    transaction.on_commit(send, robust=True)


# What a person reads when a change of this kind dismissed their approval.
# The longest note an editor may give with an edit.
MAX_EDIT_NOTE = 2000

DISMISSED_BY = {
    ChangeKind.EDIT: gettext_noop("The version was edited after this approval."),
    ChangeKind.RESOLUTION: gettext_noop("A conflict was resolved after this approval."),
}


def _record(
    *,
    version: ModelVersion,
    user: Any,
    kind: str,
    diff: dict[str, list[Any]],
    reason: str,
    client_ip: str | None,
    authored: bool = False,
    details: dict[str, Any] | None = None,
) -> Change:
    """Apply `diff` to the locked version, bump its revision, write the Change and the audit event.

    A change of content dismisses the approvals of earlier revisions in the same transaction.
    """
    for field, (_before, new) in diff.items():
        setattr(version, WRITABLE_ATTRS[field], new)
    version.revision += 1
    version.revision_changed_at = timezone.now()
    # An edit of a failed version is its author's fix: it resubmits. A conflict waits for a person's choice.
    if version.push_state != PushState.CONFLICT or kind == ChangeKind.RESOLUTION:
        version.push_state, version.push_error = PushState.QUEUED, ""
    version.save()
    if "Labels" in diff:
        labels_index({version.pk: version.labels})
    change = Change.objects.create(
        version=version,
        revision=version.revision,
        kind=kind,
        author=user,
        authored=authored,
        fields=diff,
        reason=reason,
    )
    if kind in DISMISSED_BY:
        approvals_dismiss(
            version,
            why=DISMISSED_BY[kind],
            kind=kind,
            revision=version.revision,
            author=user.get_username(),
            client_ip=client_ip,
        )
    if kind == ChangeKind.DECISION:
        audit_events.version_decided(
            version, user=user, diff=diff, reason=reason, details=details or {}, client_ip=client_ip
        )
    elif kind == ChangeKind.EDIT:
        audit_events.version_edited(version, user=user, diff=diff, reason=reason, client_ip=client_ip)
        review_ready_after_edit(version, user=user, client_ip=client_ip)
    else:
        audit_events.version_conflict_resolved(version, user=user, diff=diff, client_ip=client_ip)
    if version.push_state == PushState.QUEUED:
        _enqueue_push(version.pk)
    return change


def _storable(value: Any) -> bool:
    """Whether every string in `value` can be stored: PostgreSQL refuses NUL, and UTF-8 lone surrogates."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


def _locked(version_id: int) -> ModelVersion:
    return ModelVersion.objects.select_for_update().select_related("model", "workspace").get(pk=version_id)


def version_edit(
    *,
    version_id: int,
    user: Any,
    values: dict[str, Any],
    base_revision: int,
    reason: str = "",
    client_ip: str | None = None,
) -> Change:
    """Accept an edit of metadata fields made on a page that showed `base_revision`; `reason`, the
    editor's note on why, is kept in the Change and the audit event."""
    reason = visible_text(reason)
    if len(reason) > MAX_EDIT_NOTE:
        raise ApplicationError(
            _("The note is at most %(limit)s characters.") % {"limit": MAX_EDIT_NOTE}, field="Reason"
        )
    unknown = set(values) - set(EDITABLE_NAMES)
    if unknown:
        raise ApplicationError(_("These fields cannot be edited: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        version = _locked(version_id)
        if not has_role(user, EDITOR, version.workspace):
            raise ApplicationError(_("Only editors of this workspace can edit its versions."))
        if version.gone:
            raise ApplicationError(_("PAI no longer lists this version; it cannot be edited."))
        if version.revision != base_revision:
            raise StaleEdit(
                _("Someone saved this version after you opened it. Review their change first."),
                changed=changed_since(version, base_revision),
            )
        if version.approval_status != ApprovalStatus.PENDING:
            frozen = sorted(set(values) - set(policy_of(version.workspace).editable_after_decision))
            if frozen:
                raise ApplicationError(
                    _("The version is %(status)s; the workspace's policy keeps %(fields)s as they were approved.")
                    % {"status": version.approval_status, "fields": ", ".join(frozen)},
                    field=frozen[0],
                )
        current = version.pai_values()
        if "Labels" in values:
            values = {
                **values,
                "Labels": labels_check(version=version, user=user, before=current["Labels"], after=values["Labels"]),
            }
        problems = pai_fields.check_update(values, current)
        if problems:
            raise ApplicationError(problem_message(problems[0]), field=problems[0].field)
        for field, value in values.items():
            if not _storable(value):
                raise ApplicationError(
                    _("%(field)s contains a NUL character or an unpaired surrogate, which cannot be stored.")
                    % {"field": field},
                    field=field,
                )
        # Compared as JSON text: 1, 1.0 and true are different values to PAI.
        diff = {
            f: [current[f], v] for f, v in values.items() if pai_fields.serialize(current[f]) != pai_fields.serialize(v)
        }
        if not diff:
            raise ApplicationError(_("Nothing changed."))
        return _record(
            version=version,
            user=user,
            kind=ChangeKind.EDIT,
            diff=diff,
            reason=reason,
            client_ip=client_ip,
            authored=True,
        )


def _fresh(version: ModelVersion, revision: int | None, action: str) -> None:
    """Refuse an action taken on a page that showed an older revision, saying what changed since."""
    if revision is not None and revision != version.revision:
        raise StaleEdit(
            _("The version changed after you opened it (%(action)s refused). Review the change first.")
            % {"action": action},
            changed=changed_since(version, revision),
        )


def version_resolve_conflict(
    *, version_id: int, user: Any, keep: dict[str, str], revision: int | None = None, client_ip: str | None = None
) -> Change:
    """Settle a conflict field by field: keep "theirs" (PAI's value) or "yours" (the dashboard's).

    `revision` is the one the page showed (None: the current one, for code that has no page).
    """
    with transaction.atomic():
        version = _locked(version_id)
        if not has_any_role(user, (EDITOR, APPROVER), version.workspace):
            raise ApplicationError(_("Only editors and approvers of this workspace can resolve conflicts."))
        _fresh(version, revision, _("resolving the conflict"))
        if version.push_state != PushState.CONFLICT:
            raise ApplicationError(_("This version has no conflict to resolve."))
        missing = [f for f in version.conflict if keep.get(f) not in ("theirs", "yours")]
        if missing:
            raise ApplicationError(
                _("Choose theirs or yours for %(fields)s.") % {"fields": ", ".join(missing)}, field=missing[0]
            )
        if keep.get("Labels") == "yours" and "Labels" in version.conflict:
            # Keeping ours over PAI's labels sets them in PAI again: a protected key needs an approver.
            sides = version.conflict["Labels"]
            labels_check(version=version, user=user, before=sides["theirs"], after=sides["yours"])
        diff: dict[str, list[Any]] = {}
        for field, sides in version.conflict.items():
            if keep[field] == "theirs":
                diff[field] = [sides["yours"], sides["theirs"]]
            elif field == "ApprovalStatus" and sides["theirs"] != ApprovalStatus.PENDING:
                raise ApplicationError(_("PAI already holds a decision; it cannot be replaced."), field=field)
            else:
                diff[field] = [sides["theirs"], sides["yours"]]
        version.conflict = {}
        # Applying "yours" puts this person's content into the version: they cannot approve it themselves.
        authored = any(side == "yours" for side in keep.values())
        return _record(
            version=version,
            user=user,
            kind=ChangeKind.RESOLUTION,
            diff=diff,
            reason="",
            client_ip=client_ip,
            authored=authored,
        )


def version_retry_push(*, version_id: int, user: Any, revision: int | None = None) -> None:
    """Queue a failed push again (after PAI or the data was fixed); `revision`: the one the page showed."""
    with transaction.atomic():
        version = _locked(version_id)
        if not has_any_role(user, (EDITOR, APPROVER), version.workspace):
            raise ApplicationError(_("Only editors and approvers of this workspace can retry a push."))
        _fresh(version, revision, _("retrying the push"))
        if version.push_state != PushState.FAILED:
            raise ApplicationError(_("Only a failed push can be retried."))
        version.push_state, version.push_error = PushState.QUEUED, ""
        version.save(update_fields=["push_state", "push_error"])
        _enqueue_push(version.pk)
