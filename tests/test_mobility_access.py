"""Who sees and does what after selection: the nominations page and the return report."""

import re

import pytest

from irflow.extensions import db
from irflow.models import TransitionLog

from .fixtures.applications import current_version
from .fixtures.factories import CallFactory, FacultyFactory, UserFactory, application_in, one_commit, stored_state
from .fixtures.web import client_for, post, text_of


def nominate_data(*applications):
    data = {"application": [str(application.id) for application in applications]}
    for application in applications:
        data[f"version-{application.id}"] = str(current_version(application.id))
    return data


def row_ids(page):
    return {int(number) for number in re.findall(r'<tr data-application="(\d+)"', page)}


def report_form(application):
    return {
        "version": str(current_version(application.id)),
        "activities": "Forged.",
        "results": "Forged.",
        "credits_recognised": "",
        "recommendation": "",
    }


@pytest.fixture
def two_faculties(app):
    """A returned participant and a confirmed one in faculty A, a confirmed one in faculty B,
    and the coordinators of A and of B."""
    with one_commit():
        faculty_a, faculty_b = FacultyFactory(), FacultyFactory()
        call = CallFactory(places=(3, 1, 1))
        returned = application_in("returned", call=call, applicant=UserFactory(faculty=faculty_a))
        confirmed_a = application_in("confirmed", call=call, applicant=UserFactory(faculty=faculty_a))
        confirmed_b = application_in("confirmed", call=call, applicant=UserFactory(faculty=faculty_b))
        coordinator_a = UserFactory(coordinates=[faculty_a])
        coordinator_b = UserFactory(coordinates=[faculty_b])
    return {
        "returned": returned,
        "confirmed_a": confirmed_a,
        "confirmed_b": confirmed_b,
        "coordinator_a": coordinator_a,
        "coordinator_b": coordinator_b,
    }


def test_a_coordinator_of_another_faculty_gets_404_on_the_report(app, two_faculties):
    returned = two_faculties["returned"]
    other = client_for(app, two_faculties["coordinator_b"])
    url = f"/applications/{returned.id}/report"
    assert other.get(url).status_code == 404
    assert post(other, url, report_form(returned)).status_code == 404
    assert other.get(f"/applications/{returned.id}").status_code == 404
    assert db.session.get(type(returned), returned.id).report.activities == "Courses and a lab project."


def test_a_coordinator_sees_and_nominates_only_their_faculties_participants(app, two_faculties):
    mine, theirs = two_faculties["confirmed_b"], two_faculties["confirmed_a"]
    coordinator = client_for(app, two_faculties["coordinator_b"])
    page = text_of(coordinator.get("/nominations"))
    assert row_ids(page) == {mine.id}
    assert two_faculties["returned"].applicant.full_name_latin not in page

    # A forged id, alone or with a participant of their own: nobody is nominated.
    for data in (nominate_data(theirs), nominate_data(mine, theirs)):
        response = post(coordinator, "/nominations", data)
        assert response.status_code == 400
        assert f"Application {theirs.id} is not among the participants you may nominate." in text_of(response)
        assert theirs.applicant.full_name_latin not in text_of(response)
    assert stored_state(theirs)[0] == stored_state(mine)[0] == "confirmed"
    assert db.session.scalar(db.select(db.func.count(TransitionLog.id))) == 0

    # Garbage in the form is refused the same way.
    response = post(coordinator, "/nominations", {"application": ["12abc"]})
    assert response.status_code == 400 and "is not an application number" in text_of(response)


def test_the_coordinator_of_the_faculty_reads_the_report_but_may_not_write_it(app, two_faculties):
    returned = two_faculties["returned"]
    staff = client_for(app, two_faculties["coordinator_a"])
    url = f"/applications/{returned.id}/report"
    page = text_of(staff.get(url))
    assert 'id="report-form"' not in page and "Courses and a lab project." in page
    assert returned.applicant.full_name_latin in page
    assert post(staff, url, report_form(returned)).status_code == 403
    assert db.session.get(type(returned), returned.id).report.activities == "Courses and a lab project."


def test_the_head_views_both_pages_and_nominates_nobody(app, two_faculties):
    head = client_for(app, UserFactory(roles=["head"]))
    page = text_of(head.get("/nominations"))
    assert row_ids(page) >= {
        two_faculties["confirmed_a"].id,
        two_faculties["confirmed_b"].id,
        two_faculties["returned"].id,
    }
    assert 'name="application"' not in page and "Nominate the selected participants" not in page
    response = post(head, "/nominations", nominate_data(two_faculties["confirmed_a"]))
    assert response.status_code == 400
    assert "You may not do this with this application." in text_of(response)
    assert stored_state(two_faculties["confirmed_a"])[0] == "confirmed"
    returned = two_faculties["returned"]
    page = text_of(head.get(f"/applications/{returned.id}/report"))
    assert 'id="report-form"' not in page and "Courses and a lab project." in page


@pytest.mark.parametrize("who", ["other_applicant", "examiner", "anonymous"])
def test_others_do_not_see_the_report(app, two_faculties, who):
    returned = two_faculties["returned"]
    if who == "anonymous":
        client = app.test_client()
        assert client.get(f"/applications/{returned.id}/report").status_code == 302  # to the login page
        return
    if who == "examiner":
        user = UserFactory(roles=["examiner"])
        returned.call.examiners.append(user)
        db.session.commit()
    else:
        user = UserFactory(faculty=returned.faculty)
    client = client_for(app, user)
    assert client.get(f"/applications/{returned.id}/report").status_code == 404
    assert post(client, f"/applications/{returned.id}/report", report_form(returned)).status_code == 404
    if who == "examiner":
        # The examiner scored this participant once; the application itself stays closed.
        response = client.get(f"/applications/{returned.id}")
        assert response.status_code == 404 and "Courses and a lab project." not in text_of(response)


def test_the_nominations_page_is_for_coordinators_and_the_head(app, two_faculties):
    applicant = client_for(app, two_faculties["confirmed_a"].applicant)
    assert applicant.get("/nominations").status_code == 403
    assert post(applicant, "/nominations", nominate_data(two_faculties["confirmed_a"])).status_code == 403
    assert stored_state(two_faculties["confirmed_a"])[0] == "confirmed"
    assert app.test_client().get("/nominations").status_code == 302


def test_a_coordinator_does_not_nominate_their_own_application(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(faculty=faculty, category="teacher", coordinates=[faculty])
    own = application_in("confirmed", applicant=coordinator, faculty=faculty)
    client = client_for(app, coordinator)
    page = text_of(client.get("/nominations"))
    assert own.id in row_ids(page) and 'name="application"' not in page
    assert post(client, "/nominations", nominate_data(own)).status_code == 400
    assert stored_state(own)[0] == "confirmed"
