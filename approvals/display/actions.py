"""The audit log's action codes as people read them ("version.approved" → "approved"), in both languages.

The codes stay as stored (they are part of the hash chain); only what a person reads is a word.
`action_code` reads a word back (English or the active language), for the filters."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import pgettext_lazy

ACTION_LABELS = {
    "version.edited": pgettext_lazy("audit action", "edited"),
    "version.approved": pgettext_lazy("audit action", "approved"),
    "version.rejected": pgettext_lazy("audit action", "rejected"),
    "version.approval_recorded": pgettext_lazy("audit action", "approval recorded"),
    "version.approvals_dismissed": pgettext_lazy("audit action", "approvals dismissed"),
    "version.conflict_resolved": pgettext_lazy("audit action", "conflict resolved"),
    "version.decision_withdrawn": pgettext_lazy("audit action", "decision withdrawn"),
    "version.gate_waived": pgettext_lazy("audit action", "gate waived"),
    "push.done": pgettext_lazy("audit action", "pushed to PAI"),
    "push.queued": pgettext_lazy("audit action", "push queued"),
    "push.pushing": pgettext_lazy("audit action", "pushing"),
    "push.retrying": pgettext_lazy("audit action", "push retrying"),
    "push.failed": pgettext_lazy("audit action", "push failed"),
    "push.conflict": pgettext_lazy("audit action", "push conflict"),
    "pai.created": pgettext_lazy("audit action", "created in PAI"),
    "pai.changed": pgettext_lazy("audit action", "changed in PAI"),
    "pai.gone": pgettext_lazy("audit action", "gone from PAI"),
    "pai.reappeared": pgettext_lazy("audit action", "back in PAI"),
    "sync.requested": pgettext_lazy("audit action", "sync requested"),
    "token.created": pgettext_lazy("audit action", "API token created"),
    "token.revoked": pgettext_lazy("audit action", "API token revoked"),
    "membership.granted": pgettext_lazy("audit action", "role granted"),
    "membership.revoked": pgettext_lazy("audit action", "role revoked"),
    "policy.changed": pgettext_lazy("audit action", "policy changed"),
    "comment.created": pgettext_lazy("audit action", "commented"),
    "comment.retracted": pgettext_lazy("audit action", "comment retracted"),
    "review.changes_requested": pgettext_lazy("audit action", "changes requested"),
    "review.ready": pgettext_lazy("audit action", "ready for review"),
    "review.assigned": pgettext_lazy("audit action", "assigned"),
    "review.overdue": pgettext_lazy("audit action", "review overdue"),
    "signin.succeeded": pgettext_lazy("audit action", "signed in"),
    "signin.failed": pgettext_lazy("audit action", "sign-in refused"),
    "session.ended": pgettext_lazy("audit action", "session ended"),
    "group_rule.created": pgettext_lazy("audit action", "group rule created"),
    "group_rule.deleted": pgettext_lazy("audit action", "group rule deleted"),
    "sync.failed": pgettext_lazy("audit action", "sync failed"),
    "channel.created": pgettext_lazy("audit action", "channel created"),
    "channel.changed": pgettext_lazy("audit action", "channel changed"),
    "channel.deleted": pgettext_lazy("audit action", "channel deleted"),
    "channel.test": pgettext_lazy("audit action", "channel test sent"),
    "channel.paused": pgettext_lazy("audit action", "channel paused"),
    "channel.resumed": pgettext_lazy("audit action", "channel resumed"),
    "channel.secrets_rotated": pgettext_lazy("audit action", "channel secrets rotated"),
}


def action_label(code: str) -> str:
    """The action in words, in the active language (an unknown code as it is)."""
    return str(ACTION_LABELS.get(code, code))


def _squeezed(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").split())


def action_codes(text: str) -> list[str]:
    """The codes `text` names: a code itself, or a word in English or the active language
    ("approved", "已批准"); several when the text is the start of several words; [] for none."""
    wanted = _squeezed(text)
    if not wanted:
        return []
    if text.strip() in ACTION_LABELS:
        return [text.strip()]
    exact, starts = [], []
    for code, label in ACTION_LABELS.items():
        with translation.override("en"):
            english = str(label)
        words = {_squeezed(str(label)), _squeezed(english)}
        if wanted in words or wanted == _squeezed(code):
            exact.append(code)
        elif any(w.startswith(wanted) for w in words if w):
            starts.append(code)
    return exact or starts


def action_choices() -> list[tuple[str, str]]:
    """(code, words) of every action, for a labelled choice."""
    return [(code, str(label)) for code, label in ACTION_LABELS.items()]
