"""The pre-departure checklist: items with due dates from the planned departure, uploads and
states, the coordinator's overview, reminders once per item and due date, and a departure
that is warned about missing items but not refused."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, Notification, PredepartureItem
from irflow.returns.cli import send_reminders

from .fixtures.applications import fire, upload
from .fixtures.factories import FacultyFactory, UserFactory, actors_for, application_in, outsiders_for
from .fixtures.predeparture import change, checklist_url, item_of
from .fixtures.querycount import counting_statements
from .fixtures.web import client_for, follow, post, text_of

PLANNED_START = date(2027, 2, 1)  # the factory's planned departure
PLANNED_END = date(2027, 6, 30)


@pytest.fixture
def accepted(app):
    return application_in("host_accepted")


@pytest.fixture
def people(accepted):
    return actors_for(accepted, kinds=("owner", "coordinator", "examiner", "head"))


def test_items_are_listed_with_due_dates_from_the_planned_departure(app, accepted, people):
    page = text_of(client_for(app, people["owner"]).get(checklist_url(accepted)))
    due_days = app.config["PREDEPARTURE_DUE_DAYS"]
    for key in ("visa", "insurance", "travel_tickets", "accommodation", "invitation_letter", "certificate_of_arrival"):
        assert f'id="item-{key}"' in page
    visa_due = PLANNED_START - timedelta(days=due_days["visa"])
    insurance_due = PLANNED_START - timedelta(days=due_days["insurance"])
    assert visa_due == date(2026, 12, 3) and insurance_due == date(2027, 1, 18)
    assert "2026" in page.split('id="due-visa"')[1][:80] and "3" in page.split('id="due-visa"')[1][:80]
    assert "18" in page.split('id="due-insurance"')[1][:80]


def test_participant_uploads_and_marks_done(app, accepted, people):
    owner = client_for(app, people["owner"])
    # Without the document the item cannot be done.
    response = change(owner, accepted, "travel_tickets", "done")
    assert response.status_code == 400 and "Upload the document first" in text_of(response)
    assert upload(owner, accepted.id, "travel_tickets").status_code == 302
    response = change(owner, accepted, "travel_tickets", "done")
    assert response.status_code == 302
    assert item_of(accepted, "travel_tickets").state == "done"
    assert 'data-state="done"' in text_of(follow(owner, response))


def test_visa_is_done_once_granted(app, accepted, people):
    owner = client_for(app, people["owner"])
    upload(owner, accepted.id, "visa")
    response = change(owner, accepted, "visa", "done", visa_appointment="2026-12-01", visa_decision="pending")
    assert response.status_code == 400 and "once it is granted" in text_of(response)
    assert (
        change(owner, accepted, "visa", "done", visa_appointment="2026-12-01", visa_decision="granted").status_code
        == 302
    )
    record = item_of(accepted, "visa")
    assert (record.state, record.visa_appointment, record.visa_decision) == ("done", date(2026, 12, 1), "granted")


def test_insurance_not_covering_the_stay_is_refused(app, accepted, people):
    owner = client_for(app, people["owner"])
    upload(owner, accepted.id, "insurance_policy")
    response = change(owner, accepted, "insurance", "done", covered_from="2027-02-01", covered_to="2027-05-31")
    assert response.status_code == 400
    assert "must cover the stay to its last day" in text_of(response)
    assert item_of(accepted, "insurance") is None
    response = change(owner, accepted, "insurance", "done", covered_from="2027-02-01", covered_to="2027-06-30")
    assert response.status_code == 302
    record = item_of(accepted, "insurance")
    assert (record.state, record.covered_from, record.covered_to) == ("done", PLANNED_START, PLANNED_END)


def test_coordinator_marks_not_needed_with_a_reason(app, accepted, people):
    coordinator = client_for(app, people["coordinator"])
    response = change(coordinator, accepted, "visa", "not_needed", reason="")
    assert response.status_code == 400 and "Say why the item is not needed." in text_of(response)
    response = change(coordinator, accepted, "visa", "not_needed", reason="Visa-free for citizens of Tajikistan.")
    assert response.status_code == 302
    record = item_of(accepted, "visa")
    assert (record.state, record.reason) == ("not_needed", "Visa-free for citizens of Tajikistan.")
    assert "Visa-free" in text_of(follow(coordinator, response))
    # The participant cannot decide it, nor mark the office's item done.
    owner = client_for(app, people["owner"])
    assert change(owner, accepted, "accommodation", "not_needed", reason="x").status_code == 403
    assert change(owner, accepted, "invitation_letter", "done").status_code == 403
    # The coordinator reopens it; a stale version is refused.
    assert (
        post(coordinator, checklist_url(accepted), {"item": "visa", "action": "todo", "version": "99"}).status_code
        == 409
    )
    assert change(coordinator, accepted, "visa", "todo").status_code == 302
    assert item_of(accepted, "visa").state == "todo"


def test_access_examiner_and_other_faculty_get_404(app, accepted, people):
    others = outsiders_for(accepted)
    for user in (people["examiner"], others["other_coordinator"], others["other_applicant"]):
        client = client_for(app, user)
        assert client.get(checklist_url(accepted)).status_code == 404
        assert change(client, accepted, "visa", "not_needed", reason="x").status_code == 404
    assert client_for(app, people["head"]).get(checklist_url(accepted)).status_code == 200
    assert client_for(app, people["examiner"]).get("/checklists").status_code == 403


def test_no_checklist_before_the_confirmed_place(app):
    application = application_in("selected")
    assert client_for(app, application.applicant).get(checklist_url(application)).status_code == 404


def test_overview_lists_who_misses_what_in_constant_statements(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(coordinates=[faculty])
    first = application_in("host_accepted")
    first.faculty = faculty
    elsewhere = application_in("confirmed")
    db.session.commit()
    client = client_for(app, coordinator)
    change(client, first, "visa", "not_needed", reason="Visa-free.")
    page = text_of(client.get("/checklists"))
    row = page.split(f'id="row-{first.id}"')[1].split("</tr>")[0]
    assert 'data-item="insurance"' in row and 'data-item="visa"' not in row
    assert 'data-item="certificate_of_arrival"' not in row  # only after the arrival
    assert f'id="row-{elsewhere.id}"' not in page

    def statements_for(count):
        for _ in range(count):
            application = application_in("confirmed")
            application.faculty = faculty
        db.session.commit()
        client.get("/checklists")
        with counting_statements() as statements:
            response = client.get("/checklists")
        assert response.status_code == 200
        return len(statements)

    assert statements_for(4) == statements_for(45)


def _due_soon(**overrides):
    application = application_in("host_accepted", **overrides)
    # Insurance (14 days before) falls within the reminder days; the visa is long overdue.
    application.planned_start = date.today() + timedelta(days=15)
    application.planned_end = application.planned_start + timedelta(days=120)
    db.session.commit()
    return application


def test_reminders_are_sent_once_per_item_and_due_date(app):
    application = _due_soon()
    first = send_reminders()
    reminded = {item for application_id, item in first.checklist if application_id == application.id}
    assert {"insurance", "visa", "travel_tickets", "accommodation"} <= reminded
    assert "invitation_letter" not in reminded  # the office's item
    assert "certificate_of_arrival" not in reminded  # only after the arrival
    assert send_reminders().checklist == []
    keys = db.session.scalars(
        sa.select(Notification.dedup_key).where(Notification.dedup_key.startswith(f"predeparture:{application.id}:"))
    ).all()
    assert len(keys) == len(set(keys)) == len(reminded)
    # A new departure date is a new due date: reminded again.
    application = db.session.get(Application, application.id)
    application.planned_start = application.planned_start - timedelta(days=1)
    db.session.commit()
    assert (application.id, "insurance") in send_reminders().checklist


def test_done_items_are_not_reminded(app):
    application = _due_soon()
    db.session.add(PredepartureItem(application=application, item="insurance", state="done"))
    db.session.commit()
    assert (application.id, "insurance") not in send_reminders().checklist


def test_departure_is_possible_with_missing_items_but_warned(app, accepted, people):
    owner = client_for(app, people["owner"])
    page = text_of(owner.get(f"/applications/{accepted.id}"))
    assert 'id="predeparture-warning"' in page and "The departure can still be recorded." in page
    response = fire(owner, accepted.id, "depart", date=(date.today() - timedelta(days=1)).isoformat())
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert db.session.get(Application, accepted.id).state == "abroad"
    # Abroad, the certificate of arrival is due too.
    page = text_of(owner.get(f"/applications/{accepted.id}"))
    assert "Certificate of arrival" in page.split('id="predeparture-warning"')[1]
