"""Themes and roles in words: groups and participants carry a theme or a role as a slug
(``passend_onderwijs``, ``intern_begeleider``); people read its label (``Passend onderwijs`` /
``Inclusive education``, ``Intern begeleider`` / ``Special needs coordinator``).

The labels are English msgids translated in the gettext catalogue like every other text. A slug
that is not in the catalogue reads as itself with spaces for its underscores and hyphens, so a
new theme is never shown as a machine word, only without a translation until it is added here.
"""

from __future__ import annotations

import re

from shared.domain.i18n import N_, translator

THEMES: dict[str, str] = {
    "ouderbetrokkenheid": N_("Parental involvement"),
    "lastige_ouders": N_("Difficult parents"),
    "veeleisende_ouders": N_("Demanding parents"),
    "interculturele_samenwerking": N_("Intercultural collaboration"),
    "interculturele_samenwerking_met_ouders": N_("Intercultural collaboration with parents"),
    "gedrag": N_("Behaviour"),
    "gedrag_in_de_klas": N_("Behaviour in the classroom"),
    "passend_onderwijs": N_("Inclusive education"),
    "leiderschap": N_("Leadership"),
    "werkdruk_en_balans": N_("Workload and balance"),
    "differentiatie": N_("Differentiation"),
    "samenwerken_met_collegas": N_("Working with colleagues"),
}
"""The themes in use, by slug (hyphens in a slug count as underscores)."""

ROLES: dict[str, str] = {
    "leerkracht": N_("Teacher"),
    "docent": N_("Subject teacher"),
    "intern_begeleider": N_("Special needs coordinator"),
    "zorgcoordinator": N_("Care coordinator"),
    "schoolleider": N_("School leader"),
    "teamleider": N_("Team leader"),
}
"""The roles in use, by slug."""

_SEPARATORS = re.compile(r"[_-]+")
_SLUG = re.compile(r"[a-z0-9]+(?:[_-]+[a-z0-9]+)*")


def theme_label(theme: str, language: str | None) -> str:
    """``Passend onderwijs`` for ``passend_onderwijs`` in Dutch; an unknown slug with spaces
    (``lastige_gesprekken`` → ``lastige gesprekken``); free text stays as it is."""
    return _label(THEMES, theme, language)


def role_label(role: str, language: str | None) -> str:
    """``Intern begeleider`` for ``intern_begeleider`` in Dutch; an unknown slug with spaces."""
    return _label(ROLES, role, language)


def _label(catalogue: dict[str, str], slug: str, language: str | None) -> str:
    if not _SLUG.fullmatch(slug):
        return slug
    known = catalogue.get(_SEPARATORS.sub("_", slug))
    return translator(language)(known) if known is not None else _SEPARATORS.sub(" ", slug)
