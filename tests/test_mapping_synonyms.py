"""Header synonyms match across case, spacing and punctuation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.mapping.synonyms import PERSON, PERSON_LOOKUP, fold_header, match_header

_WORDS = sorted({w.strip() for tiers in PERSON.values() for t in tiers for w in t.split(";")})


@given(
    st.sampled_from(_WORDS),
    st.sampled_from([str.lower, str.upper, str.title, str.capitalize]),
    st.sampled_from([" ", "_", "-", ".", "  ", " - ", "/"]),
)
def test_case_spacing_and_punctuation_do_not_matter(word: str, case: object, sep: str) -> None:
    """Any casing and separator of a known header maps to the field of its plain form."""
    variant = case(word).replace(" ", sep)  # type: ignore[operator]
    assert match_header(variant, company=False) == PERSON_LOOKUP[fold_header(word)]


def test_fold_header_examples() -> None:
    """Folding drops accents, splits camelCase and normalises punctuation."""
    assert fold_header("E-Mail-Adresse") == "e mail adresse"
    assert fold_header("linkedInProfileUrl") == "linkedin profile url"
    assert fold_header("Prénom") == "prenom"
    assert fold_header("  Company_Name (Account) ") == "company name account"
    assert fold_header("Straße") == "strasse"
