"""Themes and roles are slugs in the data and words for people."""

from __future__ import annotations

import pytest

from shared.domain.themes import ROLES, THEMES, role_label, theme_label


@pytest.mark.parametrize(("slug", "language", "label"), [
    ("interculturele_samenwerking", "nl", "Interculturele samenwerking"),
    ("interculturele_samenwerking", "en", "Intercultural collaboration"),
    ("passend_onderwijs", "nl", "Passend onderwijs"),
    ("passend_onderwijs", "en", "Inclusive education"),
    ("gedrag", "nl", "Gedrag"),
    ("ouderbetrokkenheid", "en-GB", "Parental involvement"),
    ("gedrag-in-de-klas", "nl", "Gedrag in de klas"),
])
def test_a_known_theme_reads_as_its_label(slug, language, label):
    assert theme_label(slug, language) == label


@pytest.mark.parametrize(("slug", "label"), [
    ("lastige_gesprekken", "lastige gesprekken"),
    ("rouw-en_verlies", "rouw en verlies"),
    ("pesten", "pesten"),
])
def test_an_unknown_theme_reads_as_its_slug_with_spaces(slug, label):
    assert theme_label(slug, "nl") == label
    assert theme_label(slug, "en") == label


def test_free_text_is_left_as_written():
    assert theme_label("Omgaan met ouders — “lastige” gesprekken", "nl") == "Omgaan met ouders — “lastige” gesprekken"
    assert theme_label("ICT-onderwijs", "en") == "ICT-onderwijs"


def test_roles_read_as_words():
    assert role_label("intern_begeleider", "nl") == "Intern begeleider"
    assert role_label("intern_begeleider", "en") == "Special needs coordinator"
    assert role_label("zorgcoordinator", "nl") == "Zorgcoördinator"
    assert role_label("remedial_teacher", "nl") == "remedial teacher"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_no_label_in_the_catalogues_is_a_slug(language):
    labels = [theme_label(slug, language) for slug in THEMES] + [role_label(slug, language) for slug in ROLES]
    assert all("_" not in label and label[:1].isupper() for label in labels), labels
    assert len(set(labels)) == len(labels)
