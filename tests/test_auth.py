"""Accounts over HTTP: registration, login, `next`, throttling, CSRF, cookies, deactivation."""

import re
import time
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from irflow import ConfigurationError, create_app
from irflow.auth import throttle
from irflow.auth.passwords import common_passwords, password_problems
from irflow.config import Config
from irflow.extensions import db
from irflow.models import LoginAttempt, User

from .fixtures.auth import NEW_PASSWORD, field_errors, input_value, is_logged_in, login, register, registration
from .fixtures.factories import PASSWORD, FacultyFactory, UserFactory

WAIT_MESSAGE = re.compile(r"Wait (\d+) seconds")


def text_of(response):
    return unescape(response.get_data(as_text=True))


def selected_option(response, name):
    page = response.get_data(as_text=True)
    select = re.search(rf'<select[^>]*\bid="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    chosen = re.search(
        r'<option[^>]*\bselected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*\bselected', select.group(1)
    )
    if chosen is None:
        return None
    return unescape(chosen.group(1) if chosen.group(1) is not None else chosen.group(2))


def new_client(app, address=None):
    client = app.test_client()
    if address:
        client.environ_base["REMOTE_ADDR"] = address
    return client


# --- registration ----------------------------------------------------------------------


@pytest.fixture
def faculty():
    return FacultyFactory(name="Faculty of Germanic Languages", code="GERM")


def users_count():
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_register_creates_an_applicant_who_then_logs_in(client, faculty):
    response = register(client, registration(faculty))

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    # Nobody is logged in by registering: the page asks them to confirm the address, then log in.
    login_page = text_of(client.get("/auth/login"))
    assert "Check your mailbox: we sent a message to alisher.rahimov@example.org." in login_page
    assert 'lang="tg"' in login_page  # in the language chosen on the form
    assert not is_logged_in(client)
    user = db.session.scalar(sa.select(User).where(User.email == "alisher.rahimov@example.org"))
    assert user is not None
    assert user.roles == set()
    assert user.has_role("applicant")
    assert not any(user.has_role(role) for role in ("coordinator", "examiner", "head", "admin"))
    assert (user.full_name_native, user.full_name_latin) == ("Раҳимов Алишер Ҷамшедович", "RAHIMOV ALISHER")
    assert (user.category, user.faculty_id, user.locale, user.active) == ("master", faculty.id, "tg", True)
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, NEW_PASSWORD)
    assert NEW_PASSWORD not in user.password_hash

    assert login(client, "alisher.rahimov@example.org", NEW_PASSWORD).status_code == 302
    assert "Раҳимов Алишер Ҷамшедович" in text_of(client.get("/"))  # the name in the navigation bar
    assert is_logged_in(client)


def test_registered_user_logs_in_with_any_case_of_the_email(app, client, faculty):
    assert register(client, registration(faculty)).status_code == 302
    other = new_client(app)
    assert login(other, "  ALISHER.rahimov@example.ORG ", NEW_PASSWORD).status_code == 302
    assert is_logged_in(other)


