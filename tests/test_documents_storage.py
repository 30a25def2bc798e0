"""Uploads against a failing disk: files are written under a temporary name and renamed
into place once their row exists; a full or unwritable disk is a message on the form;
a file lost from the disk is shown as missing and no longer counts; `storage-check`
finds files without rows and rows without files."""

import errno
import logging
import os
import time

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, Document
from irflow.services import storage

from .fixtures.applications import documents_of, fire, refused_upload_page, stored_files, upload
from .fixtures.factories import UserFactory, application_in
from .fixtures.files import PDF
from .fixtures.web import client_for, field_error, follow, text_of

FULL = (
    "The server's storage is full, so the document could not be saved. Nothing was saved; "
    "try again later, and tell the office if it keeps happening."
)
READ_ONLY = (
    "The server's storage cannot be written to, so the document could not be saved. Nothing was "
    "saved; try again later, and tell the office if it keeps happening."
)


@pytest.fixture
def folder(app, monkeypatch, tmp_path):
    """An upload folder of the test's own, so that files can be counted and aged."""
    path = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(path))
    return path


@pytest.fixture
def draft(app, folder):
    application = application_in("draft")
    return application, client_for(app, application.applicant)


def _fail_writes(monkeypatch, error):
    def write(out, data):
        raise error

    monkeypatch.setattr(storage, "_write", write)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), FULL),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), FULL),
        (PermissionError(errno.EACCES, "Permission denied"), READ_ONLY),
        (OSError(errno.EROFS, "Read-only file system"), READ_ONLY),
    ],
)
def test_a_failing_disk_is_a_message_on_the_form_and_nothing_is_saved(
    app, draft, folder, monkeypatch, caplog, error, message
):
    application, owner = draft
    rows, files = len(documents_of(application.id)), stored_files(app)
    _fail_writes(monkeypatch, error)
    with caplog.at_level(logging.ERROR):
        response = upload(owner, application.id, "other", PDF, "letter.pdf")
    page = refused_upload_page(owner, response, application.id)
    assert field_error(page, "file") == message
    assert page.count(message) == 2  # next to the field, and at the top of the page
    assert 'id="kind"' in page
    assert len(documents_of(application.id)) == rows and stored_files(app) == files
    assert any("could not store an upload" in record.getMessage() for record in caplog.records)


def test_a_folder_that_cannot_be_created_or_renamed_into_is_a_message_too(app, draft, folder, monkeypatch):
    application, owner = draft
    files = stored_files(app)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(storage.os, "replace", read_only)
    response = upload(owner, application.id, "other", PDF, "letter.pdf")
    assert field_error(refused_upload_page(owner, response, application.id), "file") == READ_ONLY
    assert [d.kind for d in documents_of(application.id)] == ["cv", "passport"]
    assert stored_files(app) == files, "the temporary file is removed"


def test_the_file_has_only_a_temporary_name_until_its_row_exists(app, draft, folder, monkeypatch):
    application, owner = draft
    seen = {}
    real_write, real_replace = storage._write, storage.os.replace

    def write(out, data):
        seen.setdefault("written", set(os.listdir(folder)))
        real_write(out, data)

    def replace(source, target):
        name = os.path.basename(target)
        seen["row_at_rename"] = db.session.scalar(sa.select(Document.id).where(Document.stored_name == name))
        seen["temporary"] = os.path.basename(source)
        real_replace(source, target)

    monkeypatch.setattr(storage, "_write", write)
    monkeypatch.setattr(storage.os, "replace", replace)
    assert upload(owner, application.id, "other", PDF, "letter.pdf").status_code == 302
    document = documents_of(application.id)[-1]
    assert seen["temporary"].endswith(storage.TEMPORARY_SUFFIX)
    assert seen["written"] - {d.stored_name for d in documents_of(application.id)} == {seen["temporary"]}
    assert seen["row_at_rename"] == document.id
    assert os.listdir(folder).count(document.stored_name) == 1
    assert not any(name.endswith(storage.TEMPORARY_SUFFIX) for name in os.listdir(folder))


def test_a_failed_commit_leaves_no_file(app, draft, folder, monkeypatch):
    application, owner = draft
    files = stored_files(app)

    def commit(self):
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the connection was lost"))

    with monkeypatch.context() as patched:
        patched.setattr(sa.orm.Session, "commit", commit)
        with pytest.raises(sa.exc.OperationalError):
            upload(owner, application.id, "other", PDF, "letter.pdf")
    assert stored_files(app) == files
    assert [d.kind for d in documents_of(application.id)] == ["cv", "passport"]


# --- a file lost from the disk ------------------------------------------------------------


def _lose(app, document):
    os.remove(os.path.join(app.config["UPLOAD_FOLDER"], document.stored_name))


