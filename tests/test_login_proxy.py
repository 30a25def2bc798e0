"""Client addresses behind proxies: X-Forwarded-For counts only through TRUSTED_PROXIES hops."""

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import LoginAttempt, UserSession

from .fixtures.factories import PASSWORD, UserFactory

PROXY, ATTACKER, OWNER = "10.0.0.1", "198.51.100.7", "203.0.113.20"


@pytest.fixture
def proxied_app(app, create_own_app):
    """The suite's app behind one trusted proxy (same database)."""
    proxied = create_own_app({**app.config, "TRUSTED_PROXIES": 1})
    proxied.test_client_class = type(app.test_client())
    return proxied


def login(client, password, forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = client.csrf_token("/auth/login")
    return client.post(
        "/auth/login", headers=headers, data={"csrf_token": token, "email": "teacher@example.org", "password": password}
    )


def browser(app, address=PROXY):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def addresses_counted():
    return set(db.session.scalars(sa.select(LoginAttempt.address)))


def test_without_trusted_proxies_the_header_is_ignored(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    UserFactory(email="teacher@example.org")
    attacker = browser(app, ATTACKER)
    for number in range(app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]):
        # A new made-up address on every try gains the attacker nothing.
        assert login(attacker, "guess guess guess", forwarded_for=f"192.0.2.{number}").status_code == 401

    assert addresses_counted() == {ATTACKER}
    assert login(attacker, PASSWORD, forwarded_for="192.0.2.200").status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(proxied_app):
    owner_record = UserFactory(email="teacher@example.org")
    attacker = browser(proxied_app)
    for _ in range(proxied_app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"] + 2):
        login(attacker, "guess guess guess", forwarded_for=ATTACKER)
    assert addresses_counted() == {ATTACKER}
    assert login(attacker, PASSWORD, forwarded_for=ATTACKER).status_code == 429

    # The owner comes through the same proxy: the attacker's failures do not refuse them.
    owner = browser(proxied_app)
    assert login(owner, PASSWORD, forwarded_for=OWNER).status_code == 302
    (record,) = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == owner_record.id))
    assert record.address == OWNER


def test_only_the_trusted_hop_of_the_header_is_believed(proxied_app):
    UserFactory(email="teacher@example.org")
    attacker = browser(proxied_app)
    for number in range(proxied_app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]):
        # The client writes its own entries in front; the proxy appends the real address.
        login(attacker, "guess guess guess", forwarded_for=f"192.0.2.{number}, {ATTACKER}")

    assert addresses_counted() == {ATTACKER}
    assert login(attacker, PASSWORD, forwarded_for=f"192.0.2.99, {ATTACKER}").status_code == 429
