"""A new version of a model, as a training job would register it: POST /_emulator/versions.

PAI's own API has no call the dashboard uses to create versions (training jobs and the
console do that), so the demo and the tests make one appear through this control endpoint.
The new version copies its model's newest version (specs, format, Uri) with the fields the
body gives; it is Pending unless the body says otherwise, and named after the newest one
(its patch number plus one) unless the body names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from approvals.pai import fields

from .errors import ApiError, invalid_parameter

DEFAULT_DESCRIPTION = "Registered through the emulator's control endpoint (POST /_emulator/versions)."
# What a new version never inherits from the one it copies.
NOT_COPIED = ("VersionName", "GmtCreateTime", "GmtModifiedTime", "ApprovalStatus", "VersionDescription")
KNOWN_KEYS = {"Model", "VersionName", *fields.UPDATABLE_FIELDS}
NUMBERS = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def model_ref(body: Any) -> str:
    """The model the body names (ModelId or ModelName), after checking the body's shape."""
    if not isinstance(body, dict):
        raise invalid_parameter("The body must be a JSON object: Model (a ModelId or ModelName), optionally more.")
    unknown = sorted(set(body) - KNOWN_KEYS)
    if unknown:
        raise invalid_parameter(f"Unknown field {unknown[0]!r}; known: {', '.join(sorted(KNOWN_KEYS))}.")
    ref = body.get("Model")
    if not isinstance(ref, str) or not ref.strip():
        raise invalid_parameter("Model is required: the ModelId or ModelName of the model to add a version to.")
    return ref.strip()


def next_name(names: set[str], latest: str | None) -> str:
    """The newest version's patch number plus one (1.0.0 for a model without versions), unused."""
    match = NUMBERS.match(latest or "")
    major, minor, patch = (int(n) for n in match.groups()) if match else (1, 0, -1)
    while True:
        patch += 1
        name = f"{major}.{minor}.{patch}"
        if name not in names:
            return name


def new_version(
    body: Mapping[str, Any], *, latest: Mapping[str, Any] | None, names: set[str], model_id: str, now: str
) -> dict[str, Any]:
    """The version to store (raises ApiError 400 for a bad body, 409 for a name in use)."""
    name = body.get("VersionName")
    if name is None:
        name = next_name(names, (latest or {}).get("VersionName"))
    elif not isinstance(name, str) or not fields.VERSION_NAME_RE.match(name):
        raise invalid_parameter("VersionName must look like 1.2.3 or 1.2.3_suffix.")
    elif name in names:
        raise ApiError(409, "ModelVersionAlreadyExists", f"The model {model_id!r} already has a version {name!r}.")
    updates = {key: value for key, value in body.items() if key in fields.UPDATABLE_FIELDS}
    problems = fields.check_update(updates)
    if problems:
        raise invalid_parameter(f"{problems[0].field}: {problems[0].message}")
    version = {key: value for key, value in (latest or {}).items() if key not in NOT_COPIED}
    version.update(
        {
            "VersionName": name,
            "VersionDescription": DEFAULT_DESCRIPTION,
            "ApprovalStatus": "Pending",
            "GmtCreateTime": now,
            **updates,
        }
    )
    return version
