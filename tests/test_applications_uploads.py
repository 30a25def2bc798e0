"""Uploading, downloading and deleting documents: what is stored, what is refused, who may."""

import hashlib
import os
import re
from datetime import date

import pytest

from irflow.applications.policy import may_upload, uploadable_kinds
from irflow.extensions import db
from irflow.models import Document
from irflow.models.application import state_assignment_allowed
from irflow.models.base import DOCUMENT_KINDS

from .fixtures.applications import documents_of, fire, refused_upload_page, stored_files, upload
from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, add_document, application_in
from .fixtures.files import EXE, PDF, PNG
from .fixtures.web import client_for, field_error, follow, post, text_of


@pytest.fixture
def draft(app):
    application = ApplicationFactory(
        call=CallFactory(required_document_kinds=["cv", "passport", "motivation_letter", "recommendation"])
    )
    return application, client_for(app, application.applicant)


def _current(application_id):
    return [document for document in documents_of(application_id) if document.deleted_at is None]


def _upload_path(app, stored_name):
    return os.path.join(app.config["UPLOAD_FOLDER"], stored_name)


def test_an_upload_is_stored_with_its_details_and_downloads_as_an_attachment(app, draft):
    application, owner = draft
    response = upload(owner, application.id, "cv", PDF, "Curriculum vitae.pdf")
    assert response.status_code == 302
    assert "CV uploaded: Curriculum vitae.pdf." in text_of(follow(owner, response))
    (document,) = documents_of(application.id)
    assert (document.kind, document.original_name, document.content_type) == (
        "cv",
        "Curriculum vitae.pdf",
        "application/pdf",
    )
    assert document.size == len(PDF)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.uploaded_by_id == application.applicant_id
    assert document.stored_name != document.original_name
    with open(_upload_path(app, document.stored_name), "rb") as stored:
        assert stored.read() == PDF

    response = owner.get(f"/applications/{application.id}/documents/{document.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "Curriculum" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_png_is_recognised_by_its_content(app, draft):
    application, owner = draft
    assert upload(owner, application.id, "passport", PNG, "passport scan").status_code == 302
    (document,) = documents_of(application.id)
    assert document.content_type == "image/png"
    assert document.original_name == "passport scan.png"
    assert owner.get(f"/applications/{application.id}/documents/{document.id}").data == PNG


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (EXE, "cv.pdf", "Only PDF, JPEG and PNG files are accepted."),
        (b"", "cv.pdf", "The file is empty."),
        (b"<script>alert(1)</script>", "cv.pdf", "Only PDF, JPEG and PNG files are accepted."),
        (PDF, "", "Choose a file to upload."),
    ],
)
def test_refused_files_leave_nothing_behind(app, draft, content, filename, message):
    application, owner = draft
    files_before = stored_files(app)
    response = upload(owner, application.id, "cv", content, filename)
    page = refused_upload_page(owner, response, application.id)
    assert field_error(page, "file") == message
    summary = page[page.index('id="error-summary"') : page.index("</div>", page.index('id="error-summary"'))]
    assert f'<a href="#file">{message}</a>' in summary, "at the top too, linking to the field"
    assert page.index('id="error-summary"') < page.index("<h1")
    assert 'id="kind"' in page and '<option selected value="cv">' in page  # the chosen kind is kept
    assert documents_of(application.id) == []
    assert stored_files(app) == files_before
    # Shown once: a reload shows the page without it.
    assert 'id="error-summary"' not in text_of(owner.get(f"/applications/{application.id}"))


def test_a_file_over_the_limit_is_refused_with_a_message(app, draft, monkeypatch):
    application, owner = draft
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    files_before = stored_files(app)
    response = upload(owner, application.id, "cv", PDF + b"0" * (1024 * 1024), "big.pdf")
    # Back to the application, not a dead end.
    page = refused_upload_page(owner, response, application.id)
    message = "The upload is larger than the 1 MB allowed. Nothing was saved; choose a smaller file and try again."
    assert field_error(page, "file") == message
    assert f'<a href="#file">{message}</a>' in page
    assert documents_of(application.id) == []
    assert stored_files(app) == files_before


