"""Two-factor login over HTTP: set-up with a QR code and a code computed here, the second
step of the login and its brake, recovery codes, the roles that must have it, and the
security events it writes (never a secret or a code).

TestConfig turns REQUIRE_2FA_ROLES off so that the suite's heads and admins log in as
before; the tests of the requirement turn the production default back on (`required`)."""

import json
import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from irflow.auth import second_factor
from irflow.auth.sessions import start_session
from irflow.config import Config
from irflow.extensions import db
from irflow.models import LoginAttempt, RecoveryCode, SecurityEvent, TwoFactorCredential, UserSession

from .fixtures.auth import is_logged_in, login
from .fixtures.factories import PASSWORD, UserFactory
from .fixtures.web import forget_csrf_token, post, text_of

SETUP = "/account/two-factor/setup"
OVERVIEW = "/account/two-factor/"
SECOND_STEP = "/auth/two-factor"


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", Config.REQUIRE_2FA_ROLES)


def fresh_code(user, secret):
    """A code the server accepts now: the current one, or the next step's when the current
    one was spent already (a code is accepted once; one step of clock drift is allowed)."""
    db.session.expire_all()
    credential = db.session.get(TwoFactorCredential, user.id)
    current_step = int(time.time() // second_factor.TOTP_STEP_SECONDS)
    last = credential.last_used_step if credential and credential.last_used_step is not None else current_step - 1
    if last < current_step:
        return pyotp.TOTP(secret).now()
    assert last == current_step, "no fresh code left in this time step"
    return pyotp.TOTP(secret).at(time.time() + second_factor.TOTP_STEP_SECONDS)


def set_up(client, user):
    """Turn two-factor on for the logged-in `user`; returns (secret, the ten recovery codes)."""
    page = client.get(SETUP)
    assert page.status_code == 200
    # Its token: users who must set it up are sent here from every other page.
    client.irflow_csrf_token = client.csrf_token(SETUP)
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)
    done = post(client, SETUP, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, text_of(done)
    codes = re.findall(r"<li>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</li>", done.get_data(as_text=True))
    return secret, codes


def user_with_two_factor(app, login_as, **fields):
    user = UserFactory(**fields)
    secret, codes = set_up(login_as(user), user)
    return user, secret, codes


def password_step(app, user, next_url=None):
    browser = app.test_client()
    response = login(browser, user.email, PASSWORD, next_url=next_url)
    return browser, response


def second_step(browser, code):
    return browser.post_form(SECOND_STEP, {"code": code}, token_from=SECOND_STEP)


def another_login(app, user):
    """A second browser logged in to the same account: a login of its own."""
    token = start_session(user, user_agent="pytest", address="127.0.0.2")
    db.session.commit()
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return browser


def session_of(app, browser):
    """What the browser's signed session cookie holds."""
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def events_of(kind):
    return db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def test_set_up_shows_a_qr_code_and_the_key_then_ten_recovery_codes_once(app, login_as):
    user = UserFactory()
    client = login_as(user)
    page = client.get(SETUP)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r"<svg[^>]*class=\"two-factor-qr\"", html) and "style=" not in html.split("<svg", 1)[1]
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', html).group(1)
    # The same key on a reload, until it is confirmed; kept encrypted in this login's session.
    assert secret in client.get(SETUP).get_data(as_text=True)
    assert db.session.get(TwoFactorCredential, user.id) is None
    assert secret not in json.dumps(session_of(app, client))

    done = post(client, SETUP, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</li>", done.get_data(as_text=True))
    assert len(set(codes)) == 10
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, user.id).enabled_at is not None
    hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == 10 and not hashes & {code.replace("-", "") for code in codes}
    assert len(events_of("two_factor_enabled")) == 1

    # Never shown again: the set-up page now leads to the overview, which shows neither.
    assert client.get(SETUP).headers["Location"].endswith(OVERVIEW)
    overview = client.get(OVERVIEW).get_data(as_text=True)
    assert secret not in overview and not any(code in overview for code in codes)
    assert "Unused recovery codes: 10." in text_of(client.get(OVERVIEW))


