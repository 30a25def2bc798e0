"""Logins kept on the server: logout, password change and deactivation end them; idle and
absolute limits; staff get no remember-me; `__Host-` cookies outside development."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from irflow.auth.sessions import change_password, load_user, start_session
from irflow.config import Config
from irflow.extensions import db
from irflow.models import User, UserSession
from irflow.models.base import utcnow

from .fixtures.factories import PASSWORD, UserFactory
from .fixtures.web import CSRF_INPUT

NEW_PASSWORD = "apricots ripen in Isfara"


def login(client, email, password=PASSWORD, remember=False, **kwargs):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post_form("/auth/login", data, token_from="/auth/login", **kwargs)


def is_logged_in(client):
    """Logged-in users get 403 from the admin list, anonymous visitors a redirect to the login."""
    response = client.get("/admin/users")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/auth/login")
    return response.status_code == 403


def cookie_value(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def browser_with(app, cookies):
    """A new browser holding copies of cookies taken from another one."""
    browser = app.test_client()
    for name, value in cookies.items():
        if value is not None:
            browser.set_cookie(name, value)
    return browser


def set_cookie_headers(response, name):
    return [header for header in response.headers.getlist("Set-Cookie") if header.startswith(f"{name}=")]


def logins_of(user):
    return db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ).all()


# --- logout ------------------------------------------------------------------------------------


def test_logout_with_keep_me_signed_in_logs_out(client):
    UserFactory(email="student@example.org")
    assert login(client, "student@example.org", remember=True).status_code == 302
    assert cookie_value(client, "remember_token")

    response = client.post_form("/auth/logout")

    assert response.status_code == 302
    # The logout deletes the remember cookie, and the next request is anonymous.
    assert any(
        "expires=thu, 01 jan 1970" in header.lower() for header in set_cookie_headers(response, "remember_token")
    )
    assert cookie_value(client, "remember_token") is None
    assert not is_logged_in(client)


@pytest.mark.parametrize("kept", [("session",), ("remember_token",), ("session", "remember_token")])
def test_cookies_replayed_after_logout_get_the_login_page(app, client, kept):
    user = UserFactory(email="student@example.org")
    login(client, "student@example.org", remember=True)
    copied = {name: cookie_value(client, name) for name in kept}
    assert all(copied.values())
    assert is_logged_in(browser_with(app, copied))

    client.post_form("/auth/logout")

    assert not is_logged_in(browser_with(app, copied))
    (record,) = logins_of(user)
    assert record.ended_at is not None and record.end_reason == "logout"


def test_logout_ends_only_that_login(app, client):
    UserFactory(email="student@example.org")
    other_browser = app.test_client()
    login(client, "student@example.org")
    login(other_browser, "student@example.org")

    client.post_form("/auth/logout")

    assert not is_logged_in(client)
    assert is_logged_in(other_browser)


def test_a_login_is_recorded_with_its_browser_and_address(app):
    user = UserFactory(email="student@example.org")
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "203.0.113.20"

    login(browser, "student@example.org", remember=True, headers={"User-Agent": "Firefox/140.0"})

    (record,) = logins_of(user)
    assert (record.user_agent, record.address, record.remember, record.ended_at) == (
        "Firefox/140.0",
        "203.0.113.20",
        True,
        None,
    )
    assert utcnow() - record.created_at < timedelta(minutes=1)
    # The cookie carries a random token, not the user's id, and the table keeps only its hash.
    token = browser.application.session_interface.get_signing_serializer(browser.application).loads(
        cookie_value(browser, "session")
    )["_user_id"]
    assert len(token) >= 40 and token != str(user.id)
    assert record.token_hash != token


def test_password_change_ends_every_login(app):
    user = UserFactory(email="student@example.org")
    first, second = app.test_client(), app.test_client()
    login(first, "student@example.org", remember=True)
    login(second, "student@example.org")
    remembered = {"remember_token": cookie_value(first, "remember_token")}

    change_password(user, NEW_PASSWORD)
    db.session.commit()

    assert not is_logged_in(first)
    assert not is_logged_in(second)
    assert not is_logged_in(browser_with(app, remembered))
    assert {record.end_reason for record in logins_of(user)} == {"password_change"}
    assert login(app.test_client(), "student@example.org").status_code == 401
    again = app.test_client()
    assert login(again, "student@example.org", NEW_PASSWORD).status_code == 302
    assert is_logged_in(again)


def test_deactivation_ends_remembered_logins_for_good(app, client, login_as):
    student = UserFactory(email="student@example.org")
    browser = app.test_client()
    login(browser, "student@example.org", remember=True)
    remembered = {"remember_token": cookie_value(browser, "remember_token")}
    login_as(UserFactory(roles=["admin"]))

    client.post_form(f"/admin/users/{student.id}/active", {"active": "0"})
    client.post_form(f"/admin/users/{student.id}/active", {"active": "1"})

    assert {record.end_reason for record in logins_of(student)} == {"deactivated"}
    # Active again, but the login made before the deactivation stays ended.
    assert not is_logged_in(browser)
    assert not is_logged_in(browser_with(app, remembered))


def test_login_as_fixture_makes_a_recorded_login(client, login_as):
    user = UserFactory()
    login_as(user)
    assert is_logged_in(client)
    (record,) = logins_of(user)
    record.end("logout")
    db.session.commit()
    assert not is_logged_in(client)


# --- time limits -----------------------------------------------------------------------------


def age_login(user, idle=timedelta(0), age=None):
    """Make the user's login look `age` old, its last request `idle` ago."""
    now = utcnow()
    for record in logins_of(user):
        record.last_seen_at = now - idle
        record.created_at = now - (age if age is not None else idle)
    db.session.commit()


