"""Forgotten passwords over HTTP, with the links read from the outbox: a reset sets the
password and ends every login; expired, reused, outdated and tampered links are refused
with a page offering a new one; unknown addresses get the same answer and no mail; the
throttle; the administrator's reset link and ending of logins; `flask reset-password`."""

import json
import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from irflow.auth import second_factor
from irflow.auth.sessions import change_password
from irflow.extensions import db
from irflow.models import Notification, RecoveryCode, SecurityEvent, TwoFactorCredential, UserSession
from irflow.models.base import utcnow

from .fixtures.auth import field_errors, is_logged_in, login
from .fixtures.factories import PASSWORD, UserFactory
from .fixtures.web import client_for, post, text_of

NEW_PASSWORD = "apricots ripen in Isfara"
LINK = re.compile(r"https?://[^/\s]+(/auth/reset/\S+)")
NEUTRAL_MESSAGE = "If an account with this e-mail exists, a link to choose a new password is on its way."


def ask_for_link(client, email):
    return client.post_form("/auth/forgot", {"email": email}, token_from="/auth/forgot")


def mails_to(email):
    return db.session.scalars(
        sa.select(Notification).where(Notification.recipient_email == email).order_by(Notification.id)
    ).all()


def link_in(mail):
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(1)


def emailed_link(client, user):
    assert ask_for_link(client, user.email).status_code == 302
    mails = mails_to(user.email)
    assert mails, "no reset mail queued"
    return link_in(mails[-1])


def set_password(client, link, password=NEW_PASSWORD, again=None):
    data = {"password": password, "password_again": password if again is None else again}
    return client.post_form(link, data, token_from=link)


def events_of(kind):
    return db.session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)
    ).all()


def can_log_in(app, email, password):
    return login(app.test_client(), email, password).status_code == 302


def flashed_after(client, response):
    assert response.status_code == 302
    return text_of(client.get(response.headers["Location"]))


# --- the whole flow --------------------------------------------------------------------------


def test_login_page_links_to_forgot_password(client):
    page = text_of(client.get("/auth/login"))
    assert 'href="/auth/forgot"' in page
    assert "Forgot your password?" in page


def test_reset_sets_the_password_and_ends_every_login(app, client):
    user = UserFactory(email="dilnoza@example.org", locale="ru")
    other_browser = client_for(app, user)
    remembered_browser = client_for(app, user)
    assert is_logged_in(other_browser) and is_logged_in(remembered_browser)

    response = ask_for_link(client, "dilnoza@example.org")
    assert NEUTRAL_MESSAGE in flashed_after(client, response)
    (mail,) = mails_to("dilnoza@example.org")
    assert mail.recipient_id == user.id
    # In the user's language, with an absolute link.
    assert mail.body.startswith("Уважаемый(-ая) ")
    assert "Отдел международных отношений" in mail.body
    link = link_in(mail)
    assert mail.body.count("http://localhost/auth/reset/") == 1

    form_page = client.get(link)
    assert form_page.status_code == 200
    assert "dilnoza@example.org" in text_of(form_page)

    response = set_password(client, link)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/login")

    # Every earlier login has ended: a copied cookie loads nobody.
    assert not is_logged_in(other_browser)
    assert not is_logged_in(remembered_browser)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(UserSession.id)).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None)
            )
        )
        == 0
    )
    assert can_log_in(app, "dilnoza@example.org", NEW_PASSWORD)
    assert not can_log_in(app, "dilnoza@example.org", PASSWORD)

    (requested,) = events_of("password_reset_requested")
    assert requested.user_id == user.id and requested.actor_id is None
    (reset,) = events_of("password_reset")
    assert reset.user_id == user.id
    assert reset.details["sessions_ended"] == 2
    token = link.rsplit("/", 1)[1]
    for event in (requested, reset):
        assert token not in json.dumps(event.details)
        assert NEW_PASSWORD not in json.dumps(event.details)


