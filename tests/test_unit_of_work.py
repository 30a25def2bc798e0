"""The request as the unit of work: one commit after a successful view, and a failed commit
undoes everything the request did — its rows, the messages it flashed, the cookie it set."""

import pytest
from flask import request
from sqlalchemy.orm.exc import StaleDataError

from irflow.extensions import db
from irflow.models import Application
from irflow.web import unit_of_work

from .fixtures.applications import edit_data
from .fixtures.auth import login
from .fixtures.factories import PASSWORD, UserFactory, application_in
from .fixtures.web import client_for, forget_csrf_token, post, text_of


@pytest.fixture
def commit_fails_once(monkeypatch):
    """The next POST's commit fails as if another request had saved the row first."""
    real_commit = unit_of_work.commit
    calls = []

    def failing_commit():
        if not calls and request.method == "POST":
            calls.append(True)
            db.session.rollback()
            raise StaleDataError("changed meanwhile")
        real_commit()

    monkeypatch.setattr(unit_of_work, "commit", failing_commit)
    return calls


def test_a_failed_commit_takes_back_the_success_message(app, commit_fails_once):
    application = application_in("draft")
    client = client_for(app, application.applicant)
    response = post(client, f"/applications/{application.id}/edit", edit_data(application, motivation="New text."))
    assert commit_fails_once == [True]
    # The edit form comes back as typed, with the conflict explained (see the edit page's tests).
    assert response.status_code == 409
    assert "has been saved" not in text_of(response)
    assert "has been saved" not in text_of(client.get(f"/applications/{application.id}"))
    db.session.expire_all()
    assert db.session.get(Application, application.id).motivation != "New text."


def test_a_message_from_an_earlier_request_is_kept(app, commit_fails_once):
    application = application_in("draft")
    client = client_for(app, application.applicant)
    client.irflow_csrf_token = client.csrf_token()  # read from a page now, so that page takes no message
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "A message waiting from before.")]
    page = text_of(post(client, f"/applications/{application.id}/edit", edit_data(application, motivation="New text.")))
    assert "A message waiting from before." in page and "has been saved" not in page


def test_a_login_whose_commit_fails_marks_no_known_device(app, client, commit_fails_once):
    user = UserFactory()
    response = login(client, user.email, PASSWORD)
    assert commit_fails_once == [True]
    assert app.config["KNOWN_DEVICE_COOKIE_NAME"] not in " ".join(response.headers.getlist("Set-Cookie"))
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert app.config["KNOWN_DEVICE_COOKIE_NAME"] in " ".join(response.headers.getlist("Set-Cookie"))


def test_commit_and_rollback_run_their_callbacks(app):
    ran = []
    with app.test_request_context():
        unit_of_work.after_commit(lambda: ran.append("commit"))
        unit_of_work.after_rollback(lambda: ran.append("undo"))
        unit_of_work.rollback()
        unit_of_work.commit()
    assert ran == ["undo"]
    with app.test_request_context():
        unit_of_work.after_commit(lambda: ran.append("commit"))
        unit_of_work.after_rollback(lambda: ran.append("undo"))
        unit_of_work.commit()
        unit_of_work.rollback()
    assert ran == ["undo", "commit"]


def test_an_event_reaches_the_log_only_when_its_action_is_committed(app, login_as, caplog, commit_fails_once):
    caplog.set_level("INFO", logger="irflow.security")
    client = login_as(UserFactory())

    def logged_logouts():
        return [r for r in caplog.records if r.name == "irflow.security" and '"kind": "logout"' in r.getMessage()]

    post(client, "/auth/logout")
    assert commit_fails_once == [True] and logged_logouts() == []
    client = login_as(UserFactory())
    forget_csrf_token(client)
    post(client, "/auth/logout")
    assert len(logged_logouts()) == 1
