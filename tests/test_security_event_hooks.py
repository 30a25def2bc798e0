"""The security event log as the actions write it, through HTTP: each action writes its event
once, with who acted, whose account and the facts, and never a secret; failed logins keep
their events although the request is refused; the administrators' page /admin/events."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, SecurityEvent
from irflow.models.base import utcnow

from .fixtures.auth import is_logged_in, login
from .fixtures.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
    add_document,
    one_commit,
)
from .fixtures.querycount import counting_statements
from .fixtures.selection import selection_url
from .fixtures.web import client_for, form_of, post

WRONG_PASSWORD = "guessing-Zarafshon-1991"


@pytest.fixture(autouse=True)
def _security_log(caplog):
    caplog.set_level("INFO", logger="irflow.security")


def events_of(kind=None):
    db.session.expire_all()
    query = sa.select(SecurityEvent).order_by(SecurityEvent.id)
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind)
    return db.session.scalars(query).all()


def the_event(kind):
    """The one event of `kind` (and fails if there is none or more than one)."""
    found = events_of(kind)
    assert len(found) == 1, [(event.kind, event.details) for event in events_of()]
    return found[0]


def as_text(event):
    return repr(
        (event.kind, event.actor_id, event.user_id, event.email_digest, event.address, event.details, event.created_at)
    )


def log_lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name == "irflow.security"]


def assert_no_secret(caplog, *secrets):
    for event in events_of():
        for secret in secrets:
            assert secret not in as_text(event), (secret, event.kind)
    for line in log_lines(caplog):
        for secret in secrets:
            assert secret not in line, secret


# --- logins -------------------------------------------------------------------------------


def test_a_login_writes_one_login_event(client, caplog):
    user = UserFactory(email="dilnoza@example.org")

    response = login(client, "dilnoza@example.org", PASSWORD)

    assert response.status_code == 302
    event = the_event("login")
    assert (event.actor_id, event.user_id, event.email_digest, event.address) == (user.id, user.id, None, "127.0.0.1")
    assert len(events_of()) == 1
    assert_no_secret(caplog, PASSWORD)
    assert any('"kind": "login"' in line for line in log_lines(caplog))


def test_a_wrong_password_writes_a_failed_login_of_the_account_that_survives_the_refusal(client, caplog):
    user = UserFactory(email="dilnoza@example.org")

    response = login(client, "dilnoza@example.org", WRONG_PASSWORD)

    assert response.status_code == 401
    event = the_event("login_failed")
    assert (event.actor_id, event.user_id, event.email_digest) == (None, user.id, None)
    assert event.details == {"reason": "wrong_password"}
    assert len(events_of()) == 1
    assert_no_secret(caplog, WRONG_PASSWORD)


def columns_of(event):
    return {column.key: getattr(event, column.key) for column in SecurityEvent.__mapper__.column_attrs}


def test_an_unknown_email_writes_a_failed_login_without_the_typed_email(app, client, caplog):
    # The log is append-only and outlives any purge of personal data: a typed address of no
    # account is kept only as a keyed digest, enough to group the tries on one address.
    response = login(client, "nobody@example.org", WRONG_PASSWORD)
    assert login(client, "nobody@example.org", WRONG_PASSWORD + "2").status_code == 401
    assert login(client, "somebody@example.org", WRONG_PASSWORD).status_code == 401

    assert response.status_code == 401
    first, again, other = events_of("login_failed")
    assert (first.actor_id, first.user_id, first.details) == (None, None, {"reason": "unknown_email"})
    for event in (first, again, other):
        written = repr(columns_of(event)).lower()
        assert "nobody" not in written and "somebody" not in written and "example.org" not in written
    assert not any("example.org" in line for line in log_lines(caplog))
    assert re.fullmatch(r"[0-9a-f]{16}", first.email_digest)
    assert first.email_digest == again.email_digest != other.email_digest
    assert_no_secret(caplog, WRONG_PASSWORD)


def test_a_reset_asked_for_an_unknown_email_keeps_no_typed_email(client, caplog):
    client.post_form("/auth/forgot", {"email": "nobody@example.org"}, token_from="/auth/forgot")
    event = the_event("password_reset_requested")
    assert event.user_id is None and re.fullmatch(r"[0-9a-f]{16}", event.email_digest)
    assert "nobody" not in repr(columns_of(event))
    assert not any("nobody" in line for line in log_lines(caplog))


def test_the_digest_depends_on_the_secret_key(app, monkeypatch):
    from irflow.events import email_digest

    first = email_digest("nobody@example.org")
    assert email_digest("  Nobody@Example.ORG ") == first
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    assert email_digest("nobody@example.org") != first


def test_the_right_password_of_a_deactivated_account_is_a_failed_login(client, caplog):
    user = UserFactory(email="former@example.org", active=False)

    response = login(client, "former@example.org", PASSWORD)

    assert response.status_code == 403
    event = the_event("login_failed")
    assert (event.user_id, event.details) == (user.id, {"reason": "deactivated"})
    assert events_of("login") == []
    assert_no_secret(caplog, PASSWORD)


def test_a_try_refused_by_the_brake_writes_a_throttled_login(app, client, caplog):
    user = UserFactory(email="dilnoza@example.org")
    for _ in range(app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]):
        assert login(client, "dilnoza@example.org", WRONG_PASSWORD).status_code == 401

    response = login(client, "dilnoza@example.org", PASSWORD)

    assert response.status_code == 429
    event = the_event("login_throttled")
    assert (event.actor_id, event.user_id, event.email_digest, event.details) == (None, user.id, None, {})
    assert len(events_of("login_failed")) == app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]
    assert events_of("login") == []
    assert_no_secret(caplog, PASSWORD, WRONG_PASSWORD)


def test_a_logout_writes_one_logout_event(client, caplog):
    user = UserFactory(email="dilnoza@example.org")
    login(client, "dilnoza@example.org", PASSWORD)

    response = post(client, "/auth/logout")

    assert response.status_code == 302 and not is_logged_in(client)
    event = the_event("logout")
    assert (event.actor_id, event.user_id) == (user.id, user.id)


# --- administration -----------------------------------------------------------------------


@pytest.fixture
def admin(app):
    user = UserFactory(roles=["admin"], email="admin@example.org")
    return user, client_for(app, user)


def test_a_role_change_writes_the_roles_before_and_after(admin, caplog):
    actor, client = admin
    target = UserFactory(roles=["examiner"])

    response = post(client, f"/admin/users/{target.id}", {"roles": ["coordinator", "examiner"]})

    assert response.status_code == 302
    event = the_event("roles_changed")
    assert (event.actor_id, event.user_id) == (actor.id, target.id)
    assert event.details == {"before": ["examiner"], "after": ["coordinator", "examiner"]}
    assert events_of("faculties_changed") == []
    # Saving the same again changes nothing and logs nothing.
    post(client, f"/admin/users/{target.id}", {"roles": ["coordinator", "examiner"]})
    assert len(events_of("roles_changed")) == 1


def test_a_faculty_change_writes_the_faculties_before_and_after(admin):
    actor, client = admin
    kept, added, dropped = FacultyFactory(), FacultyFactory(), FacultyFactory()
    target = UserFactory(coordinates=[kept, dropped])

    response = post(
        client, f"/admin/users/{target.id}", {"roles": ["coordinator"], "coordinated_faculties": [kept.id, added.id]}
    )

    assert response.status_code == 302
    event = the_event("faculties_changed")
    assert (event.actor_id, event.user_id) == (actor.id, target.id)
    assert event.details == {"before": sorted([kept.id, dropped.id]), "after": sorted([kept.id, added.id])}
    assert events_of("roles_changed") == []


def test_a_refused_role_change_writes_nothing(admin):
    actor, client = admin

    response = post(client, f"/admin/users/{actor.id}", {"roles": ["head"]})

    assert response.status_code == 400
    assert events_of() == []


def test_deactivation_and_reactivation_write_one_event_each(admin):
    actor, client = admin
    target = UserFactory()

    assert post(client, f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 302
    event = the_event("account_deactivated")
    assert (event.actor_id, event.user_id) == (actor.id, target.id)
    assert post(client, f"/admin/users/{target.id}/active", {"active": "1"}).status_code == 302
    event = the_event("account_reactivated")
    assert (event.actor_id, event.user_id) == (actor.id, target.id)
    assert len(events_of()) == 2


# --- exports, selection, documents ----------------------------------------------------------


@pytest.fixture
def exported_call():
    """A call of 2026/2027 with three selected participants (one of them confirmed) and a draft."""
    with one_commit():
        call = CallFactory(academic_year="2026/2027", places=[3])
        for state in ("selected", "selected", "confirmed", "draft"):
            ApplicationFactory(
                call=call,
                state=state,
                hosts=[call.places[0]],
                allocated_place=call.places[0] if state != "draft" else None,
            )
    return call


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_of_a_call_writes_who_which_list_the_format_and_the_rows(app, exported_call, file_format):
    head = UserFactory(roles=["head"])

    response = client_for(app, head).get(f"/calls/{exported_call.id}/export/selected.{file_format}")

    assert response.status_code == 200
    event = the_event("export")
    assert (event.actor_id, event.user_id) == (head.id, None)
    assert event.details == {
        "list": "selected_participants",
        "call": exported_call.id,
        "format": file_format,
        "rows": 3,
    }


def test_an_export_of_a_year_writes_the_year_and_the_coordinators_rows(app, exported_call):
    faculty = (
        db.session.scalars(
            sa.select(Application).where(Application.call_id == exported_call.id, Application.state == "selected")
        )
        .first()
        .faculty
    )
    coordinator = UserFactory(coordinates=[faculty])

    response = client_for(app, coordinator).get("/exports/2026-2027/selected.csv")

    assert response.status_code == 200
    event = the_event("export")
    assert event.actor_id == coordinator.id
    assert event.details == {"list": "selected_participants", "academic_year": "2026/2027", "format": "csv", "rows": 1}


def test_a_refused_export_writes_nothing(app, exported_call):
    response = client_for(app, UserFactory(roles=["examiner"])).get(f"/calls/{exported_call.id}/export/selected.csv")

    assert response.status_code == 403
    assert events_of() == []


def test_a_selection_confirmation_writes_the_call_and_the_counts(client, login_as, selection_head, selection):
    call, _people = selection
    login_as(selection_head)
    form = form_of(client.get(selection_url(call)))

    assert client.post(selection_url(call), data=form).status_code == 302

    event = the_event("selection_confirmed")
    assert (event.actor_id, event.user_id) == (selection_head.id, None)
    assert event.details == {"call": call.id, "select": 3, "waitlist": 1, "not_select": 1}
    # A second confirmation is refused and writes nothing.
    assert client.post(selection_url(call), data=form).status_code == 409
    assert len(events_of("selection_confirmed")) == 1


def test_a_document_removal_writes_the_application_document_and_kind_not_its_name(app, caplog):
    application = ApplicationFactory(call=CallFactory(required_document_kinds=["cv"]))
    document = add_document(application, "cv")
    owner = client_for(app, application.applicant)

    response = post(owner, f"/applications/{application.id}/documents/{document.id}/delete")

    assert response.status_code == 302
    event = the_event("document_deleted")
    assert (event.actor_id, event.user_id) == (application.applicant_id, application.applicant_id)
    assert event.details == {"application": application.id, "document": document.id, "kind": "cv"}
    assert_no_secret(caplog, document.original_name, document.stored_name)


# --- the administrators' page -------------------------------------------------------------


def listed_rows(response):
    assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [unescape(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def digest(email):
    from irflow.events import email_digest

    return email_digest(email)


def add_event(kind="login", at=None, **fields):
    event = SecurityEvent(kind=kind, created_at=at or utcnow(), details=fields.pop("details", {}), **fields)
    db.session.add(event)
    return event


def test_only_administrators_open_the_event_log(app, client):
    assert client.get("/admin/events").status_code == 302  # to the login page
    for roles in ([], ["examiner"], ["coordinator"], ["head"], ["coordinator", "examiner", "head"]):
        response = client_for(app, UserFactory(roles=roles)).get("/admin/events")
        assert response.status_code == 403, roles
    admin = UserFactory(roles=["admin"])
    page = client_for(app, admin).get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/events"' in page
    assert client_for(app, admin).get("/admin/events").status_code == 200


def test_the_page_shows_each_events_time_kind_people_address_and_details(app):
    admin = UserFactory(roles=["admin"], full_name_latin="ADMIN PERSON")
    target = UserFactory(email="target@example.org", full_name_latin="TARGET PERSON")
    # 21:00 UTC is 02:00 the next day in Dushanbe, the users' time zone.
    at = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)
    with one_commit():
        add_event(
            "roles_changed",
            at=at,
            actor_id=admin.id,
            user_id=target.id,
            address="203.0.113.7",
            details={"before": ["examiner"], "after": ["examiner", "head"]},
        )
        add_event(
            "login_failed", at=at - timedelta(hours=1), email_digest=digest("nobody@example.org"), address="203.0.113.8"
        )

    newest, older = listed_rows(client_for(app, admin).get("/admin/events"))

    for text in ("Roles changed", "ADMIN PERSON", "TARGET PERSON", "target@example.org", "203.0.113.7"):
        assert text in newest
    assert "Mar 11, 2026" in newest and "2:00" in newest
    assert "before: examiner" in newest and "after: examiner, head" in newest
    assert "Failed login" in older and digest("nobody@example.org") in older and "203.0.113.8" in older
    assert "nobody@example.org" not in older


def test_the_filters_narrow_by_user_kind_and_dates_in_the_users_time_zone(app):
    admin = UserFactory(roles=["admin"], email="admin@example.org")
    dilnoza = UserFactory(email="dilnoza@example.org")
    other = UserFactory(email="other@example.org")
    with one_commit():
        add_event("login", at=datetime(2026, 3, 10, 21, 0, tzinfo=UTC), actor_id=dilnoza.id, user_id=dilnoza.id)
        add_event("logout", at=datetime(2026, 3, 12, 8, 0, tzinfo=UTC), actor_id=dilnoza.id, user_id=dilnoza.id)
        add_event("roles_changed", at=datetime(2026, 3, 12, 9, 0, tzinfo=UTC), actor_id=admin.id, user_id=other.id)
        add_event(
            "login_failed", at=datetime(2026, 3, 12, 10, 0, tzinfo=UTC), email_digest=digest("dilnoza.typo@example.org")
        )
    client = client_for(app, admin)

    def kinds(**filters):
        rows = listed_rows(client.get("/admin/events", query_string=filters))
        return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1].strip() for row in rows]

    assert kinds() == ["Failed login", "Roles changed", "Logout", "Login"]
    assert kinds(user="DILNOZA") == ["Logout", "Login"]
    # A typed address of no account is found by its whole address (its digest), or the digest itself.
    assert kinds(user=" Dilnoza.Typo@example.org ") == ["Failed login"]
    assert kinds(user=digest("dilnoza.typo@example.org")) == ["Failed login"]
    assert kinds(user="dilnoza@example.org") == ["Logout", "Login"]
    assert kinds(user="admin@") == ["Roles changed"]  # the one who acted
    assert kinds(user="other@example.org") == ["Roles changed"]
    assert kinds(kind="logout") == ["Logout"]
    # 2026-03-10 21:00 UTC is already 11 March in Dushanbe.
    assert kinds(date_from="2026-03-11", date_to="2026-03-11") == ["Login"]
    assert kinds(date_to="2026-03-10") == []
    assert kinds(date_from="2026-03-12", kind="login") == []


def test_invalid_filter_values_are_ignored_with_a_note(app):
    admin = UserFactory(roles=["admin"])
    with one_commit():
        add_event("login", user_id=admin.id)

    response = client_for(app, admin).get(
        "/admin/events", query_string={"kind": "made_up", "date_from": "yesterday"}, follow_redirects=True
    )

    assert len(listed_rows(response)) == 1
    text = unescape(response.get_data(as_text=True))
    assert "were ignored" in text and "Event" in text and "From" in text


@pytest.mark.parametrize(("name", "day"), [("date_from", "0001-01-01"), ("date_to", "9999-12-31")])
def test_dates_at_the_ends_of_the_calendar_are_ignored_not_a_500(app, name, day):
    admin = UserFactory(roles=["admin"])
    with one_commit():
        add_event("login", user_id=admin.id)
    response = client_for(app, admin).get("/admin/events", query_string={name: day})
    assert response.status_code == 200
    assert len(listed_rows(response)) == 1 and "were ignored" in unescape(response.get_data(as_text=True))


def test_the_page_shows_fifty_events_a_page_newest_first(app):
    admin = UserFactory(roles=["admin"])
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with one_commit():
        for number in range(60):
            add_event("export", at=start + timedelta(minutes=number), actor_id=admin.id, details={"rows": number})
    client = client_for(app, admin)

    first = listed_rows(client.get("/admin/events", query_string={"kind": "export"}))
    second_page = client.get("/admin/events", query_string={"kind": "export", "page": 2})
    second = listed_rows(second_page)

    assert len(first) == 50 and len(second) == 10
    assert "rows: 59" in first[0] and "rows: 10" in first[-1]
    assert "rows: 9" in second[0] and "rows: 0" in second[-1]
    # The pager keeps the filters.
    assert "kind=export" in second_page.get_data(as_text=True).split('rel="prev"', 1)[1][:200]
    # A page past the end, or no number at all, is an empty page or the first, never a 404.
    assert listed_rows(client.get("/admin/events", query_string={"page": 99})) == []
    assert len(listed_rows(client.get("/admin/events", query_string={"page": "x"}))) == 50


def test_the_page_runs_a_constant_number_of_statements(app):
    admin = UserFactory(roles=["admin"])
    client = client_for(app, admin)

    def build(count):
        with one_commit():
            for _ in range(count):
                actor, user = UserFactory(roles=["head"]), UserFactory(coordinates=[FacultyFactory()])
                add_event("roles_changed", actor_id=actor.id, user_id=user.id, details={"after": ["head"]})
                add_event("login_failed", email_digest=digest("someone@example.org"))

    def statements():
        client.get("/admin/events")  # warm up
        with counting_statements() as executed:
            assert client.get("/admin/events").status_code == 200
        return len(executed)

    build(1)
    few = statements()
    build(8)
    assert statements() == few


def test_the_department_menu_offers_the_event_log_to_administrators_only(app):
    admin_page = client_for(app, UserFactory(roles=["admin"])).get("/admin/users").get_data(as_text=True)
    head_page = client_for(app, UserFactory(roles=["head"])).get("/calls/").get_data(as_text=True)

    assert admin_page.count('href="/admin/events"') >= 2  # the menu and the users page
    assert 'href="/admin/events"' not in head_page
