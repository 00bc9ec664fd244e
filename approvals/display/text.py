"""Whether text says anything: a reason of spaces or invisible characters says nothing."""

from __future__ import annotations

import unicodedata

# Format (Cf: zero-width spaces, joiners, direction marks), separators and controls show nothing.
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def has_visible_text(text: str) -> bool:
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text or "")
