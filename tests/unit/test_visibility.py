"""What a platform is shown of the people of a mixed group: its own participants and the
facilitator by name, the others counted — in a session's answers and absentees
(shared.domain.attendance.shown) and in the data of a webhook event
(shared.domain.webhooks.sent_data)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain.attendance import Answer, Others, shown
from shared.domain.conflicts import Conflict
from shared.domain.webhooks import EVENT_DATA, sent_data

WHEN = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
ENTRIES = [
    Answer("fien", "facilitator", "accepted", WHEN, "link"),
    Answer("a1", "member", "declined", WHEN, "api"),
    Answer("b1", "member", "declined", WHEN, "itip"),
    Answer("b2", "member", "tentative", WHEN, "link"),
    Answer("b3", "member"),
]


def test_a_platform_is_shown_its_own_people_and_the_facilitator_in_order_and_the_rest_counted():
    seen = shown(ENTRIES, ["b3", "a1", "b2"], {"fien", "a1"}.__contains__)
    assert [entry.person_id for entry in seen.attendance] == ["fien", "a1"]
    assert seen.absent_ids == ["a1"]
    assert seen.others == Others(accepted=0, tentative=1, declined=1, needs_action=1, absent=2)


def test_the_organiser_is_shown_everyone_and_nothing_is_counted():
    seen = shown(ENTRIES, ["b3"], None)
    assert seen.attendance == ENTRIES and seen.absent_ids == ["b3"]
    assert seen.others == Others()


def test_every_event_is_sent_with_every_key_of_its_type_and_never_its_routing_keys():
    data = {"invitation_id": "i", "session_id": "s", "client_ids": ["c"]}
    assert sent_data("invitation.issued", data, None) == {"invitation_id": "i", "session_id": "s", "participant_id": None}
    changed = {"session_id": "s", "group_id": "g", "facilitator_id": "fien"}
    assert sent_data("attendance.changed", changed, "c") == {**changed, "participant_id": None}
    assert all(list(sent_data(t, {}, None)) == list(keys) for t, keys in EVENT_DATA.items())


def test_a_session_at_risk_names_to_a_platform_only_its_own_people_and_the_facilitator():
    data = {
        "session_id": "s", "group_id": "g", "declined_ids": ["fien", "a1", "b1", "gone"],
        "owners": {"fien": None, "a1": "A", "b1": "B"},  # "gone": someone whose platform is not known
    }
    assert sent_data("session.at_risk", data, "A") == {
        "session_id": "s", "group_id": "g", "declined_ids": ["fien", "a1"], "others_declined": 2,
        "conflict_ids": [], "others_in_conflict": 0,  # recorded before conflicts were named
    }
    assert sent_data("session.at_risk", data, "B")["declined_ids"] == ["fien", "b1"]
    assert sent_data("session.at_risk", data, None) == {
        "session_id": "s", "group_id": "g", "declined_ids": ["fien", "a1", "b1", "gone"], "others_declined": 0,
        "conflict_ids": [], "others_in_conflict": 0,
    }


def test_a_calendar_conflict_is_named_to_a_platform_only_for_its_own_people_and_the_facilitator():
    data = {
        "session_id": "s", "group_id": "g", "declined_ids": ["b1"], "conflict_ids": ["fien", "a1", "b2"],
        "owners": {"fien": None, "a1": "A", "b1": "B", "b2": "B"},
    }
    to_a = sent_data("session.at_risk", data, "A")
    assert (to_a["declined_ids"], to_a["others_declined"]) == ([], 1)
    assert (to_a["conflict_ids"], to_a["others_in_conflict"]) == (["fien", "a1"], 1)
    to_b = sent_data("session.at_risk", data, "B")
    assert (to_b["conflict_ids"], to_b["others_in_conflict"]) == (["fien", "b2"], 1)
    everyone = sent_data("session.at_risk", data, None)
    assert (everyone["conflict_ids"], everyone["others_in_conflict"]) == (["fien", "a1", "b2"], 0)


def test_a_platform_is_shown_the_conflicts_of_its_own_people_and_the_facilitator_and_the_rest_counted():
    busy = [Conflict("fien"), Conflict("b1"), Conflict("b3")]
    seen = shown(ENTRIES, [], {"fien", "a1"}.__contains__, busy)
    assert seen.conflicts == [Conflict("fien")]
    assert seen.others.conflicts == 2
    assert shown(ENTRIES, [], None, busy).conflicts == busy
