"""Pull what PAI holds into the dashboard: every model of a workspace and every version.

HTTP happens outside transactions; each model's versions are upserted in one
short transaction with a fixed number of queries, whatever the number of
versions. What PAI changed since the last sync becomes an audit event by actor
`PAI`; what PAI no longer lists is marked gone, never deleted, and only when
the listing that says so was complete.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import audit
from .errors import ApplicationError
from .models import UPDATABLE_ATTRS, Change, ChangeKind, ModelVersion, RegisteredModel, SyncState, Workspace
from .pai.client import Page, PaiClient
from .pai.errors import PaiError, PaiRequestError, PaiThrottled

logger = logging.getLogger(__name__)

ACTOR = "PAI"
PAGE_SIZE = 100  # PAI's largest page
BATCH_SIZE = 500
# A sync that started longer ago than this is presumed dead (killed worker) and may be replaced.
STALE_AFTER = timedelta(minutes=15)
PAGE_ATTEMPTS = 3  # per page, for retryable errors (5xx, throttling, timeouts)
RETRY_BASE_SECONDS = 0.5
PROGRESS_EVERY_SECONDS = 0.5
# Oldest first, so versions created while we page are appended, not shifted onto pages already read.
LIST_ORDER = {"SortBy": "GmtCreateTime", "Order": "ASC"}

# PAI field -> (model attribute, kind). Kinds: str, json (object), list, time, options.
VERSION_FIELDS: dict[str, tuple[str, str]] = {
    "VersionDescription": ("version_description", "str"),
    "ApprovalStatus": ("approval_status", "str"),
    "Metrics": ("metrics", "json"),
    "TrainingSpec": ("training_spec", "json"),
    "InferenceSpec": ("inference_spec", "json"),
    "EvaluationSpec": ("evaluation_spec", "json"),
    "CompressionSpec": ("compression_spec", "json"),
    "DistillationSpec": ("distillation_spec", "json"),
    "ExtraInfo": ("extra_info", "json"),
    "Options": ("options", "options"),
    "SourceType": ("source_type", "str"),
    "SourceId": ("source_id", "str"),
    "Uri": ("uri", "str"),
    "FormatType": ("format_type", "str"),
    "FrameworkType": ("framework_type", "str"),
    "Labels": ("labels", "list"),
    "OwnerId": ("owner_id", "str"),
    "UserId": ("user_id", "str"),
    "GmtCreateTime": ("gmt_create_time", "time"),
}
MODEL_FIELDS: dict[str, tuple[str, str]] = {
    "ModelName": ("name", "str"),
    "ModelDescription": ("description", "str"),
    "Domain": ("domain", "str"),
    "Task": ("task", "str"),
    "ModelType": ("model_type", "str"),
    "Origin": ("origin", "str"),
    "Provider": ("provider", "str"),
    "Accessibility": ("accessibility", "str"),
    "Labels": ("labels", "list"),
    "ExtraInfo": ("extra_info", "json"),
    "GmtCreateTime": ("gmt_create_time", "time"),
}
# Local edits own these until pushed (see DESIGN.md invariant 2); sync leaves them alone meanwhile.
LOCALLY_OWNED = frozenset(UPDATABLE_ATTRS.values())
DEFAULTS = {"SourceType": "Custom", "ApprovalStatus": "Pending"}


@dataclass
class SyncResult:
    workspace_id: str
    models: int = 0
    models_total: int = 0
    versions: int = 0
    created: int = 0
    changed: int = 0
    gone: int = 0
    reappeared: int = 0
    ok: bool = True
    error: str = ""
    seconds: float = 0.0
    skipped_gone_checks: list[str] = field(default_factory=list)


class SyncFailed(ApplicationError):
    """The sync stopped; what it synced before stays, and `result` counts it."""

    def __init__(self, message: str, *, result: SyncResult) -> None:
        super().__init__(message)
        self.result = result


ProgressCallback = Callable[[SyncResult], None]


# ---- mapping PAI's JSON to field values ------------------------------------------


def _value(raw: Any, kind: str, pai_name: str) -> Any:
    if kind == "str":
        return DEFAULTS.get(pai_name, "") if raw is None else str(raw)
    if kind == "json":
        return raw if isinstance(raw, dict) else {}
    if kind == "list":
        return raw if isinstance(raw, list) else []
    if kind == "options":
        # Options is a JSON string on the wire; tolerate an object and keep it as its string.
        if raw is None:
            return ""
        return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    if kind == "time":
        return parse_time(raw)
    raise ValueError(kind)


def parse_time(raw: Any) -> datetime | None:
    """PAI's ISO 8601 UTC ("2026-11-26T19:00:00.123Z") as an aware datetime; None when absent or unreadable."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def _mapped(item: Mapping[str, Any], spec: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    return {attr: _value(item.get(name), kind, name) for name, (attr, kind) in spec.items()}


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _diff(
    row: Any, values: Mapping[str, Any], spec: Mapping[str, tuple[str, str]], before: Mapping[str, Any] | None = None
) -> dict[str, list[Any]]:
    """{PaiField: [before, after]} for every field whose value differs; `before` overrides the row's value."""
    out = {}
    for name, (attr, _kind) in spec.items():
        old = before[attr] if before and attr in before else getattr(row, attr)
        new = values[attr]
        if old != new:
            out[name] = [_as_json(old), _as_json(new)]
    return out


