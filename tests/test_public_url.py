"""Links in mails are built on PUBLIC_URL, never on the Host header a request brings: a
forged Host must not turn a reset link into one that leads to someone else's server.
Outside development and testing irflow refuses to start without PUBLIC_URL."""

import re

import pytest
import sqlalchemy as sa

from irflow import ConfigurationError, create_app
from irflow.config import Config, DevelopmentConfig
from irflow.extensions import db
from irflow.models import Notification
from irflow.web.links import mailed_url

from .fixtures.auth import registration
from .fixtures.factories import FacultyFactory, UserFactory
from .fixtures.web import CSRF_INPUT, client_for, post

FORGED = "http://attacker.example"  # the Host header (and the cookies) of the forged requests


def post_forged(client, path, data):
    page = client.get(path, base_url=FORGED).get_data(as_text=True)
    data = data | {"csrf_token": CSRF_INPUT.search(page).group(1)}
    return client.post(path, data=data, base_url=FORGED)


def only_mail_to(email):
    db.session.expire_all()
    [mail] = db.session.scalars(sa.select(Notification).where(Notification.recipient_email == email)).all()
    return mail.body


def links_in(body):
    return re.findall(r"https?://\S+", body)


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://irflow.example.tj/mobility")
    return "https://irflow.example.tj/mobility"


def test_a_forged_host_does_not_reach_the_reset_link(client, public_url):
    UserFactory(email="dilnoza@example.org")

    response = post_forged(client, "/auth/forgot", {"email": "dilnoza@example.org"})

    assert response.status_code == 302
    body = only_mail_to("dilnoza@example.org")
    [link] = links_in(body)
    assert link.startswith(f"{public_url}/auth/reset/"), link
    assert "attacker" not in body
    # The link works where it points.
    assert client.get(link.removeprefix(public_url)).status_code == 200


def test_a_forged_host_does_not_reach_the_registration_mails(app, public_url):
    faculty = FacultyFactory()
    UserFactory(email="taken@example.org")
    client = app.test_client()

    for email in ("new@example.org", "taken@example.org"):
        data = registration(faculty, email=email, locale="en")
        assert post_forged(client, "/auth/register", data).status_code == 302

    [verify_link] = links_in(only_mail_to("new@example.org"))
    assert verify_link.startswith(f"{public_url}/auth/verify/"), verify_link
    assert links_in(only_mail_to("taken@example.org")) == [f"{public_url}/auth/login"]


def test_an_admin_sent_reset_link_is_on_the_public_url(app, public_url):
    admin = UserFactory(roles=["admin"])
    user = UserFactory(email="zarina@example.org")
    response = post(client_for(app, admin), f"/admin/users/{user.id}/password-reset")

    assert response.status_code == 302
    [link] = links_in(only_mail_to("zarina@example.org"))
    assert link.startswith(f"{public_url}/auth/reset/"), link


def test_without_public_url_a_request_uses_its_own_host_and_a_command_the_development_address(app):
    assert app.config.get("PUBLIC_URL") is None
    with app.test_request_context("/auth/forgot", base_url="http://irflow.test:8080/sub"):
        assert mailed_url("auth.login") == "http://irflow.test:8080/sub/auth/login"
    with app.app_context():
        assert mailed_url("auth.login") == "http://127.0.0.1:5000/auth/login"


def test_public_url_with_a_slash_and_a_mounted_app(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://irflow.example.tj/mobility/")
    # Behind a proxy mounting irflow at /mobility, url_for's path carries the mount point once.
    with app.test_request_context("/auth/forgot", base_url="http://10.0.0.5/mobility"):
        assert mailed_url("auth.verify_email", token="abc") == "https://irflow.example.tj/mobility/auth/verify/abc"
    with app.app_context():
        assert mailed_url("auth.login") == "https://irflow.example.tj/mobility/auth/login"


def production_like(tmp_path, **settings):
    class ProductionLike(Config):
        SECRET_KEY = "a-long-random-production-secret-0123456789"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        STATIC_BUILD_FOLDER = str(tmp_path / "static")
        DEVELOPMENT = False
        TESTING = False

    for name, value in settings.items():
        setattr(ProductionLike, name, value)
    return ProductionLike


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_production_refuses_to_start_without_public_url(tmp_path, missing):
    with pytest.raises(ConfigurationError, match="PUBLIC_URL is not set") as refused:
        create_app(production_like(tmp_path, PUBLIC_URL=missing))
    assert "https://" in str(refused.value)  # says what to put there


@pytest.mark.parametrize("wrong", ["irflow.example.tj", "ftp://irflow.example.tj", "https://", "https://x.tj/?a=b"])
def test_a_public_url_that_is_no_web_address_is_refused(tmp_path, wrong):
    with pytest.raises(ConfigurationError, match="PUBLIC_URL"):
        create_app(production_like(tmp_path, PUBLIC_URL=wrong))


def test_development_starts_without_public_url(tmp_path):
    class Development(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        UPLOAD_FOLDER = str(tmp_path / "uploads")
        STATIC_BUILD_FOLDER = str(tmp_path / "static")
        PUBLIC_URL = None

    assert create_app(Development).config["PUBLIC_URL"] is None


def test_production_starts_with_public_url(tmp_path):
    started = create_app(production_like(tmp_path, PUBLIC_URL="https://irflow.example.tj/"))
    assert started.config["PUBLIC_URL"] == "https://irflow.example.tj"
