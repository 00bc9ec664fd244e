"""Writing what PAI listed: models and versions upserted in bulk, changes audited, the missing marked gone."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Q

from approvals.services import audit

from ..models import UPDATABLE_ATTRS, Change, ChangeKind, ModelVersion, RegisteredModel, Workspace
from .fetch import Listing
from .mapping import LOCALLY_OWNED, MODEL_FIELDS, VERSION_FIELDS, field_diff, mapped, parse_time
from .progress import save_progress
from .result import SyncResult

logger = logging.getLogger(__name__)

ACTOR = "PAI"
BATCH_SIZE = 500
_EMPTY_JSON = {dict: "{}", list: "[]"}
# Covers the clocks of the sync's and the worker's machines disagreeing a little.
PUSHED_WHILE_LISTING_MARGIN = timedelta(seconds=30)

# ---- writing ------------------------------------------------------------------------


def _mirror_commit() -> None:
    """Let this transaction's commit return before its WAL reaches the disk (PostgreSQL).

    A first sync commits once per model, and waiting for each flush was the
    largest part of its database time. What a sync writes is a copy of PAI plus
    the audit events about it, all in one transaction: a database crash can lose
    only the last few such transactions whole, never a part of one, and the next
    sync writes them again. A later synchronous commit (any edit) flushes them
    first, so the audit chain stays unbroken.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _event(action: str, workspace: Workspace, *, model: RegisteredModel, version_name: str = "", payload: dict) -> None:
    audit.append_event(
        actor=ACTOR,
        action=action,
        workspace_id=workspace.workspace_id,
        model_id=model.model_id,
        model_name=model.name,
        version_name=version_name,
        payload=payload,
    )


def upsert_models(
    workspace: Workspace, items: list[dict[str, Any]], now: datetime
) -> list[tuple[RegisteredModel, bool]]:
    """Create or update one page of models in one transaction; returns (row, is new) in PAI's order."""
    with transaction.atomic():
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
                _event("pai.changed", workspace, model=row, payload={"fields": diff})
            if came_back:
                _event("pai.reappeared", workspace, model=row, payload={})
        RegisteredModel.objects.bulk_create(new, batch_size=BATCH_SIZE)
        update_fields = [*(attr for attr, _ in MODEL_FIELDS.values()), "gmt_modified_time", "workspace", "gone"]
        RegisteredModel.objects.bulk_update(changed, [*update_fields, "synced_at"], batch_size=BATCH_SIZE)
        if untouched:
            RegisteredModel.objects.filter(pk__in=untouched).update(synced_at=now)
    return rows


def _remote_bases(versions: Iterable[ModelVersion]) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, list]]]:
    """For versions with unpushed edits: {version pk: {attr: PAI's value before the first unpushed edit}},
    and {version pk: {attr: [values those edits set]}}.

    Their local fields hold the edit, not what PAI had; the Change rows remember the base.
    PAI may already hold any of our values (an attempt applied, then a timeout): that is
    our push landing, not a change made elsewhere. One query for all of them.
    """
    pending = {v.pk: v for v in versions}
    if not pending:
        return {}, {}
    bases: dict[int, dict[str, Any]] = {pk: {} for pk in pending}
    ours: dict[int, dict[str, list]] = {pk: {} for pk in pending}
    changes = (
        Change.objects.filter(version_id__in=pending, revision__gt=F("version__pushed_revision"))
        .order_by("version_id", "revision")
        .only("version_id", "fields", "kind")
    )
    for change in changes:
        for pai_name, (before, after) in change.fields.items():
            attr = UPDATABLE_ATTRS.get(pai_name)
            if attr is None:
                continue
            if change.kind == ChangeKind.RESOLUTION:
                bases[change.version_id][attr] = before
            else:
                bases[change.version_id].setdefault(attr, before)
            ours[change.version_id].setdefault(attr, []).append(after)
    return bases, ours


@dataclass(frozen=True)
class _Known:
    """What one query per model tells about each stored version, enough to skip the unchanged ones."""

    pk: int
    gmt_modified_time: datetime | None
    gone: bool


