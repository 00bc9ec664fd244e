"""A comment as a page shows it: every character escaped, links made clickable, mentions marked.

Pure: which names are mentions (members of the workspace) is decided when the comment is
written (services/comments.py) and handed in here."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A link is http(s) up to whitespace or a character that cannot be in it unescaped.
URL = r"https?://[^\s<>\"'`]+"
# A mention is @ and a Django username (letters, digits, @ . + - _), not inside a word or an address.
MENTION = r"(?<![\w@.+-])@(?P<name>[\w.+-]{1,150})"
TOKENS = re.compile(rf"(?P<url>{URL})|{MENTION}", re.IGNORECASE)
# Punctuation that ends a sentence rather than a link or a name: "see https://x.y/a." or "@abe,".
TRAILING = ".,;:!?)]}'\"。，；：！？）"


def _split_trailing(value: str) -> tuple[str, str]:
    kept = value.rstrip(TRAILING)
    # A link that opened a parenthesis keeps its closing one (Wikipedia-style URLs).
    while kept != value and value[len(kept)] == ")" and kept.count("(") > kept.count(")"):
        kept += ")"
    return kept, value[len(kept) :]


def mention_candidates(text: str) -> list[str]:
    """The names written as @name, in order, once each (whether they are members is not said here)."""
    names: list[str] = []
    for match in TOKENS.finditer(text or ""):
        name = match.group("name")
        if name:
            name, _rest = _split_trailing(name)
            if name and name not in names:
                names.append(name)
    return names


def comment_html(text: str, mentions: Iterable[str] = ()) -> SafeString:
    """`text` as HTML: escaped, http(s) links as links, @name marked where `name` is in `mentions`."""
    known = set(mentions)
    parts: list[str] = []
    position = 0
    for match in TOKENS.finditer(text or ""):
        parts.append(escape(text[position : match.start()]))
        position = match.end()
        if match.group("url"):
            url, rest = _split_trailing(match.group("url"))
            safe = escape(url)
            parts.append(f'<a href="{safe}" rel="nofollow noopener noreferrer">{safe}</a>{escape(rest)}')
            continue
        name, rest = _split_trailing(match.group("name"))
        if name in known:
            parts.append(f'<strong class="mention">@{escape(name)}</strong>{escape(rest)}')
        else:
            parts.append(escape(match.group(0)))
    parts.append(escape((text or "")[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece above is escaped)