# ---- talking to PAI ---------------------------------------------------------------


def _fetch_page(fetch: Callable[[], Page], what: str) -> Page:
    """One page, retrying retryable failures a few times; the last failure propagates."""
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        try:
            return fetch()
        except PaiError as exc:
            if not exc.retryable or attempt == PAGE_ATTEMPTS:
                raise
            delay = RETRY_BASE_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
            if isinstance(exc, PaiThrottled) and exc.retry_after:
                delay = max(delay, exc.retry_after)
            logger.warning("sync: %s failed (%s); retry %d in %.1fs", what, exc, attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


@dataclass
class Listing:
    items: list[dict[str, Any]]
    complete: bool  # every item PAI holds was seen: safe to call the missing ones gone


def _list_all(fetch: Callable[[int], Page], key: str, what: str) -> Listing:
    """Every page; `complete` only when the total did not move and every key was seen once.

    A version deleted while we page shifts later items onto pages already read,
    so an unstable listing must not mark anything gone.
    """
    items: dict[str, dict[str, Any]] = {}
    totals: set[int] = set()
    number = 1
    while True:
        page = _fetch_page(lambda n=number: fetch(n), f"{what} page {number}")
        totals.add(page.total_count)
        for item in page.items:
            items[str(item.get(key))] = item
        if not page.items or number * PAGE_SIZE >= page.total_count:
            break
        number += 1
    complete = len(totals) == 1 and len(items) == next(iter(totals))
    return Listing(list(items.values()), complete)


# ---- writing ------------------------------------------------------------------------


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


def _upsert_models(
    workspace: Workspace, items: list[dict[str, Any]], now: datetime
) -> list[tuple[RegisteredModel, bool]]:
    """Create or update one page of models in one transaction; returns (row, is new) in PAI's order."""
    with transaction.atomic():
        ids = [str(item["ModelId"]) for item in items]
        existing = {m.model_id: m for m in RegisteredModel.objects.select_for_update().filter(model_id__in=ids)}
        new, changed, untouched, rows = [], [], [], []
        for item in items:
            values = _mapped(item, MODEL_FIELDS)
            values["gmt_modified_time"] = parse_time(item.get("GmtModifiedTime"))
            row = existing.get(str(item["ModelId"]))
            if row is None:
                row = RegisteredModel(workspace=workspace, model_id=str(item["ModelId"]), synced_at=now, **values)
                new.append(row)
                rows.append((row, True))
                continue
            rows.append((row, False))
            diff = _diff(row, values, MODEL_FIELDS)
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


def _remote_bases(versions: Iterable[ModelVersion]) -> dict[int, dict[str, Any]]:
    """For versions with unpushed edits: {version pk: {attr: PAI's value before the first unpushed edit}}.

    Their local fields hold the edit, not what PAI had; the Change rows remember the base.
    One query for all of them.
    """
    pending = {v.pk: v for v in versions}
    if not pending:
        return {}
    bases: dict[int, dict[str, Any]] = {pk: {} for pk in pending}
    changes = (
        Change.objects.filter(version_id__in=pending, revision__gt=F("version__pushed_revision"))
        .order_by("version_id", "revision")
        .only("version_id", "fields", "kind")
    )
    for change in changes:
        for pai_name, (before, _after) in change.fields.items():
            attr = UPDATABLE_ATTRS.get(pai_name)
            if attr is None:
                continue
            if change.kind == ChangeKind.RESOLUTION:
                bases[change.version_id][attr] = before
            else:
                bases[change.version_id].setdefault(attr, before)
    return bases


@dataclass(frozen=True)
class _Known:
    """What one query per model tells about each stored version, enough to skip the unchanged ones."""

    pk: int
    gmt_modified_time: datetime | None
    gone: bool


def _chunks(items: list, size: int = 1000) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert_versions(
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

    *_, work = plan()
    if not listing.complete:
        result.skipped_gone_checks.append(model.model_id)
    result.versions += len(items)
    result.models += 1
    if not work:
        _save_progress(workspace, result)
        return
    with transaction.atomic():
        known, stale, _ = plan()  # again, now that we hold the write lock
        # Locked: an edit accepted meanwhile must not be overwritten by what we compute here.
        rows: dict[str, ModelVersion] = {}
        for chunk in _chunks(stale):
            rows.update((v.version_name, v) for v in ModelVersion.objects.select_for_update().filter(pk__in=chunk))
        bases = _remote_bases([v for v in rows.values() if v.revision > v.pushed_revision])

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
                        **_mapped(item, VERSION_FIELDS),
                    }
                )
                continue
            row = rows.get(name)
            if row is None:
                continue  # unchanged since the last sync
            values = _mapped(item, VERSION_FIELDS)
            came_back = row.gone
            if row.revision > row.pushed_revision:
                # The push pipeline owns the fields of unpushed edits: keep ours, report what PAI did.
                # Without Change rows to say which fields those are, keep every editable field.
                base = bases.get(row.pk) or {}
                owned = frozenset(base) or LOCALLY_OWNED
                diff = {}
                if modified != row.gmt_modified_time:
                    diff = {
                        field: d
                        for field, d in _diff(row, values, VERSION_FIELDS, before=base).items()
                        # PAI holding our own value is our push landing, not somebody else's change.
                        if VERSION_FIELDS[field][0] not in owned
                        or values[VERSION_FIELDS[field][0]] != getattr(row, VERSION_FIELDS[field][0])
                    }
                values = {attr: value for attr, value in values.items() if attr not in owned}
            else:
                diff = _diff(row, values, VERSION_FIELDS)
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
        _save_progress(workspace, result)


