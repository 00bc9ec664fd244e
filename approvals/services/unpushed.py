"""The one walk over a version's accepted changes after a revision (docs/architecture.md, invariants 2 and 3).

Each Change records, per PAI field, the value before it and the value it set.
Walking them oldest first tells, per field:
- `before`: the value the field had at that revision (what a page opened then showed);
- `base`: what PAI held before our unpushed values, as far as we know. A conflict
  resolution restarts it: the person saw PAI's value then and chose;
- `ours`: the values our changes set since `base`, oldest first. An earlier push
  attempt may have written any of them (applied, then a timeout or a killed
  worker), so PAI holding one of them is our push landing, not a change made
  elsewhere. The last is what PAI must end up with.

The push pipeline, the sync, the stale-page review and the decision page all ask
this module; none of them walks Change rows itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F

from approvals.models import Change, ChangeKind, ModelVersion


@dataclass
class FieldTrail:
    before: Any
    base: Any
    ours: list[Any] = field(default_factory=list)

    @property
    def now(self) -> Any:
        return self.ours[-1]


def field_trails(changes: Iterable[Change]) -> dict[str, FieldTrail]:
    """{PAI field: its trail} over `changes`, which must come oldest first."""
    trails: dict[str, FieldTrail] = {}
    for change in changes:
        for name, (before, after) in change.fields.items():
            trail = trails.get(name)
            if trail is None:
                trail = trails[name] = FieldTrail(before=before, base=before)
            elif change.kind == ChangeKind.RESOLUTION:
                trail.base, trail.ours = before, []
            trail.ours.append(after)
    return trails


def _after(version: ModelVersion, revision: int) -> Iterable[Change]:
    return Change.objects.filter(version=version, revision__gt=revision).order_by("revision")


def unpushed_trails(version: ModelVersion) -> dict[str, FieldTrail]:
    """What the push owes PAI: every field changed since the last successful push."""
    return field_trails(_after(version, version.pushed_revision).only("fields", "kind"))


def unpushed_trails_of(versions: Iterable[ModelVersion]) -> dict[int, dict[str, FieldTrail]]:
    """unpushed_trails for many versions in one query, by version pk (the sync asks for a page at once)."""
    pks = [v.pk for v in versions]
    trails: dict[int, dict[str, FieldTrail]] = {pk: {} for pk in pks}
    if not pks:
        return trails
    changes = (
        Change.objects.filter(version_id__in=pks, revision__gt=F("version__pushed_revision"))
        .order_by("version_id", "revision")
        .only("version_id", "fields", "kind")
    )
    by_version: dict[int, list[Change]] = {}
    for change in changes:
        by_version.setdefault(change.version_id, []).append(change)
    for pk, rows in by_version.items():
        trails[pk] = field_trails(rows)
    return trails


def unpushed_changes(version: ModelVersion) -> list[Change]:
    """The accepted changes PAI does not hold yet, oldest first, with their authors."""
    return list(_after(version, version.pushed_revision).select_related("author"))


def changed_since(version: ModelVersion, revision: int) -> dict[str, list[Any]]:
    """{field: [value at `revision`, value now]} over the changes accepted since that revision."""
    return {name: [trail.before, trail.now] for name, trail in field_trails(_after(version, revision)).items()}


def oldest_unpushed_at(version: ModelVersion):
    """When the oldest change PAI does not hold yet was accepted, or None."""
    oldest = _after(version, version.pushed_revision).only("created_at").first()
    return oldest.created_at if oldest is not None else None
