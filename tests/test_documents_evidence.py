"""Evidence and history of documents: what the office uploaded stays out of the
participant's reach, and a removed or replaced document is kept (who, when) and shown in
the timeline. Removed documents no longer count, yet staff may still open them."""

import os
import re

import pytest

from irflow.extensions import db
from irflow.models import Document

from .fixtures.applications import documents_of, fire, refused_upload_page, stored_files, upload
from .fixtures.factories import UserFactory, application_in
from .fixtures.files import PDF, PNG
from .fixtures.web import client_for, field_error, follow, post, text_of


def _current(application_id, kind=None):
    return [
        document
        for document in documents_of(application_id)
        if document.deleted_at is None and (kind is None or document.kind == kind)
    ]


def _path(app, document):
    return os.path.join(app.config["UPLOAD_FOLDER"], document.stored_name)


def _timeline(page):
    start = page.index('id="timeline"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : page.index("</ol>", start)]))


def _document_rows(page):
    start = page.index('id="documents"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def returned(app):
    """A returned participant, the coordinator of their faculty, and the certificate of
    attendance the coordinator uploaded (the host sent it to the office)."""
    application = application_in("returned")
    coordinator = UserFactory(coordinates=[application.faculty])
    staff = client_for(app, coordinator)
    assert upload(staff, application.id, "certificate_of_attendance", PDF, "from-the-host.pdf").status_code == 302
    (certificate,) = _current(application.id, "certificate_of_attendance")
    assert certificate.uploaded_by_id == coordinator.id
    return application, coordinator, staff, certificate


def test_the_participant_cannot_delete_evidence_the_office_uploaded(app, returned):
    application, _coordinator, _staff, certificate = returned
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}"))
    delete_path = f"/applications/{application.id}/documents/{certificate.id}/delete"
    assert "from-the-host.pdf" in page and delete_path not in page
    assert post(owner, delete_path).status_code == 403
    db.session.expire_all()
    assert db.session.get(Document, certificate.id).deleted_at is None
    assert os.path.exists(_path(app, certificate))


def test_the_participant_cannot_replace_evidence_the_office_uploaded(app, returned):
    application, _coordinator, _staff, certificate = returned
    owner = client_for(app, application.applicant)
    rows_before, files_before = len(documents_of(application.id)), stored_files(app)
    response = upload(owner, application.id, "certificate_of_attendance", PNG, "mine.png")
    assert field_error(refused_upload_page(owner, response, application.id), "file") == (
        "The office uploaded this document (Certificate of attendance): only the office may replace it."
    )
    assert len(documents_of(application.id)) == rows_before and stored_files(app) == files_before
    assert [document.id for document in _current(application.id, "certificate_of_attendance")] == [certificate.id]
    # What the participant uploaded themselves they still replace (the factory's transcript).
    assert upload(owner, application.id, "transcript_of_records", PDF, "records.pdf").status_code == 302


def test_the_office_replaces_what_the_participant_uploaded_and_both_stay(app):
    application = application_in("returned")
    (own,) = _current(application.id, "certificate_of_attendance")
    staff = client_for(app, UserFactory(coordinates=[application.faculty]))
    assert upload(staff, application.id, "certificate_of_attendance", PDF, "signed.pdf").status_code == 302
    db.session.expire_all()
    old = db.session.get(Document, own.id)
    (new,) = _current(application.id, "certificate_of_attendance")
    assert old.deleted_at is not None and old.replaced_by_id == new.id
    assert os.path.exists(_path(app, old)) and os.path.exists(_path(app, new))


def test_a_replaced_document_is_kept_with_who_and_when_and_shown_in_the_timeline(app):
    application = application_in("draft")
    owner_user = application.applicant
    owner = client_for(app, owner_user)
    (first,) = _current(application.id, "cv")
    assert upload(owner, application.id, "cv", PNG, "new cv.png").status_code == 302
    db.session.expire_all()
    old = db.session.get(Document, first.id)
    (new,) = _current(application.id, "cv")
    assert new.original_name == "new cv.png"
    assert old.deleted_at is not None and old.deleted_by_id == owner_user.id and old.replaced_by_id == new.id
    assert old.deleted_at >= old.uploaded_at
    assert os.path.exists(_path(app, old)), "a replaced file stays on disk"

    page = text_of(owner.get(f"/applications/{application.id}"))
    rows = _document_rows(page)
    assert "new cv.png" in rows and f"/documents/{old.id}" not in rows
    timeline = _timeline(page)
    assert f"{owner_user.full_name_native} Uploaded CV: cv.pdf" in timeline
    assert f"{owner_user.full_name_native} Replaced CV: cv.pdf, by new cv.png" in timeline
    assert f"{owner_user.full_name_native} Uploaded CV: new cv.png" in timeline
    # The applicant no longer opens the old file; the office still does.
    assert owner.get(f"/applications/{application.id}/documents/{old.id}").status_code == 404
    head = client_for(app, UserFactory(roles=["head"]))
    response = head.get(f"/applications/{application.id}/documents/{old.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-cv")
    head_page = text_of(head.get(f"/applications/{application.id}"))
    removed = head_page[head_page.index('id="removed-documents"') :]
    assert f"/applications/{application.id}/documents/{old.id}" in removed


def test_a_removed_document_no_longer_counts_but_the_office_still_opens_it(app):
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    (cv,) = _current(application.id, "cv")
    response = post(owner, f"/applications/{application.id}/documents/{cv.id}/delete")
    assert "Document deleted: cv.pdf." in text_of(follow(owner, response))
    db.session.expire_all()
    removed = db.session.get(Document, cv.id)
    assert removed.deleted_at is not None and removed.deleted_by_id == application.applicant_id
    assert removed.replaced_by_id is None
    assert os.path.exists(_path(app, removed))

    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "Upload the required document: CV." in page
    assert f"{application.applicant.full_name_native} Removed CV: cv.pdf" in _timeline(page)
    assert "cv.pdf" not in _document_rows(page)
    response = fire(owner, application.id, "submit")
    assert "Upload the required document: CV." in text_of(follow(owner, response))
    assert db.session.get(type(application), application.id).state == "draft"
    # Deleting it again is not possible: it is no longer a current document.
    assert post(owner, f"/applications/{application.id}/documents/{cv.id}/delete").status_code == 404

    assert owner.get(f"/applications/{application.id}/documents/{cv.id}").status_code == 404
    head = client_for(app, UserFactory(roles=["head"]))
    assert head.get(f"/applications/{application.id}/documents/{cv.id}").status_code == 200


def test_a_removed_host_acceptance_does_not_let_the_host_accept(app):
    application = application_in("nominated")
    staff = client_for(app, UserFactory(coordinates=[application.faculty]))
    assert upload(staff, application.id, "host_acceptance", PDF, "letter.pdf").status_code == 302
    (acceptance,) = _current(application.id, "host_acceptance")
    assert post(staff, f"/applications/{application.id}/documents/{acceptance.id}/delete").status_code == 302
    assert _current(application.id, "host_acceptance") == []
    response = fire(staff, application.id, "host_accept")
    assert "Upload the host's acceptance letter first." in text_of(follow(staff, response))
    assert db.session.get(type(application), application.id).state == "nominated"
    timeline = _timeline(text_of(staff.get(f"/applications/{application.id}")))
    assert "Replaced Host acceptance letter: host_acceptance.pdf, by letter.pdf" in timeline
    assert "Removed Host acceptance letter: letter.pdf" in timeline