def _mark_seen(model_pks: list[int], now: datetime) -> None:
    """The unchanged rows of these models were seen now: one UPDATE per page of models, not per model.

    After an incomplete listing a few rows PAI did not list may be included; they are not marked gone either.
    """
    if model_pks:
        ModelVersion.objects.filter(model_id__in=model_pks, gone=False).filter(
            Q(synced_at__lt=now) | Q(synced_at__isnull=True)
        ).update(synced_at=now)


def _insert(model_class: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """INSERT many rows, given as {attname: value} (the rest take their defaults), with one executemany.

    bulk_create spends most of a first sync building instances and preparing
    each value through the generic field machinery (and SQLite caps its
    statements at 999 parameters, about 24 rows); here each value is adapted
    once by its field type, as the ORM would, and the driver loops in C.
    """
    if not rows:
        return
    fields = [f for f in model_class._meta.concrete_fields if not f.primary_key]
    ops = connection.ops

    def adapter(f: models.Field) -> Callable[[Any], Any] | None:
        kind = f.get_internal_type()
        if kind in ("CharField", "TextField", "BooleanField", "ForeignKey") or kind.endswith("IntegerField"):
            return None  # the driver takes these as they are
        if kind == "JSONField":
            return lambda v: None if v is None else ops.adapt_json_value(v, f.encoder)
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        return lambda v: f.get_db_prep_save(v, connection)

    columns = [(f.attname, adapter(f), f.get_default()) for f in fields]
    values = [
        tuple(
            row.get(attname, default) if adapt is None else adapt(row.get(attname, default))
            for attname, adapt, default in columns
        )
        for row in rows
    ]
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = ops.quote_name(model_class._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608 (names from the model)


def _mark_model_gone(workspace: Workspace, model: RegisteredModel, result: SyncResult) -> None:
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


# ---- the workspace ------------------------------------------------------------------


_progress_saved_at: dict[int, float] = {}


def _save_progress(workspace: Workspace, result: SyncResult, *, force: bool = False) -> None:
    """Show progress on the pages, now and then; abort when another sync took the workspace over."""
    last = _progress_saved_at.get(workspace.pk, 0.0)
    if not force and time.monotonic() - last < PROGRESS_EVERY_SECONDS:
        return
    _progress_saved_at[workspace.pk] = time.monotonic()
    updated = Workspace.objects.filter(
        pk=workspace.pk, sync_state=SyncState.RUNNING, sync_started_at=workspace.sync_started_at
    ).update(sync_progress=_progress(result))
    if not updated:
        raise ApplicationError("Another sync of this workspace took over (this one ran past its time); stopping.")


def _progress(result: SyncResult) -> dict[str, int]:
    return {
        "models": result.models,
        "models_total": result.models_total,
        "versions": result.versions,
        "created": result.created,
        "changed": result.changed,
        "gone": result.gone,
    }


def _claim(workspace: Workspace, now: datetime) -> None:
    """Mark the workspace running unless a live sync holds it: a conditional UPDATE, so two can't both win."""
    claimed = (
        Workspace.objects.filter(pk=workspace.pk)
        .filter(
            ~Q(sync_state=SyncState.RUNNING)
            | Q(sync_started_at__isnull=True)
            | Q(sync_started_at__lt=now - STALE_AFTER)
        )
        .update(sync_state=SyncState.RUNNING, sync_started_at=now, sync_error="", sync_progress={})
    )
    if not claimed:
        workspace.refresh_from_db(fields=["sync_started_at"])
        started = workspace.sync_started_at.isoformat(timespec="seconds") if workspace.sync_started_at else "?"
        raise ApplicationError(f"A sync of {workspace.workspace_id} is already running (started {started}).")
    workspace.sync_state, workspace.sync_started_at, workspace.sync_error = SyncState.RUNNING, now, ""


def _finish(workspace: Workspace, result: SyncResult, now: datetime) -> None:
    state = SyncState.OK if result.ok else SyncState.FAILED
    values: dict[str, Any] = {"sync_state": state, "sync_error": result.error, "sync_progress": _progress(result)}
    if result.ok:
        values["last_synced_at"] = now
    Workspace.objects.filter(pk=workspace.pk, sync_started_at=workspace.sync_started_at).update(**values)
    for attr, value in values.items():
        setattr(workspace, attr, value)


def _walk(
    *,
    workspace: Workspace,
    client: PaiClient,
    started: datetime,
    result: SyncResult,
    on_progress: ProgressCallback | None,
    where: list[str],
) -> None:
    """Every page of ListModels, and for each model every page of ListModelVersions, saved as they come."""

    def versions_of(model_id: str) -> Listing:
        return _list_all(
            lambda n: client.list_model_versions_page(model_id, page_number=n, page_size=PAGE_SIZE, **LIST_ORDER),
            "VersionName",
            f"ListModelVersions {model_id}",
        )

    seen: set[str] = set()
    synced: list[int] = []  # models of the current page whose versions were saved
    totals: set[int] = set()
    number = 1
    # One thread fetches the next model's versions while this one saves the current
    # model's, so a sync takes about as long as the fetching alone. The client is
    # never used by both threads at once: ListModels runs only when no fetch is pending.
    fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pai-sync-fetch")
    try:
        while True:
            where[0] = f"ListModels {workspace.workspace_id} page {number}"
            page = _fetch_page(
                lambda n=number: client.list_models_page(
                    workspace_id=workspace.workspace_id, page_number=n, page_size=PAGE_SIZE, **LIST_ORDER
                ),
                where[0],
            )
            totals.add(page.total_count)
            result.models_total = page.total_count
            where[0] = f"saving models of ListModels page {number}"
            rows = _upsert_models(workspace, [m for m in page.items if str(m.get("ModelId")) not in seen], started)
            pending: Future[Listing] | None = fetcher.submit(versions_of, rows[0][0].model_id) if rows else None
            synced.clear()
            for index, (model, model_is_new) in enumerate(rows):
                seen.add(model.model_id)
                where[0] = f"ListModelVersions {model.model_id}"
                try:
                    listing: Listing | None = pending.result()
                except PaiRequestError as exc:
                    if exc.code != "ModelNotFound":
                        raise
                    listing = None  # deleted between ListModels and now: PAI says so outright
                pending = fetcher.submit(versions_of, rows[index + 1][0].model_id) if index + 1 < len(rows) else None
                if listing is None:
                    _mark_model_gone(workspace, model, result)
                    continue
                where[0] = f"saving versions of {model.model_id}"
                _upsert_versions(workspace, model, listing, started, result, model_is_new=model_is_new)
                synced.append(model.pk)
                if on_progress:
                    on_progress(result)
            _mark_seen(synced, started)
            synced.clear()
            if not page.items or number * PAGE_SIZE >= page.total_count:
                break
            number += 1
    finally:
        fetcher.shutdown(wait=True, cancel_futures=True)
        _mark_seen(synced, started)  # what was synced before a failure was seen too

    where[0] = "marking models PAI no longer lists"
    if len(totals) != 1 or len(seen) != next(iter(totals)):
        result.skipped_gone_checks.append(f"workspace {workspace.workspace_id}")
        return
    stored = RegisteredModel.objects.filter(workspace=workspace, gone=False).only("pk", "model_id", "name")
    for model in stored:
        if model.model_id not in seen:
            _mark_model_gone(workspace, model, result)


def sync_workspace(
    *, workspace: Workspace, client: PaiClient | None = None, on_progress: ProgressCallback | None = None
) -> SyncResult:
    """Mirror one workspace's models and versions from PAI.

    Raises ApplicationError when another sync is running, and SyncFailed (after
    recording the failure on the workspace) when PAI or the database fails
    halfway; everything synced before the failure stays.
    """
    if client is None:
        from .pai_clients import client_for

        client = client_for(workspace)
    started = timezone.now()
    clock = time.monotonic()
    _claim(workspace, started)
    result = SyncResult(workspace_id=workspace.workspace_id)
    where = [f"ListModels {workspace.workspace_id}"]  # what the sync is doing, for the error message
    try:
        _walk(workspace=workspace, client=client, started=started, result=result, on_progress=on_progress, where=where)
    except PaiError as exc:
        # str(exc) carries status, Code, Message and RequestId; never credentials.
        detail = str(exc) if exc.code else f"{type(exc).__name__}: {exc}"
        result.ok, result.error = False, f"{where[0]}: {detail}"
    except ApplicationError as exc:
        result.ok, result.error = False, f"{where[0]}: {exc.message}"
    except Exception as exc:
        # A bug or a database failure: record it for the pages, keep the traceback in the log.
        logger.exception("sync of %s failed at %s", workspace.workspace_id, where[0])
        result.ok, result.error = False, f"{where[0]}: {type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - clock
    _finish(workspace, result, timezone.now())
    if on_progress:
        on_progress(result)
    if result.skipped_gone_checks:
        logger.warning("sync: listings changed while paging; gone not checked for %s", result.skipped_gone_checks)
    logger.info(
        "sync workspace=%s ok=%s models=%d versions=%d created=%d changed=%d gone=%d seconds=%.1f",
        workspace.workspace_id,
        result.ok,
        result.models,
        result.versions,
        result.created,
        result.changed,
        result.gone,
        result.seconds,
    )
    if not result.ok:
        raise SyncFailed(f"Sync of {workspace.workspace_id} failed: {result.error}", result=result)
    return result


def ensure_configured_workspaces() -> list[Workspace]:
    """A Workspace row for every id in settings.PAI_WORKSPACE_IDS; returns them all."""
    rows = []
    for workspace_id in settings.PAI_WORKSPACE_IDS:
        row, _ = Workspace.objects.get_or_create(
            workspace_id=workspace_id, defaults={"name": workspace_id, "region": settings.PAI_REGION}
        )
        rows.append(row)
    return rows
