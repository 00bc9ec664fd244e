"""The figures of a run, printed for people and as one JSON line for tools; the verdict."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from .checks import Findings


def report(
    scenario: Any, found: Findings, stats: dict[str, Any], load_s: float, converge_s: float, sweeper: Any
) -> bool:
    plan = scenario.plan
    journal = scenario.journal
    figures = {
        "users": plan.users,
        "approvers": plan.approvers,
        "versions": plan.versions,
        "operations_sent": len(journal),
        "database": scenario.database,
        "web_server": scenario.web_server,
        **found.figures,
        "api_requests": scenario.counters.requests,
        "api_requests_retried": scenario.counters.retried,
        "faults_injected": stats.get("faults", {}),
        "pai_requests": stats.get("requests", {}),
        **scenario.events,
        "exits_restarted_by_supervisor": scenario.exits,
        "sweeper_enqueued": sweeper.enqueued,
        "setup_seconds": round(scenario.setup_seconds, 1),
        "load_seconds": round(load_s, 1),
        "time_to_converge_seconds": round(converge_s, 1),
        "mismatches": len(found.mismatches),
        "lost_changes": len(found.lost),
        "push_problems": len(found.pushes),
        "audit_problems": len(found.audit),
        "wall_seconds": round(time.monotonic() - scenario.started, 1),
    }
    refusals = Counter(f"{e.kind}: {e.detail}" for e in journal if e.outcome in ("refused", "stale", "unknown"))
    figures["refusals"] = dict(refusals.most_common(8))
    width = max(len(k) for k in figures)
    print("\n== chaos figures ==")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    for line in found.failures[:40]:
        print(f"  FAIL {line}")
    if len(found.failures) > 40:
        print(f"  … and {len(found.failures) - 40} more")
    ok = not found.failures
    print(f"CHAOS-FIGURES {json.dumps(figures, ensure_ascii=False)}")
    print("chaos: OK, 0 mismatches, 0 lost changes" if ok else f"chaos: FAILED, {len(found.failures)} problems")
    return ok
