"""What a notification says, in the channel's language: pure, no queries.

Each message says what happened, by whom, in which workspace, model and version,
with an absolute link to the page (DASHBOARD_URL). A digest lists many in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# The longest piece of a person's text (a comment, a reason, an error) a message repeats.
EXCERPT_CHARS = 300
# A digest names this many events in its text; its payload carries them all.
DIGEST_LINES = 20

TEMPLATES = {
    "version.pending": gettext_noop("New version waiting for review: %(model)s %(versions)s in %(workspace)s"),
    "assigned": gettext_noop("%(actor)s assigned %(model)s version %(version)s to %(assignee)s in %(workspace)s"),
    "comment": gettext_noop("%(actor)s commented on %(model)s version %(version)s in %(workspace)s: %(text)s"),
    "mentioned": gettext_noop("%(actor)s commented on %(model)s version %(version)s in %(workspace)s: %(text)s"),
    "changes_requested": gettext_noop(
        "%(actor)s requested changes to %(model)s version %(version)s in %(workspace)s: %(text)s"
    ),
    "ready": gettext_noop("%(actor)s made %(model)s version %(version)s in %(workspace)s ready for review again"),
    "approved": gettext_noop("%(actor)s approved %(model)s version %(version)s in %(workspace)s"),
    "rejected": gettext_noop("%(actor)s rejected %(model)s version %(version)s in %(workspace)s: %(text)s"),
    "approvals_dismissed": gettext_noop(
        "Approvals of %(model)s version %(version)s in %(workspace)s were dismissed (by %(actor)s)"
    ),
    "push_failed": gettext_noop("Pushing %(model)s version %(version)s in %(workspace)s to PAI failed: %(text)s"),
    "push_conflict": gettext_noop(
        "%(model)s version %(version)s in %(workspace)s conflicts with a change made in PAI; a person must choose"
    ),
    "sync_failed": gettext_noop("The sync of %(workspace)s failed: %(text)s"),
    "review_overdue": gettext_noop("The review of %(model)s version %(version)s in %(workspace)s is overdue"),
    "test": gettext_noop("A test message for the channel %(text)s in %(workspace)s, sent by %(actor)s"),
}
TITLE = gettext_noop("PAI model review")
DIGEST_TITLE = gettext_noop("%(count)d notifications in %(workspace)s")
DIGEST_MORE = gettext_noop("… and %(count)d more")
OPEN_LINK = gettext_noop("Open")


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    url: str


def page_url(event: Any, details: dict[str, Any]) -> str:
    """The absolute link to the page the event is about: the version, the model, or the dashboard."""
    base = settings.DASHBOARD_URL.rstrip("/")
    versions = details.get("versions") or ([event.version_name] if event.version_name else [])
    # A sync's event about a page of models gives each model its own message, naming it in `details`.
    model_id = details.get("model_id") or event.model_id
    if model_id and len(versions) == 1:
        return f"{base}/models/{quote(model_id, safe='')}/versions/{quote(versions[0], safe='')}/"
    if model_id:
        return f"{base}/models/{quote(model_id, safe='')}/"
    return f"{base}/"


def _excerpt(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _text_of(kind: str, payload: dict[str, Any]) -> str:
    if kind in ("comment", "mentioned"):
        return _excerpt(payload.get("text"))
    if kind == "test":
        return _excerpt(payload.get("channel"))
    return _excerpt(payload.get("reason") or payload.get("error") or payload.get("message"))


def message_for(event: Any, kind: str, details: dict[str, Any], *, workspace: str, language: str) -> Message:
    """One event's message, in `language` (en or zh-hans)."""
    payload = event.payload or {}
    versions = details.get("versions") or []
    values = {
        "actor": event.actor,
        "workspace": workspace,
        "model": details.get("model_name") or details.get("model_id") or event.model_name or event.model_id,
        "version": event.version_name or ", ".join(versions),
        "versions": ", ".join(versions[:DIGEST_LINES])
        + ("…" if details.get("count", len(versions)) > DIGEST_LINES else ""),
        "assignee": payload.get("assignee", ""),
        "text": _text_of(kind, payload),
    }
    with translation.override(language):
        text = _(TEMPLATES.get(kind, TEMPLATES["approved"])) % values
        return Message(title=_(TITLE), text=text, url=page_url(event, details))


def digest_for(messages: list[Message], *, workspace: str, language: str) -> Message:
    """Many messages as one: a count, the first lines, and the dashboard's link."""
    with translation.override(language):
        lines = [f"- {m.text} {m.url}" for m in messages[:DIGEST_LINES]]
        if len(messages) > DIGEST_LINES:
            lines.append(_(DIGEST_MORE) % {"count": len(messages) - DIGEST_LINES})
        title = _(DIGEST_TITLE) % {"count": len(messages), "workspace": workspace}
        return Message(title=title, text="\n".join(lines), url=settings.DASHBOARD_URL.rstrip("/") + "/")


def open_label(language: str) -> str:
    with translation.override(language):
        return _(OPEN_LINK)