@pytest.mark.parametrize(
    ("roles", "idle_minutes"),
    [([], 12 * 60), (["coordinator"], 30), (["examiner"], 30), (["head"], 30), (["admin"], 30)],
)
def test_a_login_ends_after_its_idle_time(app, client, login_as, roles, idle_minutes):
    assert (
        app.config["STAFF_SESSION_IDLE_MINUTES"] if roles else app.config["APPLICANT_SESSION_IDLE_MINUTES"]
    ) == idle_minutes
    user = UserFactory(roles=roles)
    login_as(user)

    age_login(user, idle=timedelta(minutes=idle_minutes - 1))
    assert client.get("/applications/").status_code == 200

    age_login(user, idle=timedelta(minutes=idle_minutes + 1))
    response = client.get("/applications/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize(("roles", "max_hours"), [([], 30 * 24), (["coordinator"], 12), (["admin"], 12)])
def test_a_login_ends_after_its_absolute_lifetime_however_busy(app, client, login_as, roles, max_hours):
    user = UserFactory(roles=roles)
    login_as(user)

    age_login(user, age=timedelta(hours=max_hours) - timedelta(minutes=5))
    assert client.get("/applications/").status_code == 200

    age_login(user, age=timedelta(hours=max_hours) + timedelta(minutes=1))
    assert client.get("/applications/").status_code == 302


def test_a_remembered_applicant_login_lasts_thirty_days(app):
    user = UserFactory(email="student@example.org")
    browser = app.test_client()
    login(browser, "student@example.org", remember=True)
    remembered = {"remember_token": cookie_value(browser, "remember_token")}
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)

    age_login(user, idle=timedelta(hours=11), age=timedelta(days=29))
    assert is_logged_in(browser_with(app, remembered))

    age_login(user, idle=timedelta(hours=1), age=timedelta(days=30, minutes=1))
    assert not is_logged_in(browser_with(app, remembered))


def test_staff_get_no_remember_me(app):
    coordinator = UserFactory(email="coordinator@example.org", roles=["coordinator"])
    browser = app.test_client()

    response = login(browser, "coordinator@example.org", remember=True)

    assert response.status_code == 302
    assert set_cookie_headers(response, "remember_token") == []
    assert cookie_value(browser, "remember_token") is None
    (record,) = logins_of(coordinator)
    assert record.remember is False


def test_last_seen_is_written_at_most_once_a_minute(client, login_as):
    user = UserFactory()
    login_as(user)
    (record,) = logins_of(user)
    started = record.last_seen_at

    client.get("/applications/")
    db.session.refresh(record)
    assert record.last_seen_at == started

    record.last_seen_at = started - timedelta(minutes=5)
    db.session.commit()
    client.get("/applications/")
    db.session.refresh(record)
    assert record.last_seen_at > started - timedelta(seconds=1)


def test_a_forged_or_overlong_token_loads_nobody(app):
    UserFactory()
    for token in ("1", "x" * 43, "y" * 5000):
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["_user_id"] = token
        assert not is_logged_in(browser)


# --- cookies outside development --------------------------------------------------------------


def test_production_cookies_use_the_host_prefix(app, tmp_path, create_own_app):
    if Config.DEVELOPMENT:
        pytest.skip("IRFLOW_ENV=development is set for this run: Config is the development one")

    class ProductionLike(Config):
        SECRET_KEY = "a-long-random-production-secret-0123456789"
        PUBLIC_URL = "https://irflow.example"
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = {}
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        ARGON2_TIME_COST, ARGON2_MEMORY_COST, ARGON2_PARALLELISM = 1, 1024, 1
        MAIL_SERVER = None

    production = create_own_app(ProductionLike)
    production.test_client_class = type(app.test_client())
    UserFactory(email="student@example.org")
    browser = production.test_client()
    site = "https://irflow.example"
    page = browser.get("/auth/login", base_url=site).get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)

    response = browser.post(
        "/auth/login",
        base_url=site,
        headers={"Referer": f"{site}/auth/login"},
        data={"csrf_token": token, "email": "student@example.org", "password": PASSWORD, "remember": "y"},
    )

    assert response.status_code == 302
    for name in ("__Host-session", "__Host-remember_token", "__Host-known_device"):
        (header,) = set_cookie_headers(response, name)
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attributes), name
        assert not any(attribute.startswith("domain") for attribute in attributes), name
    assert set_cookie_headers(response, "session") == set_cookie_headers(response, "remember_token") == []
    assert set_cookie_headers(response, "known_device") == []
    # The prefixed cookies log the browser in, the remember cookie on its own too.
    assert browser.get("/applications/", base_url=site).status_code == 200
    remembered = production.test_client()
    remembered.set_cookie(
        "__Host-remember_token",
        browser.get_cookie("__Host-remember_token", domain="irflow.example").value,
        domain="irflow.example",
    )
    assert remembered.get("/applications/", base_url=site).status_code == 200


