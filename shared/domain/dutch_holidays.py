"""Dutch public holidays and regional school holidays, read from the ``holidays`` package.

Nothing here is typed in by hand: the package is maintained and knows, per year, the public
holidays of the Netherlands and the school holidays of the three regions (noord, midden, zuid).
Lookups are cached per (region, year), so a plan search asks the package once per year.

Named ``dutch_holidays`` rather than ``holidays`` so that it never shadows the package it reads.
"""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache

import holidays as holiday_data

from .model import HOLIDAY_REGIONS

_SUBDIVISIONS: dict[str, str] = {"noord": "Noord", "midden": "Midden", "zuid": "Zuid"}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _subdivision(region: str) -> str:
    slug = region.lower()
    if slug not in HOLIDAY_REGIONS:
        raise ValueError(f"unknown school-holiday region {region!r}; expected one of {HOLIDAY_REGIONS}")
    return _SUBDIVISIONS[slug]


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The Dutch public holidays of ``year`` (the package's ``public`` category)."""
    return frozenset(holiday_data.NL(years=year, categories=("public",)).keys())


@cache
def school_holidays(region: str, year: int) -> frozenset[date]:
    """Every day of ``year`` that falls in a school holiday of ``region`` (noord, midden, zuid).

    Years the package has no school data for yield an empty set.
    """
    subdivision = _subdivision(region)
    return frozenset(holiday_data.NL(subdiv=subdivision, years=year, categories=("school",)).keys())


@lru_cache(maxsize=1024)
def _day_ranges_of_year(public: bool, region: str | None, year: int) -> tuple[tuple[int, int], ...]:
    days: set[date] = set()
    if public:
        days |= public_holidays(year)
    if region is not None:
        days |= school_holidays(region, year)
    numbers = sorted(day.toordinal() - _EPOCH_ORDINAL for day in days)
    ranges: list[list[int]] = []
    for number in numbers:
        if ranges and ranges[-1][1] == number:
            ranges[-1][1] = number + 1
        else:
            ranges.append([number, number + 1])
    return tuple((first, end) for first, end in ranges)


def holiday_day_ranges(
    first: date, last: date, *, public: bool, region: str | None
) -> list[tuple[int, int]]:
    """Holiday days between ``first`` and ``last`` (inclusive) as merged half-open ranges.

    Days are counted from 1970-01-01 (day 0), so a range ``(a, b)`` covers the days ``a`` … ``b-1``.
    ``public`` adds the public holidays, ``region`` that region's school holidays.
    """
    if not public and region is None:
        return []
    low = first.toordinal() - _EPOCH_ORDINAL
    high = last.toordinal() - _EPOCH_ORDINAL + 1
    merged: list[tuple[int, int]] = []
    for year in range(first.year, last.year + 1):
        for start, end in _day_ranges_of_year(public, region.lower() if region else None, year):
            start, end = max(start, low), min(end, high)
            if start >= end:
                continue
            if merged and merged[-1][1] == start:  # a holiday that runs over New Year
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
    return merged