def test_a_path_in_the_file_name_is_dropped(app, draft):
    application, owner = draft
    files_before = stored_files(app)
    assert upload(owner, application.id, "cv", PDF, "../../etc/passwd.pdf").status_code == 302
    (document,) = documents_of(application.id)
    assert "/" not in document.original_name and "\\" not in document.original_name
    assert document.original_name == "passwd.pdf"
    assert stored_files(app) - files_before == {document.stored_name}
    assert os.path.realpath(_upload_path(app, document.stored_name)).startswith(
        os.path.realpath(app.config["UPLOAD_FOLDER"]) + os.sep
    )


def test_a_single_file_kind_replaces_the_previous_file(app, draft):
    application, owner = draft
    upload(owner, application.id, "cv", PDF, "old.pdf")
    (old,) = documents_of(application.id)
    old_id, old_stored_name = old.id, old.stored_name
    assert os.path.exists(_upload_path(app, old_stored_name))
    upload(owner, application.id, "cv", PNG, "new.png")
    (new,) = _current(application.id)
    assert new.original_name == "new.png" and new.id != old_id
    # The old one is kept (removed, with its file) for the office and the timeline.
    assert os.path.exists(_upload_path(app, old_stored_name))
    assert os.path.exists(_upload_path(app, new.stored_name))


def test_several_motivation_letters_and_recommendations_are_kept(app, draft):
    application, owner = draft
    for name in ("letter-1.pdf", "letter-2.pdf"):
        assert upload(owner, application.id, "motivation_letter", PDF, name).status_code == 302
    upload(owner, application.id, "recommendation", PDF, "professor.pdf")
    upload(owner, application.id, "recommendation", PDF, "dean.pdf")
    assert sorted(d.original_name for d in documents_of(application.id)) == [
        "dean.pdf",
        "letter-1.pdf",
        "letter-2.pdf",
        "professor.pdf",
    ]


def test_the_owner_deletes_a_document_while_editing(app, draft):
    application, owner = draft
    upload(owner, application.id, "cv", PDF, "cv.pdf")
    (document,) = documents_of(application.id)
    stored_name = document.stored_name
    page = text_of(owner.get(f"/applications/{application.id}"))
    delete_path = f"/applications/{application.id}/documents/{document.id}/delete"
    assert delete_path in page
    response = post(owner, delete_path)
    assert response.status_code == 302
    assert "Document deleted: cv.pdf." in text_of(follow(owner, response))
    assert _current(application.id) == []
    assert os.path.exists(_upload_path(app, stored_name)), "kept for the office"


