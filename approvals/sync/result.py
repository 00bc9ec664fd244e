"""What a sync did, and how it failed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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


ProgressCallback = Callable[[SyncResult], None]
