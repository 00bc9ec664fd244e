"""How long ago, in words both languages read right: "6 months, 2 weeks" and "6 个月，2 周".

Django's own Chinese says "6 月" for six months, which reads as June; these strings are ours
(context "age"), so the catalogue says "个月"."""

from __future__ import annotations

import datetime as dt

from django.utils.timesince import timesince
from django.utils.translation import npgettext_lazy

AGE_STRINGS = {
    "year": npgettext_lazy("age", "%(num)d year", "%(num)d years", "num"),
    "month": npgettext_lazy("age", "%(num)d month", "%(num)d months", "num"),
    "week": npgettext_lazy("age", "%(num)d week", "%(num)d weeks", "num"),
    "day": npgettext_lazy("age", "%(num)d day", "%(num)d days", "num"),
    "hour": npgettext_lazy("age", "%(num)d hour", "%(num)d hours", "num"),
    "minute": npgettext_lazy("age", "%(num)d minute", "%(num)d minutes", "num"),
}


def age(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """The time since `moment` in the two largest units, in the active language ("" for None)."""
    if moment is None:
        return ""
    return timesince(moment, now=now, time_strings=AGE_STRINGS)
