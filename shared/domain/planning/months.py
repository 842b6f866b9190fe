"""Calendar helpers on local day numbers (see :mod:`shared.domain.availability`) and month
indexes (``year * 12 + month - 1``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from .. import availability as av
from .values import DAY


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=4096)
def month_of_day(day: int) -> int:
    return month_index(av.day_date(day))


@lru_cache(maxsize=4096)
def month_first_day(month: int) -> int:
    return av.day_number(date(month // 12, month % 12 + 1, 1))


@lru_cache(maxsize=8192)
def weekdays_in_month(month: int, weekday: int) -> tuple[int, ...]:
    first, stop = month_first_day(month), month_first_day(month + 1)
    day = first + (weekday - av.weekday_of(first)) % 7
    return tuple(range(day, stop, 7))


def week_of_month(day: int) -> int:
    return (day - month_first_day(month_of_day(day))) // 7 + 1


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or that month's last day."""
    month = month_index(day) + months
    year, month = month // 12, month % 12 + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


def slot_candidates(month: int, weekday: int, minute: int, week: int | None) -> list[int]:
    """Local start minutes of a weekday/time in a month: the preferred week first, then by date."""
    days = weekdays_in_month(month, weekday)
    if week is not None and week <= len(days):
        days = (days[week - 1],) + days[: week - 1] + days[week:]
    return [day * DAY + minute for day in days]
