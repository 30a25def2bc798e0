"""The user's language and time zone, and WTForms' own messages in irflow's languages.

WTForms writes some messages itself ("This field is required.", "Not a valid choice.",
"Not a valid date value.", ...). Flask-WTF translates them from WTForms' catalogue, which
has Russian but no Tajik, and the rows of a FieldList (plain `wtforms.Form`) get no
translation at all. irflow's forms derive from `FlaskForm` and `Form` below: they take
those messages from irflow's own catalogues (the messages are listed at the end of this
module for `pybabel extract`) and from WTForms' catalogue for any message not listed.
"""

from contextlib import contextmanager
from datetime import time as datetime_time
from functools import lru_cache

from babel import dates as babel_dates
from flask import current_app, g, request, session
from flask_babel import (
    format_date,
    format_decimal,
    get_locale,
    get_translations,
    gettext,
    ngettext,
    refresh,
    to_user_timezone,
)
from flask_login import current_user
from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import Form as _Form


def select_locale():
    languages = _languages()
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale in languages:
        return user.locale
    chosen = session.get("locale") if request else None
    if chosen in languages:
        return chosen
    if request:
        return request.accept_languages.best_match(languages)
    return None


def select_timezone():
    if g and g.get("forced_timezone"):
        return g.forced_timezone
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.timezone:
        return user.timezone
    return None


def language_of(user):
    """The language to write to `user` in when no request tells: theirs, else the default."""
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def force_timezone(zone):
    """Times shown inside the block are in `zone` (a mail is in its recipient's zone, not in
    that of the user whose request queued it). Flask-Babel has force_locale only."""
    previous = g.get("forced_timezone")
    g.forced_timezone = zone
    refresh()
    try:
        yield
    finally:
        g.forced_timezone = previous
        refresh()


# Short dates with the year in full and no slashes: Babel's short Tajik form (07/01/27) and
# English one (1/7/27) read differently across the region; 07.01.2027 does not.
SHORT_DATE_PATTERNS = {"en": "d MMM y", "ru": "dd.MM.y", "tg": "dd.MM.y"}


def _date_pattern(locale, width):
    return SHORT_DATE_PATTERNS.get(str(locale), "dd.MM.y") if width == "short" else width


def format_day(value, width="medium"):
    """A date (or a moment's date in the reader's zone) in the reader's language."""
    if not value:
        return ""
    return format_date(value, _date_pattern(get_locale(), width))


def format_moment(value, width="medium"):
    """A moment as the reader's date, the time to the minute and the zone it is told in,
    e.g. "7 янв. 2027 г., 19:30 (UTC+5)": deadlines are read from Khujand and from Europe.

    The reader's language and zone are looked up once, and the day's and the time's words
    are remembered: lists show a moment per row, most rows share their days, and there are
    only 1,440 minutes in a day."""
    if not value:
        return ""
    locale = get_locale()
    local = to_user_timezone(value)
    day = _day_words(local.date(), _date_pattern(locale, width), locale)
    time = _time_words(local.hour, local.minute, locale)
    return f"{day}, {time} ({_offset_text(local.utcoffset())})"


@lru_cache(maxsize=4096)
def _day_words(day, pattern, locale):
    return babel_dates.format_date(day, pattern, locale=locale)


@lru_cache(maxsize=4096)
def _time_words(hour, minute, locale):
    return babel_dates.format_time(datetime_time(hour, minute), "short", locale=locale)


def utc_offset(value):
    """The reader's zone at that moment as "UTC+5", "UTC+5:30" or "UTC"."""
    return _offset_text(to_user_timezone(value).utcoffset())


def _offset_text(offset):
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "\N{MINUS SIGN}"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _languages():
    return list(current_app.config["LANGUAGES"])


def file_size(size):
    """A file's size in the user's language (Jinja's filesizeformat writes "41 Bytes", "1.2 kB")."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=format_decimal(round(size / 1024, 1)))
    return gettext("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


class FormTranslations:
    def gettext(self, string):
        translated = get_translations().ugettext(string)
        return translated if translated != string else wtforms_translations.gettext(string)

    def ngettext(self, singular, plural, n):
        translated = get_translations().ungettext(singular, plural, n)
        if translated not in (singular, plural):
            return translated
        return wtforms_translations.ngettext(singular, plural, n)


translations = FormTranslations()


class FlaskForm(_FlaskForm):
    class Meta:
        def get_translations(self, form):
            return translations


class Form(_Form):
    """For the rows of a FieldList(FormField(...))."""

    class Meta:
        def get_translations(self, form):
            return translations


def _wtforms_messages():  # pragma: no cover  (never called: read by `pybabel extract`)
    """The messages WTForms itself can show on irflow's forms."""
    gettext("This field is required.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Invalid choice(s): one or more data inputs could not be coerced.")
    ngettext(
        "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 2
    )
    gettext("Not a valid integer value.")
    gettext("Not a valid decimal value.")
    gettext("Not a valid date value.")
    gettext("Invalid input.")
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 2)