def test_the_new_password_follows_the_password_rules(client):
    user = UserFactory(email="samarkand.road@example.org")
    link = emailed_link(client, user)

    too_short = set_password(client, link, "Qz7-kx")
    assert too_short.status_code == 400
    assert field_errors(too_short, "password") == ["Use at least 10 characters."]
    differing = set_password(client, link, NEW_PASSWORD, again=NEW_PASSWORD + "!")
    assert differing.status_code == 400
    assert field_errors(differing, "password_again") == ["The two passwords differ."]
    own_address = set_password(client, link, "Samarkand.Road")
    assert own_address.status_code == 400
    assert field_errors(own_address, "password") == ["Do not use your e-mail address as your password."]

    # Nothing was changed: the link still works.
    assert client.get(link).status_code == 200
    assert events_of("password_reset") == []


# --- links that no longer work ---------------------------------------------------------------


def test_an_expired_link_is_refused_with_a_way_to_ask_again(app, client, monkeypatch):
    user = UserFactory(email="late@example.org")
    signed_at = int(time.time()) - app.config["RESET_TOKEN_MAX_AGE"] - 1
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        link = emailed_link(client, user)

    for response in (client.get(link), set_password(client, link)):
        assert response.status_code == 410
        page = text_of(response)
        assert "This password reset link has expired." in page
        assert 'href="/auth/forgot"' in page
    assert can_log_in(app, "late@example.org", PASSWORD)


def test_a_link_works_once(app, client):
    user = UserFactory(email="once@example.org")
    link = emailed_link(client, user)
    assert set_password(client, link).status_code == 302

    again = set_password(client, link, "another long phrase of words")
    assert again.status_code == 410
    assert "already been used" in text_of(again)
    assert client.get(link).status_code == 410
    assert can_log_in(app, "once@example.org", NEW_PASSWORD)
    assert len(events_of("password_reset")) == 1


def test_a_link_dies_when_the_password_changes(app, client):
    user = UserFactory(email="changed@example.org")
    link = emailed_link(client, user)
    change_password(user, "a password chosen on the account page")
    db.session.commit()

    response = client.get(link)
    assert response.status_code == 410
    assert 'href="/auth/forgot"' in text_of(response)
    assert set_password(client, link).status_code == 410
    assert can_log_in(app, "changed@example.org", "a password chosen on the account page")


def test_a_link_of_a_deactivated_account_is_refused(client):
    user = UserFactory(email="gone@example.org")
    link = emailed_link(client, user)
    user.active = False
    db.session.commit()
    assert client.get(link).status_code == 410


@pytest.mark.parametrize("tamper", ["cut", "changed", "nonsense"])
def test_a_tampered_link_is_refused_without_an_error(client, tamper):
    user = UserFactory(email="tampered@example.org")
    link = emailed_link(client, user)
    token = link.rsplit("/", 1)[1]
    bad = {
        "cut": token[:-5],
        # The signed part altered (the last character of a signature may only carry padding bits).
        "changed": ("A" if token[0] != "A" else "B") + token[1:],
        "nonsense": "not-a-token",
    }[tamper]
    response = client.get(f"/auth/reset/{bad}")
    assert response.status_code == 400
    page = text_of(response)
    assert "This password reset link is not valid." in page
    assert 'href="/auth/forgot"' in page


def test_a_link_signed_for_another_purpose_is_refused(app, client):
    from itsdangerous import URLSafeTimedSerializer

    user = UserFactory(email="salted@example.org")
    foreign = URLSafeTimedSerializer(app.secret_key).dumps({"user": user.id, "fingerprint": "x"})
    assert client.get(f"/auth/reset/{foreign}").status_code == 400


