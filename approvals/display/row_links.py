"""The list pages' links, built once per page instead of one `{% url %}` per link.

`reverse` runs once per URL name with stand-ins for the ModelId and the VersionName; each
row's link is then the prefix, the names quoted exactly as `reverse` quotes them (UTF-8, then
percent-encoding all but RFC 3986's unreserved characters, its sub-delimiters and "/~:@";
django/urls/resolvers.py), and the rest. A name `reverse` would refuse (empty, or with a "/",
which the `str` converter does not match) goes to `reverse` itself, which raises as before.
"""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

# What `reverse` leaves as it is in a path.
PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"

# Stand-ins `reverse` turns into "%01" and "%02": nothing else in a path of ours reads so.
_STAND_INS = ("\x01", "\x02")
_QUOTED_STAND_INS = ("%01", "%02")


def path_part(value: str) -> str:
    """`value` as `reverse` writes it in a path (without the check that it fits the pattern)."""
    return quote(value, safe=PATH_SAFE)


def _fits(value: str) -> bool:
    """Whether the `str` path converter takes `value` (non-empty, no "/")."""
    return bool(value) and "/" not in value


def _split(url_name: str, arguments: int) -> tuple[str, ...]:
    """The URL of `url_name` cut around its arguments: len(pieces) == arguments + 1."""
    url = reverse(url_name, args=_STAND_INS[:arguments])
    pieces = [url]
    for stand_in in _QUOTED_STAND_INS[:arguments]:
        head, found, tail = pieces[-1].partition(stand_in)
        if not found or stand_in in tail:
            raise ValueError(f"cannot cut {url!r} around its arguments")
        pieces[-1:] = [head, tail]
    return tuple(pieces)


class RowLinks:
    """A model's page, a version's page and its push state's poll URL, for one page's rows."""

    def __init__(self) -> None:
        self._model = _split("model_detail", 1)
        self._version = _split("version_detail", 2)
        self._push_state = _split("version_push_state", 2)
        self._quoted: dict[str, str] = {}

    def _quote(self, value: str) -> str:
        quoted = self._quoted.get(value)
        if quoted is None:
            quoted = self._quoted[value] = path_part(value)
        return quoted

    def model(self, model_id: str) -> str:
        if not _fits(model_id):
            return reverse("model_detail", args=[model_id])
        head, tail = self._model
        return head + self._quote(model_id) + tail

    def version(self, model_id: str, version_name: str) -> str:
        return self._two(self._version, "version_detail", model_id, version_name)

    def push_state(self, model_id: str, version_name: str) -> str:
        return self._two(self._push_state, "version_push_state", model_id, version_name)

    def _two(self, pieces: tuple[str, ...], url_name: str, model_id: str, version_name: str) -> str:
        if not (_fits(model_id) and _fits(version_name)):
            return reverse(url_name, args=[model_id, version_name])
        head, middle, tail = pieces
        return head + self._quote(model_id) + middle + path_part(version_name) + tail
