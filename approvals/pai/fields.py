"""The rules UpdateModelVersion applies to a version's fields.

One source of truth for the emulator (which refuses what PAI refuses) and the
dashboard's forms (which refuse it before anything is saved). The fields
themselves are approvals/fields.py's table. No Django imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from approvals.fields import (
    APPROVAL_STATUSES,
    OBJECT_NAMES,
    SOURCE_TYPES,
    UPDATABLE,
    UPDATABLE_NAMES,
    Kind,
)

# Derived from the dashboard's field table, which is plain Python and imports nothing.
OBJECT_FIELDS = OBJECT_NAMES
STRING_FIELDS = tuple(f.name for f in UPDATABLE if f.kind in (Kind.TEXT, Kind.ENUM, Kind.JSON_TEXT))
UPDATABLE_FIELDS = UPDATABLE_NAMES
METRICS_MAX_CHARS = 8192
VERSION_NAME_RE = re.compile(r"^\d+\.\d+\.\d+(_\w+)?$", re.ASCII)
SOURCE_ID_RE = re.compile(r"^region=[^,=\s]+,workspaceId=[^,=\s]+,kind=(PipelineRun|ServiceJob),id=[^,=\s]+$")
SOURCE_ID_FORMAT = "region=<region_id>,workspaceId=<workspace_id>,kind=<PipelineRun or ServiceJob>,id=<id>"


def serialize(value: Any) -> str:
    """JSON as it goes on the wire: compact, non-ASCII kept (as the official SDK sends it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class FieldProblem:
    """One refusal: the field, PAI's English message, and a code with its parameters, from which
    the dashboard words the message in the reader's language (display/field_problems.py)."""

    field: str
    message: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()


def check_update(body: Mapping[str, Any], current: Mapping[str, Any] | None = None) -> list[FieldProblem]:
    """Every reason PAI would refuse `body` as an UpdateModelVersion body.

    `current` is the stored version, when known: it decides whether an
    ApprovalStatus change is allowed and which SourceType a lone SourceId has.
    Fields outside UPDATABLE_FIELDS are not checked (PAI ignores them).
    """
    problems: list[FieldProblem] = []

    def refuse(target: str, message: str, code: str, **params: object) -> None:
        problems.append(FieldProblem(target, message, code, tuple((k, str(v)) for k, v in params.items())))

    for field in OBJECT_FIELDS:
        if field in body and not isinstance(body[field], dict):
            refuse(field, f"{field} must be a JSON object.", "not_object", field=field)
    for field in STRING_FIELDS:
        if field in body and not isinstance(body[field], str):
            refuse(field, f"{field} must be a string.", "not_string", field=field)
    if isinstance(body.get("Metrics"), dict):
        size = len(serialize(body["Metrics"]))
        if size > METRICS_MAX_CHARS:
            refuse(
                "Metrics",
                f"Metrics is {size} characters once serialized; the limit is {METRICS_MAX_CHARS}.",
                "metrics_too_long",
                size=size,
                limit=METRICS_MAX_CHARS,
            )
    status = body.get("ApprovalStatus")
    if isinstance(status, str):
        if status not in APPROVAL_STATUSES:
            values = ", ".join(APPROVAL_STATUSES)
            refuse(
                "ApprovalStatus",
                f"ApprovalStatus must be one of {values}.",
                "not_one_of",
                field="ApprovalStatus",
                values=values,
            )
        elif (
            current is not None
            and current.get("ApprovalStatus", "Pending") != "Pending"
            and status != current.get("ApprovalStatus")
        ):
            refuse(
                "ApprovalStatus",
                f"The version is already {current['ApprovalStatus']}; an approval decision cannot be changed.",
                "already_decided",
                status=current["ApprovalStatus"],
            )
    source_type = body.get("SourceType")
    if isinstance(source_type, str) and source_type not in SOURCE_TYPES:
        values = ", ".join(SOURCE_TYPES)
        refuse("SourceType", f"SourceType must be one of {values}.", "not_one_of", field="SourceType", values=values)
    if "SourceType" in body or "SourceId" in body:
        effective_type = body.get("SourceType", (current or {}).get("SourceType") or "Custom")
        effective_id = body.get("SourceId", (current or {}).get("SourceId") or "")
        if (
            effective_type in ("PAIFlow", "TrainingService")
            and isinstance(effective_id, str)
            and not SOURCE_ID_RE.match(effective_id)
        ):
            refuse(
                "SourceId",
                f"For SourceType {effective_type}, SourceId must look like {SOURCE_ID_FORMAT}.",
                "bad_source_id",
                source_type=effective_type,
                format=SOURCE_ID_FORMAT,
            )
    return problems
