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
        """The value after the last of the changes."""
        return self.ours[-1] if self.ours else self.base

    @property
    def owed(self) -> bool:
        """Whether PAI still has to receive one of our values (a change PAI made is not owed)."""
        return bool(self.ours)


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
            if change.kind == ChangeKind.PAI:
                # PAI holds this value already: it is the new base, and nothing is owed for it.
                trail.base, trail.ours = after, []
            else:
                trail.ours.append(after)
    return trails


def _after(version: ModelVersion, revision: int) -> Iterable[Change]:
    return Change.objects.filter(version=version, revision__gt=revision).order_by("revision")


def unpushed_trails(version: ModelVersion) -> dict[str, FieldTrail]:
    """What the push owes PAI: every field we changed since the last successful push."""
    trails = field_trails(_after(version, version.pushed_revision).only("fields", "kind"))
    return {name: trail for name, trail in trails.items() if trail.owed}


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
        trails[pk] = {name: trail for name, trail in field_trails(rows).items() if trail.owed}
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


@dataclass
class PushPlan:
    """What one push brings PAI to: the revision, the fields to reach it, and (for a decision) the content."""

    target: int
    trails: dict[str, FieldTrail]  # the fields changed up to `target`, with PAI's base and our values
    decision: bool  # `target` carries a decision: PAI's whole content must be the approved content
    content: dict[str, Any]  # with a decision: {PAI field: its value at `target`} for every content field

    @property
    def values(self) -> dict[str, Any]:
        return {name: trail.now for name, trail in self.trails.items()}


def push_plan(version: ModelVersion, content_fields: Iterable[str], attrs: dict[str, str]) -> PushPlan:
    """The next push of `version` (docs/architecture.md, invariant 8).

    A decision is a barrier: PAI receives exactly the content of the decided
    revision together with the decision, and edits saved after it only in later
    pushes. `content_fields` are the fields an approval covers; `attrs` maps them
    to ModelVersion attributes.
    """
    changes = list(_after(version, version.pushed_revision).only("revision", "fields", "kind"))
    status = field_trails(changes).get("ApprovalStatus")
    if status is None or not status.owed or status.now == status.base:
        trails = field_trails(changes)
        return PushPlan(version.revision, {n: t for n, t in trails.items() if t.owed}, False, {})
    # The decision PAI is owed is the last change that set ApprovalStatus.
    target = max(c.revision for c in changes if "ApprovalStatus" in c.fields)
    upto = field_trails(c for c in changes if c.revision <= target)
    later = field_trails(c for c in changes if c.revision > target)
    content = {name: later[name].before if name in later else getattr(version, attrs[name]) for name in content_fields}
    return PushPlan(target, {n: t for n, t in upto.items() if t.owed}, True, content)
