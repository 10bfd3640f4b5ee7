"""Rules: normalise and validate person and company identifiers.

Pure functions that return values and never raise on data: `validate` gives an `Identity` or an
`Invalid` with a reason; the normalisers (in `normalise`) give `None` for unusable text; `cells`
takes one identifier from a row's cells (several columns, several values in one cell); `columns`
gives `validate`'s verdicts for a whole table at once, and `picking` does what `cells` does for
a whole table. Column-wise, each normaliser is also written as polars patterns (`exprs`), chains
of them are computed in one query (`derived`), and `keys` puts them together as `validate` does.
"""

from csv_enrich.rules.normalise import fold
from csv_enrich.rules.validate import (
    FREE_MAIL,
    NOT_HANDLES,
    PLACEHOLDERS,
    PLATFORMS,
    clean,
    company_domain,
    derive,
    email_domain,
    is_linkedin_company,
    linkedin_slug,
    normalise_company,
    normalise_domain,
    normalise_email,
    normalise_id,
    normalise_linkedin,
    normalise_name,
    normalise_phone,
    normalise_ticker,
    platform_of,
    split_full_name,
    validate,
    work_domain,
)

__all__ = [
    "FREE_MAIL", "NOT_HANDLES", "PLACEHOLDERS", "PLATFORMS", "clean", "company_domain",
    "derive", "email_domain", "fold", "is_linkedin_company", "linkedin_slug", "normalise_company",
    "normalise_domain", "normalise_email", "normalise_id", "normalise_linkedin", "normalise_name",
    "normalise_phone", "normalise_ticker", "platform_of", "split_full_name", "validate",
    "work_domain",
]
