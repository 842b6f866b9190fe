"""Diagnostics in words: why each person misses a candidate time (a reason code from their own
availability, holidays, bookings and calendar), and that reason as a sentence an organiser can
act on, in Dutch and in English."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.domain import availability as av
from shared.domain import bookings as bk
from shared.domain.model import Availability, GroupConstraints, Person, UnavailableRange, WeeklyWindow
from shared.domain.planning import Infeasible, PlanRequest, find_plan
from shared.domain.planning import absences as ab
from shared.domain.planning import explanations as words
from shared.domain.planning.explanations import Explanation, sentence

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TUESDAY_EVENING = (WeeklyWindow(1, time(19), time(22)),)


def utc(*parts: int, zone: ZoneInfo = AMSTERDAM) -> int:
    return av.utc_minutes(datetime(*parts, tzinfo=zone))


def someone(weekly=TUESDAY_EVENING, unavailable=(), region=None, zone="Europe/Amsterdam") -> Person:
    return Person("p", zone, Availability(tuple(weekly), tuple(unavailable)), region)


# -- why: the reason codes ---------------------------------------------------------------------------


def test_a_weekday_without_any_window_is_weekday_and_a_window_too_short_is_hours():
    tuesday, wednesday = utc(2027, 3, 9, 21), utc(2027, 3, 10, 19)
    assert ab.absence_of(someone(), wednesday, 90) == ab.Absence("p", ab.WEEKDAY, datetime(2027, 3, 10, 19))
    assert ab.absence_of(someone(), tuesday, 90) == ab.Absence("p", ab.HOURS, datetime(2027, 3, 9, 21))


def test_a_date_range_away_comes_before_the_weekly_windows():
    away = someone(unavailable=(UnavailableRange(date(2027, 3, 8), date(2027, 3, 12), "studiereis"),))
    assert ab.absence_of(away, utc(2027, 3, 9, 19), 90).reason == ab.UNAVAILABLE
    assert ab.absence_of(away, utc(2027, 3, 16, 19), 90) == ab.Absence("p", ab.UNKNOWN, datetime(2027, 3, 16, 19))


def test_her_regions_school_holiday_is_school_holiday():
    # The spring holiday of region zuid in 2027 includes Tuesday 16 February.
    assert ab.absence_of(someone(region="zuid"), utc(2027, 2, 16, 19), 90).reason == ab.SCHOOL_HOLIDAY
    assert ab.absence_of(someone(region="noord"), utc(2027, 2, 16, 19), 90).reason == ab.UNKNOWN


def test_the_local_start_is_on_the_persons_own_clock():
    # 19:00 in Amsterdam is 13:00 in New York (a Tuesday there too): her weekday and time.
    new_yorker = someone(weekly=(WeeklyWindow(0, time(9), time(12)),), zone="America/New_York")
    assert ab.absence_of(new_yorker, utc(2027, 3, 23, 19), 90) == ab.Absence("p", ab.WEEKDAY, datetime(2027, 3, 23, 14))


@pytest.mark.parametrize(("reason", "source", "code", "names_session"), [
    (bk.OVERLAP, bk.SESSION, ab.BOOKED, True),
    (bk.BREAK, bk.SESSION, ab.BREAK, True),
    (bk.DAY, bk.SESSION, ab.DAY_FULL, True),
    (bk.WEEK, bk.SESSION, ab.WEEK_FULL, True),
    (bk.OVERLAP, bk.CALENDAR, ab.CALENDAR_BUSY, False),
])
def test_a_booking_gives_its_reason_and_names_the_other_session_unless_it_is_her_calendar(reason, source, code, names_session):
    absence = ab.absence_of(someone(), utc(2027, 3, 9, 19), 90, bk.Conflict("p", "other", reason, source))
    assert (absence.reason, absence.session_id) == (code, "other" if names_session else None)


def test_one_time_weighs_her_bookings_and_capacity_after_her_availability():
    facilitator = someone(weekly=(WeeklyWindow(1, time(17), time(23)), WeeklyWindow(3, time(17), time(23))))
    tuesday = bk.Booking("p", "s1", datetime(2027, 3, 9, 19, tzinfo=AMSTERDAM), datetime(2027, 3, 9, 20, 30, tzinfo=AMSTERDAM))
    busy = bk.Booking("p", "cal", datetime(2027, 3, 11, 21, tzinfo=AMSTERDAM), datetime(2027, 3, 11, 22, tzinfo=AMSTERDAM), bk.CALENDAR)
    week = bk.Capacity(max_sessions_per_week=1, break_minutes=30)
    at = ab.absence_at
    assert at(facilitator, (tuesday,), None, utc(2027, 3, 9, 20), 90) == ab.Absence("p", ab.BOOKED, datetime(2027, 3, 9, 20), "s1")
    assert at(facilitator, (tuesday,), week, utc(2027, 3, 9, 20, 45), 90).reason == ab.BREAK
    assert at(facilitator, (tuesday,), week, utc(2027, 3, 11, 19), 90).reason == ab.WEEK_FULL
    assert at(facilitator, (tuesday, busy), None, utc(2027, 3, 11, 20), 90).reason == ab.CALENDAR_BUSY
    # On a Wednesday she cannot anyway: she is not said to be booked.
    assert at(facilitator, (tuesday,), week, utc(2027, 3, 10, 19), 90).reason == ab.WEEKDAY


def test_an_infeasible_plan_says_why_each_absentee_misses_each_best_start():
    members = tuple(Person(f"m{n}", "Europe/Amsterdam", Availability(TUESDAY_EVENING)) for n in range(3))
    facilitator = Person("f", "Europe/Amsterdam", Availability(TUESDAY_EVENING))
    monday = datetime(2027, 1, 4, 19, tzinfo=AMSTERDAM)
    request = PlanRequest(
        timezone="Europe/Amsterdam", starts_on=date(2027, 1, 4), session_minutes=90, guided_sessions=3, follow_up_sessions=0,
        facilitator=facilitator, members=members, constraints=GroupConstraints(), capacity=bk.Capacity(max_sessions_per_week=1),
        # Every week she already has another group's session on Monday: her week is full.
        bookings=tuple(
            bk.Booking("f", f"other-{week}", monday + timedelta(weeks=week), monday + timedelta(weeks=week, minutes=90))
            for week in range(60)
        ),
    )
    answer = find_plan(request)
    assert isinstance(answer, Infeasible) and answer.blockers == ("f",)
    slots = [slot for month in answer.months for slot in month.best_slots]
    assert slots and all(
        [(a.person_id, a.reason) for a in slot.absences] == [("f", ab.WEEK_FULL)] and slot.absences[0].session_id.startswith("other-")
        for slot in slots
    )


# -- in words -------------------------------------------------------------------------------------------

HARRIET = {"name": "Harriët de Vries", "role": words.FACILITATOR}
ON_9_MARCH = {"day": date(2027, 3, 9), "at": time(19, 30)}


@pytest.mark.parametrize(("reason", "extra", "dutch", "english"), [
    (ab.BOOKED, {"group_name": "Groep Utrecht 2"},
     "Harriët de Vries (begeleider) is op 9 maart 2027 om 19:30 al ingepland bij Groep Utrecht 2.",
     "Harriët de Vries (facilitator) is already booked on 9 March 2027 at 19:30 with Groep Utrecht 2."),
    (ab.BREAK, {"group_name": "Groep Utrecht 2", "limit": 30},
     "Harriët de Vries (begeleider) heeft op 9 maart 2027 om 19:30 een bijeenkomst bij Groep Utrecht 2 en houdt 30 minuten "
     "tussen twee bijeenkomsten vrij.",
     "Harriët de Vries (facilitator) has a session on 9 March 2027 at 19:30 with Groep Utrecht 2 and needs 30 minutes between sessions."),
    (ab.DAY_FULL, {"limit": 1},
     "Harriët de Vries (begeleider) heeft op 9 maart 2027 al 1 bijeenkomst (maximum).",
     "Harriët de Vries (facilitator) already has 1 session on 9 March 2027 (the maximum)."),
    (ab.WEEK_FULL, {"limit": 2},
     "Harriët de Vries (begeleider) heeft in de week van 9 maart 2027 al 2 bijeenkomsten (maximum).",
     "Harriët de Vries (facilitator) already has 2 sessions in the week of 9 March 2027 (the maximum)."),
    (ab.CALENDAR_BUSY, {},
     "Harriët de Vries (begeleider) heeft op 9 maart 2027 om 19:30 iets anders in de eigen agenda.",
     "Harriët de Vries (facilitator) has something else in their own calendar on 9 March 2027 at 19:30."),
    (ab.UNAVAILABLE, {},
     "Harriët de Vries (begeleider) is op 9 maart 2027 afwezig.",
     "Harriët de Vries (facilitator) is away on 9 March 2027."),
    (ab.SCHOOL_HOLIDAY, {},
     "Harriët de Vries (begeleider) heeft op 9 maart 2027 schoolvakantie.",
     "Harriët de Vries (facilitator) has a school holiday on 9 March 2027."),
    (ab.WEEKDAY, {},
     "Harriët de Vries (begeleider) kan op dinsdag niet.",
     "Harriët de Vries (facilitator) is not available on Tuesdays."),
    (ab.HOURS, {},
     "Harriët de Vries (begeleider) kan op dinsdag om 19:30 niet.",
     "Harriët de Vries (facilitator) is not available on Tuesday at 19:30."),
    (ab.UNKNOWN, {},
     "Harriët de Vries (begeleider) kan op 9 maart 2027 om 19:30 niet.",
     "Harriët de Vries (facilitator) cannot attend on 9 March 2027 at 19:30."),
    (words.BLOCKS_PLAN, {"day": None, "at": None},
     "Zonder Harriët de Vries (begeleider) zou een plan mogelijk zijn.",
     "Without Harriët de Vries (facilitator) a plan would be possible."),
])
def test_each_reason_in_dutch_and_english(reason, extra, dutch, english):
    explanation = Explanation(reason=reason, **{**HARRIET, **ON_9_MARCH, **extra})
    assert sentence(explanation, "nl") == dutch
    assert sentence(explanation, "en") == english


def test_every_reason_code_has_its_own_sentence():
    said = {sentence(Explanation(reason=code, role=words.MEMBER, name="Piet", limit=2, **ON_9_MARCH), "nl")
            for code in (*ab.REASON_CODES, words.BLOCKS_PLAN)}
    assert len(said) == len(ab.REASON_CODES) + 1


def test_a_person_or_group_the_reader_may_not_see_is_named_by_role_alone():
    hidden = Explanation(role=words.MEMBER, reason=ab.BOOKED, **ON_9_MARCH)
    assert sentence(hidden, "nl") == "Een deelnemer is op 9 maart 2027 om 19:30 al ingepland bij een andere groep."
    assert sentence(hidden, "en") == "A member is already booked on 9 March 2027 at 19:30 with another group."
    facilitator = Explanation(role=words.FACILITATOR, reason=words.BLOCKS_PLAN)
    assert sentence(facilitator, "nl") == "Zonder de begeleider zou een plan mogelijk zijn."
    assert sentence(Explanation(role=words.MEMBER, reason=ab.WEEKDAY, **ON_9_MARCH), "en") == "A member is not available on Tuesdays."


def test_one_session_a_day_is_singular():
    one = Explanation(reason=ab.DAY_FULL, limit=1, **HARRIET, **ON_9_MARCH)
    two = Explanation(reason=ab.DAY_FULL, limit=2, **HARRIET, **ON_9_MARCH)
    assert "1 bijeenkomst (" in sentence(one, "nl") and "2 bijeenkomsten (" in sentence(two, "nl")

