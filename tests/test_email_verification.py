"""E-mail verification, registration that tells no stranger which addresses have accounts,
the registration brake, and the privacy notice with its consent (issue 11, points 2 and 7)."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from irflow.auth import known_devices, verification
from irflow.extensions import db
from irflow.models import Notification, SecurityEvent, User
from irflow.models.base import utcnow

from .fixtures.applications import fire
from .fixtures.auth import NEW_PASSWORD, field_errors, is_logged_in, register, register_and_log_in, registration
from .fixtures.factories import FacultyFactory, UserFactory, application_in
from .fixtures.web import client_for, follow, forget_csrf_token, post, text_of

EMAIL = "alisher.rahimov@example.org"
VERIFY_FIRST = "Verify your e-mail address first"
LINK = re.compile(r"http://localhost(/auth/verify/[A-Za-z0-9_.\-]+)")
RESEND_REFUSED = "a new one can be sent every 5 minutes"


@pytest.fixture
def faculty():
    return FacultyFactory(name="Faculty of Germanic Languages", code="GERM")


def client_from(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def user_with(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def users_count():
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def mails_to(email):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification).where(Notification.recipient_email == email).order_by(Notification.id)
    ).all()


def verification_path(mail):
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(1)


def events(kind, user=None):
    query = sa.select(SecurityEvent).where(SecurityEvent.kind == kind)
    if user is not None:
        query = query.where(SecurityEvent.user_id == user.id)
    return db.session.scalars(query).all()


def confirm(client, path):
    """Open the mailed link, then press its button (the page's form, with its CSRF token)."""
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my address" in text_of(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token})


def token_for(app, user):
    with app.test_request_context("/"):
        return verification.make_token(user)


# --- register, refused, verify, submit ------------------------------------------------------


def test_registration_mails_a_link_and_only_a_verified_applicant_submits(app, client, faculty):
    register_and_log_in(client, registration(faculty, locale="en"))
    forget_csrf_token(client)
    applicant = user_with(EMAIL)
    assert applicant.email_verified_at is None
    assert is_logged_in(client)

    [mail] = mails_to(EMAIL)
    assert mail.recipient_id == applicant.id
    assert mail.subject == "Confirm your e-mail address for irflow"
    assert "The link is valid for 7 days." in mail.body
    path = verification_path(mail)
    assert len(events("verification_link_sent", applicant)) == 1

    # The draft can be prepared; submitting it is refused, with the reason and the way out.
    application = application_in("draft", applicant=applicant)
    page = text_of(client.get(f"/applications/{application.id}"))
    assert 'id="verify-email"' in page
    assert "/auth/verify/resend" in page
    assert "at most one every 5 minutes" in page
    refused = fire(client, application.id, "submit")
    assert refused.status_code == 302
    assert VERIFY_FIRST in text_of(follow(client, refused))
    db.session.expire_all()
    assert application.state == "draft"

    confirmed = confirm(client, path)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/applications/"
    assert "your e-mail address is confirmed" in text_of(client.get("/applications/"))
    applicant = user_with(EMAIL)
    assert applicant.email_verified_at is not None
    [event] = events("email_verified", applicant)
    assert event.actor_id == applicant.id
    assert not any(path.rsplit("/", 1)[1] in str(value) for value in event.details.values())

    assert 'id="verify-email"' not in text_of(client.get(f"/applications/{application.id}"))
    submitted = fire(client, application.id, "submit")
    assert submitted.status_code == 302
    db.session.expire_all()
    assert application.state == "submitted"


def test_resubmit_is_refused_until_verified(app):
    applicant = UserFactory(email_verified_at=None)
    application = application_in("changes_requested", applicant=applicant)
    client = client_for(app, applicant)
    refused = fire(client, application.id, "resubmit")
    assert VERIFY_FIRST in text_of(follow(client, refused))
    db.session.expire_all()
    assert application.state == "changes_requested"


def test_the_link_works_without_logging_in_and_only_once(app, client):
    user = UserFactory(email_verified_at=None)
    path = f"/auth/verify/{token_for(app, user)}"

    confirmed = confirm(client, path)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/auth/login"
    assert user_with(user.email).email_verified_at is not None
    [event] = events("email_verified", user)
    assert event.actor_id is None

    again = client.get(path)
    assert again.status_code == 200
    assert "is already confirmed" in text_of(again)
    assert len(events("email_verified", user)) == 1


def test_opening_the_link_changes_nothing_until_confirmed(app, client):
    user = UserFactory(email_verified_at=None)
    assert client.get(f"/auth/verify/{token_for(app, user)}").status_code == 200
    assert user_with(user.email).email_verified_at is None
    # No CSRF token: no confirmation.
    assert client.post(f"/auth/verify/{token_for(app, user)}").status_code == 400
    assert user_with(user.email).email_verified_at is None


# --- links that cannot be used --------------------------------------------------------------


def test_an_expired_link_is_explained_and_offers_a_new_one(app, monkeypatch):
    user = UserFactory(email_verified_at=None)
    eight_days_ago = time.time() - 8 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: eight_days_ago)
        token = token_for(app, user)
    client = client_for(app, user)

    page = client.get(f"/auth/verify/{token}")
    assert page.status_code == 400
    assert "This link has expired. Ask for a new one." in text_of(page)
    assert "Send the link again" in text_of(page)
    assert "/auth/verify/resend" in text_of(page)
    assert post(client, f"/auth/verify/{token}").status_code == 400
    assert user_with(user.email).email_verified_at is None


