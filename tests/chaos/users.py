"""Simulated people: editors and approvers working through the REST API at once.

Each user keeps a journal of what it asked for and what it was told. An answer
lost to a restart leaves the outcome open ("unknown"): the request is retried
as it was (If-Match keeps a repeated edit from applying twice), and the checks
later read what the server actually accepted instead of assuming.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

RETRYABLE = {429, 500, 502, 503, 504}


@dataclass
class Entry:
    user: str
    kind: str  # "edit" or "decision"
    version: tuple[str, str]  # (ModelId, VersionName)
    fields: dict[str, Any]
    outcome: str = ""  # accepted, refused, stale, unknown
    lost_answers: int = 0
    detail: str = ""  # the refusal's message


@dataclass
class Counters:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    retried: int = 0  # 5xx, 429 or a connection error, then tried again

    def add(self, **amounts: int) -> None:
        with self.lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)


class Api:
    """One user's HTTP session; retries what a restart or a throttle interrupted, until `patience` runs out."""

    def __init__(self, base_url: str, token: str, counters: Counters, patience: float = 90) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.counters = counters
        self.patience = patience

    def path(self, version: tuple[str, str], suffix: str = "") -> str:
        return f"/api/models/{quote(version[0], safe='')}/versions/{quote(version[1], safe='')}{suffix}"

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[requests.Response | None, int]:
        """(response, answers lost on the way); None when patience ran out without a definite answer."""
        lost, delay = 0, 0.2
        deadline = time.monotonic() + self.patience
        while True:
            self.counters.add(requests=1)
            try:
                response = self.session.request(method, self.base_url + path, timeout=15, **kwargs)
                if response.status_code not in RETRYABLE:
                    return response, lost
                if response.status_code != 429:
                    lost += 1  # a 5xx says nothing of whether the write was committed
            except requests.RequestException:
                lost += 1
            self.counters.add(retried=1)
            if time.monotonic() > deadline:
                return None, lost
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 2, 3)


def new_value(field_name: str, user: str, n: int) -> Any:
    """A value nobody else writes, so every accepted change can be found again."""
    tag = f"{user}-{n}"
    if field_name == "VersionDescription":
        return f"chaos edit {tag} 中文"
    if field_name == "Metrics":
        return {"Results": [{"Dataset": {"DatasetId": f"d-{tag}"}, "Metrics": {"auc": round(random.random(), 6)}}]}
    if field_name == "Options":
        return f'{{"tag":"{tag}"}}'
    if field_name == "Labels":
        # By key, as the dashboard keeps them: `stage` often just changes value (a delete, then a create),
        # `chaos` is new each time, and `extra` comes and goes.
        labels = [{"Key": "chaos", "Value": tag}, {"Key": "stage", "Value": f"s{n % 3}"}]
        if n % 2:
            labels.append({"Key": "x-extra", "Value": user})
        return labels
    return {"by": tag, "n": n}  # InferenceSpec, ExtraInfo


EDITED_FIELDS = ("VersionDescription", "Metrics", "InferenceSpec", "ExtraInfo", "Options", "Labels")


class User(threading.Thread):
    """An editor edits random versions; an approver decides pending ones, with a reason when rejecting."""

    def __init__(
        self,
        name: str,
        role: str,
        api: Api,
        versions: list[tuple[str, str]],
        budget: Any,
        journal: list[Entry],
        seed: int,
        decided: set[tuple[str, str]],
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.role, self.api, self.versions, self.budget, self.journal = role, api, versions, budget, journal
        self.decided = decided  # shared by the approvers: versions seen decided
        self.rng = random.Random(seed)
        self.n = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while self.budget.left > 0:
                self.n += 1
                if self.role == "editor":
                    self.edit(self.rng.choice(self.versions))
                else:
                    undecided = [v for v in self.versions if v not in self.decided]
                    if not undecided:
                        return  # every version is decided: nothing left for an approver
                    self.decide(self.rng.choice(undecided))
                time.sleep(self.rng.uniform(0, 0.05))
        except BaseException as exc:  # reported by the harness, never swallowed
            self.error = exc

    def _read(self, version: tuple[str, str]) -> requests.Response | None:
        response, _ = self.api.call("GET", self.api.path(version))
        return response if response is not None and response.status_code == 200 else None

    def edit(self, version: tuple[str, str]) -> None:
        current = self._read(version)
        if current is None:
            return
        name = self.rng.choice(EDITED_FIELDS)
        if not self.budget.take():
            return
        entry = Entry(self.name, "edit", version, {name: new_value(name, self.name, self.n)})
        self.journal.append(entry)
        response, entry.lost_answers = self.api.call(
            "PATCH", self.api.path(version), json=entry.fields, headers={"If-Match": current.headers["ETag"]}
        )
        entry.outcome, entry.detail = _outcome(response, entry.lost_answers)

    def decide(self, version: tuple[str, str]) -> None:
        current = self._read(version)
        if current is None or current.json().get("ApprovalStatus") != "Pending":
            self.decided.add(version)
            return
        if not self.budget.take():
            return
        status = "Approved" if self.rng.random() < 0.7 else "Rejected"
        reason = f"chaos {status.lower()} by {self.name}" if status == "Rejected" or self.rng.random() < 0.5 else ""
        entry = Entry(self.name, "decision", version, {"ApprovalStatus": status, "Reason": reason})
        self.journal.append(entry)
        response, entry.lost_answers = self.api.call(
            "POST",
            self.api.path(version, "/decision"),
            json=entry.fields,
            headers={"If-Match": current.headers["ETag"]},
        )
        entry.outcome, entry.detail = _outcome(response, entry.lost_answers)
        if entry.outcome == "accepted":
            self.decided.add(version)


def _outcome(response: requests.Response | None, lost: int) -> tuple[str, str]:
    if response is None:
        return "unknown", "no answer in time"
    if response.status_code == 200:
        return "accepted", ""
    try:
        detail = f"{response.status_code} {response.json().get('message', '')}"[:100]
    except ValueError:
        detail = str(response.status_code)
    if lost:
        # e.g. 412 or "already decided" after an answer was lost: maybe our own first try.
        return "unknown", detail
    return ("stale" if response.status_code in (409, 412) else "refused"), detail


class Budget:
    """How many operations the users may still start, shared by all of them."""

    def __init__(self, total: int) -> None:
        self.total, self.left = total, total
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True

    @property
    def done_fraction(self) -> float:
        """How far the load has gone, by writes sent."""
        with self.lock:
            return 1 - self.left / self.total