def test_register_with_a_taken_email_creates_nothing_and_answers_as_for_a_new_one(client, faculty):
    # Registering no longer tells a stranger which addresses have accounts: the answer is the
    # one a new applicant gets, and the owner is told by mail (tests/test_email_verification.py).
    UserFactory(email="user@example.org")
    before = users_count()

    for typed in ("user@example.org", "USER@Example.ORG", "  user@example.org  "):
        response = register(client, registration(faculty, email=typed))

        assert response.status_code == 302, typed
        assert response.headers["Location"] == "/auth/login"
        assert "Check your mailbox: we sent a message to user@example.org." in text_of(client.get("/auth/login"))
        assert users_count() == before
        assert not is_logged_in(client)


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("password", {"password": "short1", "password_again": "short1"}, "Use at least 10 characters."),
        (
            "password",
            {"password": "password123", "password_again": "password123"},
            "This password is too common; choose another.",
        ),
        (
            "password",
            {"password": "PASSWORD123", "password_again": "PASSWORD123"},
            "This password is too common; choose another.",
        ),
        (
            "password",
            {"password": "zzzxzzzxzzzx", "password_again": "zzzxzzzxzzzx"},
            "This password is too easy to guess; choose another.",
        ),
        ("password_again", {"password_again": NEW_PASSWORD + "!"}, "The two passwords differ."),
        ("email", {"email": "not-an-email"}, "Enter a valid e-mail address."),
        ("email", {"email": "alisher@"}, "Enter a valid e-mail address."),
        ("full_name_latin", {"full_name_latin": "Раҳимов Алишер"}, "Use Latin letters only, as in your passport."),
    ],
)
def test_register_explains_a_bad_field_and_keeps_what_was_typed(client, faculty, field, changes, message):
    data = registration(faculty, **changes)

    response = register(client, data)

    assert response.status_code == 400
    assert message in " ".join(field_errors(response, field))
    # Every other field is back as typed (passwords are never sent back).
    if field != "email":
        assert input_value(response, "email") == data["email"].strip().lower()
    if field != "full_name_latin":
        assert input_value(response, "full_name_latin") == data["full_name_latin"]
    assert input_value(response, "full_name_native") == data["full_name_native"]
    assert input_value(response, "phone") == data["phone"]
    assert selected_option(response, "category") == "master"
    assert selected_option(response, "faculty_id") == str(faculty.id)
    assert selected_option(response, "locale") == "tg"
    assert input_value(response, "password") in (None, "")
    assert users_count() == 0
    assert not is_logged_in(client)


def test_every_listed_common_password_is_refused(app):
    listed = common_passwords()
    assert "password123" in listed and "qwertyuiop" in listed
    assert len(listed) > 1000
    # Every entry is found: each is stored in the lower-case form the check looks up, and the
    # file is sorted and without repeats, as the bisection needs. Asking the policy about each
    # of the 415,000 entries would take half a minute; a spread of them goes through it.
    words = list(listed)
    assert [word for word in words if word != word.strip().lower() or word.upper().lower() != word] == []
    encoded = [word.encode("utf-8") for word in words]
    assert encoded == sorted(set(encoded))
    too_common = "This password is too common; choose another."
    spread = words[::97] + words[-1:]
    assert [word for word in spread if too_common not in password_problems(word)] == []
    assert [word for word in spread if too_common not in password_problems(word.upper())] == []


def test_register_refuses_a_listed_password(client, faculty):
    response = register(client, registration(faculty, password="qwertyuiop", password_again="qwertyuiop"))
    assert response.status_code == 400
    assert field_errors(response, "password") == ["This password is too common; choose another."]


def test_register_asks_for_faculty_and_category(client, faculty):
    messages = {"faculty_id": "Choose your faculty.", "category": "Choose what you are."}
    for missing, message in messages.items():
        response = register(client, registration(faculty, **{missing: ""}))

        assert response.status_code == 400
        assert field_errors(response, missing) == [message]
        assert input_value(response, "full_name_latin") == "RAHIMOV ALISHER"
    response = register(client, registration(faculty, faculty_id=None, category=None))
    assert [field_errors(response, name) for name in messages] == [[message] for message in messages.values()]
    assert users_count() == 0


def test_register_refuses_an_unknown_faculty(client, faculty):
    response = register(client, registration(faculty, faculty_id=str(faculty.id + 1000)))
    assert response.status_code == 400
    assert field_errors(response, "faculty_id")
    assert users_count() == 0


def first_option(response, name):
    page = response.get_data(as_text=True)
    select = re.search(rf'<select[^>]*\bid="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    return re.search(r'<option[^>]*value="([^"]*)"', select.group(1)).group(1)


