"""Security headers on every response: every GET route anonymously and signed in, redirects,
error pages and static files; HSTS outside development and tests; no inline script or style
anywhere, so that the Content-Security-Policy blocks nothing the pages need."""

import re
from datetime import date
from pathlib import Path

import pytest
from flask import url_for

from irflow import create_app
from irflow.config import Config, DevelopmentConfig
from irflow.extensions import db
from irflow.models import Agreement

from .fixtures.applications import upload
from .fixtures.factories import ApplicationFactory, UserFactory, application_in
from .fixtures.files import PDF
from .fixtures.selection import selection_url
from .fixtures.web import ClosingClient, client_for, form_of

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
JINJA_STATEMENT = re.compile(r"{%.*?%}|{#.*?#}", re.DOTALL)  # macro arguments are not HTML


def assert_security_headers(response, where, hsts=False):
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CSP, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, where
    if hsts:
        assert headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains", where
    else:
        assert "Strict-Transport-Security" not in headers, where


def assert_no_inline_code(page, where):
    assert not INLINE_HANDLER.search(page), where
    assert not STYLE_ATTRIBUTE.search(page), where
    assert "<style" not in page.lower(), where
    assert not INLINE_SCRIPT.search(page), where


@pytest.fixture
def rows(app):
    """Real rows for every kind of id the routes take."""
    application = application_in("nominated")
    document = application.documents[0]
    agreement = Agreement(
        partner=application.call.places[0].partner, title="Framework agreement", valid_from=date(2025, 1, 1)
    )
    db.session.add(agreement)
    db.session.commit()
    return {
        "call_id": application.call_id,
        "id": application.id,
        "document_id": document.id,
        "agreement_id": agreement.id,
        "year": application.call.academic_year.replace("/", "-"),
        "filename": "css/irflow.css",
        "application": application,
    }


def get_urls(app, rows):
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            values = {argument: rows.get(argument, 1) for argument in rule.arguments}
            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return urls


def test_every_get_route_sends_the_headers_anonymously_and_signed_in(app, rows):
    head_and_admin = UserFactory(roles=["head", "admin"])
    # The owner's own pages and downloads: test_pages_and_downloads_of_a_signed_in_user_are_not_stored.
    clients = {"anonymous": app.test_client(), "head and admin": client_for(app, head_and_admin)}
    urls = get_urls(app, rows)
    assert len(urls) > 20
    statuses = set()
    for who, client in clients.items():
        for endpoint, url in urls:
            response = client.get(url)
            where = f"{who} GET {url} → {response.status_code}"
            statuses.add(response.status_code)
            assert_security_headers(response, where)
            if endpoint == "static":
                assert "immutable" in response.headers["Cache-Control"], where
            else:
                assert "no-store" in response.headers.get("Cache-Control", ""), where
            if response.mimetype == "text/html":
                assert_no_inline_code(response.get_data(as_text=True), where)
            response.close()
    # Pages, redirects to the login page and refusals were all seen.
    assert {200, 302} <= statuses


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/calls/999999", "/static/no-such-file.css", "/static/css/irflow.css"]
)
def test_not_found_and_unversioned_static_files_carry_the_headers(client, path):
    response = client.get(path)
    assert_security_headers(response, path)


def test_a_refused_method_and_an_expired_form_carry_the_headers(client):
    response = client.post("/programs")
    assert response.status_code == 405
    assert_security_headers(response, "405")
    response = client.post("/locale", data={"locale": "ru"})
    assert response.status_code == 400
    assert_security_headers(response, "CSRF")
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_and_downloads_of_a_signed_in_user_are_not_stored(app):
    application = ApplicationFactory()
    owner = client_for(app, application.applicant)
    assert upload(owner, application.id, "cv", PDF, "cv.pdf").status_code == 302
    document = application.documents[-1]
    for path in (
        f"/applications/{application.id}",
        "/applications/",
        "/",
        f"/applications/{application.id}/documents/{document.id}",
    ):
        response = owner.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers["Cache-Control"], path
        assert_security_headers(response, path)
    assert response.data == PDF


def production_like_app(tmp_path, base=Config):
    class ProductionLike(base):
        SECRET_KEY = "a-production-like-secret"
        PUBLIC_URL = "https://irflow.example"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        STATIC_BUILD_FOLDER = str(tmp_path / "static")
        DEVELOPMENT = base is DevelopmentConfig
        TESTING = False
        MAIL_SERVER = None

    app = create_app(ProductionLike)
    app.test_client_class = ClosingClient

    @app.route("/fails")
    def fails():
        raise RuntimeError("a bug")

    return app


def test_production_sends_hsts_on_pages_redirects_errors_and_static_files(tmp_path):
    app = production_like_app(tmp_path)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    with app.test_request_context():
        static_url = url_for("static", filename="css/irflow.css")
    for path, status in (
        ("/", 200),
        ("/applications/", 302),
        ("/nowhere", 404),
        ("/fails", 500),
        (static_url, 200),
        ("/static/css/irflow.css", 200),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert_security_headers(response, path, hsts=True)


def test_development_sends_no_hsts(tmp_path):
    client = production_like_app(tmp_path, base=DevelopmentConfig).test_client()
    response = client.get("/static/css/irflow.css")
    assert response.status_code == 200
    assert_security_headers(response, "development", hsts=False)


def test_no_template_has_inline_script_handlers_or_styles():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        source = JINJA_STATEMENT.sub("", template.read_text(encoding="utf-8"))
        for pattern in (INLINE_HANDLER, STYLE_ATTRIBUTE, INLINE_SCRIPT, re.compile("<style", re.IGNORECASE)):
            offenders += [f"{template.relative_to(TEMPLATES)}: {match.group(0)}" for match in pattern.finditer(source)]
    assert offenders == []


def test_the_language_switch_submits_by_script_and_keeps_a_button_without_it(client):
    page = client.get("/").get_data(as_text=True)
    switch = re.search(r"<form[^>]*/locale.*?</form>", page, re.DOTALL).group(0)
    assert re.search(r'<select[^>]*id="locale-switch"[^>]*data-submit-on-change', switch)
    assert re.search(r"<noscript><button[^>]*type=\"submit\"", switch)
    script_url = re.search(r'<script src="(/static/js/irflow\.[0-9a-f]{12}\.js)"', page).group(1)
    script = client.get(script_url)
    assert script.status_code == 200
    source = script.get_data(as_text=True)
    assert "data-submit-on-change" in source and "requestSubmit" in source
    assert "data-print" in source and "window.print()" in source


def test_the_confirmed_protocol_prints_by_script(client, login_as, selection_head, selection):
    call, _people = selection
    login_as(selection_head)
    client.post(selection_url(call), data=form_of(client.get(selection_url(call))))
    response = client.get(selection_url(call, "/protocol"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_no_inline_code(page, "protocol")
    assert re.search(r'<button[^>]*type="button"[^>]*data-print[^>]*>', page)
    assert re.search(r'<link rel="stylesheet" href="/static/css/protocol\.[0-9a-f]{12}\.css">', page)
    assert re.search(r'<script src="/static/js/irflow\.[0-9a-f]{12}\.js"', page)
    protocol_css = client.get(re.search(r'href="(/static/css/protocol\.[^"]+)"', page).group(1))
    assert b"@media print" in protocol_css.data and b"@page" in protocol_css.data
    protocol_css.close()
