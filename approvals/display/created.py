"""What a `pai.created` audit event says was created, in either of its shapes: pure, no queries.

A sync writes one event per page of models (sync/page_writes.py). About one model it names the
model in its columns, with {"versions": [...], "new_model": ...} (and so do the events of
syncs from before pages); about several, the columns name none and the payload holds
{"models": {ModelId: {"name", "versions", "new_model"}}, "count": ...}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CreatedModel:
    model_id: str
    model_name: str
    versions: list[str]
    new_model: bool


def created_models(event: Any) -> list[CreatedModel]:
    """The models a `pai.created` event names, each with the versions created, by model name."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    models = payload.get("models")
    if isinstance(models, dict):
        found = [
            CreatedModel(
                model_id=str(model_id),
                model_name=str(part.get("name") or ""),
                versions=[str(name) for name in part.get("versions") or []],
                new_model=bool(part.get("new_model")),
            )
            for model_id, part in models.items()
            if isinstance(part, dict)
        ]
        return sorted(found, key=lambda m: (m.model_name, m.model_id))
    if not event.model_id:
        return []
    versions = [str(name) for name in payload.get("versions") or []]
    return [CreatedModel(event.model_id, event.model_name, versions, bool(payload.get("new_model")))]


def created_count(event: Any) -> int:
    """How many versions the event says were created."""
    return sum(len(m.versions) for m in created_models(event))


def named_by(event: Any, model_id: str = "") -> tuple[str, str, str]:
    """(ModelId, model name, version name) a notification of `event` is about: the event's columns, or
    for a sync's event about a page of models, the part of the model the notification names
    (its version when it created one, else "")."""
    if not model_id or event.model_id:
        return event.model_id, event.model_name, event.version_name
    part = next((m for m in created_models(event) if m.model_id == model_id), None)
    if part is None:
        return model_id, "", ""
    return part.model_id, part.model_name or part.model_id, part.versions[0] if len(part.versions) == 1 else ""