def test_register_form_does_not_choose_faculty_or_category_for_the_user(client, faculty):
    FacultyFactory(name="Faculty of Astronomy", code="ASTRO")  # first in the alphabet
    page = client.get("/auth/register")
    assert page.status_code == 200
    # Nothing marked selected and an empty first option: the browser shows "Choose…".
    for name in ("faculty_id", "category"):
        assert selected_option(page, name) in (None, "")
        assert first_option(page, name) == ""


# --- login --------------------------------------------------------------------------------


def test_login_redirects_home_and_records_the_time(client):
    user = UserFactory(email="teacher@example.org")
    assert user.last_login_at is None

    response = login(client, "teacher@example.org", PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)
    assert db.session.get(User, user.id).last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("teacher@example.org", "not the password at all"),
        ("nobody@example.org", PASSWORD),
    ],
)
def test_wrong_password_and_unknown_email_get_the_same_answer(client, email, password):
    UserFactory(email="teacher@example.org")

    response = login(client, email, password)

    assert response.status_code == 401
    assert field_errors(response, "password") == ["Wrong e-mail or password."]
    assert field_errors(response, "email") == []
    assert input_value(response, "email") == email
    assert not is_logged_in(client)


OFF_SITE_TARGETS = [
    "https://elsewhere.example/x",
    "//elsewhere.example",
    "/\\elsewhere",
    "\\\\elsewhere.example",
    "https:elsewhere.example",
    "javascript:alert(1)",
]


def test_login_does_not_follow_next_off_the_site(app):
    UserFactory(email="teacher@example.org")
    for target in OFF_SITE_TARGETS:
        browser = new_client(app)
        form = browser.get("/auth/login", query_string={"next": target})
        assert form.status_code == 200

        response = login(browser, "teacher@example.org", PASSWORD, next_url=target)

        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target


def test_login_follows_a_local_next(client):
    UserFactory(email="admin@example.org", roles=["admin"])
    # The login page keeps `next` from the address in a hidden field.
    page = client.get("/auth/login", query_string={"next": "/admin/users"})
    assert input_value(page, "next") == "/admin/users"

    response = login(client, "admin@example.org", PASSWORD, next_url="/admin/users?q=a%20b")

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users?q=a%20b"
    assert client.get("/admin/users").status_code == 200


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_deactivated_account_cannot_log_in(client):
    UserFactory(email="gone@example.org", active=False)

    response = login(client, "gone@example.org", PASSWORD)

    assert response.status_code == 403
    assert "This account has been deactivated." in text_of(response)
    assert not is_logged_in(client)
    # A wrong password on a deactivated account says nothing about the account.
    wrong = login(client, "gone@example.org", "not the password at all")
    assert wrong.status_code == 401
    assert "deactivated" not in text_of(wrong)


def test_logged_in_user_visiting_login_or_register_goes_home(client, login_as):
    login_as(UserFactory())
    assert client.get("/auth/login").headers["Location"] == "/"
    assert client.get("/auth/register").headers["Location"] == "/"