def test_a_missing_file_is_marked_for_staff_and_no_longer_counts(app, folder, caplog):
    application = application_in("submitted")
    passport = next(d for d in documents_of(application.id) if d.kind == "passport")
    _lose(app, passport)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    with caplog.at_level(logging.WARNING):
        page = text_of(coordinator.get(f"/applications/{application.id}"))
    download = f"/applications/{application.id}/documents/{passport.id}"
    rows = page[page.index('id="document-list"') : page.index("</ul>", page.index('id="document-list"'))]
    assert 'href="' + download + '"' not in rows
    assert "passport.pdf" in rows and "File missing" in rows
    assert "Passport" in page[page.index('id="missing-documents"') :]
    assert any(
        str(passport.id) in record.getMessage() and "missing" in record.getMessage() for record in caplog.records
    )

    with caplog.at_level(logging.ERROR):
        response = coordinator.get(download)
    assert response.status_code == 404
    text = text_of(response)
    assert "The file of this document is missing from the server's storage." in text
    assert "passport.pdf" in text
    assert any("missing" in record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR)


def test_a_draft_whose_required_file_is_missing_cannot_be_submitted(app, draft):
    application, owner = draft
    cv = next(d for d in documents_of(application.id) if d.kind == "cv")
    _lose(app, cv)
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "Upload the required document: CV." in page
    response = fire(owner, application.id, "submit")
    assert "Upload the required document: CV." in text_of(follow(owner, response))
    assert db.session.get(Application, application.id).state == "draft"


def test_a_missing_certificate_does_not_let_the_report_be_submitted(app, folder):
    application = application_in("returned")
    certificate = next(d for d in documents_of(application.id) if d.kind == "certificate_of_attendance")
    _lose(app, certificate)
    owner = client_for(app, application.applicant)
    response = fire(owner, application.id, "submit_report")
    assert "Upload the certificate of attendance." in text_of(follow(owner, response))
    assert db.session.get(Application, application.id).state == "returned"


# --- flask storage-check ------------------------------------------------------------------


def _age(path, hours):
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


@pytest.fixture
def messy(app, folder):
    """A document with its file, one whose file is lost, and stray files old and new:
    a file without a row and a temporary file, each left an hour and a half ago and just now."""
    application = application_in("draft")
    kept, lost = documents_of(application.id)
    _lose(app, lost)
    for name in ("0123abcd.pdf", "4567abcd.pdf" + storage.TEMPORARY_SUFFIX):
        (folder / name).write_bytes(PDF)
        _age(folder / name, 1.5)
    for name in ("89abcdef.pdf", "fedcba98.pdf" + storage.TEMPORARY_SUFFIX):
        (folder / name).write_bytes(PDF)
    _age(folder / kept.stored_name, 5)
    return {"application": application, "kept": kept, "lost": lost}


def _check(app, *args):
    return app.test_cli_runner().invoke(args=["storage-check", *args])


def test_storage_check_lists_stray_files_and_missing_ones_and_exits_1(app, folder, messy):
    before = set(os.listdir(folder))
    result = _check(app)
    assert result.exit_code == 1, result.output
    assert "0123abcd.pdf" in result.output and "4567abcd.pdf" + storage.TEMPORARY_SUFFIX in result.output
    # Files younger than an hour may be uploads in flight: not reported.
    assert "89abcdef.pdf" not in result.output and "fedcba98.pdf" not in result.output
    assert messy["kept"].stored_name not in result.output
    lost = messy["lost"]
    assert f"document {lost.id} of application {messy['application'].id}" in result.output
    assert lost.stored_name in result.output
    assert set(os.listdir(folder)) == before, "without --fix nothing is removed"


def test_storage_check_fix_removes_old_stray_files_only(app, folder, messy):
    result = _check(app, "--fix")
    assert result.exit_code == 1, "a missing file cannot be fixed by removing anything"
    assert set(os.listdir(folder)) == {
        messy["kept"].stored_name,
        "89abcdef.pdf",
        "fedcba98.pdf" + storage.TEMPORARY_SUFFIX,
    }
    assert db.session.get(Document, messy["lost"].id) is not None

    (folder / messy["lost"].stored_name).write_bytes(PDF)
    result = _check(app, "--min-age-minutes", "0")
    assert result.exit_code == 1 and "89abcdef.pdf" in result.output
    result = _check(app, "--fix", "--min-age-minutes", "0")
    assert result.exit_code == 0
    assert set(os.listdir(folder)) == {messy["kept"].stored_name, messy["lost"].stored_name}
    result = _check(app)
    assert result.exit_code == 0 and "Nothing wrong" in result.output


def test_storage_check_keeps_the_files_of_removed_documents(app, draft, folder):
    application, owner = draft
    cv = next(d for d in documents_of(application.id) if d.kind == "cv")
    assert upload(owner, application.id, "cv", PDF, "new cv.pdf").status_code == 302
    for name in os.listdir(folder):
        _age(folder / name, 3)
    result = _check(app, "--fix")
    assert result.exit_code == 0, result.output
    assert cv.stored_name in os.listdir(folder)
