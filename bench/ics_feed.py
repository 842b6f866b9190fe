"""Benchmark of the feed renderer: ``python -m bench.ics_feed [--sessions N] [--runs N]``.

Builds a facilitator feed of 500 sessions spread over 40 groups (seeded, so every run renders
the same data), renders it ``--runs`` times with :func:`shared.domain.ics.build_feed` and prints
a Markdown table of median full renders:

* cold: every cache cleared before each run (serialised VEVENTs and VTIMEZONEs, the zone rules
  and the clock changes behind them), as in a fresh process;
* warm, one session changed: caches full but one session edited since the last render (a new
  SEQUENCE and LAST-MODIFIED each run), the usual case in a running server;
* warm: nothing changed since the last render;

next to serialising the same events with bare icalendar: a minimal ``Calendar`` of ``Event``
components built with ``Component.add``, with the same properties, texts computed beforehand,
and none of our extras (VTIMEZONE, calendar name, refresh hints). The target is a full render
in at most 50 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop.conference import Conference

from shared.domain import availability, ics, texts
from shared.domain.ics import Contact, SessionEvent, build_feed

SEED = 20270101
TARGET_MS = 50.0
THEMES = ["Omgaan met ouders", "Passend onderwijs in de klas", "Werkdruk en grenzen",
          "Begeleiden van starters", "Gedrag in de onderbouw", "Feedback van leerlingen",
          "Samenwerken met het zorgteam", None]
ZONES = ["Europe/Amsterdam"] * 8 + ["Europe/London", "America/New_York"]


def make_sessions(count: int, groups: int) -> list[SessionEvent]:
    """``count`` sessions of ``groups`` groups: 3 guided, then self-directed, every 3 weeks."""
    rng = random.Random(SEED)
    facilitator = Contact("Fenna Jansen", "fenna@school.example")
    programme = Contact("Programma Intervisie", "programma@intervisie.example")
    per_group = -(-count // groups)
    events = []
    for group in range(groups):
        zone = ZoneInfo(rng.choice(ZONES))
        theme = rng.choice(THEMES)
        first = datetime(2027, 1, 11, 19, 30, tzinfo=zone) + timedelta(days=rng.randrange(60))
        for number in range(1, per_group + 1):
            if len(events) == count:
                break
            start = first + timedelta(weeks=3 * (number - 1))
            guided = number <= 3
            events.append(SessionEvent(
                uid=f"{rng.getrandbits(128):032x}@intervisie",
                sequence=rng.randrange(4),
                number=number,
                kind="guided" if guided else "self_directed",
                guided_total=3,
                start=start,
                end=start + timedelta(hours=2),
                timezone=zone.key,
                status="cancelled" if rng.random() < 0.05 else "scheduled",
                group_name=f"Intervisiegroep {group + 1:02d}, {rng.choice(['PO', 'VO', 'MBO'])}",
                theme=theme,
                meeting_url=f"https://meet.example/ivs-{group:02d}-{rng.getrandbits(32):08x}",
                chair_name=None if guided else rng.choice(["Anna Bakker", "Mark de Vries", None]),
                last_modified=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(50_000)),
                organizer=facilitator if guided else programme,
            ))
    return events


def render(events: list[SessionEvent]) -> bytes:
    return build_feed(events, calendar_name="Intervisie – Fenna Jansen",
                      timezone="Europe/Amsterdam", language="nl")


def bare_icalendar(prepared: list[tuple[SessionEvent, str, str, str]]) -> bytes:
    """The same events through icalendar's own component tree, without our extras."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//bench//bench//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for event, summary, description, label in prepared:
        component = icalendar.Event()
        component.add("uid", event.uid)
        component.add("sequence", event.sequence)
        component.add("dtstamp", event.last_modified)
        component.add("dtstart", event.start)
        component.add("dtend", event.end)
        component.add("summary", summary)
        component.add("description", description)
        component.add("location", event.meeting_url)
        component.add("url", event.meeting_url)
        component.add("conference", Conference(event.meeting_url, feature="VIDEO", label=label).to_uri())
        component.add("organizer", icalendar.vCalAddress.new(event.organizer.email, cn=event.organizer.name))
        component.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
        component.add("last-modified", event.last_modified)
        calendar.add_component(component)
    return calendar.to_ical()


def cold_start() -> None:
    """Forget every serialised event and zone, down to the clock changes availability caches."""
    ics.clear_caches()
    year_transitions = getattr(availability, "_year_transitions", None)
    if year_transitions is not None:
        year_transitions.cache_clear()


def one_changed(events: list[SessionEvent], run: int) -> list[SessionEvent]:
    """``events`` with the session at ``run`` (cycling) edited: a new SEQUENCE and LAST-MODIFIED."""
    events = list(events)
    index = run % len(events)
    edited = events[index]
    events[index] = dataclasses.replace(
        edited, sequence=edited.sequence + 1000 + run,
        last_modified=edited.last_modified + timedelta(seconds=run + 1))
    return events


def medians_ms(cases: dict[str, tuple], runs: int) -> dict[str, float]:
    """The median of each ``(function, before)`` case, run in turn so load spikes hit all alike."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (function, before) in cases.items():
            if before:
                before()
            started = time.perf_counter()
            function()
            timings[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()

    events = make_sessions(options.sessions, options.groups)
    cold_start()
    output = render(events)
    assert output == render(list(reversed(events))), "two renders must be byte-identical"
    cold_start()
    assert render(events) == output, "a cold render must equal a warm one"
    prepared = [(e, texts.summary(e, "nl"), texts.description(e, "nl"), texts.conference_label("nl"))
                for e in events]
    baseline_output = bare_icalendar(prepared)

    # In every round the cold render fills the caches again, so the warm cases after it find
    # them full; each "changed" render gets its own edited session, prepared beforehand.
    edited = iter([one_changed(events, run) for run in range(options.runs)])
    medians = medians_ms({
        "cold": (lambda: render(events), cold_start),
        "changed": (lambda: render(next(edited)), None),
        "warm": (lambda: render(events), None),
        "bare": (lambda: bare_icalendar(prepared), None),
    }, options.runs)
    cold, changed, warm, bare = (medians[name] for name in ("cold", "changed", "warm", "bare"))

    zones = len({e.timezone for e in events})
    print(f"Feed of {len(events)} sessions in {options.groups} groups ({zones} time zones), "
          f"median of {options.runs} runs:\n")
    print("| render | median ms | per session µs | bytes | vs bare icalendar |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [("build_feed, cold (all caches cleared)", cold, len(output)),
            ("build_feed, warm, one session changed", changed, len(render(one_changed(events, 0)))),
            ("build_feed, warm", warm, len(output)),
            ("bare icalendar (baseline)", bare, len(baseline_output))]
    for name, ms, size in rows:
        print(f"| {name} | {ms:.1f} | {ms * 1000 / len(events):.0f} | {size} | {ms / bare:.2f}× |")
    for name, ms in (("cold", cold), ("warm", warm)):
        verdict = "met" if ms <= TARGET_MS else "MISSED"
        print(f"\nTarget: full render ≤ {TARGET_MS:.0f} ms, {name} — {verdict}.", end="")
    print()


if __name__ == "__main__":
    main()
