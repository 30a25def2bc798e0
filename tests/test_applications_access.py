"""Every route that takes an id answers 404 to anyone who may not see the application."""

import io

import pytest

from irflow.extensions import db
from irflow.models import Application, Document

from .fixtures.applications import documents_of, edit_data, stored_files, upload
from .fixtures.factories import FacultyFactory, UserFactory, add_document, application_in, log_rows, stored_state
from .fixtures.files import PDF
from .fixtures.web import client_for, post


def _routes(application, document):
    """(name, method, path, form data) for every route of the blueprint that takes an id."""
    base = f"/applications/{application.id}"
    return [
        ("detail", "get", base, None),
        ("edit form", "get", f"{base}/edit", None),
        ("edit", "post", f"{base}/edit", edit_data(application, motivation="Written by an intruder.")),
        ("upload", "post", f"{base}/documents", {"kind": "cv", "file": (io.BytesIO(PDF), "cv.pdf")}),
        ("download", "get", f"{base}/documents/{document.id}", None),
        ("delete", "post", f"{base}/documents/{document.id}/delete", {}),
        ("fire", "post", f"{base}/fire/withdraw", {"comment": "", "version": str(application.version)}),
        (
            "fire staff",
            "post",
            f"{base}/fire/reject_eligibility",
            {"comment": "No.", "version": str(application.version)},
        ),
    ]


def _request(client, method, path, data):
    if method == "get":
        return client.get(path)
    return post(client, path, data)


@pytest.fixture
def target(app):
    """A draft (editable, documents deletable) with a real uploaded file."""
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    assert upload(owner, application.id, "cv", PDF, "cv.pdf").status_code == 302
    document = documents_of(application.id)[-1]
    return application, document


def _unchanged(application, document, before, files_before, app):
    db.session.expire_all()
    assert stored_state(application) == before
    assert db.session.get(Document, document.id) is not None
    assert [doc.kind for doc in documents_of(application.id) if doc.deleted_at is None] == ["passport", "cv"]
    assert db.session.get(Document, document.id).deleted_at is None
    assert stored_files(app) == files_before
    assert db.session.get(Application, application.id).motivation != "Written by an intruder."
    assert log_rows(application) == []


OUTSIDERS = {
    "other_applicant": lambda application: UserFactory(faculty=application.faculty),
    "other_coordinator": lambda application: UserFactory(coordinates=[FacultyFactory()]),
    "unassigned_examiner": lambda application: UserFactory(roles=["examiner"]),
}


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_on_every_route_and_change_nothing(app, target, outsider):
    application, document = target
    client = client_for(app, OUTSIDERS[outsider](application))
    before, files_before = stored_state(application), stored_files(app)
    for name, method, path, data in _routes(application, document):
        response = _request(client, method, path, data)
        assert response.status_code == 404, (name, response.status_code)
        assert "There is nothing here, or you may not see it." in response.get_data(as_text=True), name
        assert application.applicant.full_name_latin not in response.get_data(as_text=True), name
    _unchanged(application, document, before, files_before, app)


def test_an_unknown_application_id_is_404_on_every_route(app, target):
    application, document = target
    client = client_for(app, application.applicant)
    for name, method, path, data in _routes(application, document):
        path = path.replace(f"/applications/{application.id}", "/applications/987654", 1)
        assert _request(client, method, path, data).status_code == 404, name


@pytest.mark.parametrize("route", ["download", "delete"])
def test_a_document_of_another_application_is_404_under_my_application(app, target, route):
    application, document = target
    mine = application_in("draft")
    client = client_for(app, mine.applicant)
    path = f"/applications/{mine.id}/documents/{document.id}" + ("/delete" if route == "delete" else "")
    response = client.get(path) if route == "download" else post(client, path)
    assert response.status_code == 404
    assert db.session.get(Document, document.id) is not None


def test_an_unknown_document_id_is_404(app, target):
    application, _document = target
    client = client_for(app, application.applicant)
    assert client.get(f"/applications/{application.id}/documents/987654").status_code == 404
    assert post(client, f"/applications/{application.id}/documents/987654/delete").status_code == 404


def test_a_deactivated_coordinator_of_the_faculty_sees_nothing(app):
    application = application_in("submitted")  # coordinators never see drafts
    coordinator = UserFactory(coordinates=[application.faculty])
    client = client_for(app, coordinator)
    assert client.get(f"/applications/{application.id}").status_code == 200
    coordinator.active = False
    db.session.commit()
    response = client.get(f"/applications/{application.id}")
    assert response.status_code in (302, 404)  # logged out, or not found: never the data
    assert application.applicant.full_name_latin not in response.get_data(as_text=True)


def test_the_coordinator_of_the_faculty_sees_but_does_not_edit(app):
    application = application_in("submitted", motivation="As submitted.")
    document = add_document(application, "other")
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    base = f"/applications/{application.id}"
    page = coordinator.get(base)
    assert page.status_code == 200 and "As submitted." in page.get_data(as_text=True)
    assert coordinator.get(f"{base}/edit").status_code == 404
    assert post(coordinator, f"{base}/edit", edit_data(application, motivation="Changed.")).status_code == 404
    assert upload(coordinator, application.id, "cv").status_code == 403
    assert post(coordinator, f"{base}/documents/{document.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Application, application.id).motivation == "As submitted."
    assert db.session.get(Document, document.id) is not None


def test_a_head_sees_any_application_but_edits_none(app):
    application = application_in("draft")
    head = client_for(app, UserFactory(roles=["head"]))
    assert head.get(f"/applications/{application.id}").status_code == 200
    assert head.get(f"/applications/{application.id}/edit").status_code == 404


def test_my_list_never_shows_applications_i_only_screen(app):
    application = application_in("submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    page = client_for(app, coordinator).get("/applications/").get_data(as_text=True)
    assert application.call.title not in page