def _chunks(items: list, size: int = 1000) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def upsert_versions(
    workspace: Workspace,
    model: RegisteredModel,
    listing: Listing,
    now: datetime,
    result: SyncResult,
    *,
    model_is_new: bool,
) -> None:
    """One model's versions in one transaction, with a fixed number of queries however many there are.

    PAI moves GmtModifiedTime on every change, so a version whose time and
    gone flag match what we stored is unchanged and is not even loaded; only
    the others are loaded whole, compared field by field and rewritten. A
    model with nothing to write costs one read and no transaction.
    """
    items: dict[str, tuple[dict[str, Any], datetime | None]] = {}
    for item in listing.items:
        items[str(item.get("VersionName"))] = (item, parse_time(item.get("GmtModifiedTime")))

    def plan() -> tuple[dict[str, _Known], list[int], bool]:
        known = {
            name: _Known(pk, modified, gone)
            for pk, name, modified, gone in ModelVersion.objects.filter(model=model).values_list(
                "pk", "version_name", "gmt_modified_time", "gone"
            )
        }
        stale = [
            k.pk
            for name, (_item, modified) in items.items()
            if (k := known.get(name)) is not None and (k.gone or k.gmt_modified_time != modified)
        ]
        vanishing = listing.complete and any(name not in items and not k.gone for name, k in known.items())
        work = bool(stale) or vanishing or any(name not in known for name in items)
        return known, stale, work

    # A model this sync created has no stored versions yet: skip the read that would say so.
    work = bool(items) if model_is_new else plan()[2]
    if not listing.complete:
        result.skipped_gone_checks.append(model.model_id)
    result.versions += len(items)
    result.models += 1
    if not work:
        save_progress(workspace, result)
        return
    with transaction.atomic():
        _mirror_commit()
        known, stale, _ = plan()  # again, now that we hold the write lock
        # Locked: an edit accepted meanwhile must not be overwritten by what we compute here.
        rows: dict[str, ModelVersion] = {}
        for chunk in _chunks(stale):
            rows.update((v.version_name, v) for v in ModelVersion.objects.select_for_update().filter(pk__in=chunk))
        bases, ours = _remote_bases([v for v in rows.values() if v.revision > v.pushed_revision])

        new: list[dict[str, Any]] = []
        changed: list[ModelVersion] = []
        for name, (item, modified) in items.items():
            if name not in known:
                new.append(
                    {
                        "model_id": model.pk,
                        "workspace_id": workspace.pk,
                        "version_name": name,
                        "gmt_modified_time": modified,
                        "synced_at": now,
                        **mapped(item, VERSION_FIELDS),
                    }
                )
                continue
            row = rows.get(name)
            if row is None:
                continue  # unchanged since the last sync
            if row.pushed_at is not None and row.pushed_at >= listing.started_at - PUSHED_WHILE_LISTING_MARGIN:
                # Our push may have landed after PAI answered this listing, which would then undo it
                # here; left as it is (time included), the next sync reads the version afresh.
                continue
            values = mapped(item, VERSION_FIELDS)
            came_back = row.gone
            if row.revision > row.pushed_revision:
                # The push pipeline owns the fields of unpushed edits: keep ours, report what PAI did.
                # Without Change rows to say which fields those are, keep every editable field.
                base, mine = bases.get(row.pk) or {}, ours.get(row.pk) or {}
                owned = frozenset(base) or LOCALLY_OWNED
                diff = {}
                if modified != row.gmt_modified_time:
                    diff = {
                        field: d
                        for field, d in field_diff(row, values, VERSION_FIELDS, before=base).items()
                        # PAI holding one of our own values is our push landing, not somebody else's change.
                        if (attr := VERSION_FIELDS[field][0]) not in owned
                        or values[attr] not in mine.get(attr, [getattr(row, attr)])
                    }
                values = {attr: value for attr, value in values.items() if attr not in owned}
            else:
                diff = field_diff(row, values, VERSION_FIELDS)
            for attr, value in values.items():
                setattr(row, attr, value)
            row.gmt_modified_time, row.gone, row.synced_at = modified, False, now
            changed.append(row)
            if diff:
                result.changed += 1
                _event("pai.changed", workspace, model=model, version_name=name, payload={"fields": diff})
            if came_back:
                result.reappeared += 1
                _event("pai.reappeared", workspace, model=model, version_name=name, payload={})

        _insert(ModelVersion, new)
        update_fields = [attr for attr, _ in VERSION_FIELDS.values()]
        ModelVersion.objects.bulk_update(
            changed, [*update_fields, "gmt_modified_time", "gone", "synced_at"], batch_size=BATCH_SIZE
        )
        if new:
            names = [v["version_name"] for v in new]
            result.created += len(names)
            # One event per model and sync, not per version: a first sync of 100,000
            # versions writes one event per model, each naming its versions.
            _event(
                "pai.created",
                workspace,
                model=model,
                version_name=names[0] if len(names) == 1 else "",
                payload={"versions": names, "new_model": model_is_new},
            )

        if listing.complete:
            vanished = sorted((name, k.pk) for name, k in known.items() if name not in items and not k.gone)
            for chunk in _chunks([pk for _name, pk in vanished]):
                ModelVersion.objects.filter(pk__in=chunk).update(gone=True)
            result.gone += len(vanished)
            for name, _pk in vanished:
                _event("pai.gone", workspace, model=model, version_name=name, payload={})
        save_progress(workspace, result)


