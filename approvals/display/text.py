"""Whether a text says anything a person can see."""

from __future__ import annotations

import unicodedata

# Letters by category that render as nothing: the Hangul fillers, and Braille's blank pattern.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(char: str) -> bool:
    """Not a space (Z*), a control or format character (C*: U+200B, U+2060, U+FEFF, bidi marks…),
    nor a combining mark (M*), which shows only on a character before it."""
    return unicodedata.category(char)[0] not in "ZCM" and char not in BLANK_LETTERS


def visible_text(value: str) -> str:
    """`value` without surrounding whitespace, or "" when no character of it is visible."""
    value = (value or "").strip()
    return value if any(is_visible(char) for char in value) else ""
