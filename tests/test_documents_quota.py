"""The upload quota of an application: a number of files and a total size over its
current documents (removed or replaced ones do not count). A refused upload says why next
to the file field, and nothing is saved."""

import pytest

from irflow.config import Config

from .fixtures.applications import documents_of, refused_upload_page, stored_files, upload
from .fixtures.factories import ApplicationFactory, CallFactory, UserFactory, application_in
from .fixtures.files import PDF
from .fixtures.web import client_for, field_error, post, text_of


@pytest.fixture
def draft(app):
    application = ApplicationFactory(call=CallFactory(required_document_kinds=["cv", "passport"]))
    return application, client_for(app, application.applicant)


def _current(application_id):
    return [document for document in documents_of(application_id) if document.deleted_at is None]


def assert_refused_and_nothing_saved(app, owner, application_id, upload_args, message):
    """The upload is refused with `message` next to the file field; no row, no file."""
    rows, files = len(documents_of(application_id)), stored_files(app)
    response = upload(owner, application_id, *upload_args)
    assert field_error(refused_upload_page(owner, response, application_id), "file") == message
    assert len(documents_of(application_id)) == rows and stored_files(app) == files


def test_the_defaults_are_30_files_and_60_mb():
    assert Config.UPLOAD_MAX_FILES_PER_APPLICATION == 30
    assert Config.UPLOAD_MAX_BYTES_PER_APPLICATION == 60 * 1024 * 1024


def test_one_file_over_the_count_is_refused_and_nothing_saved(app, draft, monkeypatch):
    application, owner = draft
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES_PER_APPLICATION", 3)
    for number in range(3):
        assert upload(owner, application.id, "other", PDF, f"other-{number}.pdf").status_code == 302
    assert_refused_and_nothing_saved(
        app,
        owner,
        application.id,
        ("other", PDF, "one-too-many.pdf"),
        (
            "An application may hold at most 3 documents, and this one holds that many already. "
            "Remove a document that is no longer needed first; nothing was saved."
        ),
    )

    # Replacing a single-file kind adds nothing to the count...
    first = _current(application.id)[0]
    post(owner, f"/applications/{application.id}/documents/{first.id}/delete")
    assert upload(owner, application.id, "cv", PDF, "cv.pdf").status_code == 302
    assert upload(owner, application.id, "cv", PDF, "cv-2.pdf").status_code == 302
    # ... and a removed document frees its place.
    assert len(_current(application.id)) == 3
    assert "error-summary" in upload(owner, application.id, "passport", PDF, "passport.pdf").headers["Location"]


def test_a_file_over_the_total_size_is_refused_and_nothing_saved(app, draft, monkeypatch):
    application, owner = draft
    big = PDF + b"0" * 700
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES_PER_APPLICATION", 2 * 1024 * 1024)
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "This application holds 0 of at most 30 documents, 0 bytes of at most 2 MB." in page
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES_PER_APPLICATION", 1000)
    assert upload(owner, application.id, "other", big, "first.pdf").status_code == 302
    assert_refused_and_nothing_saved(
        app,
        owner,
        application.id,
        ("other", big, "second.pdf"),
        (
            "The documents of an application may take at most 1000 bytes together, and this file would take them "
            "over that. Remove a document that is no longer needed first; nothing was saved."
        ),
    )

    # A removed document's size no longer counts.
    (first,) = _current(application.id)
    post(owner, f"/applications/{application.id}/documents/{first.id}/delete")
    assert upload(owner, application.id, "cv", big, "cv.pdf").status_code == 302
    # Replacing: the old file's size no longer counts once the new one takes its place.
    assert upload(owner, application.id, "cv", big, "cv-2.pdf").status_code == 302
    assert "error-summary" in upload(owner, application.id, "other", big, "second.pdf").headers["Location"]


def test_a_participant_at_the_quota_never_keeps_the_office_from_uploading_evidence(app, monkeypatch):
    """The quota stops a participant filling the disk; it must not let them block the
    certificate the coordinator has to upload, and the office's uploads use none of it."""
    application = application_in("abroad")
    owner = client_for(app, application.applicant)
    staff = client_for(app, UserFactory(coordinates=[application.faculty]))
    own = [document for document in _current(application.id) if document.uploaded_by_id == application.applicant_id]
    monkeypatch.setitem(app.config, "UPLOAD_MAX_FILES_PER_APPLICATION", len(own) + 1)
    assert upload(owner, application.id, "transcript_of_records", PDF, "mine.pdf").status_code == 302
    refused = upload(owner, application.id, "certificate_of_attendance", PDF, "one-too-many.pdf")
    assert refused.headers["Location"].endswith("#error-summary")

    assert upload(staff, application.id, "certificate_of_attendance", PDF, "from-the-host.pdf").status_code == 302
    # Room comes back when the participant removes one of their own, whatever the office added.
    mine = next(document for document in _current(application.id) if document.original_name == "mine.pdf")
    post(owner, f"/applications/{application.id}/documents/{mine.id}/delete")
    assert upload(owner, application.id, "transcript_of_records", PDF, "mine-again.pdf").status_code == 302


def test_removing_and_uploading_again_cannot_fill_the_disk(app, draft, monkeypatch):
    """Removed and replaced documents stay on disk for the office: uploading, removing and
    uploading again must meet a limit too, or one participant could fill the disk."""
    application, owner = draft
    big = PDF + b"0" * 700
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES_PER_APPLICATION", 1000)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_KEPT_BYTES_PER_APPLICATION", 2500)
    for number in range(3):
        assert upload(owner, application.id, "cv", big, f"cv-{number}.pdf").status_code == 302  # replaces
        (current,) = _current(application.id)
        post(owner, f"/applications/{application.id}/documents/{current.id}/delete")
    assert_refused_and_nothing_saved(
        app,
        owner,
        application.id,
        ("cv", big, "cv-again.pdf"),
        (
            "Every earlier version of this application's documents is kept, and with this file they would take more "
            "than 2.4 KB. Contact the office; nothing was saved."
        ),
    )


def test_the_kept_limit_defaults_to_three_times_the_quota():
    assert Config.UPLOAD_MAX_KEPT_BYTES_PER_APPLICATION == 3 * Config.UPLOAD_MAX_BYTES_PER_APPLICATION
