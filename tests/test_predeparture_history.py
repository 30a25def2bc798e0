"""Each change of a checklist item is kept in the application's history, and the participant
hears by mail of the changes someone else makes (in their language), not of their own."""

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Notification, PredepartureItemChange

from .fixtures.applications import upload
from .fixtures.factories import actors_for, application_in
from .fixtures.web import client_for, text_of
from .test_predeparture import change


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
