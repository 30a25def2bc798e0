"""`flask --app wsgi send-reminders`: overdue return reports and offers about to lapse."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from irflow.extensions import db
from irflow.models import Application, Notification
from irflow.models.base import utcnow
from irflow.returns.cli import send_reminders

from .fixtures.factories import UserFactory, application_in, one_commit

# Margins of days around the limits where the date on this machine and in Dushanbe may differ.
DUE_DAYS = 30


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()  # read what the command committed
        return result

    return invoke


def reminders(kind=None):
    query = db.select(Notification).where(Notification.dedup_key.is_not(None)).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.dedup_key.startswith(kind + ":"))
    return db.session.scalars(query).all()


def returned_on(days_ago, state="returned", **overrides):
    application = application_in(state, **overrides)
    application.actual_return = date.today() - timedelta(days=days_ago)
    application.actual_departure = application.actual_return - timedelta(days=90)
    db.session.commit()
    return application


def offered_until(deadline, **overrides):
    application = application_in("selected", **overrides)
    application.offer_deadline = deadline
    db.session.commit()
    return application


# --- overdue reports --------------------------------------------------------------------------


def test_an_overdue_report_is_reminded_once(app, cli):
    with one_commit():
        overdue = returned_on(DUE_DAYS + 3)
        recent = returned_on(DUE_DAYS - 3)
        submitted = returned_on(DUE_DAYS + 10, state="report_submitted")
        completed = returned_on(DUE_DAYS + 10, state="completed")
    assert app.config["REPORT_DUE_DAYS"] == DUE_DAYS

    result = cli("send-reminders")
    assert result.exit_code == 0, result.output
    assert "1 return report reminder queued." in result.output
    assert "0 offer reminders queued." in result.output
    [reminder] = reminders()
    assert reminder.application_id == overdue.id and reminder.recipient_id == overdue.applicant_id
    assert reminder.recipient_email == overdue.applicant.email
    assert reminder.dedup_key == f"report-overdue:{overdue.id}:{overdue.actual_return.isoformat()}"
    assert reminder.subject == f"Application {overdue.id}: your return report is overdue"
    assert overdue.call.title in reminder.body and overdue.allocated_place.partner.name in reminder.body
    assert "transcript of records" in reminder.body  # the factory's call is a study mobility
    assert {recent.id, submitted.id, completed.id}.isdisjoint({n.application_id for n in reminders()})

    result = cli("send-reminders")
    assert result.exit_code == 0 and "0 return report reminders queued." in result.output
    assert len(reminders()) == 1


def test_report_days_are_counted_from_the_return(app):
    application = returned_on(0)
    returned = application.actual_return
    assert send_reminders(today=returned + timedelta(days=DUE_DAYS)).report == []
    assert send_reminders(today=returned + timedelta(days=DUE_DAYS + 1)).report == [application.id]
    assert send_reminders(today=returned + timedelta(days=DUE_DAYS + 9)).report == []


def test_a_new_return_date_is_a_new_episode(app):
    application = returned_on(DUE_DAYS + 5)
    assert send_reminders().report == [application.id]
    # The return was recorded wrongly and corrected: the reminder is about the new date.
    application = db.session.get(Application, application.id)
    application.actual_return = application.actual_return - timedelta(days=1)
    db.session.commit()
    assert send_reminders().report == [application.id]
    assert send_reminders().report == []
    assert len(reminders("report-overdue")) == 2


def test_the_reminder_is_written_in_the_participants_language(app):
    participant = UserFactory(locale="ru")
    application = returned_on(DUE_DAYS + 3, applicant=participant)
    send_reminders()
    [reminder] = reminders()
    assert format_date(application.actual_return, "medium", locale="ru") in reminder.body


def test_inactive_accounts_are_not_reminded(app):
    returned_on(DUE_DAYS + 3, applicant=UserFactory(active=False))
    assert send_reminders().report == [] and reminders() == []


# --- offers about to lapse --------------------------------------------------------------------


def test_an_offer_about_to_lapse_is_reminded_once(app, cli):
    now = utcnow()
    assert app.config["OFFER_REMINDER_DAYS"] == 2
    with one_commit():
        near = offered_until(now + timedelta(days=1))
        far = offered_until(now + timedelta(days=5))
        passed = offered_until(now - timedelta(hours=1))
        confirmed = application_in("confirmed")  # an answered offer keeps its deadline
        confirmed.offer_deadline = now + timedelta(days=1)

    result = cli("send-reminders")
    assert result.exit_code == 0, result.output
    assert "1 offer reminder queued." in result.output
    [reminder] = reminders("offer-deadline")
    assert reminder.application_id == near.id
    assert reminder.dedup_key == f"offer-deadline:{near.id}:{near.offer_deadline.isoformat()}"
    assert reminder.subject == f"Application {near.id}: confirm or decline your place"
    assert near.allocated_place.partner.name in reminder.body and "(UTC+5)" in reminder.body
    assert {far.id, passed.id, confirmed.id}.isdisjoint({n.application_id for n in reminders("offer-deadline")})

    assert "0 offer reminders queued." in cli("send-reminders").output
    assert len(reminders("offer-deadline")) == 1


def test_offer_reminders_start_within_the_reminder_days(app):
    now = utcnow()
    application = offered_until(now + timedelta(days=3))
    assert send_reminders(now=now).offer == []
    assert send_reminders(now=now + timedelta(days=1)).offer == [application.id]
    assert send_reminders(now=now + timedelta(days=2)).offer == []
    assert send_reminders(now=now + timedelta(days=3, seconds=1)).offer == []  # lapsed: expire-offers' turn


def test_a_new_offer_deadline_gets_its_own_reminder(app):
    now = utcnow()
    application = offered_until(now + timedelta(days=1))
    assert send_reminders(now=now).offer == [application.id]
    # Declined and later offered again from the waiting list: a new deadline.
    application = db.session.get(Application, application.id)
    application.offer_deadline = now + timedelta(days=1, hours=12)
    db.session.commit()
    assert send_reminders(now=now).offer == [application.id]
    assert len(reminders("offer-deadline")) == 2


def test_the_deadline_is_shown_in_the_applicants_time_zone(app):
    applicant = UserFactory(timezone="Europe/Berlin")
    deadline = utcnow() + timedelta(days=1)
    offered_until(deadline, applicant=applicant)
    send_reminders()
    [reminder] = reminders()
    in_berlin = deadline.astimezone(ZoneInfo("Europe/Berlin"))
    hours = int(in_berlin.utcoffset().total_seconds() // 3600)  # 1 in winter, 2 in summer
    assert f"{in_berlin:%-I:%M}" in reminder.body and f"(UTC+{hours})" in reminder.body