def test_logout_ends_the_session(client):
    UserFactory(email="teacher@example.org")
    login(client, "teacher@example.org", PASSWORD)
    assert is_logged_in(client)

    response = client.post_form("/auth/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)


def test_login_starts_a_fresh_session(client):
    """No session fixation: what was in the session before the login is gone after it."""
    UserFactory(email="teacher@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"

    login(client, "teacher@example.org", PASSWORD)

    with client.session_transaction() as session:
        assert "planted" not in session


# --- throttling ---------------------------------------------------------------------------


def failures(email, address=None):
    query = sa.select(sa.func.count(LoginAttempt.id)).where(LoginAttempt.email == email)
    if address:
        query = query.where(LoginAttempt.address == address)
    return db.session.scalar(query)


def move_attempts_back(seconds):
    """Simulate the passing of time: every recorded failure happened `seconds` earlier."""
    for attempt in db.session.scalars(sa.select(LoginAttempt)):
        attempt.created_at = attempt.created_at - timedelta(seconds=seconds)
    db.session.commit()


def wait_in(response):
    match = WAIT_MESSAGE.search(text_of(response))
    assert match, "no 'wait N seconds' message"
    return int(match.group(1))


ATTACKER, VICTIM = "198.51.100.7", "203.0.113.20"


def test_free_attempts_then_refused_even_with_the_right_password(app):
    UserFactory(email="teacher@example.org")
    free = app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]
    attacker = new_client(app, ATTACKER)

    for _ in range(free):
        assert login(attacker, "teacher@example.org", "guess guess guess").status_code == 401
    assert failures("teacher@example.org", ATTACKER) == free

    refused = login(attacker, "teacher@example.org", PASSWORD)

    assert refused.status_code == 429
    seconds = wait_in(refused)
    assert 1 <= seconds <= app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"]
    assert not is_logged_in(attacker)
    # A refused try is not another failure: waiting is enough.
    assert failures("teacher@example.org", ATTACKER) == free

    move_attempts_back(seconds + 1)
    allowed = login(attacker, "teacher@example.org", PASSWORD)
    assert allowed.status_code == 302
    assert is_logged_in(attacker)


def test_throttle_counts_the_email_whatever_its_case(app):
    UserFactory(email="teacher@example.org")
    attacker = new_client(app, ATTACKER)
    for number in range(app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]):
        login(attacker, "Teacher@Example.org" if number % 2 else "teacher@example.org", "guess guess guess")
    assert login(attacker, "TEACHER@EXAMPLE.ORG", PASSWORD).status_code == 429


def campaign_from_many_addresses(app, email="teacher@example.org", per_address=None, addresses=40):
    """Failures of one account spread over many addresses, each under its own limit."""
    per_address = per_address or app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"] - 1
    db.session.add_all(
        LoginAttempt(email=email, address=f"198.51.100.{number + 10}")
        for number in range(addresses)
        for _ in range(per_address)
    )
    db.session.commit()


def known_device_cookie(client):
    cookie = client.get_cookie("known_device")
    return cookie.value if cookie is not None else None


def browser_holding(app, address, known_device):
    browser = new_client(app, address)
    browser.set_cookie("known_device", known_device)
    return browser


def test_failures_spread_over_many_addresses_refuse_further_tries_without_sleeping(app):
    UserFactory(email="teacher@example.org")
    cap = app.config["LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS"]
    assert cap <= 30
    campaign_from_many_addresses(app)
    before = failures("teacher@example.org")

    started = time.monotonic()
    refused = login(new_client(app, "198.51.100.99"), "teacher@example.org", "guess guess guess")

    # Refused before the password is looked at: no guess, no worker held asleep.
    assert refused.status_code == 429
    assert time.monotonic() - started < 0.9
    assert 1 <= wait_in(refused) <= cap
    assert failures("teacher@example.org") == before


def test_the_account_wide_wait_doubles_up_to_its_cap(app):
    UserFactory(email="teacher@example.org")
    free = app.config["LOGIN_THROTTLE_ACCOUNT_FREE_ATTEMPTS"]
    cap = app.config["LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS"]
    assert free > app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"] * 2  # generous: typos from many places
    waits = []
    for number in range(free + 8):
        db.session.add(LoginAttempt(email="teacher@example.org", address=f"198.51.100.{number + 10}"))
        db.session.commit()
        waits.append(throttle.seconds_to_wait("teacher@example.org", VICTIM))
    assert waits[: free - 1] == [0] * (free - 1)
    assert waits[free - 1 : free + 3] == [2, 4, 8, 16]
    assert waits[-1] == cap
    assert throttle.seconds_to_wait("teacher@example.org", VICTIM, known_device=True) == 0


