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


# Embeddings, overrides and isolates: they reorder what a reader sees ("Trojan Source"), so a
# review's text could show one thing and say another. The marks (U+200E, U+200F) stay allowed.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ALLOWED_CONTROLS = frozenset("\t\n\r")


def unreadable_characters(value: str) -> tuple[str, str]:
    """(control characters, direction controls) of `value` as "U+0007, U+202E", or "" each when none."""
    controls, directions = [], []
    for char in dict.fromkeys(value):
        if char in DIRECTION_CONTROLS:
            directions.append(f"U+{ord(char):04X}")
        elif unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS:
            controls.append(f"U+{ord(char):04X}")
    return ", ".join(controls[:5]), ", ".join(directions[:5])
