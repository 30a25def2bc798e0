"""The security event log: append-only, written in the caller's transaction, no secrets."""

import pytest
import sqlalchemy as sa

from irflow import events
from irflow.extensions import db
from irflow.models import SecurityEvent
from irflow.models.security_event import AppendOnly

from .fixtures.factories import UserFactory


def test_an_event_is_kept_with_the_transaction_that_records_it(app):
    user = UserFactory()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        events.record("roles_changed", actor=user, user=user, details={"roles": ["head"]})
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(SecurityEvent.id))) == 0
        events.record("roles_changed", actor=user, user=user, details={"roles": ["head"]})
        db.session.commit()
    event = db.session.scalar(sa.select(SecurityEvent))
    assert (event.kind, event.actor_id, event.user_id, event.address, event.details) == (
        "roles_changed",
        user.id,
        user.id,
        "203.0.113.9",
        {"roles": ["head"]},
    )


def test_an_event_is_never_changed_or_deleted(app):
    event = events.record("logout", user=UserFactory())
    db.session.commit()
    event.kind = "login"
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(SecurityEvent, event.id))
    with pytest.raises(AppendOnly):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_to_change_an_event_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    event = events.record("logout", user=UserFactory())
    db.session.commit()
    for statement in (
        sa.update(SecurityEvent).where(SecurityEvent.id == event.id).values(kind="login"),
        sa.delete(SecurityEvent).where(SecurityEvent.id == event.id),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()


@pytest.mark.parametrize("key", ["password", "reset_token", "totp_code", "secret", "password_hash"])
def test_details_that_may_hold_a_secret_are_refused(app, key):
    with pytest.raises(ValueError):
        events.record("login", details={key: "x"})


def test_an_unknown_kind_is_refused(app):
    with pytest.raises(ValueError):
        events.record("made_up")


def test_each_event_is_one_structured_log_line(app, caplog):
    caplog.set_level("INFO", logger="irflow.security")
    events.record("export", actor=UserFactory(), details={"list": "selected", "rows": 12})
    (line,) = [record.getMessage() for record in caplog.records if record.name == "irflow.security"]
    assert line.startswith("security_event {") and '"rows": 12' in line and '"kind": "export"' in line
