"""Destructive actions ask first: withdrawing, declining an offer and deleting a document or
a draft each show a confirmation page that says what follows, and only its POST acts."""

import os
import re

from irflow.applications import policy
from irflow.extensions import db
from irflow.models import Application, Document, SecurityEvent

from .fixtures.applications import current_version, documents_of, fire, stored_files, upload
from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, add_document, application_in, stored_state
from .fixtures.files import PDF
from .fixtures.web import client_for, follow, post, text_of


def _form_posting_to(page, action):
    """The HTML of the form on `page` that posts to `action`, or None."""
    match = re.search(r'<form method="post" action="' + re.escape(action) + r'".*?</form>', page, re.S)
    return match.group(0) if match else None


def test_withdrawing_asks_first_and_says_what_follows(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    detail = f"/applications/{application.id}"
    page = text_of(owner.get(detail))
    assert _form_posting_to(page, f"{detail}/fire/withdraw") is None, "no one-click withdraw"
    assert f'href="{detail}/withdraw"' in page

    response = owner.get(f"{detail}/withdraw")
    assert response.status_code == 200
    page = text_of(response)
    assert "You cannot undo this." in page
    assert "The coordinators of your faculty see that you withdrew" in page
    form = _form_posting_to(page, f"{detail}/fire/withdraw")
    assert form is not None and 'name="csrf_token"' in form
    assert f'name="version" value="{application.version}"' in form
    assert f'href="{detail}"' in page  # Cancel goes back
    assert db.session.get(Application, application.id).state == "submitted", "a GET changes nothing"

    assert fire(owner, application.id, "withdraw", version=application.version).status_code == 302
    assert db.session.get(Application, application.id).state == "withdrawn"


def test_the_withdraw_post_keeps_its_version_check(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    response = fire(owner, application.id, "withdraw", version=application.version - 1)
    assert "changed by someone else" in text_of(follow(owner, response))
    assert db.session.get(Application, application.id).state == "submitted"


def test_declining_an_offer_asks_first(app):
    application = application_in("selected")
    owner = client_for(app, application.applicant)
    detail = f"/applications/{application.id}"
    page = text_of(owner.get(detail))
    assert _form_posting_to(page, f"{detail}/fire/decline_place") is None
    assert f'href="{detail}/decline"' in page
    assert _form_posting_to(page, f"{detail}/fire/confirm_place") is not None, "confirming needs no second step"

    page = text_of(owner.get(f"{detail}/decline"))
    assert "You cannot undo this." in page
    assert "the place goes to the next applicant on the waiting list" in page
    form = _form_posting_to(page, f"{detail}/fire/decline_place")
    assert form is not None and 'name="comment"' in form and 'name="version"' in form
    assert db.session.get(Application, application.id).state == "selected"

    assert fire(owner, application.id, "decline_place", comment="Family reasons").status_code == 302
    assert db.session.get(Application, application.id).state == "declined"


def test_confirmation_pages_only_while_the_action_is_possible(app):
    submitted = application_in("submitted")
    owner = client_for(app, submitted.applicant)
    assert owner.get(f"/applications/{submitted.id}/decline").status_code == 404
    assert owner.get(f"/applications/{submitted.id}/delete").status_code == 404
    stranger = client_for(app, application_in("submitted").applicant)
    assert stranger.get(f"/applications/{submitted.id}/withdraw").status_code == 404


def test_deleting_a_document_asks_first(app):
    application = ApplicationFactory()
    owner = client_for(app, application.applicant)
    upload(owner, application.id, "cv", PDF, "my cv.pdf")
    (document,) = documents_of(application.id)
    path = f"/applications/{application.id}/documents/{document.id}/delete"
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert _form_posting_to(page, path) is None
    assert f'href="{path}"' in page

    response = owner.get(path)
    assert response.status_code == 200
    page = text_of(response)
    assert "my cv.pdf" in page and "Delete this document?" in page
    assert _form_posting_to(page, path) is not None
    assert db.session.get(Document, document.id).is_current

    assert post(owner, path).status_code == 302
    assert not db.session.get(Document, document.id).is_current


def test_a_draft_is_deleted_not_withdrawn_and_the_student_starts_again(app):
    call = CallFactory()
    application = ApplicationFactory(call=call)
    owner = client_for(app, application.applicant)
    document = add_document(application, "cv")
    application_id, document_id, stored_name = application.id, document.id, document.stored_name
    detail = f"/applications/{application_id}"
    page = text_of(owner.get(detail))
    assert f'href="{detail}/withdraw"' not in page and _form_posting_to(page, f"{detail}/fire/withdraw") is None
    assert f'href="{detail}/delete"' in page

    page = text_of(owner.get(f"{detail}/delete"))
    assert "Delete this draft?" in page and "You cannot undo this." in page
    assert _form_posting_to(page, f"{detail}/delete") is not None

    response = post(owner, f"{detail}/delete", {"version": str(application.version)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/applications/")
    assert "Your draft has been deleted" in text_of(follow(owner, response))
    assert db.session.get(Application, application_id) is None
    assert db.session.get(Document, document_id) is None
    assert stored_name not in stored_files(app), "the draft's files go with it"
    (event,) = db.session.scalars(db.select(SecurityEvent).where(SecurityEvent.kind == "draft_deleted")).all()
    assert event.details == {"application": application_id, "call": call.id}

    response = post(owner, f"/applications/new/{call.id}")
    assert response.status_code == 302 and "/edit" in response.headers["Location"]


def test_a_stale_draft_deletion_deletes_nothing(app):
    application = ApplicationFactory()
    owner = client_for(app, application.applicant)
    shown = {"version": str(application.version)}
    application.motivation = "Changed in another tab."
    db.session.commit()
    response = post(owner, f"/applications/{application.id}/delete", shown)
    assert "changed by someone else" in text_of(follow(owner, response))
    assert db.session.get(Application, application.id) is not None


def test_only_a_draft_can_be_deleted(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    response = post(owner, f"/applications/{application.id}/delete", {"version": str(current_version(application.id))})
    assert response.status_code == 404
    assert db.session.get(Application, application.id) is not None


def test_after_withdrawing_the_student_may_apply_again_while_the_call_is_open(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    fire(owner, application.id, "withdraw")
    response = post(owner, f"/applications/new/{application.call_id}")
    assert response.status_code == 302
    new_id = int(re.search(r"/applications/(\d+)/edit", response.headers["Location"]).group(1))
    assert new_id != application.id
    assert db.session.get(Application, new_id).state == "draft"
    # A second click opens the same new draft.
    response = post(owner, f"/applications/new/{application.call_id}")
    assert response.headers["Location"].endswith(f"/applications/{new_id}")
    assert "You already have an application to this call." in text_of(follow(owner, response))
    assert os.path.basename(response.headers["Location"]) == str(new_id)


def test_a_draft_withdrawn_through_the_workflow_stays_out_of_the_coordinators_sight(app):
    """Withdrawing is allowed from a draft by the workflow table, but a draft nobody else has
    seen must not reach the faculty's coordinators by being withdrawn."""
    application = application_in("draft", motivation="Private words of a draft.")
    coordinator = UserFactory(coordinates=[application.faculty])
    owner = client_for(app, application.applicant)
    assert fire(owner, application.id, "withdraw").status_code == 302
    assert stored_state(application)[0] == "withdrawn"

    response = client_for(app, coordinator).get(f"/applications/{application.id}")
    assert response.status_code == 404
    assert not policy.may_view(coordinator, db.session.get(Application, application.id))