# --- what a stranger learns ------------------------------------------------------------------


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client):
    UserFactory(email="known@example.org")
    known = ask_for_link(app.test_client(), "known@example.org")
    unknown = ask_for_link(client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    assert NEUTRAL_MESSAGE in flashed_after(client, unknown)
    assert mails_to("nobody@example.org") == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1
    unknown_event = events_of("password_reset_requested")[-1]
    assert unknown_event.user_id is None and unknown_event.email_digest is not None  # never the typed address


def test_a_deactivated_account_gets_no_mail(client):
    UserFactory(email="inactive@example.org", active=False)
    response = ask_for_link(client, "inactive@example.org")
    assert NEUTRAL_MESSAGE in flashed_after(client, response)
    assert mails_to("inactive@example.org") == []


def test_an_invalid_address_is_shown_beside_the_field(client):
    response = client.post_form("/auth/forgot", {"email": "not an address"}, token_from="/auth/forgot")
    assert response.status_code == 400
    assert field_errors(response, "email") == ["Enter a valid e-mail address."]


# --- throttling ------------------------------------------------------------------------------


def test_requests_per_account_are_throttled(client):
    UserFactory(email="popular@example.org")
    for _ in range(5):
        assert ask_for_link(client, "popular@example.org").status_code == 302
    assert len(mails_to("popular@example.org")) == 5

    refused = ask_for_link(client, "Popular@Example.org")
    assert NEUTRAL_MESSAGE in flashed_after(client, refused)
    assert len(mails_to("popular@example.org")) == 5
    assert events_of("password_reset_requested")[-1].details == {"refused": "throttled"}


def test_requests_per_client_address_are_throttled(client):
    UserFactory(email="target@example.org")
    for number in range(20):
        ask_for_link(client, f"guess{number}@example.org")

    refused = ask_for_link(client, "target@example.org")
    assert NEUTRAL_MESSAGE in flashed_after(client, refused)
    assert mails_to("target@example.org") == []
    # Another client address is not held back.
    other = client.post_form(
        "/auth/forgot",
        {"email": "target@example.org"},
        token_from="/auth/forgot",
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert other.status_code == 302
    assert len(mails_to("target@example.org")) == 1


# --- the administrator -----------------------------------------------------------------------


def test_an_admin_sends_a_reset_link(app):
    admin = UserFactory(roles=["admin"])
    user = UserFactory(email="forgetful@example.org")
    admin_browser = client_for(app, admin)
    page = text_of(admin_browser.get(f"/admin/users/{user.id}"))
    assert "Send a password reset link" in page

    response = post(admin_browser, f"/admin/users/{user.id}/password-reset")
    assert response.status_code == 302
    assert "A password reset link has been sent to forgetful@example.org." in text_of(
        admin_browser.get(response.headers["Location"])
    )
    (mail,) = mails_to("forgetful@example.org")
    (event,) = events_of("password_reset_requested")
    assert event.actor_id == admin.id and event.user_id == user.id

    anonymous = app.test_client()
    link = link_in(mail)
    assert set_password(anonymous, link).status_code == 302
    assert can_log_in(app, "forgetful@example.org", NEW_PASSWORD)


def test_only_admins_send_reset_links_or_end_logins(app):
    coordinator = UserFactory(roles=["head", "coordinator"])
    user = UserFactory()
    browser = client_for(app, coordinator)
    login_id = db.session.scalar(sa.select(UserSession.id).where(UserSession.user_id == coordinator.id))
    for path in (
        f"/admin/users/{user.id}/password-reset",
        f"/admin/users/{user.id}/sessions/end",
        f"/admin/users/{coordinator.id}/sessions/{login_id}/end",
    ):
        assert post(browser, path).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_an_admin_sees_and_ends_one_login(app):
    admin = UserFactory(roles=["admin"])
    user = UserFactory()
    phone = client_for(app, user)
    laptop = client_for(app, user)
    phone_login, laptop_login = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ).all()
    admin_browser = client_for(app, admin)

    page = text_of(admin_browser.get(f"/admin/users/{user.id}"))
    assert f"/admin/users/{user.id}/sessions/{phone_login.id}/end" in page
    assert f"/admin/users/{user.id}/sessions/{laptop_login.id}/end" in page
    assert "pytest" in page and "127.0.0.1" in page

    response = post(admin_browser, f"/admin/users/{user.id}/sessions/{phone_login.id}/end")
    assert response.status_code == 302
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    (event,) = events_of("sessions_ended")
    assert event.actor_id == admin.id and event.user_id == user.id and event.details == {"sessions": 1}

    # Ending it again, or a login of another user through this user's page, changes nothing.
    again = post(admin_browser, f"/admin/users/{user.id}/sessions/{phone_login.id}/end")
    assert again.status_code == 302
    admin_login = db.session.scalar(sa.select(UserSession.id).where(UserSession.user_id == admin.id))
    post(admin_browser, f"/admin/users/{user.id}/sessions/{admin_login}/end")
    assert is_logged_in(laptop)
    assert admin_browser.get("/admin/users").status_code == 200
    assert len(events_of("sessions_ended")) == 1


def test_an_admin_ends_every_login(app):
    admin = UserFactory(roles=["admin"])
    user = UserFactory()
    browsers = [client_for(app, user) for _ in range(3)]
    admin_browser = client_for(app, admin)

    response = post(admin_browser, f"/admin/users/{user.id}/sessions/end")
    assert "3 logins of" in text_of(admin_browser.get(response.headers["Location"]))
    assert not any(is_logged_in(browser) for browser in browsers)
    (event,) = events_of("sessions_ended")
    assert event.details == {"sessions": 3} and event.actor_id == admin.id
    assert "No active logins." in text_of(admin_browser.get(f"/admin/users/{user.id}"))


# --- the command line ------------------------------------------------------------------------


def test_reset_password_command(app):
    admin = UserFactory(email="last.admin@example.org", roles=["admin"])
    old_browser = client_for(app, admin)
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["reset-password", "Last.Admin@example.org"],
        input=f"short\nshort\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Use at least 10 characters." in result.output
    assert "New password set for last.admin@example.org; 1 active login(s) ended." in result.output
    assert NEW_PASSWORD not in result.output
    assert old_browser.get("/admin/users").status_code == 302
    assert can_log_in(app, "last.admin@example.org", NEW_PASSWORD)
    (event,) = events_of("password_reset")
    assert event.user_id == admin.id and event.actor_id is None and event.details["via"] == "command line"


def test_reset_password_command_can_remove_a_lost_second_factor(app, monkeypatch):
    admin = UserFactory(email="last.admin@example.org", roles=["admin"])
    db.session.add(
        TwoFactorCredential(
            user_id=admin.id, encrypted_secret=second_factor.encrypt_secret(pyotp.random_base32()), enabled_at=utcnow()
        )
    )
    second_factor.new_recovery_codes(admin)
    db.session.commit()

    result = app.test_cli_runner().invoke(
        args=["reset-password", "last.admin@example.org", "--disable-two-factor"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "New password set for last.admin@example.org" in result.output
    assert (
        "Two-factor authentication removed for last.admin@example.org, with its 10 unused recovery code(s): "
        "the next login sets it up again where the role requires it." in result.output
    )
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, admin.id) is None
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    (event,) = events_of("two_factor_disabled")
    assert (event.user_id, event.actor_id, event.details) == (admin.id, None, {"via": "command line"})
    # One step to log in, then straight to the set-up the role requires.
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", "head,admin")
    browser = app.test_client()
    assert login(browser, "last.admin@example.org", NEW_PASSWORD).status_code == 302
    assert browser.get("/calls/").headers["Location"].endswith("/account/two-factor/setup")


def test_reset_password_command_says_when_there_was_no_second_factor(app):
    UserFactory(email="last.admin@example.org", roles=["admin"])
    result = app.test_cli_runner().invoke(
        args=["reset-password", "last.admin@example.org", "--disable-two-factor"],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "last.admin@example.org had no two-factor authentication." in result.output
    assert events_of("two_factor_disabled") == []


def test_reset_password_command_for_an_unknown_account(app):
    result = app.test_cli_runner().invoke(args=["reset-password", "nobody@example.org"], input="x\nx\n")
    assert result.exit_code != 0
    assert "No account with the e-mail nobody@example.org." in result.output