# --- idle time of a login restored from the remember cookie ------------------------------------


def test_a_remembered_login_ends_after_its_idle_time(app):
    user = UserFactory(email="student@example.org")
    browser = app.test_client()
    login(browser, "student@example.org", remember=True)
    remembered = {"remember_token": cookie_value(browser, "remember_token")}
    idle = timedelta(minutes=app.config["APPLICANT_SESSION_IDLE_MINUTES"])

    age_login(user, idle=idle - timedelta(minutes=1), age=timedelta(days=2))
    assert is_logged_in(browser_with(app, remembered))

    age_login(user, idle=idle + timedelta(minutes=1), age=timedelta(days=2))
    assert not is_logged_in(browser_with(app, remembered))
    # Nor with both cookies of that browser.
    assert not is_logged_in(browser)


# --- the browser's User-Agent -------------------------------------------------------------------


def test_a_hostile_user_agent_is_stored_clean_and_short(app):
    user = UserFactory(email="student@example.org")
    browser = app.test_client()
    agent = "Mozilla/5.0\x00 (X11)\x1b[31m\x7f" + "A" * 1000

    response = login(browser, "student@example.org", headers={"User-Agent": agent})

    assert response.status_code == 302
    assert is_logged_in(browser)
    (record,) = logins_of(user)
    assert record.user_agent.startswith("Mozilla/5.0 (X11)[31m")
    assert len(record.user_agent) <= 255
    assert not any(ord(character) < 32 or ord(character) == 127 for character in record.user_agent)


# --- last_seen_at is written beside the request, never by committing its work -----------------


def stale_login(user):
    """A login of `user` whose last request is five minutes old; returns its token."""
    token = start_session(user, user_agent="pytest", address="127.0.0.1")
    db.session.commit()
    (record,) = logins_of(user)
    record.last_seen_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    return token, record.id


def last_seen_in_database(record_id):
    with db.engine.connect() as connection:
        return connection.execute(sa.select(UserSession.last_seen_at).where(UserSession.id == record_id)).scalar_one()


def test_loading_the_user_never_commits_the_requests_work(app):
    user = UserFactory(full_name_latin="Before")
    token, record_id = stale_login(user)
    seen_before = last_seen_in_database(record_id)
    # Work of the request already sent to the database, not yet committed.
    user.full_name_latin = "Half-done"
    db.session.flush()

    assert load_user(token) == user
    db.session.rollback()

    with db.engine.connect() as connection:
        assert connection.execute(sa.select(User.full_name_latin).where(User.id == user.id)).scalar_one() == "Before"
    if db.engine.dialect.name != "sqlite":
        # On its own connection, the write of last_seen_at is kept.
        assert last_seen_in_database(record_id) > seen_before


def test_loading_the_user_keeps_the_requests_row_locks(app):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("row locks: PostgreSQL only")
    user = UserFactory()
    token, record_id = stale_login(user)
    seen_before = last_seen_in_database(record_id)
    db.session.execute(sa.select(User).where(User.id == user.id).with_for_update())

    assert load_user(token) is not None

    with db.engine.connect() as other, pytest.raises(sa.exc.OperationalError):
        other.execute(sa.select(User.id).where(User.id == user.id).with_for_update(nowait=True))
    assert last_seen_in_database(record_id) > seen_before
    db.session.rollback()


# --- equality of users --------------------------------------------------------------------------


def test_users_are_equal_only_to_themselves(app):
    first, second = UserFactory(), UserFactory()
    assert first.get_id() is None and second.get_id() is None  # neither is a login

    assert first != second
    assert (first == second) is False  # __eq__ itself, not only __ne__
    assert first == first
    assert first in [second, first] and second not in [first]
    assert len({first, second}) == 2
    # The same account loaded elsewhere is the same user, logged in or not.
    with app.app_context():
        token = start_session(db.session.get(User, first.id))
        db.session.commit()
        loaded = load_user(token)
        assert loaded == first and hash(loaded) == hash(first)
        assert loaded != second
    assert first != "not a user"
