"""Why someone is not placed: per key how far they came (see :data:`REASON_CODES`), the furthest
of their keys, in words a person can read (Dutch, or English on request)."""

from __future__ import annotations

from babel.lists import format_list

from .. import i18n
from ..i18n import N_
from ..themes import role_label, theme_label
from .pools import Reach, Setup
from .values import (
    FACILITATOR_UNAVAILABLE,
    GROUPS_FULL,
    NO_ONE_SHARES_KEY,
    NO_SHARED_TIME,
    NOTHING_TO_GROUP_BY,
    ONLY_OWN_ORGANIZATION,
    OUTSIDE_GROUP_HOURS,
    ROLE,
    THEME,
    TOO_FEW_AT_SHARED_TIMES,
    Unplaced,
)

_REASONS: dict[str, str] = {
    NOTHING_TO_GROUP_BY + ":" + THEME: N_("You chose no theme, so you fit no theme group."),
    NOTHING_TO_GROUP_BY + ":" + ROLE: N_("You gave no role, so you fit no group by role."),
    NO_ONE_SHARES_KEY: N_("No one else chose {what}."),
    OUTSIDE_GROUP_HOURS: N_(
        "You are not free at one fixed day and time within the groups' days, hours and holidays "
        "for {count} months in a row."
    ),
    FACILITATOR_UNAVAILABLE: N_(
        "The facilitator is never free at a time you are (the same day and time, {count} months in a row)."
    ),
    NO_SHARED_TIME: N_(
        "No one else with {what} is free at a time you are (the same day and time, {count} months in a row)."
    ),
    ONLY_OWN_ORGANIZATION: N_("Only colleagues from your own school with {what} share your times."),
    TOO_FEW_AT_SHARED_TIMES: N_(
        "At your times at most {others} with {what} from other schools are free; "
        "a group needs at least {min_size} people."
    ),
    GROUPS_FULL: N_(
        "Your times match only groups that are already full; no further group could be formed within "
        "the rules for group size and people per school."
    ),
}
"""Why someone is not placed, by reason code (gettext msgids, see :mod:`shared.domain.i18n`)."""


def _what(keys: list[str], group_by: str, language: str) -> str:
    """``het thema ‘Ouderbetrokkenheid’``, ``the themes ‘Bullying’ and ‘Grief’``, ``de rol ‘Leerkracht’``."""
    _ = i18n.translator(language)
    label = role_label if group_by == ROLE else theme_label
    joined = format_list([f"‘{label(key, language)}’" for key in keys], locale=i18n.locale_of(language))
    if group_by == ROLE:
        return _("the role {keys}", keys=joined)
    return _.ngettext("the theme {keys}", "the themes {keys}", len(keys), keys=joined)


_STAGES = (NOTHING_TO_GROUP_BY, NO_ONE_SHARES_KEY, OUTSIDE_GROUP_HOURS, FACILITATOR_UNAVAILABLE,
           NO_SHARED_TIME, ONLY_OWN_ORGANIZATION, TOO_FEW_AT_SHARED_TIMES, GROUPS_FULL)


def why_unplaced(setup: Setup, reach: Reach, index: int) -> Unplaced:
    """Why ``index`` is not placed: per key how far they came (see :data:`REASON_CODES`), the
    furthest of their keys."""
    request = setup.request
    _ = i18n.translator(request.language)
    candidate = setup.candidates[index]
    keys = setup.keys[index]
    if not keys:
        return Unplaced(candidate.id, _(_REASONS[f"{NOTHING_TO_GROUP_BY}:{request.group_by}"]), NOTHING_TO_GROUP_BY)
    stages: dict[str, tuple[int, int]] = {}  # key -> (stage, capped others from other organisations)
    for key in keys:
        others, elsewhere, capacity = reach.best.get((index, key), (0, 0, 0))
        if len(setup.by_key[key]) == 1:
            stages[key] = (_STAGES.index(NO_ONE_SHARES_KEY), 0)
        elif others == 0:
            stages[key] = (_STAGES.index(NO_SHARED_TIME), 0)
        elif capacity >= request.min_size:
            stages[key] = (_STAGES.index(GROUPS_FULL), elsewhere)
        elif elsewhere == 0:
            stages[key] = (_STAGES.index(ONLY_OWN_ORGANIZATION), 0)
        else:
            stages[key] = (_STAGES.index(TOO_FEW_AT_SHARED_TIMES), elsewhere)
    stage = max(value for value, _ in stages.values())
    at_stage = [key for key in keys if stages[key][0] == stage]
    if stage > _STAGES.index(NO_ONE_SHARES_KEY) and not setup.patterns[index]:
        # Nobody could share a time with them: their own times (or the facilitator's) are why.
        stage = _STAGES.index(FACILITATOR_UNAVAILABLE if setup.open_patterns[index] else OUTSIDE_GROUP_HOURS)
        at_stage = list(keys)
    elsewhere = max(stages[key][1] for key in at_stage)
    code = _STAGES[stage]
    text = _(
        _REASONS[code],
        what=_what(at_stage, request.group_by, request.language),
        count=request.guided_sessions,
        min_size=request.min_size,
        others=_.ngettext("one other person", "{count} others", elsewhere),
    )
    return Unplaced(candidate.id, text, code)