def mark_seen(model_pks: list[int], now: datetime) -> None:
    """The unchanged rows of these models were seen now: one UPDATE per page of models, not per model.

    After an incomplete listing a few rows PAI did not list may be included; they are not marked gone either.
    """
    if model_pks:
        ModelVersion.objects.filter(model_id__in=model_pks, gone=False).filter(
            Q(synced_at__lt=now) | Q(synced_at__isnull=True)
        ).update(synced_at=now)


def _insert(model_class: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows, given as {attname: value} (the rest take their defaults), in one statement.

    bulk_create spends most of a first sync building instances and preparing
    each value through the generic field machinery (and SQLite caps its
    statements at 999 parameters, about 24 rows); here each value is adapted
    once by its field type, as the ORM would. On PostgreSQL the rows go through
    COPY: psycopg 3's executemany sends one INSERT per row, each parsed and
    planned by the server, and COPY takes half that database time.
    """
    if not rows:
        return
    fields = [f for f in model_class._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    copy = connection.vendor == "postgresql"

    def adapter(f: models.Field) -> Callable[[Any], Any] | None:
        kind = f.get_internal_type()
        if kind in ("CharField", "TextField", "BooleanField", "ForeignKey") or kind.endswith("IntegerField"):
            return None  # the driver takes these as they are
        if kind == "JSONField" and copy:
            # COPY reads jsonb from its text: no wrapper object per value, and most are empty.
            dumps = partial(json.dumps, cls=f.encoder)
            return lambda v: (
                None if v is None else _EMPTY_JSON[type(v)] if not v and type(v) in _EMPTY_JSON else dumps(v)
            )
        if kind == "JSONField":
            return lambda v: None if v is None else ops.adapt_json_value(v, f.encoder)
        if kind == "DateTimeField":
            return None if copy else ops.adapt_datetimefield_value  # PostgreSQL's adapter is the identity
        return lambda v: f.get_db_prep_save(v, connection)

    # Each row over the defaults, its columns picked in C; only the few that need it adapted.
    defaults = {f.attname: f.get_default() for f in fields}
    pick = itemgetter(*defaults)
    adapted = [(i, adapt) for i, f in enumerate(fields) if (adapt := adapter(f)) is not None]
    values = []
    for row in rows:
        value = list(pick({**defaults, **row}))
        for i, adapt in adapted:
            value[i] = adapt(value[i])
        values.append(value)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    table = ops.quote_name(model_class._meta.db_table)
    with connection.cursor() as cursor:
        if copy:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:  # names from the model
                for row in values:
                    stream.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608 (names from the model)


def mark_model_gone(workspace: Workspace, model: RegisteredModel, result: SyncResult) -> None:
    with transaction.atomic():
        names = list(
            ModelVersion.objects.filter(model=model, gone=False)
            .order_by("version_name")
            .values_list("version_name", flat=True)
        )
        ModelVersion.objects.filter(model=model, gone=False).update(gone=True)
        RegisteredModel.objects.filter(pk=model.pk).update(gone=True)
        model.gone = True
        result.gone += len(names)
        _event("pai.gone", workspace, model=model, payload={"versions": names})
