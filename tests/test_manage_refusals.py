"""The head's forms refused after their checks passed: a name taken by another request in
the meantime, a signed copy the server could not store. Each is shown again as typed with
the reason next to its field, status 400, nothing saved and no file left behind; a copy
being replaced stays when the replacement is refused."""

import errno
import io
import os

import pytest

from irflow.extensions import db
from irflow.models import Agreement, Partner, Program
from irflow.services import storage

from .fixtures.applications import stored_files
from .fixtures.files import PDF, PNG
from .fixtures.manage import agreement_form, count, head_client, manage_world, text_of, with_signed_copy
from .fixtures.web import post


@pytest.fixture
def head(app):
    return head_client(app)


@pytest.fixture
def world():
    return manage_world()


FULL = "The server's storage is full, so the document could not be saved."


def test_a_program_name_taken_meanwhile_is_shown_at_the_name(head, world, monkeypatch):
    # The form's own check ran before the other request saved the name.
    monkeypatch.setattr("irflow.programs.manage.taken_names", lambda typed, exclude_id=None: [])
    before = count(Program)
    response = post(
        head,
        "/manage/programs/new",
        {"name": "Erasmus+ KA171", "kind": "daad", "funder": "DAAD", "description_en": "", "website": ""},
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "This name is already taken." in page
    assert 'value="DAAD"' in page
    assert count(Program) == before


def test_a_partner_name_taken_meanwhile_is_shown_at_the_name(head, world, monkeypatch):
    monkeypatch.setattr("irflow.partners.manage.taken_names", lambda typed, exclude_id=None: [])
    partner = world["partners"][1]
    before = count(Partner)
    response = post(
        head,
        f"/manage/partners/{partner.id}",
        {
            "name": "TU Dresden",
            "country": "KG",
            "city": "Osh",
            "kind": "university",
            "website": "",
            "contact_email": "",
        },
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "This name is already taken." in page
    assert 'value="Osh"' in page
    assert partner.name == "Osh State University" and count(Partner) == before


def test_a_partner_oid_taken_meanwhile_is_shown_at_the_oid(head, world, monkeypatch):
    monkeypatch.setattr("irflow.partners.manage.taken_oids", lambda typed, exclude_id=None: [])
    taken, partner = world["partners"]
    taken.oid = "E10000042"
    db.session.commit()
    form = {"name": partner.name, "country": "KG", "city": "Osh", "kind": "university", "oid": "E10000042"}
    response = post(head, f"/manage/partners/{partner.id}", form)
    assert response.status_code == 400
    page = text_of(response)
    assert "Another partner has this OID." in page and "This name is already taken." not in page
    assert partner.oid is None


def _disk_full(monkeypatch):
    def write(out, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_write", write)


def _placing_fails(monkeypatch):
    def replace(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", replace)


@pytest.mark.parametrize("failure", [_disk_full, _placing_fails])
def test_a_signed_copy_the_server_cannot_store_is_a_message_at_the_file(app, head, world, monkeypatch, failure):
    partner = world["partners"][1]
    files_before = stored_files(app)
    failure(monkeypatch)
    response = post(
        head,
        f"/manage/partners/{partner.id}/agreements/new",
        agreement_form(signed_copy=(io.BytesIO(PDF), "IIA signed.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = text_of(response)
    assert FULL in page[page.index('name="signed_copy"') :]
    assert 'value="IIA 2025–2029"' in page
    assert count(Agreement) == 1
    assert stored_files(app) == files_before


def test_a_refused_replacement_keeps_the_signed_copy_on_file(app, head, world, monkeypatch):
    with_signed_copy(app, world)
    agreement = world["agreement"]
    kept = agreement.signed_copy_stored_name
    files_before = stored_files(app)
    _placing_fails(monkeypatch)
    response = post(
        head,
        f"/manage/agreements/{agreement.id}",
        agreement_form(title="Renamed", signed_copy=(io.BytesIO(PNG), "scan.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert FULL in text_of(response)
    assert (agreement.signed_copy_stored_name, agreement.title) == (kept, "IIA 2024–2028")
    assert os.path.exists(os.path.join(app.config["UPLOAD_FOLDER"], kept))
    assert stored_files(app) == files_before
