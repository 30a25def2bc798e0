"""Filters and globals every template may use, registered once for the whole app.

A helper of one area's pages is passed by its views or registered by its blueprint as an
app template global; nothing here runs per render."""

from flask import current_app
from flask_babel import format_decimal, get_locale, get_timezone
from flask_babel import gettext as _

from ..countries import country_name
from ..i18n import file_size, format_day, format_moment
from ..models.base import (
    AGREEMENT_DIRECTIONS,
    AGREEMENT_LEVELS,
    CATEGORIES,
    DOCUMENT_KINDS,
    LOCALES,
    MOBILITY_TYPES,
    PARTNER_KINDS,
    PROGRAM_KINDS,
    ROLES,
)
from ..models.states import STATE_LABELS
from ..models.translated import localized
from .forms import described_by, error_links
from .navigation import department_links


def current_locale_code():
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def university_name():
    """Heads printed documents (the selection protocol, grant agreements): UNIVERSITY_NAME,
    else Khujand State University's name in the reader's language."""
    return current_app.config.get("UNIVERSITY_NAME") or _("Khujand State University named after B. Gafurov")


def user_timezone():
    return str(get_timezone())


def init_app(app):
    app.jinja_env.filters.update(
        datetime=format_moment,
        date=format_day,
        filesize=file_size,
    )
    app.jinja_env.globals.update(
        current_locale_code=current_locale_code,
        department_links=department_links,
        described_by=described_by,
        error_links=error_links,
        user_timezone=user_timezone,
        university_name=university_name,
        country_name=country_name,
        localized=localized,
        format_decimal=format_decimal,
        number=format_decimal,
        AGREEMENT_DIRECTIONS=AGREEMENT_DIRECTIONS,
        AGREEMENT_LEVELS=AGREEMENT_LEVELS,
        CATEGORIES=CATEGORIES,
        DOCUMENT_KINDS=DOCUMENT_KINDS,
        LOCALES=LOCALES,
        MOBILITY_TYPES=MOBILITY_TYPES,
        PARTNER_KINDS=PARTNER_KINDS,
        PROGRAM_KINDS=PROGRAM_KINDS,
        ROLES=ROLES,
        STATE_LABELS=STATE_LABELS,
    )
