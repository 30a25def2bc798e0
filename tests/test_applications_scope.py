"""Who opens which application page, in which state: every role against the pages that
show an application (its page with documents, timeline and messages, a document download,
the return report), in every state of the workflow.

Examiners see only what they score, and only on the score sheet: the applicant's name,
the call and the score lines while the application is `eligible` or `tested`. They never
open the application itself, its documents or its report, whatever its state.
Coordinators do not open drafts: a draft is the applicant's own business until submitted.
"""

import pytest

from irflow.extensions import db
from irflow.returns.policy import REPORT_STATES
from irflow.workflow.states import STATES

from .fixtures.applications import fire
from .fixtures.factories import FacultyFactory, UserFactory, add_document, application_in, one_commit
from .fixtures.web import client_for, text_of

NOT_FOUND = "There is nothing here, or you may not see it."


def _people(application):
    examiner = UserFactory(roles=["examiner"])
    application.call.examiners.append(examiner)
    # Outsiders (another applicant, coordinator or examiner) are in test_applications_access.
    return {
        "owner": application.applicant,
        "coordinator": UserFactory(coordinates=[application.faculty]),
        "examiner": examiner,
        "head": UserFactory(roles=["head"]),
        "admin": UserFactory(roles=["admin"]),
    }


def _expected(who, state):
    """True when `who` may open the application in `state`."""
    if who in ("owner", "head", "admin"):
        return True
    if who == "coordinator":
        return state != "draft"
    return False


@pytest.mark.parametrize("state", STATES)
def test_role_by_page_in_every_state(app, state):
    with one_commit():
        application = application_in(state, motivation="A motivation only the office reads.")
        document = add_document(application, "other")
        people = _people(application)
    base = f"/applications/{application.id}"
    pages = {"detail": base, "download": f"{base}/documents/{document.id}"}
    if state in REPORT_STATES:
        pages["report"] = f"{base}/report"
    for who, user in people.items():
        client = client_for(app, user)
        for page, path in pages.items():
            response = client.get(path)
            if _expected(who, state):
                assert response.status_code == 200, (who, page, response.status_code)
            else:
                body = response.get_data(as_text=True)
                assert response.status_code == 404, (who, page, response.status_code)
                assert NOT_FOUND in body, (who, page)
                assert "A motivation only the office reads." not in body, (who, page)
                assert application.applicant.full_name_latin not in body, (who, page)


@pytest.mark.parametrize("state", ["eligible", "tested"])
def test_the_examiner_sees_name_and_score_lines_on_the_sheet_and_nothing_else(app, state):
    with one_commit():
        application = application_in(state, motivation="A motivation only the office reads.")
        document = add_document(application, "other")
        examiner = UserFactory(roles=["examiner"])
        application.call.examiners.append(examiner)
    client = client_for(app, examiner)
    sheet = text_of(client.get(f"/calls/{application.call_id}/scores"))
    assert application.applicant.full_name_latin in sheet
    assert application.call.title in sheet
    assert "Language test" in sheet
    assert "A motivation only the office reads." not in sheet
    assert document.original_name not in sheet
    assert f"/applications/{application.id}" not in sheet
    assert client.get(f"/applications/{application.id}").status_code == 404


def test_the_examiner_does_not_fire_through_the_application_page(app):
    """Scores are recorded on the sheet; the application's own fire route stays closed."""
    with one_commit():
        application = application_in("eligible")
        examiner = UserFactory(roles=["examiner"])
        application.call.examiners.append(examiner)
    client = client_for(app, examiner)
    assert fire(client, application.id, "mark_absent").status_code == 404
    db.session.expire_all()
    assert db.session.get(type(application), application.id).state == "eligible"


def test_a_coordinator_does_not_see_a_draft_of_their_faculty_in_any_form(app):
    with one_commit():
        application = application_in("draft", motivation="Half written, not for anyone yet.")
        document = add_document(application, "other")
        coordinator = UserFactory(coordinates=[application.faculty])
    client = client_for(app, coordinator)
    base = f"/applications/{application.id}"
    for path in (base, f"{base}/documents/{document.id}", f"{base}/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Half written" not in response.get_data(as_text=True)
    assert fire(client, application.id, "withdraw").status_code == 404


def test_a_coordinator_applying_themselves_still_sees_their_own_draft(app):
    faculty = FacultyFactory()
    coordinator = UserFactory(faculty=faculty, coordinates=[faculty], category="teacher")
    application = application_in("draft", applicant=coordinator, faculty=faculty)
    assert client_for(app, coordinator).get(f"/applications/{application.id}").status_code == 200
