"""The auth and admin use cases: what a refusal leaves behind, and the refusals the pages
cannot provoke by themselves (a registration racing another with the same e-mail)."""

import sqlalchemy as sa

from irflow.auth import operations
from irflow.extensions import db
from irflow.models import LoginAttempt, User, UserSession

from .fixtures.auth import is_logged_in, login, register, registration
from .fixtures.factories import PASSWORD, FacultyFactory, UserFactory
from .fixtures.web import text_of


def users_with(email):
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == email))


def test_a_registration_racing_another_with_the_same_email_creates_nothing(client, monkeypatch):
    faculty = FacultyFactory(name="Faculty of Germanic Languages")
    UserFactory(email="alisher.rahimov@example.org")
    # The other registration commits between this one's check and its insert.
    monkeypatch.setattr(operations, "_email_taken", lambda email: False)

    response = register(client, registration(faculty))

    # The answer a new applicant gets (the owner is told by mail), and nothing created.
    assert response.status_code == 302
    assert "Check your mailbox" in text_of(client.get("/"))
    assert users_with("alisher.rahimov@example.org") == 1
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0
    assert not is_logged_in(client)


def test_a_refused_login_keeps_its_failure_and_nothing_else(client):
    user = UserFactory(email="teacher@example.org")

    response = login(client, "teacher@example.org", "not the password at all")

    assert response.status_code == 401
    attempts = db.session.execute(sa.select(LoginAttempt.email, LoginAttempt.address)).all()
    assert attempts == [("teacher@example.org", "127.0.0.1")]
    db.session.refresh(user)
    assert user.last_login_at is None
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == user.id)) == 0


def test_a_deactivated_account_refused_at_login_gets_no_login(client):
    user = UserFactory(email="gone@example.org", active=False)

    response = login(client, "gone@example.org", PASSWORD)

    assert response.status_code == 403
    assert "This account has been deactivated." in text_of(response)
    db.session.refresh(user)
    assert user.last_login_at is None
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == user.id)) == 0


def test_the_language_switch_keeps_only_offered_languages(app):
    user = UserFactory(locale="ru")
    with app.test_request_context("/"):
        assert operations.set_locale(user, "xx") is False
        assert user.locale == "ru"
        assert operations.set_locale(user, "tg") is True
        assert user.locale == "tg"
        assert operations.set_locale(None, "en") is True