def test_the_owner_on_a_known_browser_gets_in_at_once_whatever_happens_elsewhere(app):
    UserFactory(email="teacher@example.org")
    owner = new_client(app, VICTIM)
    assert login(owner, "teacher@example.org", PASSWORD).status_code == 302
    assert known_device_cookie(owner)
    owner.post_form("/auth/logout")
    assert not is_logged_in(owner)
    # A long campaign from many addresses, and from the attacker's own one.
    campaign_from_many_addresses(app)
    db.session.add_all(LoginAttempt(email="teacher@example.org", address=ATTACKER) for _ in range(60))
    db.session.commit()

    started = time.monotonic()
    assert login(owner, "teacher@example.org", PASSWORD).status_code == 302
    assert time.monotonic() - started < 0.9
    assert is_logged_in(owner)
    # The cookie lifts only the account-wide brake: the attacker's address stays braked even with it.
    attacker = browser_holding(app, ATTACKER, known_device_cookie(owner))
    assert login(attacker, "teacher@example.org", PASSWORD).status_code == 429


def test_the_owner_on_a_new_browser_waits_at_most_the_cap_then_gets_in(app):
    UserFactory(email="teacher@example.org")
    cap = app.config["LOGIN_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS"]
    campaign_from_many_addresses(app)

    new_browser = new_client(app, VICTIM)
    refused = login(new_browser, "teacher@example.org", PASSWORD)
    assert refused.status_code == 429
    seconds = wait_in(refused)
    assert 1 <= seconds <= cap

    move_attempts_back(seconds + 1)
    assert login(new_browser, "teacher@example.org", PASSWORD).status_code == 302
    assert is_logged_in(new_browser)


def signed_with_another_key(app, cookie):
    from itsdangerous import URLSafeTimedSerializer

    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="irflow-known-device").loads(cookie)
    return URLSafeTimedSerializer("not-the-secret-key", salt="irflow-known-device").dumps(payload)


@pytest.mark.parametrize("cookie_from", ["forged", "other user", "old password", "expired", "garbage"])
def test_a_known_device_cookie_lifts_the_brake_only_for_its_user_and_password(app, cookie_from):
    from irflow.auth.sessions import change_password

    owner_record = UserFactory(email="teacher@example.org")
    UserFactory(email="other@example.org")
    browser = new_client(app, VICTIM)
    assert (
        login(
            browser, "other@example.org" if cookie_from == "other user" else "teacher@example.org", PASSWORD
        ).status_code
        == 302
    )
    cookie = known_device_cookie(browser)
    if cookie_from == "forged":
        cookie = signed_with_another_key(app, cookie)
    elif cookie_from == "old password":
        change_password(owner_record, NEW_PASSWORD)
        db.session.commit()
    elif cookie_from == "expired":
        app.config["KNOWN_DEVICE_DAYS"], days = 0, app.config["KNOWN_DEVICE_DAYS"]
        time.sleep(1.1)
    elif cookie_from == "garbage":
        cookie = "x" * 40 + "." + cookie
    campaign_from_many_addresses(app)

    try:
        response = login(
            browser_holding(app, VICTIM, cookie),
            "teacher@example.org",
            NEW_PASSWORD if cookie_from == "old password" else PASSWORD,
        )
    finally:
        if cookie_from == "expired":
            app.config["KNOWN_DEVICE_DAYS"] = days

    assert response.status_code == 429


def test_a_success_clears_the_failures_of_that_email_from_that_address(app):
    UserFactory(email="teacher@example.org")
    free = app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]
    user = new_client(app, VICTIM)
    db.session.add(LoginAttempt(email="teacher@example.org", address=ATTACKER))
    db.session.add(LoginAttempt(email="other@example.org", address=VICTIM))
    db.session.commit()
    for _ in range(free - 1):
        assert login(user, "teacher@example.org", "typo typo typo").status_code == 401

    assert login(user, "teacher@example.org", PASSWORD).status_code == 302

    assert failures("teacher@example.org", VICTIM) == 0
    assert failures("teacher@example.org", ATTACKER) == 1
    assert failures("other@example.org", VICTIM) == 1
    # The free attempts are all there again.
    again = new_client(app, VICTIM)
    for _ in range(free - 1):
        assert login(again, "teacher@example.org", "typo typo typo").status_code == 401
    assert login(again, "teacher@example.org", PASSWORD).status_code == 302


