"""Countries as ISO 3166-1 alpha-2 codes, named in the user's language by Babel (CLDR)."""

from functools import lru_cache

from babel import Locale
from flask_babel import get_locale

# CLDR knows codes that are no country of ISO 3166-1: groupings (EU, EZ, UN), the unknown
# region (ZZ), outlying Oceania (QO), pseudo-locales (XA, XB) and exceptionally reserved
# codes (AC, CP, CQ, DG, EA, IC, TA). XK (Kosovo) is kept: partners there use it.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"})


@lru_cache(maxsize=1)
def country_codes():
    territories = Locale("en").territories
    return frozenset(
        code
        for code in territories
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in NOT_COUNTRIES
    )


def is_country(code):
    return bool(code) and code in country_codes()


# Where the user's language has no name for a country: Russian (read by every Tajik reader), then English.
FALLBACK_LOCALES = ("ru", "en")


@lru_cache(maxsize=8)
def _territories(language):
    return Locale.parse(language).territories


def country_name(code):
    """The country's name in the user's language, else in Russian or English; the code itself if CLDR has no name."""
    if not code:
        return ""
    locale = get_locale()
    languages = ((str(locale),) if locale is not None else ()) + FALLBACK_LOCALES
    for language in languages:
        name = _territories(language).get(code)
        if name:
            return name
    return code


def country_choices(codes=None):
    """(code, name) pairs sorted by name in the user's language, for a select."""
    codes = country_codes() if codes is None else codes
    pairs = [(code, country_name(code)) for code in codes]
    return sorted(pairs, key=lambda pair: (pair[1].casefold(), pair[0]))