def test_a_wrong_set_up_code_is_refused(app, login_as):
    user = UserFactory()
    client = login_as(user)
    client.get(SETUP)
    refused = post(client, SETUP, {"code": "000000"})
    assert refused.status_code == 400
    assert "That code does not fit" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, user.id) is None
    assert events_of("two_factor_enabled") == []


def secret_on(page):
    return re.search(r'id="two-factor-secret">([A-Z2-7]+)<', page.get_data(as_text=True)).group(1)


def test_two_logins_of_one_account_set_up_with_secrets_of_their_own(app, login_as):
    user = UserFactory()
    first, second = login_as(user), another_login(app, user)
    first_page = first.get(SETUP)
    assert "Turning it on signs your account out on every other computer." in text_of(first_page)
    first_secret, second_secret = secret_on(first_page), secret_on(second.get(SETUP))
    assert first_secret != second_secret
    assert first_secret not in second.get(SETUP).get_data(as_text=True)
    assert secret_on(first.get(SETUP)) == first_secret


def test_a_code_of_another_logins_secret_does_not_confirm_this_one(app, login_as):
    user = UserFactory()
    first, second = login_as(user), another_login(app, user)
    first_secret = secret_on(first.get(SETUP))
    second.get(SETUP)
    second.irflow_csrf_token = second.csrf_token(SETUP)
    refused = post(second, SETUP, {"code": pyotp.TOTP(first_secret).now()})
    assert refused.status_code == 400 and "That code does not fit" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, user.id) is None
    assert events_of("two_factor_enabled") == []


def test_turning_two_factor_on_ends_every_other_login_with_the_secret_of_this_one(app, login_as):
    user = UserFactory()
    first, second = login_as(user), another_login(app, user)
    second.get(SETUP)
    secret, codes = set_up(first, user)
    assert len(codes) == 10
    db.session.expire_all()
    credential = db.session.get(TwoFactorCredential, user.id)
    assert credential.enabled and second_factor.decrypt_secret(credential.encrypted_secret) == secret
    assert is_logged_in(first) and not is_logged_in(second)
    ended = db.session.scalars(sa.select(UserSession).where(UserSession.ended_at.is_not(None))).all()
    assert [record.end_reason for record in ended] == ["two_factor_enabled"]
    assert [event.details for event in events_of("two_factor_enabled")] == [{"other_sessions_ended": 1}]


def test_the_secret_is_encrypted_and_tampering_is_noticed(app):
    with app.test_request_context():
        stored = second_factor.encrypt_secret("JBSWY3DPEHPK3PXP")
        assert "JBSWY3DPEHPK3PXP" not in stored
        assert second_factor.decrypt_secret(stored) == "JBSWY3DPEHPK3PXP"
        assert stored != second_factor.encrypt_secret("JBSWY3DPEHPK3PXP")  # a fresh nonce each time
        body = stored.split(":", 1)[1]
        flipped = body[:-5] + ("A" if body[-5] != "A" else "B") + body[-4:]
        assert second_factor.decrypt_secret("v1:" + flipped) is None


def test_the_login_needs_the_second_step(app, login_as):
    user, secret, _codes = user_with_two_factor(app, login_as)
    browser, response = password_step(app, user, next_url="/applications/")
    assert response.status_code == 302 and response.headers["Location"].endswith(SECOND_STEP)
    assert not is_logged_in(browser)
    assert browser.get(SECOND_STEP).status_code == 200

    done = second_step(browser, fresh_code(user, secret))
    assert done.status_code == 302 and done.headers["Location"].endswith("/applications/")
    assert is_logged_in(browser)


