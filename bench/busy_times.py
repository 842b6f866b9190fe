"""Benchmark of busy times from a calendar feed: ``python -m bench.busy_times [--runs N]``.

A teacher's five-year school timetable as Outlook publishes it (``tests.feeds.school_timetable``:
seeded, about 5,000 VEVENTs — fortnightly lesson series with UNTIL and a holiday EXDATE, moved
and cancelled lessons as RECURRENCE-ID overrides, single meetings — with Windows zone names,
VTIMEZONEs, reminders, titles, places and attendees) is turned into busy times for the
15-month horizon from the middle of its five years by
:func:`shared.domain.busy_times.busy_intervals`, ``--runs`` times. The target of issue 20 is
"expanded and stored in ≤ 1 s"; storage does not exist yet, so what is measured and compared
with the target is the expansion alone (median wall time; the CPU time is shown too, because the
machine is shared). For scale, the same feed is also expanded for a window over all its five
years, where nothing can be left out before icalendar parses it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from shared.domain import feed_text
from shared.domain.busy_times import busy_intervals, horizon
from tests.feeds import AMSTERDAM, school_timetable

TARGET_SECONDS = 1.0
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=AMSTERDAM)
"""In the middle of the timetable's school years 2023–24 to 2027–28."""
ZONE = "Europe/Amsterdam"


def measure(feed: bytes, window: tuple[datetime, datetime], runs: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds of each run, and the number of busy intervals."""
    walls, cpus, found = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        found = len(busy_intervals(feed, window_start=window[0], window_end=window[1], default_timezone=ZONE))
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()

    feed, events = school_timetable()
    window = horizon(NOW)
    everything = (datetime(2023, 8, 1, tzinfo=UTC), datetime(2028, 8, 1, tzinfo=UTC))
    read = feed_text.select(feed_text.read(feed), window)

    walls, cpus, intervals = measure(feed, window, options.runs)
    whole_walls, whole_cpus, whole_intervals = measure(feed, everything, max(1, options.runs // 3))
    median = statistics.median(walls[1:] or walls)

    print(f"Five-year timetable published from Outlook: {events:,} VEVENTs ({feed.count(b'RRULE:'):,} with a rule), "
          f"{len(feed) / 2**20:.1f} MiB; horizon {window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d}; "
          f"median of {len(walls[1:] or walls)} runs after a first one.\n")
    print("| figure | measured | target | ratio | met |")
    print("| --- | ---: | ---: | ---: | --- |")
    print(f"| five-year timetable expanded into 15 months of busy times (not stored: no storage yet) | "
          f"{median:.2f} s | ≤ {TARGET_SECONDS:g} s | {median / TARGET_SECONDS:.2f}× | "
          f"{'yes' if median <= TARGET_SECONDS else 'no'} |\n")
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| feed size | {len(feed):,} bytes |")
    print(f"| VEVENTs in the feed / passed to icalendar for the horizon | {events:,} / {read.count('BEGIN:VEVENT'):,} |")
    print(f"| busy intervals in the horizon (merged) | {intervals:,} |")
    print(f"| first run (cold) | {walls[0]:.2f} s |")
    print(f"| median wall / CPU time | {median:.2f} s / {statistics.median(cpus[1:] or cpus):.2f} s |")
    print(f"| whole five years as the window: busy intervals | {whole_intervals:,} |")
    print(f"| whole five years as the window: median wall / CPU time | {statistics.median(whole_walls):.2f} s / "
          f"{statistics.median(whole_cpus):.2f} s |")


if __name__ == "__main__":
    main()