def test_many_accounts_from_one_address_are_braked(app):
    free_per_address = app.config["LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS"]
    db.session.add_all(
        LoginAttempt(email=f"user{number}@example.org", address=ATTACKER) for number in range(free_per_address)
    )
    db.session.commit()
    UserFactory(email="teacher@example.org")

    response = login(new_client(app, ATTACKER), "teacher@example.org", PASSWORD)

    assert response.status_code == 429
    assert login(new_client(app, VICTIM), "teacher@example.org", PASSWORD).status_code == 302


def test_old_failures_do_not_count(app):
    UserFactory(email="teacher@example.org")
    db.session.add_all(LoginAttempt(email="teacher@example.org", address=ATTACKER) for _ in range(30))
    db.session.commit()
    move_attempts_back(app.config["LOGIN_THROTTLE_WINDOW_SECONDS"] + 1)

    assert login(new_client(app, ATTACKER), "teacher@example.org", PASSWORD).status_code == 302


@pytest.mark.parametrize("next_login", ["failed", "successful"])
def test_typed_addresses_are_forgotten_once_outside_the_window(app, next_login):
    # The brake keeps what was typed, also for no account; only as long as it counts.
    UserFactory(email="teacher@example.org")
    db.session.add(LoginAttempt(email="nobody@example.org", address=ATTACKER))
    db.session.commit()
    move_attempts_back(app.config["LOGIN_THROTTLE_WINDOW_SECONDS"] + 1)
    db.session.add(LoginAttempt(email="recent@example.org", address=ATTACKER))
    db.session.commit()

    password = PASSWORD if next_login == "successful" else "typo typo typo"
    login(new_client(app, VICTIM), "teacher@example.org", password)

    assert failures("nobody@example.org") == 0
    assert failures("recent@example.org") == 1