def test_the_second_step_without_a_password_step_goes_back_to_the_login(app):
    browser = app.test_client()
    response = browser.get(SECOND_STEP)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_expired_password_step_must_be_done_again(app, login_as, monkeypatch):
    user, secret, _codes = user_with_two_factor(app, login_as)
    browser, _response = password_step(app, user)
    token = browser.csrf_token(SECOND_STEP)
    monkeypatch.setitem(app.config, "TWO_FACTOR_PENDING_SECONDS", -1)
    response = browser.post(SECOND_STEP, data={"code": fresh_code(user, secret), "csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not is_logged_in(browser)


def test_a_wrong_code_is_refused_and_the_brake_holds_it_like_the_password(app, login_as):
    user, secret, _codes = user_with_two_factor(app, login_as)
    browser, _response = password_step(app, user)
    free = app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]
    for _ in range(free):
        refused = second_step(browser, "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
        assert refused.status_code == 401
        assert "Wrong code" in text_of(refused)
    assert not is_logged_in(browser)
    # Counted by the login brake, per account and address.
    assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.email == user.email)) == free
    assert len(events_of("two_factor_failed")) == free

    # Now even the right code waits, and a right password does not reset the count.
    waiting = second_step(browser, fresh_code(user, secret))
    assert waiting.status_code == 429 and "Too many failed attempts" in text_of(waiting)
    assert login(app.test_client(), user.email, PASSWORD).status_code == 429
    assert not is_logged_in(browser)


def test_a_recovery_code_logs_in_once_only(app, login_as):
    user, _secret, codes = user_with_two_factor(app, login_as)
    browser, _response = password_step(app, user)
    assert second_step(browser, codes[3].upper()).status_code == 302
    assert is_logged_in(browser)
    assert [event.details for event in events_of("recovery_code_used")] == [{"left": 9}]

    again, _response = password_step(app, user)
    refused = second_step(again, codes[3])
    assert refused.status_code == 401
    assert not is_logged_in(again)
    assert len(events_of("recovery_code_used")) == 1


def test_new_recovery_codes_replace_the_old_ones(app, login_as):
    user, secret, codes = user_with_two_factor(app, login_as)
    client = login_as(user)
    token = client.csrf_token(OVERVIEW)
    renewed = client.post(
        "/account/two-factor/recovery-codes", data={"renew-csrf_token": token, "renew-code": fresh_code(user, secret)}
    )
    assert renewed.status_code == 200
    new_codes = re.findall(r"<li>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</li>", renewed.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)

    browser, _response = password_step(app, user)
    assert second_step(browser, codes[0]).status_code == 401
    assert second_step(browser, new_codes[0]).status_code == 302


