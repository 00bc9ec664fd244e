"""Writing what PAI listed: models and versions upserted in bulk, changes audited, the missing marked gone."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, QuerySet, Value, When

from approvals.services import audit_events

from ..fields import WRITABLE_ATTRS
from ..models import ApprovalStatus, ModelVersion, RegisteredModel, Workspace
from ..services.label_index import labels_index
from ..services.unpushed import unpushed_trails_of
from .fetch import Listing
from .mapping import LOCALLY_OWNED, MODEL_FIELDS, VERSION_FIELDS, field_diff, mapped, pai_stamp, parse_time
from .page_writes import PageWrites
from .remote_changes import record_remote_changes
from .result import SyncResult

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Covers the clocks of the sync's and the worker's machines disagreeing a little.
PUSHED_WHILE_LISTING_MARGIN = timedelta(seconds=30)
# A version modified within this of its model's last listing is compared field by field at the next
# sync even when its stamp did not move (Known.recent): PAI's clock may be coarser than ours, or behind.
SAME_STAMP_MARGIN = timedelta(seconds=30)

# ---- writing ------------------------------------------------------------------------


def mirror_commit() -> None:
    """Let this transaction's commit return before its WAL reaches the disk (PostgreSQL).

    A sync commits once per page of models, and waiting for each flush was the
    largest part of a first sync's database time when it committed per model.
    What a sync writes is a copy of PAI plus the audit events about it, all in
    one transaction: a database crash can lose
    only the last few such transactions whole, never a part of one, and the next
    sync writes them again. A later synchronous commit (any edit) flushes them
    first, so the audit chain stays unbroken.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def upsert_models(
    workspace: Workspace, items: list[dict[str, Any]], now: datetime
) -> tuple[list[tuple[RegisteredModel, bool]], list[int]]:
    """Create or update one page of models, in the page's transaction; returns (row, is new) in PAI's order,
    and the pks of the models PAI did not change: their `synced_at` is for `mark_versions_seen` to write."""
    with transaction.atomic(savepoint=False):
        ids = [str(item["ModelId"]) for item in items]
        existing = {m.model_id: m for m in RegisteredModel.objects.select_for_update().filter(model_id__in=ids)}
        new, changed, untouched, rows = [], [], [], []
        for item in items:
            values = mapped(item, MODEL_FIELDS)
            values["gmt_modified_time"] = parse_time(item.get("GmtModifiedTime"))
            row = existing.get(str(item["ModelId"]))
            if row is None:
                row = RegisteredModel(workspace=workspace, model_id=str(item["ModelId"]), synced_at=now, **values)
                new.append(row)
                rows.append((row, True))
                continue
            rows.append((row, False))
            diff = field_diff(row, values, MODEL_FIELDS)
            came_back = row.gone
            if not (
                diff
                or came_back
                or row.workspace_id != workspace.pk
                or row.gmt_modified_time != values["gmt_modified_time"]
            ):
                untouched.append(row.pk)
                row.synced_at = now
                continue
            for attr, value in values.items():
                setattr(row, attr, value)
            row.workspace, row.gone, row.synced_at = workspace, False, now
            changed.append(row)
            if diff:
                audit_events.pai_changed(workspace, row, diff=diff)
            if came_back:
                audit_events.pai_reappeared(workspace, row)
        RegisteredModel.objects.bulk_create(new, batch_size=BATCH_SIZE)
        update_fields = [*(attr for attr, _ in MODEL_FIELDS.values()), "gmt_modified_time", "workspace", "gone"]
        RegisteredModel.objects.bulk_update(changed, [*update_fields, "synced_at"], batch_size=BATCH_SIZE)
    return rows, untouched


class Known(NamedTuple):
    """What one query per page of models tells about a stored version, enough to skip an unchanged one."""

    pk: int
    stamp: str  # sync/mapping.pai_stamp of what the last sync read
    gone: bool
    # Modified so close to when its model's versions were last listed that a change made just
    # after that listing could carry the same GmtModifiedTime (a clock coarser than ours, or
    # behind it): compared field by field once more, whatever its stamp.
    recent: bool


