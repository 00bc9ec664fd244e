"""The push's two writes to its version row, one statement each (services/push.py).

The claim sets the lease and loads the version in the same `UPDATE … RETURNING`
(with the few fields of its model and workspace a push reads, by subqueries: SQLite
lets RETURNING name only the updated table). The outcome is written under the lease
by one conditional UPDATE that says whether the lease still held and what the row
holds now, instead of locking and re-reading the row first. Both PostgreSQL and
SQLite (3.35 and later) run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from approvals.models import ModelVersion, PushState, RegisteredModel, Workspace

_RELATED = {
    # alias: (the related model, its field, the version's foreign key column)
    "_pai_model_id": (RegisteredModel, "model_id", "model_id"),
    "_pai_model_name": (RegisteredModel, "name", "model_id"),
    "_ws_workspace_id": (Workspace, "workspace_id", "workspace_id"),
    "_ws_endpoint": (Workspace, "endpoint", "workspace_id"),
}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _prep(name: str, value: Any) -> Any:
    return ModelVersion._meta.get_field(name).get_db_prep_value(value, connection)


def claim(version_id: int, token: str, *, now: datetime, expires_at: datetime) -> ModelVersion | None:
    """Take the lease on a version owed a push (none live, not failed or in conflict); the version, or None."""
    table = _q(ModelVersion._meta.db_table)
    columns = ", ".join(f"{table}.{_q(f.column)}" for f in ModelVersion._meta.concrete_fields)
    related = ", ".join(
        f"(SELECT r.{_q(model._meta.get_field(field).column)} FROM {_q(model._meta.db_table)} r "  # noqa: S608 (names from the models)
        f"WHERE r.{_q(model._meta.pk.column)} = {table}.{_q(fk)}) AS {alias}"
        for alias, (model, field, fk) in _RELATED.items()
    )
    sql = (
        f"UPDATE {table} SET {_q('lease_owner')} = %s, {_q('lease_expires_at')} = %s, {_q('push_state')} = %s "  # noqa: S608 (names from the model)
        f"WHERE {_q('id')} = %s AND {_q('revision')} > {_q('pushed_revision')} "
        f"AND {_q('push_state')} NOT IN (%s, %s) "
        f"AND ({_q('lease_expires_at')} IS NULL OR {_q('lease_expires_at')} < %s) "
        f"RETURNING {columns}, {related}"
    )
    params = [token, _prep("lease_expires_at", expires_at), PushState.PUSHING, version_id]
    params += [PushState.FAILED, PushState.CONFLICT, _prep("lease_expires_at", now)]
    rows = list(ModelVersion.objects.raw(sql, params))
    if not rows:
        return None
    version = rows[0]
    version.model = RegisteredModel.from_db(
        connection.alias, ["id", "model_id", "name"], [version.model_id, version._pai_model_id, version._pai_model_name]
    )
    values = [version.workspace_id, version._ws_workspace_id, version._ws_endpoint]
    version.workspace = Workspace.from_db(connection.alias, ["id", "workspace_id", "endpoint"], values)
    return version


@dataclass(frozen=True)
class Recorded:
    revision: int  # the newest revision now (an edit may have come in during the push)
    push_attempts: int
    push_state: str


def record(version_id: int, token: str, values: dict[str, Any], *, count_attempt: bool) -> Recorded | None:
    """Write the push columns in `values` and free the lease, if `token` still holds it; None if not.

    `push_state` may be a pushed revision's `(DONE, revision)`: done if the row is still at that
    revision, queued if an edit came in meanwhile. Runs inside the caller's transaction.
    """
    table = _q(ModelVersion._meta.db_table)
    sets, params = [f"{_q('lease_owner')} = %s"], [""]
    for name, value in values.items():
        if name == "push_state" and isinstance(value, tuple):
            sets.append(f"{_q('push_state')} = CASE WHEN {_q('revision')} = %s THEN %s ELSE %s END")
            params += [value[1], PushState.DONE, PushState.QUEUED]
        else:
            sets.append(f"{_q(ModelVersion._meta.get_field(name).column)} = %s")
            params.append(_prep(name, value))
    if count_attempt:
        sets.append(f"{_q('push_attempts')} = {_q('push_attempts')} + 1")
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} WHERE {_q('id')} = %s AND {_q('lease_owner')} = %s "  # noqa: S608 (names from the model)
        f"RETURNING {_q('revision')}, {_q('push_attempts')}, {_q('push_state')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, version_id, token])
        row = cursor.fetchone()
    return None if row is None else Recorded(*row)