@pytest.mark.parametrize("kind", ["tampered", "other account", "old address", "other salt", "garbage", "too long"])
def test_a_link_that_is_not_valid_is_refused(app, client, kind):
    user = UserFactory(email="dilnoza@example.org", email_verified_at=None)
    other = UserFactory(email_verified_at=None)
    token = token_for(app, user)
    if kind == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif kind == "other account":
        # Taken apart and put together with the other account's id: the signature no longer fits.
        token = token.replace(str(user.id), str(other.id), 1) if str(user.id) in token else token + "x"
    elif kind == "old address":
        user.email = "dilnoza.new@example.org"
        db.session.commit()
    elif kind == "other salt":
        with app.test_request_context("/"):
            token = known_devices._serializer().dumps({"user": user.id, "email": user.email})
    elif kind == "garbage":
        token = "not-a-token"
    elif kind == "too long":
        token = "a" * 600

    page = client.get(f"/auth/verify/{token}")

    assert page.status_code in (400, 404)
    if page.status_code == 400:
        assert "This link is not valid." in text_of(page)
        assert "Log in" in text_of(page)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is None
    assert db.session.get(User, other.id).email_verified_at is None
    assert events("email_verified") == []


# --- sending the link again -----------------------------------------------------------------


def test_the_link_is_sent_again_at_most_once_in_five_minutes(app, monkeypatch):
    user = UserFactory(email_verified_at=None)
    application = application_in("draft", applicant=user)
    client = client_for(app, user)
    back = f"/applications/{application.id}"

    sent = post(client, "/auth/verify/resend", {"next": back})
    assert sent.status_code == 302 and sent.headers["Location"] == back
    assert f"We have sent a new link to {user.email}." in text_of(client.get(back))
    [mail] = mails_to(user.email)
    assert verification_path(mail)

    refused = post(client, "/auth/verify/resend", {"next": back})
    assert refused.status_code == 302
    assert RESEND_REFUSED in text_of(follow(client, refused))
    assert len(mails_to(user.email)) == 1
    assert len(events("verification_link_sent", user)) == 1

    # Five minutes later another may go.
    later = utcnow() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(verification, "utcnow", lambda: later)
    assert post(client, "/auth/verify/resend", {"next": back}).status_code == 302
    assert len(mails_to(user.email)) == 2

    # The new link confirms the address.
    assert confirm(client, verification_path(mails_to(user.email)[-1])).status_code == 302
    assert user_with(user.email).email_verified_at is not None


def test_the_registration_mail_counts_towards_the_resend_brake(client, faculty):
    register_and_log_in(client, registration(faculty, locale="en"))
    forget_csrf_token(client)
    refused = post(client, "/auth/verify/resend")
    assert RESEND_REFUSED in text_of(follow(client, refused))
    assert len(mails_to(EMAIL)) == 1


def test_a_verified_user_is_sent_no_link(app):
    user = UserFactory()
    client = client_for(app, user)
    response = post(client, "/auth/verify/resend")
    assert "already confirmed" in text_of(follow(client, response))
    assert mails_to(user.email) == []


def test_sending_the_link_again_needs_a_login(client):
    response = post(client, "/auth/verify/resend")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# --- an address that has an account ---------------------------------------------------------


