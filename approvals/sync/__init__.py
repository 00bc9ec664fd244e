"""Pull what PAI holds into the dashboard: every model of a workspace and every version.

HTTP happens outside transactions, in a thread of its own; each page of models
(100) and their versions is written in one transaction with a fixed number of
queries per model, whatever the number of versions, while the next page is
fetched. A version row is written only when PAI changed it; that the others were
seen is their model's `versions_seen_at`. What PAI changed since the last sync becomes an audit event by actor
`PAI`; what PAI no longer lists is marked gone, never deleted, and only when
the listing that says so was complete.
"""

from ..errors import SyncFailed
from .mapping import parse_time
from .result import SyncResult
from .run import ensure_configured_workspaces, sync_workspace

__all__ = ["SyncFailed", "SyncResult", "ensure_configured_workspaces", "parse_time", "sync_workspace"]