def _chunks(items: list, size: int = 1000) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def known_versions(model_pks: list[int], now: datetime) -> dict[int, dict[str, Known]]:
    """{model pk: {version name: what we stored}} for a page of models, in one query per 1,000 models.

    `recent`: modified between its model's last listing (less the margin) and `now`, this sync's
    start (plus the margin). A time past that is no clock's reading at that listing, only a
    registry dated ahead, so a change after the listing could not have carried it; comparing
    such versions at every sync would cost what stamps save.
    """
    known: dict[int, dict[str, Known]] = {pk: {} for pk in model_pks}
    recent = ExpressionWrapper(
        Q(model__versions_seen_at__isnull=True)
        | Q(
            gmt_modified_time__gte=F("model__versions_seen_at") - SAME_STAMP_MARGIN,
            gmt_modified_time__lte=now + SAME_STAMP_MARGIN,
        ),
        output_field=BooleanField(),
    )
    for chunk in _chunks(model_pks):
        rows = (
            ModelVersion.objects.filter(model_id__in=chunk)
            .annotate(recent=recent)
            .values_list("model_id", "version_name", "pk", "pai_stamp", "gone", "recent")
        )
        for model_pk, name, pk, stamp, gone, is_recent in rows:
            known[model_pk][name] = Known(pk, stamp, gone, bool(is_recent))
    return known


def upsert_versions(
    workspace: Workspace,
    model: RegisteredModel,
    listing: Listing,
    now: datetime,
    result: SyncResult,
    *,
    known: dict[str, Known],
    model_is_new: bool,
    writes: PageWrites,
) -> None:
    """One model's versions, inside the page's transaction, with a fixed number of queries however many.

    A version whose stamp (GmtModifiedTime and Labels as PAI sent them, sync/mapping.pai_stamp)
    equals the stored one, and that is neither gone nor `recent`, is unchanged: it is
    neither mapped nor loaded, one string comparison per version. Only the others are loaded
    whole, locked, compared field by field and rewritten. New versions are only added to `writes`:
    the page writes and audits them for all its models at once (sync/page_writes.py).
    A model with nothing to write costs no query at all: that the unchanged versions were seen is the model's
    `versions_seen_at`, set for the page (`mark_versions_seen`).
    """
    fresh: list[tuple[str, dict[str, Any], str]] = []  # new versions: (name, item, stamp)
    stale: dict[str, tuple[int, dict[str, Any], str]] = {}  # to compare: name -> (pk, item, stamp)
    for item in listing.items:
        name = str(item.get("VersionName"))
        stamp = pai_stamp(item)
        k = known.get(name)
        if k is None:
            fresh.append((name, item, stamp))
        elif k.stamp != stamp or k.gone or k.recent:
            stale[name] = (k.pk, item, stamp)
    vanished: list[tuple[str, int]] = []
    if listing.complete and len(known) > len(listing.items) - len(fresh):
        listed = {str(item.get("VersionName")) for item in listing.items}
        vanished = sorted((name, k.pk) for name, k in known.items() if name not in listed and not k.gone)
    if not listing.complete:
        result.skipped_gone_checks.append(model.model_id)
    result.versions += len(listing.items)
    result.models += 1
    if not (fresh or stale or vanished):
        return
    # savepoint=False: inside the page's transaction a failure fails the page, and a savepoint
    # per model would cost two statements for nothing.
    with transaction.atomic(savepoint=False):
        # Locked: an edit accepted meanwhile must not be overwritten by what we compute here.
        rows: dict[str, ModelVersion] = {}
        for chunk in _chunks([pk for pk, _item, _stamp in stale.values()]):
            rows.update((v.version_name, v) for v in ModelVersion.objects.select_for_update().filter(pk__in=chunk))
        trails = unpushed_trails_of(v for v in rows.values() if v.revision > v.pushed_revision)
        labels_before = {v.pk: v.labels for v in rows.values()}

        new: list[dict[str, Any]] = []
        for name, item, stamp in fresh:
            values = mapped(item, VERSION_FIELDS)
            new.append(
                {
                    "model_id": model.pk,
                    "workspace_id": workspace.pk,
                    "version_name": name,
                    "gmt_modified_time": parse_time(item.get("GmtModifiedTime")),
                    "pai_stamp": stamp,
                    # First seen Pending now: its review time runs from here (selectors/reviews.py).
                    "pending_since": now if values.get("approval_status") == ApprovalStatus.PENDING else None,
                    "first_seen_at": now,
                    **values,
                }
            )
        changed: list[ModelVersion] = []
        remote: list[tuple[ModelVersion, dict[str, list[Any]]]] = []
        for name, (_pk, item, stamp) in stale.items():
            row = rows.get(name)
            if row is None:
                continue  # deleted meanwhile
            if row.pushed_at is not None and row.pushed_at >= listing.started_at - PUSHED_WHILE_LISTING_MARGIN:
                # Our push may have landed after PAI answered this listing, which would then undo it
                # here; left as it is (stamp included), the next sync reads the version afresh.
                continue
            values = mapped(item, VERSION_FIELDS)
            modified = parse_time(item.get("GmtModifiedTime"))
            came_back = row.gone
            if not came_back and stamp == row.pai_stamp and not field_diff(row, values, VERSION_FIELDS):
                continue  # only `recent`, and PAI holds what we hold: nothing to write
            if row.revision > row.pushed_revision:
                # The push pipeline owns the fields of unpushed edits: keep ours, report what PAI did.
                # Without Change rows to say which fields those are, keep every editable field.
                # By attribute: PAI's value before our unpushed values, and those values.
                mine = {WRITABLE_ATTRS[f]: t for f, t in (trails.get(row.pk) or {}).items() if f in WRITABLE_ATTRS}
                base = {attr: t.base for attr, t in mine.items()}
                owned = frozenset(base) or LOCALLY_OWNED
                diff = {}
                # Only when PAI says it changed the version: otherwise what differs is our unpushed edit.
                # A stamp from before stamps were kept ("") says nothing.
                if modified != row.gmt_modified_time or (row.pai_stamp and stamp != row.pai_stamp):
                    diff = {
                        field: d
                        for field, d in field_diff(row, values, VERSION_FIELDS, before=base).items()
                        # PAI holding one of our own values is our push landing, not somebody else's change.
                        if (attr := VERSION_FIELDS[field][0]) not in owned
                        or values[attr] not in (mine[attr].ours if attr in mine else [getattr(row, attr)])
                    }
                values = {attr: value for attr, value in values.items() if attr not in owned}
            else:
                owned = frozenset()
                diff = field_diff(row, values, VERSION_FIELDS)
            applied = {field: d for field, d in diff.items() if VERSION_FIELDS[field][0] not in owned}
            if applied:
                remote.append((row, applied))
            for attr, value in values.items():
                setattr(row, attr, value)
            row.gmt_modified_time, row.pai_stamp, row.gone = modified, stamp, False
            changed.append(row)
            if diff:
                result.changed += 1
                audit_events.pai_changed(workspace, model, version_name=name, diff=diff)
            if came_back:
                result.reappeared += 1
                audit_events.pai_reappeared(workspace, model, version_name=name)

        writes.add_new(model, new, model_is_new=model_is_new)
        result.created += len(new)
        record_remote_changes(workspace, model, remote, now)
        update_fields = [attr for attr, _ in VERSION_FIELDS.values()]
        ModelVersion.objects.bulk_update(
            changed,
            [*update_fields, "gmt_modified_time", "pai_stamp", "gone", "revision", "pushed_revision"],
            batch_size=BATCH_SIZE,
        )
        # The label filter's index follows the labels the rows now hold.
        labels_index({row.pk: row.labels for row in changed if row.labels != labels_before[row.pk]})

        if vanished:
            for chunk in _chunks([pk for _name, pk in vanished]):
                _gone(ModelVersion.objects.filter(pk__in=chunk), model)
            result.gone += len(vanished)
            for name, _pk in vanished:
                audit_events.pai_gone(workspace, model, version_name=name)


