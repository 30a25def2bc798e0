"""Pages over HTTP: the home page, error pages, the language switcher, static assets."""

import io
import os
import re
from datetime import timedelta
from html import unescape

import pytest
from flask import abort

from irflow import create_app
from irflow.config import TestConfig
from irflow.extensions import db
from irflow.models.base import utcnow

from .fixtures.database import close_connections
from .fixtures.factories import CallFactory, UserFactory
from .fixtures.logins import login_token
from .fixtures.web import ClosingClient

INTERNALS = (
    "Traceback",
    "werkzeug",
    "sqlalchemy",
    'File "',
    "Exception",
    "NotFound",
    "MethodNotAllowed",
    "RuntimeError",
)


def text_of(response):
    return unescape(response.get_data(as_text=True))


def assert_no_internals(response):
    page = response.get_data(as_text=True)
    for word in INTERNALS:
        assert word not in page, f"{word!r} shown to the user"


# --- home page ------------------------------------------------------------------------------


def test_home_lists_open_published_calls_only(client):
    now = utcnow()
    open_call = CallFactory(title="Erasmus+ semester in Dresden", places=[3])
    open_call.places[0].partner.name = "Osh State University"
    open_call.places[0].partner.country = "KG"
    db.session.commit()
    CallFactory(
        title="Closed call of last spring", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1)
    )
    CallFactory(title="Unpublished draft call", published=False)
    CallFactory(title="Call opening next month", opens_at=now + timedelta(days=30), closes_at=now + timedelta(days=60))

    response = client.get("/")

    assert response.status_code == 200
    page = text_of(response)
    assert "Erasmus+ semester in Dresden" in page
    assert "Osh State University (Kyrgyzstan)" in page
    assert "3 places" in page
    assert "Closed call of last spring" not in page
    assert "Unpublished draft call" not in page
    assert "Call opening next month" not in page
    assert "There are no open calls" not in page


def test_home_without_open_calls_says_so(client):
    CallFactory(title="Unpublished draft call", published=False)
    page = text_of(client.get("/"))
    assert "There are no open calls at the moment." in page
    assert "Unpublished draft call" not in page


def test_home_orders_calls_by_deadline(client):
    now = utcnow()
    CallFactory(title="Later deadline", closes_at=now + timedelta(days=40))
    CallFactory(title="Sooner deadline", closes_at=now + timedelta(days=3))
    page = text_of(client.get("/"))
    assert page.index("Sooner deadline") < page.index("Later deadline")


# --- error pages ----------------------------------------------------------------------------


def test_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = text_of(response)
    assert "Not found" in page
    assert "Error 404" in page
    assert 'href="/static/vendor/bootstrap/bootstrap.min.' in page  # the site's own layout
    assert_no_internals(response)


def test_405_page(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "This address does not accept that kind of request." in text_of(response)
    assert_no_internals(response)


def test_400_page_for_a_missing_csrf_token(client):
    response = client.post("/locale", data={"locale": "ru"})
    assert response.status_code == 400
    assert "The form has expired" in text_of(response)
    assert_no_internals(response)


@pytest.fixture(scope="module")
def bare_app(app, tmp_path_factory):
    """An app of its own (same database), for what the suite's app must not do: routes that
    fail, exceptions handled as in production, a small upload limit."""

    class BareConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("bare") / "uploads")
        PROPAGATE_EXCEPTIONS = False  # as in production: the 500 page, not the traceback
        MAX_CONTENT_LENGTH = 1024 * 1024

    bare = create_app(BareConfig)
    bare.test_client_class = ClosingClient

    @bare.route("/test-only/boom")
    def boom():
        raise RuntimeError("connection to db-secret.internal:5432 failed for user irflow_owner")

    @bare.route("/test-only/forbidden")
    def forbidden():
        abort(403)

    @bare.route("/test-only/upload", methods=["POST"])
    def upload():
        return "stored"

    yield bare
    close_connections(bare)


def test_500_page_hides_the_exception(bare_app):
    response = bare_app.test_client().get("/test-only/boom")

    assert response.status_code == 500
    page = text_of(response)
    assert "Something went wrong" in page
    assert "The error has been logged." in page
    assert "db-secret" not in page
    assert "irflow_owner" not in page
    assert_no_internals(response)


def test_500_page_for_a_logged_in_user(bare_app):
    user = UserFactory(full_name_native="Назаров Умед")
    client = bare_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = login_token(user)
    response = client.get("/test-only/boom")
    assert response.status_code == 500
    assert "Something went wrong" in text_of(response)
    assert_no_internals(response)


def test_403_page(bare_app):
    response = bare_app.test_client().get("/test-only/forbidden")
    assert response.status_code == 403
    assert "You do not have permission to see this page." in text_of(response)
    assert_no_internals(response)


