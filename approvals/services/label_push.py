"""Pushing a version's labels: PAI takes them with their own calls, not in UpdateModelVersion.

What PAI does when a key that exists is created again is not documented (replace
its value, or add a second entry), so a key whose value changed is deleted first,
then created: both behaviours end with the one value we want. Only the keys that
differ from what PAI holds are sent.

A push interrupted between the two calls leaves PAI with the key deleted and not
yet created; the conflict check counts that state as our own push in flight,
not as a change made elsewhere (docs/architecture.md, invariants 2 and 3).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from approvals.pai.client import PaiClient
from approvals.pai.errors import PaiRequestError
from approvals.services.unpushed import FieldTrail

_ABSENT = object()


def _by_key(labels: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {str(label.get("Key")): label.get("Value", "") for label in labels}


def labels_changed_elsewhere(trail: FieldTrail, theirs: Sequence[Mapping[str, Any]]) -> bool:
    """Whether PAI's labels hold something neither PAI's base nor one of our values (nor a push of ours
    half done) explains: a key set, changed or removed in PAI since the edit was made."""
    states = [_by_key(trail.base), *(_by_key(value) for value in trail.ours)]
    held = _by_key(theirs)
    for key in set(held).union(*states):
        explained = {state.get(key, _ABSENT) for state in states}
        if len(explained) > 1:
            explained.add(_ABSENT)  # deleted by our push, not yet created again
        if held.get(key, _ABSENT) not in explained:
            return True
    return False


def labels_send(
    client: PaiClient,
    model_id: str,
    version_name: str,
    theirs: Sequence[Mapping[str, Any]],
    ours: Sequence[Mapping[str, Any]],
) -> str:
    """Bring PAI's labels from `theirs` to `ours`: delete what goes or changes, then create what is new or
    changed. Returns the RequestId of the last call ("" when PAI holds `ours` already)."""
    held, wanted = _by_key(theirs), _by_key(ours)
    twice = {key for key, n in Counter(str(label.get("Key")) for label in theirs).items() if n > 1}
    delete = sorted(key for key in held if key not in wanted or held[key] != wanted[key] or key in twice)
    create = [(key, value) for key, value in wanted.items() if held.get(key, _ABSENT) != value or key in delete]
    unsayable = [key for key in delete if "," in key or not key]
    if unsayable:
        # LabelKeys is comma-separated: PAI would delete other labels, or none.
        raise PaiRequestError(f"PAI holds the label key {unsayable[0]!r}, which DeleteModelVersionLabels cannot name.")
    request_id = ""
    if delete:
        request_id = client.delete_model_version_labels(model_id, version_name, delete)
    if create:
        request_id = client.create_model_version_labels(model_id, version_name, create)
    return request_id
