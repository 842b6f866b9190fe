"""Check an iCalendar object with libical, the C library behind Evolution and many servers.

Run by the *system* python3 (which has python3-gi and Debian's ``gir1.2-ical-3.0``), not by the
project's virtualenv: ``/usr/bin/python3 tests/integration/libical_check.py < invite.ics``.

libical's parser marks everything it cannot read with ``X-LIC-ERROR`` properties, and
``check_restrictions`` adds one for every RFC 5546 rule the object breaks for its ``METHOD``
(a property that must occur once, may not occur, a STATUS that must be CANCELLED, ...). The
script prints each error and exits 1 if there is any, 2 if libical cannot be loaded at all, so
that a missing package fails the calling test instead of passing it silently.

With ``--utc`` it also prints, for every VEVENT, ``UID<TAB>DTSTART<TAB>DTEND`` converted to UTC
with the VTIMEZONE definitions in the input itself (libical has its own zone database, but it
cannot know a renamed TZID, so this shows how the file's own VTIMEZONE reads).
"""

from __future__ import annotations

import sys


def _load_libical():
    try:
        import gi

        gi.require_version("ICalGLib", "3.0")
        from gi.repository import ICalGLib
    except (ImportError, ValueError) as exc:  # ValueError: typelib not installed
        print(f"libical (gir1.2-ical-3.0 + python3-gi) is not available: {exc}", file=sys.stderr)
        sys.exit(2)
    return ICalGLib


def _errors(ical, component) -> list[str]:
    """Every X-LIC-ERROR of ``component`` and its sub-components, as readable lines."""
    found = []
    kind = ical.PropertyKind.XLICERROR_PROPERTY
    prop = component.get_first_property(kind)
    while prop is not None:
        found.append(f"{ical.Component.kind_to_string(component.isa())}: {prop.get_xlicerror()}")
        prop = component.get_next_property(kind)
    child = component.get_first_component(ical.ComponentKind.ANY_COMPONENT)
    while child is not None:
        found.extend(_errors(ical, child))
        child = component.get_next_component(ical.ComponentKind.ANY_COMPONENT)
    return found


def _utc_times(ical, calendar) -> list[str]:
    utc = ical.Timezone.get_utc_timezone()
    rows = []
    event = calendar.get_first_component(ical.ComponentKind.VEVENT_COMPONENT)
    while event is not None:
        row = [event.get_uid()]
        for moment in (event.get_dtstart(), event.get_dtend()):
            if moment.get_timezone() is None and not moment.is_utc():
                row.append("UNRESOLVED:" + moment.as_ical_string())
                continue
            moment = moment.clone()
            moment.convert_to_zone_inplace(utc)
            row.append(moment.as_ical_string())
        rows.append("\t".join(row))
        event = calendar.get_next_component(ical.ComponentKind.VEVENT_COMPONENT)
    return rows


def main() -> int:
    ical = _load_libical()
    text = sys.stdin.buffer.read().decode("utf-8")
    component = ical.Component.new_from_string(text)
    if component is None:
        print("libical could not parse the input at all", file=sys.stderr)
        return 1
    if component.isa() != ical.ComponentKind.VCALENDAR_COMPONENT:
        print(f"expected a VCALENDAR, got {component.isa().value_nick}", file=sys.stderr)
        return 1
    # Restrictions depend on METHOD; without one libical checks RFC 5545 alone.
    component.check_restrictions()
    errors = _errors(ical, component)
    for line in errors:
        print(line)
    if errors:
        return 1
    if "--utc" in sys.argv[1:]:
        rows = _utc_times(ical, component)
        for row in rows:
            print(row)
        if any("UNRESOLVED" in row for row in rows):
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
