"""Group composition: propose intervision groups from a pool of sign-ups.

Every proposed group has between ``min_size`` and ``max_size`` members who share one theme (or
one role), at most ``max_per_organization`` of them from one organisation, and a guided plan at a
fixed slot (checked with :func:`planning.find_plan`, whose slot and first session the group
reports). Among all such proposals the result maximises, in this order:

1. the number of people placed;
2. closeness to the ideal size: the *size penalty* ``Σ (size − ideal_size)²`` over the groups is
   minimal (squared, so that 5 + 5 beats 4 + 6 and 7 + 7 beats 6 + 8);
3. shared availability: the number of weekly patterns (weekday and 15-minute start) at which the
   whole group and the facilitator could hold all guided sessions, summed over the groups. This
   is a group's ``score``.

How (see :mod:`shared.domain.candidate_groups` for the availability part):

* For each key (theme or role), the sets of people of that key who are free at one fixed slot
  are computed over every pattern and series; only the maximal sets matter. Call them *pools*.
* A mixed-integer program chooses, per pool ``c``, who is placed there (``y[i, c]``) and how many
  groups of each size it holds (``n[c, s]``): everyone in at most one pool, ``Σ y = Σ s · n`` per
  pool, and per organisation at most ``max_per_organization · Σ n`` members in the pool. This
  aggregate is exact: any proposal maps onto it (each group lies in some pool), and any solution
  of it splits into groups by dealing the pool's members, sorted by organisation, round-robin
  into balanced groups — which keeps every organisation within its cap and, the penalty being
  convex, costs no more than the sizes the solver counted. The objective is
  ``W · placed − penalty`` with ``W`` larger than any penalty, so it is lexicographic.
* The solver is HiGHS, through OR-Tools MathOpt. CP-SAT was tried first on the same model: it
  did not improve on a greedy start within 20 s for 1,000 sign-ups, while the LP-based branch and
  bound proves the optimum in seconds (the relaxation of this packing is tight). Above
  ``optimiser.MODEL_SIZE_LIMIT`` memberships the model keeps only some of the pools (see
  ``optimiser._thin``); the result is then claimed optimal only when it meets a bound that holds
  for the whole problem.
* The problem falls apart where no person links two pools (by role, at least one part per role):
  each part is its own program, with its share of the time and node limits, so a small part
  proves its optimum at once. Sets of people and their memberships are kept as integer bit masks
  and unpacked once with numpy, which keeps 5,000 sign-ups (some 14,000 pools of 300 people) to
  seconds before the solver starts.
* The third objective is improved afterwards by a bounded local search that swaps members between
  groups of one key (or with unplaced people of that key), keeping sizes, caps and feasibility.
* Deterministic: candidates are ordered by id, pools and variables in a fixed order, the solver
  runs with a fixed seed and a node limit, and the local search is bounded by a count of
  evaluations. The wall-clock ``time_limit_seconds`` bounds the preparation and the solver
  together (the solver gets what the preparation left, at least half a second); a solve that it
  cuts short (rather than the node limit or a proof) may differ between a quiet and a busy
  machine.

People who are not placed get a reason a person can read (Dutch, or English on request) and a
code, see :data:`REASON_CODES`.

The modules, in the order they build on each other: ``values`` (what is asked and answered),
``pools`` (the maximal sets and what each person could reach), ``optimiser`` (the model, its
parts, the greedy start and dealing pools into groups), ``local_search`` (the third objective),
``reasons`` (why someone is not placed), and ``composer``, which puts them together.
"""

from __future__ import annotations

from .composer import compose, plan_request
from .optimiser import minimal_size_penalty
from .values import (
    FACILITATOR_UNAVAILABLE,
    GROUP_BY,
    GROUPS_FULL,
    NO_ONE_SHARES_KEY,
    NO_SHARED_TIME,
    NOTHING_TO_GROUP_BY,
    ONLY_OWN_ORGANIZATION,
    OUTSIDE_GROUP_HOURS,
    REASON_CODES,
    ROLE,
    THEME,
    TOO_FEW_AT_SHARED_TIMES,
    Candidate,
    Composition,
    CompositionRequest,
    ProposedGroup,
    Unplaced,
    size_penalty,
)

__all__ = [
    "FACILITATOR_UNAVAILABLE",
    "GROUP_BY",
    "GROUPS_FULL",
    "NO_ONE_SHARES_KEY",
    "NO_SHARED_TIME",
    "NOTHING_TO_GROUP_BY",
    "ONLY_OWN_ORGANIZATION",
    "OUTSIDE_GROUP_HOURS",
    "REASON_CODES",
    "ROLE",
    "THEME",
    "TOO_FEW_AT_SHARED_TIMES",
    "Candidate",
    "Composition",
    "CompositionRequest",
    "ProposedGroup",
    "Unplaced",
    "compose",
    "minimal_size_penalty",
    "plan_request",
    "size_penalty",
]