def test_413_page_for_a_body_over_the_limit(bare_app):
    client = bare_app.test_client()
    limit = bare_app.config["MAX_CONTENT_LENGTH"]

    response = client.post(
        "/test-only/upload", data={"file": (_bytes(limit + 1), "scan.pdf")}, content_type="multipart/form-data"
    )

    assert response.status_code == 413
    page = text_of(response)
    assert "File too large" in page
    assert "The upload is larger than the 1 MB allowed. Nothing was saved" in page
    assert_no_internals(response)


def test_a_body_under_the_limit_is_accepted(bare_app):
    client = bare_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    response = client.post(
        "/test-only/upload",
        data={"csrf_token": token, "file": (_bytes(1000), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200


def _bytes(count):
    return io.BytesIO(b"%PDF-1.4\n" + b"0" * (count - 9))


# --- the language switcher ------------------------------------------------------------------


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_locale_switch_is_kept_in_the_session(client):
    assert html_lang(client.get("/")) == "en"

    response = client.post_form("/locale", {"locale": "ru", "next": "/auth/login?next=%2Fadmin%2Fusers"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fadmin%2Fusers"
    with client.session_transaction() as session:
        assert session["locale"] == "ru"
    assert html_lang(client.get("/")) == "ru"
    assert html_lang(client.get("/auth/login")) == "ru"


def test_locale_switch_follows_the_browser_until_chosen(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "tg,ru;q=0.8"})) == "tg"
    client.post_form("/locale", {"locale": "en"})
    assert html_lang(client.get("/", headers={"Accept-Language": "tg,ru;q=0.8"})) == "en"


def test_locale_switch_is_saved_for_a_logged_in_user(app, client, login_as):
    user = UserFactory(locale="en")
    login_as(user)

    client.post_form("/locale", {"locale": "tg", "next": "/"})

    db.session.refresh(user)
    assert user.locale == "tg"
    # Another browser of the same user gets the saved language too.
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = login_token(user)
    assert html_lang(other.get("/")) == "tg"


def test_locale_switch_ignores_unknown_languages(client, login_as):
    user = UserFactory(locale="ru")
    login_as(user)
    response = client.post_form("/locale", {"locale": "xx", "next": "/"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "ru"
    with client.session_transaction() as session:
        assert "locale" not in session


def test_locale_switch_only_follows_a_local_next(client):
    token = client.csrf_token()
    for target in ("https://elsewhere.example/x", "//elsewhere.example", "/\\elsewhere", "", "javascript:alert(1)"):
        response = client.post("/locale", data={"csrf_token": token, "locale": "ru", "next": target})
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target
    response = client.post("/locale", data={"csrf_token": token, "locale": "ru"})
    assert response.headers["Location"] == "/"


def test_locale_switch_without_csrf_token_changes_nothing(client, login_as):
    user = UserFactory(locale="en")
    login_as(user)
    response = client.post("/locale", data={"locale": "ru", "next": "/"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.locale == "en"
    with client.session_transaction() as session:
        assert "locale" not in session


def test_locale_switch_is_post_only(client):
    assert client.get("/locale?locale=ru").status_code == 405


def test_every_page_offers_the_switch_back_to_itself(client):
    page = client.get("/auth/login?next=/admin/users").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/locale"[^>]*>.*?</form>', page, re.S).group(0)
    assert 'name="next" value="/auth/login?next=/admin/users"' in unescape(form)


# --- static assets, offline -----------------------------------------------------------------


def pages_to_check(client, login_as):
    admin = UserFactory(roles=["admin"])
    CallFactory()
    anonymous = ["/", "/auth/login", "/auth/register", "/no/such/page"]
    responses = [client.get(path) for path in anonymous]
    login_as(admin)
    responses += [client.get(path) for path in ("/", "/admin/users", f"/admin/users/{admin.id}")]
    return responses


def test_bootstrap_is_served_by_the_app(client, login_as):
    for response in pages_to_check(client, login_as):
        page = response.get_data(as_text=True)
        assert re.search(
            r'<link rel="stylesheet" href="/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css">', page
        )
        assert re.search(
            r'<script src="/static/vendor/bootstrap/bootstrap\.bundle\.min\.[0-9a-f]{12}\.js"></script>', page
        )
    css = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert b".container" in css.data
    js = client.get("/static/vendor/bootstrap/bootstrap.bundle.min.js")
    assert js.status_code == 200
    assert b"bootstrap" in js.data.lower()
    assert client.get("/static/css/irflow.css").status_code == 200


def test_no_page_loads_css_or_scripts_from_elsewhere(client, login_as):
    outside = re.compile(r'<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)="(?:https?:)?//', re.I)
    for response in pages_to_check(client, login_as):
        page = response.get_data(as_text=True)
        assert not outside.search(page), outside.search(page).group(0)
        assert "@import" not in page
    for path in ("/static/css/irflow.css", "/static/vendor/bootstrap/bootstrap.min.css"):
        assert not re.search(rb"@import|url\(\s*['\"]?(?:https?:)?//", client.get(path).data)


def test_bootstrap_licence_ships_with_it(app):
    assert os.path.exists(os.path.join(app.static_folder, "vendor", "bootstrap", "LICENSE"))
