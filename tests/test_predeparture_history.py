"""Each change of a checklist item is kept in the application's history, and the participant
hears by mail of the changes someone else makes (in their language), not of their own. The
items the office provides are reminded to the faculty's coordinators, one list each."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Notification, PredepartureItem, PredepartureItemChange
from irflow.returns.cli import send_reminders

from .fixtures.applications import upload
from .fixtures.factories import FacultyFactory, UserFactory, actors_for, application_in
from .fixtures.predeparture import change
from .fixtures.web import client_for, text_of


@pytest.fixture
def accepted(app):
    return application_in("host_accepted")


@pytest.fixture
def people(accepted):
    return actors_for(accepted, kinds=("owner", "coordinator"))


def changes_of(application):
    return db.session.scalars(
        sa.select(PredepartureItemChange)
        .where(PredepartureItemChange.application_id == application.id)
        .order_by(PredepartureItemChange.id)
    ).all()


def mails_to_owner(application):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.application_id == application.id, Notification.recipient_id == application.applicant_id)
        .order_by(Notification.id)
    ).all()


def test_every_change_of_an_item_is_kept_and_shown_in_the_history(app, accepted, people):
    coordinator = client_for(app, people["coordinator"])
    assert change(coordinator, accepted, "visa", "not_needed", reason="Visa-free for citizens.").status_code == 302
    assert change(coordinator, accepted, "visa", "todo").status_code == 302
    owner = client_for(app, people["owner"])
    upload(owner, accepted.id, "travel_tickets")
    assert change(owner, accepted, "travel_tickets", "done").status_code == 302

    rows = [(row.item, row.state, row.reason, row.actor_id) for row in changes_of(accepted)]
    assert rows == [
        ("visa", "not_needed", "Visa-free for citizens.", people["coordinator"].id),
        ("visa", "todo", None, people["coordinator"].id),
        ("travel_tickets", "done", None, people["owner"].id),
    ]
    history = text_of(owner.get(f"/applications/{accepted.id}")).split('id="timeline"')[1]
    entries = history.split("checklist-change-entry")[1:]
    assert len(entries) == 3
    assert "Visa: not needed" in entries[0] and "Visa-free for citizens." in entries[0]
    assert "Visa: to do again" in entries[1]
    assert "Travel tickets: done" in entries[2]
    assert people["coordinator"].full_name_native in history


def test_a_refused_change_leaves_no_history(app, accepted, people):
    owner = client_for(app, people["owner"])
    assert change(owner, accepted, "travel_tickets", "done").status_code == 400  # no document yet
    assert changes_of(accepted) == []


def test_the_participant_hears_of_the_office_changes_but_not_of_their_own(app, accepted, people):
    owner = client_for(app, people["owner"])
    upload(owner, accepted.id, "visa")
    before = len(mails_to_owner(accepted))
    assert change(owner, accepted, "visa", "done", visa_decision="granted").status_code == 302
    assert len(mails_to_owner(accepted)) == before

    coordinator = client_for(app, people["coordinator"])
    assert change(coordinator, accepted, "visa", "todo").status_code == 302
    assert (
        change(coordinator, accepted, "accommodation", "not_needed", reason="The host's dormitory.").status_code == 302
    )
    upload(coordinator, accepted.id, "insurance_policy")
    assert (
        change(
            coordinator, accepted, "insurance", "done", covered_from="2027-01-01", covered_to="2027-07-01"
        ).status_code
        == 302
    )
    reopened, not_needed, done = mails_to_owner(accepted)[before:]
    assert "Visa" in reopened.subject and "to do again: Visa" in reopened.body
    assert "not needed: Accommodation" in not_needed.body and "The host's dormitory." in not_needed.body
    assert "is done: Insurance" in done.body
    assert people["coordinator"].full_name_native in done.body


def test_the_mail_is_in_the_participants_language(app, accepted, people):
    accepted.applicant.locale = "tg"
    db.session.commit()
    coordinator = client_for(app, people["coordinator"])
    assert change(coordinator, accepted, "visa", "not_needed", reason="Бе раводид.").status_code == 302
    [notice] = mails_to_owner(accepted)[-1:]
    assert "Раводид дар рӯйхати санҷишии" in notice.subject and "Бе раводид." in notice.body
    assert "лозим нест: Раводид" in notice.body


# --- the office's items: reminded to the faculty's coordinators ----------------------------------


def office_lists_of(user):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.recipient_id == user.id, Notification.dedup_key.startswith("predeparture-office:"))
        .order_by(Notification.id)
    ).all()


# A Monday: an office list comes again each ISO week while it stays open, so the days of a
# test stay within known weeks whatever the day it runs.
MONDAY = date.today() + timedelta(days=7 - date.today().weekday())


def due_soon_in(faculty, today=None):
    application = application_in("host_accepted")
    application.faculty = faculty
    # The invitation letter (75 days before the departure) is due two days after `today`.
    application.planned_start = (today or date.today()) + timedelta(days=77)
    application.planned_end = application.planned_start + timedelta(days=120)
    db.session.commit()
    return application


def test_the_office_items_go_to_the_faculty_coordinators_in_one_list(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty])
    elsewhere = UserFactory(coordinates=[FacultyFactory()])
    first, second = due_soon_in(faculty, MONDAY), due_soon_in(faculty, MONDAY)

    run = send_reminders(today=MONDAY)
    assert run.office_checklist == [coordinator.id]
    assert {item for _id, item in run.checklist}.isdisjoint({"invitation_letter"})  # never to the participant
    [reminder] = office_lists_of(coordinator)
    assert "2 pre-departure items" in reminder.subject
    assert f"application no. {first.id}" in reminder.body and f"application no. {second.id}" in reminder.body
    assert reminder.body.count("Invitation letter from the host") == 2
    assert office_lists_of(elsewhere) == []

    # The same list is not sent again, on the same day or the next.
    assert send_reminders(today=MONDAY).office_checklist == []
    assert send_reminders(today=MONDAY + timedelta(days=1)).office_checklist == []
    # A new item due makes a new list.
    third = due_soon_in(faculty, MONDAY)
    assert send_reminders(today=MONDAY).office_checklist == [coordinator.id]
    assert f"application no. {third.id}" in office_lists_of(coordinator)[-1].body


def test_an_item_falling_overdue_and_an_open_list_a_week_later_are_mailed_again(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty])
    due_soon_in(faculty, MONDAY)  # due on Wednesday
    today = MONDAY
    assert send_reminders(today=today).office_checklist == [coordinator.id]
    # Overdue from the third day: the list says so, once.
    assert send_reminders(today=today + timedelta(days=3)).office_checklist == [coordinator.id]
    assert "was due on" in office_lists_of(coordinator)[-1].body
    assert send_reminders(today=today + timedelta(days=4)).office_checklist == []
    # Still open a week later: the same list comes again, once that week.
    assert send_reminders(today=today + timedelta(days=10)).office_checklist == [coordinator.id]
    assert send_reminders(today=today + timedelta(days=11)).office_checklist == []


def test_a_faculty_without_a_coordinator_has_its_office_items_reminded_to_the_head(app):
    head = UserFactory(roles=["head"])
    covered, uncovered = FacultyFactory(), FacultyFactory()
    UserFactory(coordinates=[covered])
    due_soon_in(covered, MONDAY)
    orphan = due_soon_in(uncovered, MONDAY)
    UserFactory(coordinates=[uncovered], active=False)  # an inactive coordinator covers nothing

    assert head.id in send_reminders(today=MONDAY).office_checklist
    [reminder] = office_lists_of(head)
    assert f"application no. {orphan.id}" in reminder.body and reminder.body.count("application no.") == 1


def test_no_list_when_the_office_items_are_settled(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty])
    application = due_soon_in(faculty)
    db.session.add(PredepartureItem(application=application, item="invitation_letter", state="done"))
    db.session.commit()
    assert send_reminders().office_checklist == []
    assert office_lists_of(coordinator) == []


def test_the_office_list_is_in_the_coordinators_language(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty], locale="tg")
    due_soon_in(faculty)
    send_reminders()
    [reminder] = office_lists_of(coordinator)
    assert "шуъба бояд омода кунад" in reminder.subject
    assert "Даъватнома аз тарафи қабулкунанда" in reminder.body and "мӯҳлат" in reminder.body
