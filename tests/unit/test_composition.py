"""Group composition on hand-made pools: who ends up together, at which slot, and why not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from shared.domain.composition import (
    Candidate,
    Composition,
    CompositionRequest,
    compose,
    minimal_size_penalty,
    optimiser,
    size_penalty,
)
from shared.domain.model import Availability, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Slot

STARTS_ON = date(2027, 9, 1)  # a Wednesday; Tuesdays in September: 7, 14, 21, 28
TUESDAY_EVENING = WeeklyWindow(1, time(19, 0), time(21, 30))
THURSDAY_EVENING = WeeklyWindow(3, time(19, 0), time(21, 30))
WEDNESDAY_AFTERNOON = WeeklyWindow(2, time(13, 0), time(16, 0))


def candidate(
    id: str,
    organization: str | None = None,
    *windows: WeeklyWindow,
    themes: tuple[str, ...] = ("ouders",),
    role: str = "leerkracht",
    zone: str = "Europe/Amsterdam",
    unavailable: tuple[UnavailableRange, ...] = (),
) -> Candidate:
    windows = windows or (TUESDAY_EVENING,)
    person = Person(id, zone, Availability(tuple(windows), unavailable))
    return Candidate(id, organization or f"school-{id}", role, themes, person)


def request(*candidates: Candidate, **options) -> CompositionRequest:
    return CompositionRequest(candidates=candidates, group_by=options.pop("group_by", "theme"), starts_on=STARTS_ON, **options)


def sizes(result) -> list[int]:
    return sorted(len(group.member_ids) for group in result.groups)


def reasons(result) -> dict[str, str]:
    return {item.participant_id: item.code for item in result.unplaced}


# -- groups ------------------------------------------------------------------------------------


def test_five_teachers_free_on_tuesday_evening_form_one_group_at_that_slot():
    result = compose(request(*(candidate(f"t{n}") for n in range(5))))
    assert [group.member_ids for group in result.groups] == [("t0", "t1", "t2", "t3", "t4")]
    group = result.groups[0]
    assert group.key == "ouders"
    assert group.slot == Slot(weekday=1, start=time(19, 0), week_of_month=1)
    assert group.first_session == datetime(2027, 9, 7, 19, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert result.unplaced == ()
    assert result.optimal and result.upper_bound == 5


def test_the_score_counts_the_weekly_start_times_the_whole_group_shares():
    # 19:00-21:30 admits 90-minute sessions starting 19:00, 19:15, 19:30, 19:45 and 20:00.
    tuesday_only = compose(request(*(candidate(f"t{n}") for n in range(3))))
    assert [group.score for group in tuesday_only.groups] == [5.0]
    both = compose(request(*(candidate(f"t{n}", None, TUESDAY_EVENING, THURSDAY_EVENING) for n in range(3))))
    assert [group.score for group in both.groups] == [10.0]


def test_ten_people_make_two_groups_of_five():
    assert sizes(compose(request(*(candidate(f"t{n}") for n in range(10))))) == [5, 5]


def test_nine_people_split_four_and_five_because_a_group_has_at_most_eight():
    assert sizes(compose(request(*(candidate(f"t{n}") for n in range(9))))) == [4, 5]


def test_fourteen_people_split_seven_and_seven_rather_than_six_and_eight():
    result = compose(request(*(candidate(f"t{n}") for n in range(14)), min_size=6, ideal_size=6))
    assert sizes(result) == [7, 7]


def test_placing_everyone_comes_before_the_ideal_size():
    # A group of three is far from the ideal five, but better than nobody placed; with an ideal
    # of three, seven people make three and four rather than two threes and one left out.
    assert sizes(compose(request(*(candidate(f"t{n}") for n in range(3))))) == [3]
    assert sizes(compose(request(*(candidate(f"t{n}") for n in range(7)), ideal_size=3))) == [3, 4]


def test_colleagues_of_one_school_end_up_in_different_groups():
    pool = [candidate(f"t{n}", f"school-{n % 5}") for n in range(10)]
    result = compose(request(*pool))
    assert sizes(result) == [5, 5]
    for group in result.groups:
        assert sorted(member[-1] for member in group.member_ids) == sorted(
            str(n) for n in range(10) if f"t{n}" in group.member_ids
        )
        assert len({int(member[1:]) % 5 for member in group.member_ids}) == 5


def test_two_colleagues_may_share_a_group_when_the_cap_allows_it():
    pool = [candidate("a1", "school-a"), candidate("a2", "school-a"), candidate("b1", "school-b")]
    assert compose(request(*pool)).groups == ()
    assert sizes(compose(request(*pool, max_per_organization=2))) == [3]


def test_people_are_grouped_by_shared_time_not_thrown_together():
    tuesday = [candidate(f"tue{n}") for n in range(4)]
    wednesday = [candidate(f"wed{n}", None, WEDNESDAY_AFTERNOON) for n in range(4)]
    result = compose(request(*tuesday, *wednesday))
    assert sorted(group.member_ids for group in result.groups) == [
        ("tue0", "tue1", "tue2", "tue3"), ("wed0", "wed1", "wed2", "wed3"),
    ]
    assert sorted(group.slot.weekday for group in result.groups) == [1, 2]


def test_a_person_with_two_themes_is_placed_once_where_they_complete_a_group():
    pool = [
        candidate("o1", themes=("ouders",)), candidate("o2", themes=("ouders",)),
        candidate("g1", themes=("gedrag",)), candidate("g2", themes=("gedrag",)), candidate("g3", themes=("gedrag",)),
        candidate("both", themes=("gedrag", "ouders")),
    ]
    result = compose(request(*pool))
    assert [(group.key, group.member_ids) for group in result.groups] == [
        ("gedrag", ("g1", "g2", "g3")), ("ouders", ("both", "o1", "o2")),
    ]
    assert result.unplaced == ()


def test_group_by_role_puts_people_of_one_role_together_whatever_their_themes():
    pool = [candidate(f"ib{n}", themes=(f"thema-{n}",), role="intern-begeleider") for n in range(3)]
    pool += [candidate(f"lk{n}", themes=("ouders",), role="leerkracht") for n in range(2)]
    result = compose(request(*pool, group_by="role"))
    assert [(group.key, group.member_ids) for group in result.groups] == [("intern-begeleider", ("ib0", "ib1", "ib2"))]
    assert reasons(result) == {"lk0": "too_few_at_shared_times", "lk1": "too_few_at_shared_times"}


def test_the_facilitator_decides_the_day_when_the_members_have_two():
    pool = [candidate(f"t{n}", None, TUESDAY_EVENING, THURSDAY_EVENING) for n in range(4)]
    facilitator = Person("begeleider", "Europe/Amsterdam", Availability((THURSDAY_EVENING,)))
    result = compose(request(*pool, facilitator=facilitator))
    assert [group.slot.weekday for group in result.groups] == [3]
    assert result.groups[0].first_session == datetime(2027, 9, 2, 19, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_a_new_york_member_joins_an_amsterdam_evening_group_at_her_lunchtime():
    pool = [candidate(f"t{n}") for n in range(3)]
    pool.append(candidate("ny", None, WeeklyWindow(1, time(13, 0), time(15, 30)), zone="America/New_York"))
    result = compose(request(*pool))
    assert [group.member_ids for group in result.groups] == [("ny", "t0", "t1", "t2")]
    assert result.groups[0].slot.start == time(19, 0)


def test_the_result_does_not_depend_on_the_order_of_the_sign_ups():
    pool = [candidate(f"t{n}", f"school-{n % 3}", *([TUESDAY_EVENING] if n % 2 else [WEDNESDAY_AFTERNOON]))
            for n in range(11)]
    assert compose(request(*pool)) == compose(request(*reversed(pool)))


def test_an_empty_pool_gives_an_empty_proposal():
    assert compose(request()) == Composition(groups=(), unplaced=(), optimal=True, upper_bound=0)


def test_large_pools_are_thinned_and_still_keep_every_rule():
    pool = [candidate(f"t{n:02d}", f"school-{n % 7}", *([TUESDAY_EVENING, THURSDAY_EVENING] if n % 3 else
                                                        [WEDNESDAY_AFTERNOON, TUESDAY_EVENING]))
            for n in range(30)]
    with mock.patch.object(optimiser, "MODEL_SIZE_LIMIT", 20):
        result = compose(request(*pool))
    assert result.placed == 30 == result.upper_bound
    for group in result.groups:
        assert 3 <= len(group.member_ids) <= 8
        assert len({int(member[1:]) % 7 for member in group.member_ids}) == len(group.member_ids)


def test_without_an_answer_from_the_solver_a_greedy_proposal_still_keeps_every_rule():
    class NoAnswer:
        def has_primal_feasible_solution(self) -> bool:
            return False

    pool = [candidate(f"t{n:02d}", f"school-{n % 4}") for n in range(13)]
    with mock.patch.object(optimiser.mathopt, "solve", return_value=NoAnswer()):
        result = compose(request(*pool))
    assert not result.optimal
    assert sum(sizes(result)) == 13 and all(3 <= size <= 8 for size in sizes(result))
    for group in result.groups:
        assert len({int(member[1:]) % 4 for member in group.member_ids}) == len(group.member_ids)


def test_independent_parts_are_solved_apart_and_together_are_optimal():
    tuesday = [candidate(f"t{n:02d}", f"school-{n}", TUESDAY_EVENING, role="leerkracht") for n in range(10)]
    thursday = [candidate(f"d{n:02d}", f"school-{n}", THURSDAY_EVENING, role="intern-begeleider") for n in range(7)]
    solved = []
    original = optimiser._solve_part

    def counting(setup, pools, numbers, *args, **kwargs):
        solved.append(sorted({pools[number].key for number in numbers}))
        return original(setup, pools, numbers, *args, **kwargs)

    with mock.patch.object(optimiser, "_solve_part", counting):
        result = compose(request(*tuesday, *thursday, group_by="role"))
    assert sorted(solved) == [["intern-begeleider"], ["leerkracht"]]
    assert result.optimal and result.placed == 17
    assert sorted(sizes(result)) == [5, 5, 7]


def test_a_time_limit_spent_before_the_solver_starts_still_gives_a_proposal_within_the_rules():
    pool = [candidate(f"t{n:02d}", f"school-{n % 4}") for n in range(13)]
    result = compose(request(*pool, time_limit_seconds=0.001))
    assert sum(sizes(result)) == 13 and all(3 <= size <= 8 for size in sizes(result))
    for group in result.groups:
        assert len({int(member[1:]) % 4 for member in group.member_ids}) == len(group.member_ids)


def test_a_thinned_problem_whose_time_is_spent_keeps_the_greedy_proposal_without_building_a_model():
    pool = [candidate(f"t{n:02d}", f"school-{n % 7}", TUESDAY_EVENING, THURSDAY_EVENING) for n in range(30)]
    with (
        mock.patch.object(optimiser, "MODEL_SIZE_LIMIT", 20),
        mock.patch.object(optimiser, "_solve_part", side_effect=AssertionError("a model was built")),
    ):
        result = compose(request(*pool, time_limit_seconds=0.001))
    assert not result.optimal
    assert result.placed == 30 and all(3 <= size <= 8 for size in sizes(result))
    for group in result.groups:
        assert len({int(member[1:]) % 7 for member in group.member_ids}) == len(group.member_ids)


@pytest.mark.parametrize("width", [12, 300])
def test_maximal_sets_are_those_in_no_other_largest_first(width):
    import random

    from shared.domain.candidate_groups import bits, maximal_sets

    rng = random.Random(width)
    for _ in range(200):
        base = [rng.getrandbits(width) for _ in range(rng.randint(1, 6))]
        sets = [b & rng.getrandbits(width) for b in base for _ in range(rng.randint(0, 8))] + base
        expected = sorted(
            {s for s in sets if not any(s & other == s and s != other for other in sets)},
            key=lambda s: (-s.bit_count(), s),
        )
        assert maximal_sets(sets) == expected
        for s in sets:
            assert list(bits(s)) == [i for i in range(width) if s >> i & 1]


# -- why someone is not placed -------------------------------------------------------------------


def test_the_only_person_with_a_theme_is_told_nobody_else_chose_it():
    pool = [candidate(f"t{n}") for n in range(3)] + [candidate("solo", themes=("pesten",))]
    result = compose(request(*pool))
    assert [(item.code, item.reason) for item in result.unplaced] == [
        ("no_one_shares_key", "Niemand anders koos het thema ‘pesten’.")
    ]


def test_someone_without_a_theme_is_told_so():
    result = compose(request(candidate("t0"), candidate("t1"), candidate("t2"), candidate("none", themes=())))
    assert reasons(result) == {"none": "nothing_to_group_by"}
    assert result.unplaced[0].reason == "Je hebt geen thema opgegeven, dus je past in geen themagroep."


def test_someone_free_only_when_the_others_are_not_is_told_no_one_shares_their_time():
    pool = [candidate(f"t{n}") for n in range(3)] + [candidate("wed", None, WEDNESDAY_AFTERNOON)]
    result = compose(request(*pool))
    assert [(item.participant_id, item.code, item.reason) for item in result.unplaced] == [(
        "wed", "no_shared_time",
        "Niemand anders met het thema ‘ouders’ is vrij op een moment dat jij kunt "
        "(dezelfde dag en tijd, 3 maanden achter elkaar).",
    )]


def test_people_whose_only_match_is_a_colleague_are_told_only_their_school_shares_their_times():
    pool = [candidate(f"t{n}") for n in range(3)]
    pool += [candidate("a1", "school-a", WEDNESDAY_AFTERNOON), candidate("a2", "school-a", WEDNESDAY_AFTERNOON)]
    result = compose(request(*pool))
    assert reasons(result) == {"a1": "only_own_organization", "a2": "only_own_organization"}
    assert result.unplaced[0].reason == "Alleen collega's van je eigen school met het thema ‘ouders’ delen je tijden."


def test_too_few_people_at_someones_times_is_said_with_the_numbers():
    pool = [candidate(f"t{n}", None, WEDNESDAY_AFTERNOON) for n in range(3)]
    result = compose(request(*pool, min_size=4, ideal_size=4), )
    assert reasons(result) == dict.fromkeys(("t0", "t1", "t2"), "too_few_at_shared_times")
    assert result.unplaced[0].reason == (
        "Op jouw tijden zijn hooguit 2 anderen met het thema ‘ouders’ van andere scholen vrij; "
        "een groep heeft minstens 4 deelnemers nodig."
    )


def test_someone_free_only_on_saturday_is_told_the_group_hours_do_not_fit():
    pool = [candidate(f"t{n}") for n in range(3)] + [candidate("sat", None, WeeklyWindow(5, time(10), time(12)))]
    assert reasons(compose(request(*pool))) == {"sat": "outside_group_hours"}


def test_someone_free_only_when_the_facilitator_is_not_is_told_so():
    pool = [candidate(f"t{n}") for n in range(3)] + [candidate("thu", None, THURSDAY_EVENING)]
    facilitator = Person("begeleider", "Europe/Amsterdam", Availability((TUESDAY_EVENING,)))
    result = compose(request(*pool, facilitator=facilitator))
    assert [(item.participant_id, item.code, item.reason) for item in result.unplaced] == [(
        "thu", "facilitator_unavailable",
        "De begeleider is nooit vrij op een moment dat jij kunt (dezelfde dag en tijd, 3 maanden achter elkaar).",
    )]


def test_one_person_too_many_for_the_size_rules_is_told_the_groups_were_full():
    result = compose(request(*(candidate(f"t{n}") for n in range(4)), max_size=3, ideal_size=3))
    assert sizes(result) == [3]
    assert list(reasons(result).values()) == ["groups_full"]
    assert result.upper_bound == 4 and result.optimal


def test_sessions_less_than_21_days_apart_do_not_count_as_a_fixed_slot():
    # Free on only three Tuesdays: 28 September, 12 October (14 days later) and 2 November.
    away = (
        UnavailableRange(date(2027, 9, 1), date(2027, 9, 27)),
        UnavailableRange(date(2027, 9, 29), date(2027, 10, 11)),
        UnavailableRange(date(2027, 10, 13), date(2027, 11, 1)),
        UnavailableRange(date(2027, 11, 3), date(2028, 12, 31)),
    )
    result = compose(request(*(candidate(f"t{n}", None, TUESDAY_EVENING, unavailable=away) for n in range(3))))
    assert result.groups == ()
    assert set(reasons(result).values()) == {"outside_group_hours"}


def test_reasons_are_in_english_on_request():
    pool = [candidate(f"t{n}") for n in range(3)] + [candidate("wed", None, WEDNESDAY_AFTERNOON),
                                                      candidate("solo", themes=("pesten", "rouw"))]
    result = compose(request(*pool, language="en"))
    assert {item.participant_id: item.reason for item in result.unplaced} == {
        "solo": "No one else chose the themes ‘pesten’ and ‘rouw’.",
        "wed": "No one else with the theme ‘ouders’ is free at a time you are (the same day and time, 3 months in a row).",
    }


# -- the objective and the request -------------------------------------------------------------------


def test_size_penalties_are_squared_distances_from_the_ideal():
    assert size_penalty([4, 6], 5) == 2
    assert size_penalty([7, 7], 6) == 2 < size_penalty([6, 8], 6)
    assert minimal_size_penalty(999, 3, 8, 5) == 1
    assert minimal_size_penalty(4, 3, 3, 3) is None
    assert minimal_size_penalty(0, 3, 8, 5) == 0


@pytest.mark.parametrize("change", [
    {"group_by": "school"},
    {"min_size": 1},
    {"min_size": 6, "ideal_size": 5},
    {"ideal_size": 9},
    {"max_per_organization": 0},
    {"time_limit_seconds": 0},
])
def test_invalid_requests_are_refused(change):
    with pytest.raises(ValueError):
        compose(replace(request(candidate("t0")), **change))


def test_two_candidates_with_one_id_are_refused():
    with pytest.raises(ValueError, match="unique"):
        compose(request(candidate("t0"), candidate("t0")))