def flashed(client):
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_registering_a_taken_address_answers_as_a_new_one_and_tells_its_owner(app, faculty):
    owner = UserFactory(email=EMAIL, locale="ru")
    owner_hash = owner.password_hash
    before = users_count()
    stranger = client_from(app, "10.0.0.7")
    newcomer = client_from(app, "10.0.0.8")

    taken = register(stranger, registration(faculty, email="Alisher.Rahimov@example.org"))
    fresh = register(newcomer, registration(faculty, email="zarina@example.org"))

    # The same answer as a new applicant's: the same status, the same place, the same words;
    # neither is logged in (a login only for new accounts would tell which addresses exist).
    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    assert (fresh.status_code, fresh.headers["Location"]) == (302, "/auth/login")
    message = "Check your mailbox: we sent a message to {}. Open the link in it to confirm your address, then log in."
    assert flashed(stranger) == [("success", message.format(EMAIL))]
    assert flashed(newcomer) == [("success", message.format("zarina@example.org"))]
    for browser in (stranger, newcomer):
        account_page = browser.get("/account/")
        assert account_page.status_code == 302
        assert account_page.headers["Location"].startswith("/auth/login")
    assert "already" not in text_of(stranger.get("/auth/login"))

    # Nothing created or changed for the taken address.
    assert users_count() == before + 1
    assert user_with(EMAIL).password_hash == owner_hash

    # The owner is told, with the way in, and is sent no verification link.
    [mail] = mails_to(EMAIL)
    assert mail.recipient_id == owner.id
    assert "http://localhost/auth/login" in mail.body
    assert not LINK.search(mail.body)
    [event] = events("registration_email_taken", owner)
    assert event.address == "10.0.0.7"

    # Tried again within the hour: the owner's mailbox is not flooded.
    register(client_from(app, "10.0.0.9"), registration(faculty, email=EMAIL))
    assert len(mails_to(EMAIL)) == 1


def test_the_owner_mail_speaks_of_logging_in_or_resetting(app, faculty):
    UserFactory(email=EMAIL, full_name_native="Раҳимов Алишер")
    register(app.test_client(), registration(faculty))
    [mail] = mails_to(EMAIL)
    assert mail.subject == "Someone tried to register with your e-mail address"
    assert "Dear Раҳимов Алишер," in mail.body
    assert "nothing was created" in mail.body
    assert "If it was you, log in with your password" in mail.body
    assert "Forgot your password?" in mail.body


# --- the registration brake -----------------------------------------------------------------


def test_registrations_from_one_address_are_limited_per_hour(app, faculty):
    UserFactory(email="taken@example.org")
    # Attempts with a taken address count too: they are how addresses would be probed.
    emails = [f"student{n}@example.org" for n in range(9)] + ["taken@example.org"]
    for email in emails:
        response = register(client_from(app, "10.1.1.1"), registration(faculty, email=email))
        assert response.status_code == 302, email
    before = users_count()

    refused = register(client_from(app, "10.1.1.1"), registration(faculty, email="one.more@example.org"))

    assert refused.status_code == 429
    assert field_errors(refused, "email") == [
        "Too many registrations from your network in the last hour. Try again later."
    ]
    assert users_count() == before
    assert mails_to("one.more@example.org") == []
    # Another address is not held back.
    assert (
        register(client_from(app, "10.1.1.2"), registration(faculty, email="one.more@example.org")).status_code == 302
    )


# --- privacy notice and consent -------------------------------------------------------------


def test_registration_needs_the_consent_and_keeps_its_time(client, faculty):
    page = text_of(client.get("/auth/register"))
    assert 'href="/privacy"' in page
    assert "I have read the privacy notice and agree" in page

    refused = register(client, registration(faculty, privacy_consent=None))
    assert refused.status_code == 400
    assert field_errors(refused, "privacy_consent") == ["Agree to the privacy notice to register."]
    assert users_count() == 0
    assert mails_to(EMAIL) == []

    before = utcnow()
    assert register(client, registration(faculty)).status_code == 302
    consent = user_with(EMAIL).privacy_consent_at
    assert consent is not None and before - timedelta(seconds=1) <= consent <= utcnow()


def test_accounts_made_otherwise_count_as_verified(app, faculty):
    assert UserFactory().email_verified_at is not None
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "office@example.org", "--name", "Офис", "--latin-name", "OFFICE"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert user_with("office@example.org").email_verified_at is not None


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Privacy notice"), ("ru", None), ("tg", None)], ids=["en", "ru", "tg"]
)
def test_the_privacy_notice_is_public_in_every_language(client, language, heading):
    with client.session_transaction() as session:
        session["locale"] = language

    page = client.get("/privacy")

    assert page.status_code == 200
    text = text_of(page)
    assert f'<html lang="{language}"' in text
    assert 'href="/privacy"' in text  # the footer links it on every page
    if heading:
        assert heading in text
        for subject in ("Law of the Republic of Tajikistan on personal data", "GDPR", "/account/data"):
            assert subject in text


def test_every_page_links_the_privacy_notice(app, client):
    assert 'href="/privacy"' in text_of(client.get("/auth/login"))
    assert 'href="/privacy"' in text_of(client_for(app, UserFactory()).get("/applications/"))
