"""Submitting is obvious: one next step at the top of the application, a "check your
answers" page with everything entered and the Submit button, and the documents straight
after the details are saved."""

import re

import pytest

from irflow.extensions import db
from irflow.models import Application

from .fixtures.applications import edit_data
from .fixtures.factories import ApplicationFactory, CallFactory, application_in
from .fixtures.web import client_for, follow, post, text_of


def _form_posting_to(page, action):
    match = re.search(r'<form method="post" action="' + re.escape(action) + r'".*?</form>', page, re.S)
    return match.group(0) if match else None


def _next_step(page):
    """(label, href) of the next-step button at the top of the application page, or None."""
    match = re.search(r'<a [^>]*id="next-step"[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', page)
    return (match.group(2).strip(), match.group(1)) if match else None


def test_the_check_page_shows_everything_entered_and_submits(app):
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    response = owner.get(f"{base}/check")
    assert response.status_code == 200
    page = text_of(response)
    assert "Check your answers before you submit" in page
    for text in (
        application.call.places[0].partner.name,
        application.call.places[1].partner.name,
        application.motivation,
        "4.5 of 5",
        "English",
        "B2",
        "cv.pdf",
        "passport.pdf",
    ):
        assert text in page, text
    for field in ("first_choice", "motivation", "average_grade", "language", "cefr_level", "planned_start"):
        assert f'href="{base}/edit#{field}"' in page, field
    assert f'href="{base}#upload"' in page
    form = _form_posting_to(page, f"{base}/fire/submit")
    assert form is not None and f'name="version" value="{application.version}"' in form

    response = post(owner, f"{base}/fire/submit", {"version": str(application.version), "comment": ""})
    assert "the application is now “Submitted”" in text_of(follow(owner, response))
    assert db.session.get(Application, application.id).state == "submitted"


def test_the_check_page_lists_what_is_missing_with_links_to_fix_it(app):
    application = ApplicationFactory(call=CallFactory(required_document_kinds=["cv"]), motivation=None)
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    page = text_of(owner.get(f"{base}/check"))
    assert f'<a href="{base}/edit#motivation">Write your motivation.</a>' in page
    assert f'<a href="{base}?kind=cv#upload">Upload the required document: CV.</a>' in page
    assert _form_posting_to(page, f"{base}/fire/submit") is None
    # The link preselects the kind in the upload form.
    page = text_of(owner.get(f"{base}?kind=cv"))
    assert '<option selected value="cv">' in page


def test_the_submit_button_is_on_the_check_page_only(app):
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    page = text_of(owner.get(base))
    assert _form_posting_to(page, f"{base}/fire/submit") is None
    assert _next_step(page) == ("Check and submit", f"{base}/check")


def test_a_resubmission_goes_through_the_check_page(app):
    application = application_in("changes_requested")
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    page = text_of(owner.get(f"{base}/check"))
    assert _form_posting_to(page, f"{base}/fire/resubmit") is not None
    assert _form_posting_to(text_of(owner.get(base)), f"{base}/fire/resubmit") is None


@pytest.mark.parametrize("state", ["submitted", "selected"])
def test_no_check_page_once_submitted(app, state):
    application = application_in(state)
    owner = client_for(app, application.applicant)
    response = owner.get(f"/applications/{application.id}/check")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/applications/{application.id}")


def test_nobody_else_sees_the_check_page(app):
    application = application_in("draft")
    stranger = client_for(app, application_in("draft").applicant)
    assert stranger.get(f"/applications/{application.id}/check").status_code == 404


def test_the_top_of_the_page_shows_the_single_next_step(app):
    call = CallFactory(required_document_kinds=["cv"])
    application = ApplicationFactory(call=call, motivation=None, hosts=[])
    owner = client_for(app, application.applicant)
    base = f"/applications/{application.id}"
    assert _next_step(text_of(owner.get(base))) == ("Fill in your details", f"{base}/edit")

    response = post(owner, f"{base}/edit", edit_data(application))
    assert response.headers["Location"].endswith(f"{base}#upload"), "saved details lead to the uploads"
    page = text_of(follow(owner, response))
    assert _next_step(page) == ("Upload your documents", "#upload")
    assert 'id="upload"' in page

    selected = application_in("selected")
    page = text_of(client_for(app, selected.applicant).get(f"/applications/{selected.id}"))
    assert _next_step(page) == ("Confirm the place", "#offer")

    submitted = application_in("submitted")
    assert _next_step(text_of(client_for(app, submitted.applicant).get(f"/applications/{submitted.id}"))) is None
