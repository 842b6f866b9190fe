"""Valid request bodies to start from; tests change one thing at a time."""

from __future__ import annotations

from typing import Any


def facilitator(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Fien Jansen",
        "email": "fien@example.org",
        "timezone": "Europe/Amsterdam",
        "availability": {"weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}]},
        **changes,
    }


def participant(n: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "name": f"Deelnemer {n}",
        "email": f"deelnemer{n}@school{n}.example.org",
        "organization": f"School {n}",
        "role": "intern_begeleider",
        "themes": ["ouderbetrokkenheid"],
        "availability": {
            "weekly": [{"day": "tue", "start": "19:00", "end": "21:30"}],
            "unavailable": [{"start": "2027-03-08", "end": "2027-03-12", "note": "studiereis"}],
        },
        **changes,
    }


def group(**changes: Any) -> dict[str, Any]:
    return {
        "name": "IB-groep Utrecht 1",
        "theme": "ouderbetrokkenheid",
        "starts_on": "2027-01-11",
        "meeting_url": "https://meet.example.org/ib-utrecht-1",
        **changes,
    }