def _gone(versions: QuerySet[ModelVersion], model: RegisteredModel) -> None:
    """Mark versions gone, keeping when they were last seen: the last listing of their model before this one."""
    if model.versions_seen_at is None:
        versions.update(gone=True)
    else:
        versions.update(gone=True, last_seen_at=model.versions_seen_at)


def mark_versions_seen(model_pks: list[int], now: datetime, *, synced: Iterable[int] = ()) -> None:
    """Every version PAI listed for these models was seen now: one UPDATE of the model rows, none of versions.

    The same statement sets `synced_at` of the models `upsert_models` found unchanged (`synced`),
    so a page that changes nothing writes the models once. After an incomplete listing the few
    versions PAI did not list count as seen too; they are not marked gone either.
    """
    seen, touched = set(model_pks), set(synced)
    every = seen | touched
    if not every:
        return

    def now_for(pks: set[int], column: str) -> Any:
        return now if pks == every else Case(When(pk__in=sorted(pks), then=Value(now)), default=F(column))

    RegisteredModel.objects.filter(pk__in=sorted(every)).update(
        versions_seen_at=now_for(seen, "versions_seen_at"), synced_at=now_for(touched, "synced_at")
    )


def mark_model_gone(workspace: Workspace, model: RegisteredModel, result: SyncResult) -> None:
    with transaction.atomic(savepoint=False):
        names = list(
            ModelVersion.objects.filter(model=model, gone=False)
            .order_by("version_name")
            .values_list("version_name", flat=True)
        )
        _gone(ModelVersion.objects.filter(model=model, gone=False), model)
        RegisteredModel.objects.filter(pk=model.pk).update(gone=True)
        model.gone = True
        result.gone += len(names)
        audit_events.pai_gone(workspace, model, names=names)