def test_users_whose_roles_require_it_are_sent_to_set_up_before_any_other_page(app, login_as, required):
    head = UserFactory(roles=["head"])
    client = login_as(head)
    for page in ("/calls/", "/admin/users", "/applications/", OVERVIEW):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].endswith(SETUP), page
    assert "requires two-factor" in text_of(client.get(SETUP))
    # The language switch still works; so does logging out.
    client.irflow_csrf_token = client.csrf_token(SETUP)
    switched = post(client, "/locale", {"locale": "ru", "next": "/calls/"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/calls/")

    set_up(client, head)
    assert client.get("/calls/").status_code == 200
    assert client.get("/dashboard/").status_code == 200

    admin = login_as(UserFactory(roles=["admin"]))
    admin.irflow_csrf_token = admin.csrf_token(SETUP)
    logged_out = post(admin, "/auth/logout")
    assert logged_out.status_code == 302 and "/auth/login" in logged_out.headers["Location"]


def test_users_of_other_roles_are_not_sent_to_set_up(app, login_as, required):
    for roles in ([], ["coordinator"], ["examiner"]):
        client = login_as(UserFactory(roles=roles))
        assert client.get("/calls/").status_code == 200, roles


def test_the_requirement_follows_the_setting(app, login_as, monkeypatch):
    assert Config.REQUIRE_2FA_ROLES == "head,admin"
    monkeypatch.setitem(app.config, "REQUIRE_2FA_ROLES", "coordinator")
    assert login_as(UserFactory(roles=["coordinator"])).get("/calls/").status_code == 302
    assert login_as(UserFactory(roles=["head"])).get("/calls/").status_code == 200


def test_disabling_is_refused_while_the_role_requires_it(app, login_as, required):
    head = UserFactory(roles=["head"])
    client = login_as(head)
    secret, _codes = set_up(client, head)
    overview = text_of(client.get(OVERVIEW))
    assert "it cannot be turned off" in overview and "/account/two-factor/disable" not in overview

    token = client.csrf_token(OVERVIEW)
    refused = client.post(
        "/account/two-factor/disable", data={"disable-csrf_token": token, "disable-code": fresh_code(head, secret)}
    )
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(TwoFactorCredential, head.id).enabled_at is not None
    assert events_of("two_factor_disabled") == []


def test_others_disable_it_with_a_current_code(app, login_as):
    user, secret, _codes = user_with_two_factor(app, login_as)
    client = login_as(user)
    token = client.csrf_token(OVERVIEW)
    wrong = client.post("/account/two-factor/disable", data={"disable-csrf_token": token, "disable-code": "99999"})
    assert wrong.status_code == 401 and "Wrong code" in text_of(wrong)
    assert len(events_of("two_factor_failed")) == 1

    done = client.post(
        "/account/two-factor/disable", data={"disable-csrf_token": token, "disable-code": fresh_code(user, secret)}
    )
    assert done.status_code == 302
    assert db.session.get(TwoFactorCredential, user.id) is None
    assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
    assert len(events_of("two_factor_disabled")) == 1
    # And the login is one step again.
    browser, response = password_step(app, user)
    assert response.headers["Location"] == "/" and is_logged_in(browser)


def test_the_events_name_no_secret_and_no_code(app, login_as):
    user, secret, codes = user_with_two_factor(app, login_as)
    browser, _response = password_step(app, user)
    second_step(browser, "111111" if pyotp.TOTP(secret).now() != "111111" else "222222")
    second_step(browser, codes[0])
    client = login_as(user)
    forget_csrf_token(client)
    token = client.csrf_token(OVERVIEW)
    client.post("/account/two-factor/disable", data={"disable-csrf_token": token, "disable-code": codes[1]})

    logged = db.session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id)).all()
    assert [event.kind for event in logged] == [
        "two_factor_enabled",
        "two_factor_failed",
        "recovery_code_used",
        "login",  # the second step done with a recovery code logs in
        "recovery_code_used",
        "two_factor_disabled",
    ]
    assert {event.user_id for event in logged} == {user.id}
    written = json.dumps([event.details for event in logged])
    for secret_text in (secret, *codes, *(code.replace("-", "") for code in codes), "111111", "222222"):
        assert secret_text not in written


# roles -> (two-factor required, may disable it) under the default REQUIRE_2FA_ROLES
POLICY_MATRIX = {
    (): (False, True),
    ("coordinator",): (False, True),
    ("examiner",): (False, True),
    ("head",): (True, False),
    ("admin",): (True, False),
    ("coordinator", "head"): (True, False),
}


@pytest.mark.parametrize(("roles", "expected"), POLICY_MATRIX.items())
def test_two_factor_policy_matrix(app, required, roles, expected):
    from irflow.two_factor import policy

    user = UserFactory(roles=list(roles))
    assert (policy.is_required_for(user), policy.may_disable(user)) == expected
    assert not policy.may_manage(None) and not policy.may_disable(None)


def test_a_code_spent_meanwhile_by_another_request_is_refused(app, login_as):
    user, secret, _codes = user_with_two_factor(app, login_as)
    credential = db.session.get(TwoFactorCredential, user.id)
    seen_by_both = credential.last_used_step  # two requests read the credential, then both check the code
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert second_factor.check_totp(credential, code)
    db.session.commit()
    set_committed_value(credential, "last_used_step", seen_by_both)
    assert not second_factor.check_totp(credential, code)
