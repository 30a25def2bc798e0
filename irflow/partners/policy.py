"""Who may change partners and agreements: everyone sees the partners and their
agreements' validity on the public page; only the head (and admin) manages them, and sees
an agreement's signed copy (the manage pages). Also the rule of which hosts a call may offer."""

import re
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from ..models.base import AGREEMENT_LEVELS, LEVEL_OF_CATEGORY, MOBILITY_TYPES


def may_manage(user):
    return bool(getattr(user, "is_authenticated", False)) and user.has_role("head")


# --- which hosts a call may offer -------------------------------------------------------------
#
# A call's host must have an agreement with that partner that
# - is in force on 1 September of the call's academic year (the start of the year is enough:
#   mobilities agreed under it may run past its end); a missing date is an open end;
# - covers outgoing mobility, the call's mobility type and the level of every category the
#   call is open to (LEVEL_OF_CATEGORY). Levels may come from several agreements in force
#   (say one for students and one for staff); an agreement listing no types or levels (one
#   recorded before its terms were) covers none.


def academic_year_start(academic_year):
    """1 September of "2026/2027"; None for anything else."""
    match = re.fullmatch(r"(\d{4})/(\d{4})", academic_year or "")
    if match is None or int(match[2]) != int(match[1]) + 1:
        return None
    return date(int(match[1]), 9, 1)


def in_force_on(agreement, day):
    return (agreement.valid_from is None or agreement.valid_from <= day) and (
        agreement.valid_until is None or agreement.valid_until >= day
    )


def agreement_problems(host, call):
    """What keeps `host` (a Partner, or a CallPlace) from being offered in `call` (anything
    with academic_year, mobility_type and eligible_categories: a Call or the call form's
    values): a list of messages for the head, empty when an agreement covers it."""
    partner = getattr(host, "partner", host)
    agreements = list(partner.agreements)
    if not agreements:
        return [_("No agreement with this partner.")]
    year_start = academic_year_start(call.academic_year)
    if year_start is not None:
        in_force = [agreement for agreement in agreements if in_force_on(agreement, year_start)]
        if not in_force:
            return [_not_in_force(agreements, year_start, call.academic_year)]
    else:  # the year is refused next to its own field
        in_force = agreements
    outgoing = [agreement for agreement in in_force if agreement.direction in ("outgoing", "both")]
    if not outgoing:
        return [_("The agreement in force covers incoming mobility only.")]
    of_type = [agreement for agreement in outgoing if call.mobility_type in (agreement.mobility_types or [])]
    if not of_type:
        mobility_type = MOBILITY_TYPES.get(call.mobility_type, call.mobility_type)
        return [_("The agreement in force does not cover this mobility type: %(type)s.", type=mobility_type)]
    covered = {level for agreement in of_type for level in agreement.levels or []}
    needed = {
        LEVEL_OF_CATEGORY[category] for category in call.eligible_categories or [] if category in LEVEL_OF_CATEGORY
    }
    missing = [str(label) for level, label in AGREEMENT_LEVELS.items() if level in needed - covered]
    if missing:
        return [_("The agreement in force does not cover these levels: %(levels)s.", levels=", ".join(missing))]
    return []


def _not_in_force(agreements, year_start, academic_year):
    later = [
        agreement.valid_from for agreement in agreements if agreement.valid_from and agreement.valid_from > year_start
    ]
    if later:
        return _(
            "The agreement comes into force on %(date)s, after the academic year %(year)s starts.",
            date=format_date(min(later)),
            year=academic_year,
        )
    ended = max(agreement.valid_until for agreement in agreements if agreement.valid_until)
    return _(
        "The agreement expired on %(date)s, before the academic year %(year)s starts.",
        date=format_date(ended),
        year=academic_year,
    )