# --- CSRF -----------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused(client):
    UserFactory(email="teacher@example.org")
    response = client.post("/auth/login", data={"email": "teacher@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form has expired" in text_of(response)
    assert not is_logged_in(client)
    assert failures("teacher@example.org") == 0


def test_login_with_a_forged_csrf_token_is_refused(client):
    UserFactory(email="teacher@example.org")
    response = client.post(
        "/auth/login", data={"email": "teacher@example.org", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert not is_logged_in(client)


def test_register_without_csrf_token_is_refused(client, faculty):
    response = client.post("/auth/register", data=registration(faculty))
    assert response.status_code == 400
    assert users_count() == 0
    assert not is_logged_in(client)


def test_logout_without_csrf_token_is_refused(client):
    UserFactory(email="teacher@example.org")
    login(client, "teacher@example.org", PASSWORD)

    response = client.post("/auth/logout")

    assert response.status_code == 400
    assert is_logged_in(client)


def test_logout_is_post_only(client, login_as):
    login_as(UserFactory())
    assert client.get("/auth/logout").status_code == 405
    assert is_logged_in(client)


def test_csrf_token_of_another_session_is_refused(app, client):
    UserFactory(email="teacher@example.org")
    foreign_token = new_client(app).csrf_token()
    response = client.post(
        "/auth/login", data={"email": "teacher@example.org", "password": PASSWORD, "csrf_token": foreign_token}
    )
    assert response.status_code == 400
    assert not is_logged_in(client)


# --- cookies and configuration --------------------------------------------------------------


def cookie_header(response, name):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


def test_session_cookie_is_httponly_and_samesite_lax(client):
    UserFactory(email="teacher@example.org")

    response = client.post_form(
        "/auth/login", {"email": "teacher@example.org", "password": PASSWORD, "remember": "y"}, token_from="/auth/login"
    )

    assert response.status_code == 302
    for name in ("session", "remember_token"):
        attributes = [part.strip().lower() for part in cookie_header(response, name).split(";")]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes


def test_production_config_marks_cookies_secure(tmp_path):
    if Config.DEVELOPMENT:
        pytest.skip("IRFLOW_ENV=development is set for this run: Config is the development one")

    class ProductionLike(Config):
        SECRET_KEY = "a-long-random-production-secret-0123456789"
        PUBLIC_URL = "https://irflow.example"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    production = create_app(ProductionLike)

    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert production.config["TESTING"] is False
    # The cookie really carries the flag: the login form puts a CSRF token in the session.
    response = production.test_client().get("/auth/login", base_url="https://irflow.example")
    attributes = [part.strip().lower() for part in cookie_header(response, "__Host-session").split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(attributes)


@pytest.mark.parametrize("secret", [None, ""])
def test_missing_secret_key_stops_the_app(tmp_path, secret):
    class NoSecret(Config):
        SECRET_KEY = secret
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(NoSecret)


# --- deactivation ---------------------------------------------------------------------------


def test_deactivation_ends_the_users_sessions_at_once(app, client, login_as):
    admin = UserFactory(roles=["admin"])
    UserFactory(email="student@example.org", full_name_native="Назаров Умед")
    student_browser = new_client(app)
    assert login(student_browser, "student@example.org", PASSWORD).status_code == 302
    assert "Назаров Умед" in text_of(student_browser.get("/"))
    student = db.session.scalar(sa.select(User).where(User.email == "student@example.org"))
    login_as(admin)

    response = client.post_form(f"/admin/users/{student.id}/active", {"active": "0"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{student.id}"
    db.session.refresh(student)
    assert student.active is False
    # The student's open browser is anonymous on the very next request.
    home = student_browser.get("/")
    assert "Назаров Умед" not in text_of(home)
    assert 'href="/auth/login"' in home.get_data(as_text=True)
    page = student_browser.get("/admin/users")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/auth/login")
    assert login(new_client(app), "student@example.org", PASSWORD).status_code == 403
    # The admin's own session is untouched.
    assert client.get("/admin/users").status_code == 200

    response = client.post_form(f"/admin/users/{student.id}/active", {"active": "1"})

    assert response.status_code == 302
    db.session.refresh(student)
    assert student.active is True
    assert "can log in again" in text_of(client.get(f"/admin/users/{student.id}"))
    # The old session stays ended; a new login works.
    assert student_browser.get("/admin/users").status_code == 302
    again = new_client(app)
    assert login(again, "student@example.org", PASSWORD).status_code == 302
    assert is_logged_in(again)


def test_a_session_of_an_account_deactivated_elsewhere_stops_working(app, client, login_as):
    """Not only the new session token ends sessions: an inactive account is never logged in."""
    user = UserFactory()
    login_as(user)
    assert is_logged_in(client)
    user.active = False
    db.session.commit()
    assert not is_logged_in(client)


def test_admin_cannot_deactivate_themselves(client, login_as):
    admin = UserFactory(roles=["admin"])
    login_as(admin)

    response = client.post_form(f"/admin/users/{admin.id}/active", {"active": "0"})

    assert response.status_code == 302
    assert "You cannot deactivate your own account." in text_of(client.get(f"/admin/users/{admin.id}"))
    db.session.refresh(admin)
    assert admin.active is True
    assert client.get("/admin/users").status_code == 200


def test_set_active_needs_a_clear_value(client, login_as):
    login_as(UserFactory(roles=["admin"]))
    target = UserFactory()
    for value in ("", "yes", "2"):
        response = client.post_form(f"/admin/users/{target.id}/active", {"active": value})
        assert response.status_code == 400, value
    response = client.post_form(f"/admin/users/{target.id}/active", {})
    assert response.status_code == 400
    db.session.refresh(target)
    assert target.active is True
