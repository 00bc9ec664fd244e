"""Pull what PAI holds into the dashboard: every model of a workspace and every version.

HTTP happens outside transactions; each model's versions are upserted in one
short transaction with a fixed number of queries, whatever the number of
versions. What PAI changed since the last sync becomes an audit event by actor
`PAI`; what PAI no longer lists is marked gone, never deleted, and only when
the listing that says so was complete.
"""

from .mapping import parse_time
from .result import SyncFailed, SyncResult
from .run import STALE_AFTER, ensure_configured_workspaces, sync_workspace

__all__ = ["STALE_AFTER", "SyncFailed", "SyncResult", "ensure_configured_workspaces", "parse_time", "sync_workspace"]