def test_after_submission_the_owner_can_neither_upload_nor_delete(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    document = documents_of(application.id)[0]
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "Upload a document" not in page and "/delete" not in page
    files_before = stored_files(app)
    assert upload(owner, application.id, "cv").status_code == 403
    assert post(owner, f"/applications/{application.id}/documents/{document.id}/delete").status_code == 403
    assert db.session.get(Document, document.id) is not None
    assert stored_files(app) == files_before


@pytest.mark.parametrize(
    "kind",
    ["host_acceptance", "certificate_of_attendance", "transcript_of_records", "language_certificate", "no_such_kind"],
)
def test_the_owner_may_not_upload_other_kinds_while_editing(app, draft, kind):
    application, owner = draft
    files_before = stored_files(app)
    response = upload(owner, application.id, kind)
    assert field_error(refused_upload_page(owner, response, application.id), "kind") == "Not a valid choice."
    assert documents_of(application.id) == [] and stored_files(app) == files_before


def test_the_coordinator_uploads_the_host_acceptance_while_nominated(app):
    application = application_in("nominated")
    coordinator = UserFactory(coordinates=[application.faculty])
    staff = client_for(app, coordinator)
    owner = client_for(app, application.applicant)
    # The owner may upload the signed learning agreement now, but not the host's letter.
    refused = refused_upload_page(owner, upload(owner, application.id, "host_acceptance"), application.id)
    assert field_error(refused, "kind") == "Not a valid choice."
    assert upload(staff, application.id, "host_acceptance", PDF, "acceptance.pdf").status_code == 302
    (acceptance,) = [d for d in _current(application.id) if d.kind == "host_acceptance"]
    assert acceptance.uploaded_by_id == coordinator.id and acceptance.original_name == "acceptance.pdf"
    # The coordinator may take it back while nominated; the applicant may not.
    path = f"/applications/{application.id}/documents/{acceptance.id}/delete"
    assert post(owner, path).status_code == 403
    assert post(staff, path).status_code == 302
    assert not any(d.kind == "host_acceptance" for d in _current(application.id))


def test_the_owner_uploads_the_certificate_of_attendance_while_abroad_and_after(app):
    application = application_in("abroad")
    owner = client_for(app, application.applicant)
    refused = refused_upload_page(owner, upload(owner, application.id, "cv"), application.id)
    assert field_error(refused, "kind") == "Not a valid choice."
    assert upload(owner, application.id, "certificate_of_attendance", PDF, "certificate.pdf").status_code == 302
    assert upload(owner, application.id, "transcript_of_records", PNG, "records.png").status_code == 302
    assert {d.kind for d in documents_of(application.id)} >= {"certificate_of_attendance", "transcript_of_records"}
    fire(owner, application.id, "return_home", date=date.today().isoformat())
    assert upload(owner, application.id, "certificate_of_attendance", PDF, "signed.pdf").status_code == 302
    certificates = [d for d in _current(application.id) if d.kind == "certificate_of_attendance"]
    assert [d.original_name for d in certificates] == ["signed.pdf"]


def test_a_missing_file_on_disk_is_a_clear_404_not_500(app):
    application = application_in("draft")
    document = add_document(application, "other")
    os.remove(_upload_path(app, document.stored_name))  # a row whose file is gone
    owner = client_for(app, application.applicant)
    response = owner.get(f"/applications/{application.id}/documents/{document.id}")
    assert response.status_code == 404
    assert "The file of this document is missing from the server's storage." in text_of(response)


def test_the_upload_rules(app):
    application = application_in("draft")
    owner = application.applicant
    coordinator = UserFactory(coordinates=[application.faculty])
    assert uploadable_kinds(owner, application) == ["cv", "passport", "other"]
    assert may_upload(owner, application, "cv") and not may_upload(coordinator, application, "cv")
    with state_assignment_allowed():  # building a case, not changing state: nothing is committed
        application.state = "nominated"
    predeparture = ["visa", "insurance_policy", "travel_tickets", "accommodation", "invitation_letter"]
    assert uploadable_kinds(owner, application) == ["learning_agreement", *predeparture]
    assert uploadable_kinds(coordinator, application) == ["host_acceptance", "learning_agreement", *predeparture]
    assert uploadable_kinds(UserFactory(coordinates=[application.faculty], active=False), application) == []
    db.session.rollback()


def test_the_detail_page_lists_documents_and_what_is_missing(app, draft):
    application, owner = draft
    upload(owner, application.id, "cv", PDF, "cv.pdf")
    page = text_of(owner.get(f"/applications/{application.id}"))
    missing = page[page.index('id="missing-documents"') :]
    missing = missing[: missing.index("</div>")]
    assert "Passport" in missing and "Motivation letter" in missing and "CV" not in missing
    assert "cv.pdf" in page
    kinds = page[page.index('id="kind"') :]
    kinds = kinds[: kinds.index("</select>")]
    assert 'value="host_acceptance"' not in kinds and 'value="cv"' in kinds


def test_the_file_input_accepts_the_allowed_types(app, draft):
    application, owner = draft
    page = text_of(owner.get(f"/applications/{application.id}"))
    file_input = re.search(r'<input[^>]*id="file"[^>]*>', page).group(0)
    assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in file_input


@pytest.mark.parametrize("kind", ["transcript", "passport"])
def test_a_document_photographed_page_by_page_takes_several_files(app, kind):
    application = ApplicationFactory(call=CallFactory(required_document_kinds=["cv", kind]))
    owner = client_for(app, application.applicant)
    for name in ("page-1.jpg", "page-2.jpg", "page-3.jpg"):
        assert upload(owner, application.id, kind, PNG, name).status_code == 302
    assert sorted(d.original_name for d in _current(application.id)) == ["page-1.png", "page-2.png", "page-3.png"]
    page = text_of(owner.get(f"/applications/{application.id}"))
    # One entry for the kind, its files listed in the order they were uploaded.
    group = page[page.index(f'id="documents-{kind}"') :]
    group = group[: group.index("</ol>")]
    assert group.count("<li") == 3
    assert group.index("page-1.png") < group.index("page-2.png") < group.index("page-3.png")
    assert f"Upload the required document: {DOCUMENT_KINDS[kind]}." not in page
