"""The whole composition: prepare the pools, solve, deal the groups, improve their shared
availability, check each group's guided plan, and give everyone else a reason."""

from __future__ import annotations

from time import monotonic

from ..model import Person
from ..planning import Plan, PlanRequest, find_plan
from .local_search import LOCAL_SEARCH_EVALUATIONS, Improver
from .optimiser import deal, solve
from .pools import pools_of, prepare, reach_of, survey_sets, validate
from .reasons import why_unplaced
from .values import Composition, CompositionRequest, ProposedGroup

_OPEN_FACILITATOR_ID = "facilitator"


def _open_facilitator(request: CompositionRequest) -> Person:
    return Person(_OPEN_FACILITATOR_ID, request.timezone)


def plan_request(request: CompositionRequest, members: tuple[Person, ...]) -> PlanRequest:
    """The guided-sessions-only plan request of a proposed group (no facilitator: one who is
    always free)."""
    return PlanRequest(
        timezone=request.timezone,
        starts_on=request.starts_on,
        session_minutes=request.session_minutes,
        guided_sessions=request.guided_sessions,
        follow_up_sessions=0,
        facilitator=request.facilitator or _open_facilitator(request),
        members=members,
        constraints=request.constraints,
        language=request.language,
    )


def compose(request: CompositionRequest) -> Composition:
    """Propose intervision groups for a pool of candidates; see the module docstring."""
    validate(request)
    deadline = monotonic() + request.time_limit_seconds
    setup = prepare(request)
    survey = survey_sets(setup)
    reach = reach_of(setup, survey)
    pools = pools_of(setup, survey)
    groups: list[list[int]] = []
    group_keys: list[str] = []
    optimal = True
    if pools:
        solution = solve(setup, pools, reach, deadline)
        optimal = solution.optimal
        for number in sorted(solution.assignment):
            for members in deal(solution.assignment[number], setup, solution.groups[number]):
                groups.append(members)
                group_keys.append(pools[number].key)
    improver = Improver(setup, groups, group_keys)
    improver.run(LOCAL_SEARCH_EVALUATIONS)

    proposed = []
    for members, key, score in zip(improver.groups, group_keys, improver.scores):
        ordered = sorted(members, key=lambda index: setup.candidates[index].id)
        people = tuple(setup.candidates[index].person for index in ordered)
        plan = find_plan(plan_request(request, people))
        if not isinstance(plan, Plan) or plan.slot is None or score < 1:
            ids = [setup.candidates[index].id for index in ordered]
            raise RuntimeError(f"composed group {ids} has no guided plan at a fixed slot")
        proposed.append(ProposedGroup(
            key=key,
            member_ids=tuple(setup.candidates[index].id for index in ordered),
            slot=plan.slot,
            first_session=plan.sessions[0].start,
            score=float(score),
        ))
    proposed.sort(key=lambda group: (group.key, group.member_ids))
    placed = {index for members in improver.groups for index in members}
    return Composition(
        groups=tuple(proposed),
        unplaced=tuple(why_unplaced(setup, reach, index) for index in range(len(setup.candidates)) if index not in placed),
        optimal=optimal,
        upper_bound=len(reach.placeable),
    )
