"""From chosen series to whole plans, and the checks on plans made together: the bookings a plan
or series makes, the engine's preference as one number, and the conflicts of plans with each
other and with bookings made since."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from .. import bookings as bk
from ..planning import GUIDED, Infeasible, Plan, PlanRequest, Series, find_plan, plan_with_series, remaining_guided

_DAYS = 400  # more days than a series can start after starts_on
_OFF_WEEK = 4  # later sessions outside the first one's week of the month: 0 to 3
_LATER_DAYS = 128  # how finely the later sessions' dates count (days after the first, summed)


@dataclass(frozen=True)
class CohortGroup:
    """One group of a batch: ``key`` (its id) and the plan request as for a single run. Its
    ``bookings`` must leave out the upcoming sessions of every group of the batch."""

    key: str
    request: PlanRequest


def planned_session_id(key: str, number: int) -> str:
    """How a session planned in this batch is named in other groups' diagnostics."""
    return f"{key}#{number}"


def required(request: PlanRequest, kind: str, absent: tuple[str, ...] = ()) -> list[str]:
    people = (request.facilitator, *request.members) if kind == GUIDED else request.members
    return [person.id for person in people if person.id not in absent]


def _bookings_of(key: str, request: PlanRequest, plan: Plan) -> list[bk.Booking]:
    return [
        bk.Booking(person_id, planned_session_id(key, session.number), session.start, session.end)
        for session in plan.sessions
        for person_id in required(request, session.kind, session.absent_ids)
    ]


def _series_bookings(key: str, request: PlanRequest, series: Series) -> list[bk.Booking]:
    length = timedelta(minutes=request.session_minutes)
    first_number = max((past.number for past in request.history), default=0) + 1
    return [
        bk.Booking(person_id, planned_session_id(key, first_number + offset), start, start + length)
        for offset, start in enumerate(series.starts)
        for person_id in required(request, GUIDED)
    ]


def cost(series: Series, request: PlanRequest) -> int:
    """The engine's preference as one number, lowest best: a fixed slot, then the earliest
    first session, then one week of the month, then the earlier time of day (in quarter hours),
    then — as the engine continues a series — the later sessions in the first one's week of the
    month (without a fixed slot: on its weekday and time) where they can be, then on earlier
    dates. Each level outweighs everything below it; the whole stays below 10⁸, well within the
    solver's precision in a weighted objective."""
    first = series.starts[0]
    days = min(max(0, (first.date() - request.starts_on).days), _DAYS - 1)
    week, pattern = (first.day - 1) // 7, (first.weekday(), first.time())
    if series.fixed_slot:  # later sessions in the first one's week of the month where they can be
        off_week = sum((start.day - 1) // 7 != week for start in series.starts[1:])
    else:  # without a slot, on the first one's weekday and time where they can be
        off_week = sum((start.weekday(), start.time()) != pattern for start in series.starts[1:])
    later = min(sum((start.date() - first.date()).days for start in series.starts[1:]), _LATER_DAYS - 1)
    total = (0 if series.fixed_slot else 1) * _DAYS + days
    total = total * 2 + (0 if series.same_week else 1)
    total = total * 96 + (first.hour * 60 + first.minute) // 15
    return (total * _OFF_WEEK + min(off_week, _OFF_WEEK - 1)) * _LATER_DAYS + later


def cost_of(plan: Plan, request: PlanRequest) -> int:
    """The objective's cost of a plan's guided series (0 without guided sessions to plan)."""
    count = remaining_guided(request)
    if not count:
        return 0
    guided = [session.start for session in plan.sessions if session.kind == GUIDED][:count]
    patterns = {(start.weekday(), start.time()) for start in guided}
    weeks = {(start.day - 1) // 7 for start in guided}
    one_slot = len(patterns) == 1
    return cost(Series(tuple(guided), fixed_slot=one_slot, same_week=one_slot and len(weeks) == 1), request)


def planned(results: Sequence[Plan | Infeasible]) -> int:
    return sum(isinstance(result, Plan) for result in results)


def whole_plans(
    groups: Sequence[CohortGroup], series: list[Series | None], progress: Callable[[int], None] | None = None,
) -> tuple[Plan | Infeasible, ...]:
    """Each group's whole plan in the batch's order: its chosen series with its self-directed
    sessions around everything planned so far, or (without one) the engine's own search.
    ``progress`` hears how many groups have a plan so far, after each group."""
    busy: dict[int, list[bk.Booking]] = {
        g: _series_bookings(group.key, group.request, series[g])
        for g, group in enumerate(groups) if series[g] is not None
    }
    of_person: dict[str, set[int]] = defaultdict(set)
    for g, group in enumerate(groups):
        for person in (group.request.facilitator, *group.request.members):
            of_person[person.id].add(g)
    results: list[Plan | Infeasible] = []
    for g, group in enumerate(groups):
        # Only the groups that share someone with this one can book its people.
        neighbours = sorted(set().union(*(of_person[p.id] for p in (group.request.facilitator, *group.request.members))) - {g})
        others = [booking for other in neighbours for booking in busy.get(other, ())]
        request = replace(group.request, bookings=(*group.request.bookings, *others))
        chosen = series[g]
        result = plan_with_series(request, chosen) if chosen is not None else find_plan(request)
        if isinstance(result, Plan):
            busy[g] = _bookings_of(group.key, group.request, result)
        results.append(result)
        if progress is not None:
            progress(planned(results))
    return tuple(results)


def conflicts_of(plans: Sequence[tuple[PlanRequest, Plan]]) -> list[tuple[int, int, bk.Conflict]]:
    """``(plan index, session number, conflict)`` for every planned session that runs into a
    booking of one of its people, their facilitator's capacity, or a session of another of
    these plans. Empty for plans made together from these requests; not empty when bookings
    changed since (someone else booked one of the people meanwhile)."""
    proposals, timezones, capacities = [], {}, {}
    booked: dict[tuple[str, str], bk.Booking] = {}
    for index, (request, plan) in enumerate(plans):
        for session in plan.sessions:
            people = required(request, session.kind, session.absent_ids)
            proposals.append(bk.Proposal(f"{index}#{session.number}", session.start, session.end, tuple(people)))
        for person in (request.facilitator, *request.members):
            timezones[person.id] = person.timezone
        if request.capacity:
            capacities[request.facilitator.id] = request.capacity
        booked.update(((booking.person_id, booking.session_id), booking) for booking in request.bookings)
    return [
        (int(index), int(number), conflict)
        for placed, conflict in bk.conflicts(proposals, list(booked.values()), timezones, capacities)
        for index, number in [placed.split("#")]
    ]
