"""Dates and times as readers see them: short dates that read the same in Khujand and in
Europe, times to the minute and always with their zone."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from irflow.i18n import force_timezone, format_day, format_moment

MOMENT = datetime(2027, 1, 7, 9, 30, 45, tzinfo=UTC)


@pytest.mark.parametrize(("language", "short"), [("tg", "07.01.2027"), ("ru", "07.01.2027"), ("en", "7 Jan 2027")])
def test_short_dates_have_the_whole_year_and_no_slashes(app, language, short):
    with app.test_request_context("/"), force_locale(language):
        assert format_day(date(2027, 1, 7), "short") == short
        assert format_day(MOMENT, "short") == short


@pytest.mark.parametrize(
    ("zone", "language", "shown"),
    [
        ("Asia/Dushanbe", "tg", "07 Янв 2027, 14:30 (UTC+5)"),
        ("Asia/Dushanbe", "ru", "7 янв. 2027\u202fг., 14:30 (UTC+5)"),
        ("Asia/Kolkata", "en", "Jan 7, 2027, 3:00\u202fPM (UTC+5:30)"),
        ("America/Sao_Paulo", "ru", "7 янв. 2027\u202fг., 06:30 (UTC\u22123)"),
        ("UTC", "ru", "7 янв. 2027\u202fг., 09:30 (UTC)"),
    ],
)
def test_a_moment_is_told_to_the_minute_in_the_readers_zone(app, zone, language, shown):
    with app.test_request_context("/"), force_locale(language), force_timezone(zone):
        assert format_moment(MOMENT) == shown


def test_nothing_to_show_for_a_missing_date(app):
    with app.test_request_context("/"):
        assert format_moment(None) == "" and format_day(None) == ""
