"""The user's own account over HTTP: profile (and its faculty/category lock), password change,
where they are signed in, the download of their personal data, and the purge command."""

import io
import json
import os
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.account import operations, policy
from irflow.applications.operations import start_application
from irflow.errors import Refused
from irflow.extensions import db
from irflow.models import (
    Application,
    Call,
    Document,
    Notification,
    ParticipantData,
    SecurityEvent,
    StayChange,
    TransitionLog,
    User,
    UserSession,
)
from irflow.models.base import utcnow
from irflow.models.states import FINAL_STATES, STATES

from .fixtures.applications import stored_files
from .fixtures.auth import NEW_PASSWORD, field_errors, is_logged_in
from .fixtures.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
    application_in,
)
from .fixtures.web import client_for, post, text_of


def events_of(kind):
    return db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind)).all()


def profile_data(user, **changes):
    data = {
        "full_name_native": user.full_name_native,
        "full_name_latin": user.full_name_latin,
        "phone": user.phone or "",
        "category": user.category,
        "faculty_id": str(user.faculty_id),
        "locale": user.locale,
        "timezone": user.timezone,
    }
    data.update(changes)
    return data


# --- profile ---------------------------------------------------------------------------------


def test_profile_edits_are_saved_and_logged_by_field_name(app):
    user = UserFactory(phone=None)
    other_faculty = FacultyFactory(name="Faculty of Physics")
    browser = client_for(app, user)

    page = browser.get("/account/")
    assert page.status_code == 200
    assert 'type="tel"' in page.get_data(as_text=True) and 'autocomplete="tel"' in page.get_data(as_text=True)

    response = post(
        browser,
        "/account/",
        profile_data(
            user,
            full_name_native="Раҳимова Нилуфар",
            full_name_latin="RAHIMOVA NILUFAR",
            phone="+992 92 765 43 21",
            category="master",
            faculty_id=str(other_faculty.id),
            locale="ru",
            timezone="Europe/Berlin",
        ),
    )

    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    db.session.refresh(user)
    assert (
        user.full_name_native,
        user.full_name_latin,
        user.phone,
        user.category,
        user.faculty_id,
        user.locale,
        user.timezone,
    ) == (
        "Раҳимова Нилуфар",
        "RAHIMOVA NILUFAR",
        "+992 92 765 43 21",
        "master",
        other_faculty.id,
        "ru",
        "Europe/Berlin",
    )
    (event,) = events_of("profile_changed")
    assert (event.actor_id, event.user_id) == (user.id, user.id)
    assert sorted(event.details["fields"]) == sorted(
        ["full_name_native", "full_name_latin", "phone", "category", "faculty_id", "locale", "timezone"]
    )
    assert "RAHIMOVA" not in json.dumps(event.details)


def test_saving_an_unchanged_profile_logs_nothing(app):
    user = UserFactory()
    response = post(client_for(app, user), "/account/", profile_data(user))
    assert response.status_code == 302
    assert events_of("profile_changed") == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"full_name_latin": "Раҳимов"}, "full_name_latin"),
        ({"full_name_native": "  "}, "full_name_native"),
    ],
)
def test_a_profile_with_a_wrong_value_is_shown_again_and_nothing_saved(app, changes, field):
    user = UserFactory(timezone="Asia/Dushanbe")
    before = profile_data(user)
    response = post(client_for(app, user), "/account/", profile_data(user, phone="+992 1", **changes))
    assert response.status_code == 400
    assert field_errors(response, field)
    db.session.refresh(user)
    assert profile_data(user) == before


def test_the_profile_offers_the_default_time_zone_first(app):
    user = UserFactory()
    page = text_of(client_for(app, user).get("/account/"))
    assert '<option selected value="Asia/Dushanbe">' in page or 'value="Asia/Dushanbe" selected' in page


def test_a_draft_follows_a_change_of_faculty(app):
    draft = ApplicationFactory(state="draft")
    user = draft.applicant
    new_faculty = FacultyFactory()
    response = post(client_for(app, user), "/account/", profile_data(user, faculty_id=str(new_faculty.id)))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, draft.id).faculty_id == new_faculty.id


def test_faculty_and_category_are_locked_once_an_application_is_past_draft(app):
    application = application_in("submitted")
    user = application.applicant
    old_faculty_id = application.faculty_id
    new_faculty = FacultyFactory()
    browser = client_for(app, user)

    page = browser.get("/account/")
    text = text_of(page)
    assert "ask the office to change them" in text
    assert 'name="faculty_id"' not in text and 'name="category"' not in text

    response = post(
        browser, "/account/", profile_data(user, faculty_id=str(new_faculty.id), category="phd", phone="+992 5")
    )

    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.faculty_id, user.category, user.phone) == (old_faculty_id, "bachelor", "+992 5")
    assert db.session.get(Application, application.id).faculty_id == old_faculty_id


# Which application states keep their applicant's faculty and category: every one but draft.
PINS_TABLE = {
    "draft": False,
    "submitted": True,
    "changes_requested": True,
    "eligible": True,
    "ineligible": True,
    "tested": True,
    "absent": True,
    "selected": True,
    "waitlisted": True,
    "not_selected": True,
    "confirmed": True,
    "declined": True,
    "nominated": True,
    "host_accepted": True,
    "host_rejected": True,
    "abroad": True,
    "returned": True,
    "report_submitted": True,
    "completed": True,
    "withdrawn": True,
    "cancelled": True,
}


def test_the_lock_matrix_names_every_state():
    assert set(PINS_TABLE) == set(STATES)


@pytest.mark.parametrize("state", STATES)
def test_policy_matrix_faculty_and_category(app, state):
    application = ApplicationFactory(state=state)
    user = application.applicant
    assert policy.pins_faculty_and_category(state) is PINS_TABLE[state]
    assert policy.may_change_faculty_and_category(user) is (not PINS_TABLE[state])
    assert policy.may_change_faculty_and_category(UserFactory()) is True
    assert policy.may_change_faculty_and_category(None) is False


def test_account_pages_need_a_login(client):
    for path in ("/account/", "/account/password", "/account/sessions", "/account/data"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), path


# --- password --------------------------------------------------------------------------------


def test_a_password_change_ends_the_other_logins_and_keeps_this_one(app):
    user = UserFactory()
    here, elsewhere = client_for(app, user), client_for(app, user)
    assert is_logged_in(here) and is_logged_in(elsewhere)
    old_hash = user.password_hash

    response = post(
        here,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    db.session.refresh(user)
    assert user.password_hash != old_hash
    ended = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert sorted(str(record.end_reason) for record in ended) == ["None", "password_change"]
    (event,) = events_of("password_changed")
    assert (event.actor_id, event.user_id, event.details) == (user.id, user.id, {"other_sessions_ended": 1})
    # The new password logs in.
    fresh = app.test_client()
    fresh.post_form("/auth/login", {"email": user.email, "password": NEW_PASSWORD}, token_from="/auth/login")
    assert is_logged_in(fresh)


def test_a_wrong_current_password_is_refused_beside_its_field(app):
    user = UserFactory()
    here, elsewhere = client_for(app, user), client_for(app, user)
    old_hash = user.password_hash

    response = post(
        here,
        "/account/password",
        {"current_password": "not my password", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert field_errors(response, "current_password") == ["This is not your current password."]
    db.session.refresh(user)
    assert user.password_hash == old_hash
    assert is_logged_in(here) and is_logged_in(elsewhere)
    assert events_of("password_changed") == []


def test_wrong_current_passwords_are_braked_like_failed_logins(app):
    user = UserFactory()
    here = client_for(app, user)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    for _ in range(app.config["LOGIN_THROTTLE_FREE_ATTEMPTS"]):
        assert post(here, "/account/password", wrong).status_code == 400

    right = dict(wrong, current_password=PASSWORD)
    response = post(here, "/account/password", right)

    assert response.status_code == 429
    assert "Too many failed attempts" in field_errors(response, "current_password")[0]
    db.session.refresh(user)
    assert events_of("password_changed") == []


def test_a_new_password_must_follow_the_rules(app):
    user = UserFactory()
    response = post(
        client_for(app, user),
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "new_password_again": "short"},
    )
    assert response.status_code == 400
    assert field_errors(response, "new_password")


# --- sessions --------------------------------------------------------------------------------


def test_the_sessions_page_lists_the_live_logins_and_marks_this_one(app):
    user = UserFactory()
    here = client_for(app, user)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    elsewhere.post_form(
        "/auth/login",
        {"email": user.email, "password": PASSWORD},
        token_from="/auth/login",
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/140.0"},
    )
    someone_else = UserFactory()
    client_for(app, someone_else)
    ended = client_for(app, user)
    post(ended, "/auth/logout")

    page = text_of(here.get("/account/sessions"))

    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 2
    current = [row for row in rows if "data-current" in row]
    assert len(current) == 1 and "This browser" in current[0] and "127.0.0.1" in current[0]
    assert any("Firefox on Windows" in row and "203.0.113.77" in row for row in rows)
    assert "Sign out everywhere else" in page


def test_sign_out_everywhere_else(app):
    user = UserFactory()
    here, elsewhere, third = client_for(app, user), client_for(app, user), client_for(app, user)
    other_user = client_for(app, UserFactory())

    response = post(here, "/account/sessions/end-others")

    assert response.status_code == 302 and response.headers["Location"] == "/account/sessions"
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere) and not is_logged_in(third)
    assert is_logged_in(other_user)
    (event,) = events_of("sessions_ended")
    assert (event.actor_id, event.user_id, event.details) == (user.id, user.id, {"count": 2})
    page = text_of(here.get("/account/sessions"))
    assert "You are not signed in anywhere else." in page


# --- personal data ---------------------------------------------------------------------------


def download(browser):
    response = post(browser, "/account/data")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def add_participant_data(application):
    db.session.add(
        ParticipantData(
            application=application,
            birth_date=date(2002, 3, 4),
            gender="female",
            nationality="TJ",
            isced_code="0613",
            study_cycle="bachelor",
            fewer_opportunities=True,
            special_needs=False,
            previous_mobility_months=Decimal("2.5"),
        )
    )
    db.session.commit()


def test_the_download_holds_the_participant_data(app):
    confirmed = application_in("confirmed")
    add_participant_data(confirmed)
    exported = json.loads(download(client_for(app, confirmed.applicant)).read("data.json"))
    (application,) = [row for row in exported["applications"] if row["id"] == confirmed.id]
    data = application["participant_data"]
    assert (data["birth_date"], data["nationality"], data["isced_code"]) == ("2002-03-04", "TJ", "0613")
    assert (data["fewer_opportunities"], data["special_needs"]) == (True, False)


def add_stay_change(application):
    departure = application.actual_departure
    db.session.add(
        StayChange(
            application=application,
            kind="interruption",
            interruption_from=departure + timedelta(days=10),
            interruption_to=departure + timedelta(days=14),
            force_majeure=True,
            force_majeure_explanation="A flood at home.",
            reason="I had to go home.",
            state="approved",
            requested_by=application.applicant,
            decided_by=UserFactory(roles=["head"]),
            decided_at=utcnow(),
            comment="Get well.",
        )
    )
    db.session.commit()


def test_the_download_holds_the_changes_to_the_stay(app):
    abroad = application_in("abroad")
    add_stay_change(abroad)
    exported = json.loads(download(client_for(app, abroad.applicant)).read("data.json"))
    (application,) = [row for row in exported["applications"] if row["id"] == abroad.id]
    [stay_change] = application["stay_changes"]
    assert (stay_change["kind"], stay_change["state"], stay_change["force_majeure"]) == (
        "interruption",
        "approved",
        True,
    )
    assert (stay_change["reason"], stay_change["force_majeure_explanation"]) == (
        "I had to go home.",
        "A flood at home.",
    )
    assert stay_change["comment"] == "Get well." and stay_change["decided_by"] == "staff"


def test_the_download_holds_no_score_before_the_selection_is_confirmed(app):
    tested = application_in("tested")
    db.session.commit()
    response = post(client_for(app, tested.applicant), "/account/data", {})
    exported = json.loads(zipfile.ZipFile(io.BytesIO(response.get_data())).read("data.json"))
    (application,) = [row for row in exported["applications"] if row["id"] == tested.id]
    assert "scores" not in application and "total_score" not in application and "rank" not in application


def test_the_data_download_holds_the_users_rows_and_files_and_nobody_elses(app):
    mine = application_in("returned")
    mine.call.selection_confirmed_at = utcnow()  # the scores are the participant's to see from then on
    user = mine.applicant
    removed = mine.documents[0]
    removed.remove(user, utcnow())
    draft = ApplicationFactory(applicant=user)
    theirs = application_in("returned")
    db.session.add(
        Notification(
            recipient_id=user.id, recipient_email=user.email, application=mine, subject="Mine", body="For me only"
        )
    )
    db.session.add(
        Notification(
            recipient_id=theirs.applicant_id,
            recipient_email=theirs.applicant.email,
            application=theirs,
            subject="Theirs",
            body="Not for me",
        )
    )
    db.session.add(
        TransitionLog(application=mine, trigger="return_home", from_state="abroad", to_state="returned", actor=user)
    )
    db.session.commit()
    browser = client_for(app, user)

    archive = download(browser)

    data = json.loads(archive.read("data.json"))
    assert data["user"]["email"] == user.email and data["user"]["full_name_latin"] == user.full_name_latin
    assert sorted(application["id"] for application in data["applications"]) == sorted([mine.id, draft.id])
    exported = next(application for application in data["applications"] if application["id"] == mine.id)
    assert exported["state"] == "returned"
    assert [choice["rank"] for choice in exported["choices"]] == [1, 2]
    assert len(exported["scores"]) == 2
    assert exported["return_report"]["results"] == "30 ECTS passed."
    assert [row["to"] for row in exported["transitions"]] == ["returned"]
    assert exported["transitions"][0]["by"] == "you"
    assert {document["id"] for document in exported["documents"]} == {document.id for document in mine.documents}
    assert any(document["deleted_at"] for document in exported["documents"])
    assert [row["subject"] for row in data["notifications"]] == ["Mine"]
    assert len(data["sessions"]) == 1
    # Everything of theirs is absent, and no secret of mine is present.
    text = archive.read("data.json").decode()
    for absent in (theirs.applicant.email, theirs.applicant.full_name_latin, "Not for me", user.password_hash):
        assert absent not in text
    assert "token" not in text and "password" not in text

    files = {name for name in archive.namelist() if name.startswith("documents/")}
    assert len(files) == len(mine.documents)
    folder = app.config["UPLOAD_FOLDER"]
    for document in mine.documents:
        (name,) = [name for name in files if name.startswith(f"documents/application-{mine.id}/{document.id}-")]
        with open(os.path.join(folder, document.stored_name), "rb") as stored:
            assert archive.read(name) == stored.read()
    assert not any(f"application-{theirs.id}/" in name for name in archive.namelist())

    (event,) = events_of("personal_data_downloaded")
    assert (event.actor_id, event.user_id, event.details) == (user.id, user.id, {"files": len(mine.documents)})


OWN_ADDRESS, ADMIN_ADDRESS, STRANGER_ADDRESS = "203.0.113.5", "198.51.100.7", "192.0.2.9"


def test_the_download_holds_the_users_own_addresses_only_and_no_link_with_a_token(app):
    user = UserFactory(email_verified_at=None)
    admin = UserFactory(roles=["admin"], category="staff")
    db.session.commit()
    own = client_for(app, user)
    own.environ_base["REMOTE_ADDR"] = OWN_ADDRESS
    assert post(own, "/auth/verify/resend").status_code == 302  # a mail with a token, an event of the user's
    by_admin = client_for(app, admin)
    by_admin.environ_base["REMOTE_ADDR"] = ADMIN_ADDRESS
    assert post(by_admin, f"/admin/users/{user.id}/password-reset").status_code == 302
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = STRANGER_ADDRESS
    stranger.post_form("/auth/login", {"email": user.email, "password": "not it at all"}, token_from="/auth/login")
    mails = db.session.scalars(sa.select(Notification).where(Notification.recipient_id == user.id)).all()
    links = [re.search(r"https?://\S+/auth/(?:verify|reset)/\S+", mail.body).group(0) for mail in mails]
    assert len(links) == 2

    archive = download(own)

    text = archive.read("data.json").decode()
    data = json.loads(text)
    for secret in (ADMIN_ADDRESS, STRANGER_ADDRESS, admin.email, admin.full_name_latin, *links):
        assert secret not in text
    events = {event["kind"]: event for event in data["security_events"]}
    assert events["verification_link_sent"]["address"] == OWN_ADDRESS
    assert events["verification_link_sent"]["by"] == "you"
    assert events["password_reset_requested"] == {
        "kind": "password_reset_requested",
        "at": events["password_reset_requested"]["at"],
        "by": "admin",
    }
    assert set(events["login_failed"]) == {"kind", "at", "by"}
    # The mails: what, when and whether sent; their bodies without the links that act on the account.
    assert sorted(mail["subject"] for mail in data["notifications"]) == sorted(mail.subject for mail in mails)
    for mail in data["notifications"]:
        assert mail["state"] == "waiting" and mail["created_at"]
        assert "[link removed]" in mail["body"] and "Dear" in mail["body"]


def test_the_data_page_offers_the_download_and_a_get_changes_nothing(app):
    user = UserFactory()
    page = text_of(client_for(app, user).get("/account/data"))
    assert 'action="/account/data"' in page and "Download my data" in page
    assert events_of("personal_data_downloaded") == []


def test_the_menu_links_to_my_account(app):
    page = text_of(client_for(app, UserFactory()).get("/calls/"))
    assert 'href="/account/"' in page and "My account" in page


# --- purge -----------------------------------------------------------------------------------

YEARS_AGO_6 = timedelta(days=6 * 366)
YEAR_AGO = timedelta(days=365)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()  # read what the command committed
        return result

    return invoke


def ended_long_ago(application, when):
    db.session.add(
        TransitionLog(
            application=application,
            trigger="approve_report",
            from_state="report_submitted",
            to_state=application.state,
            created_at=when,
        )
    )
    db.session.commit()


@pytest.fixture
def people():
    """Who the purge takes (`gone_*`) and who it leaves alone (`kept_*`)."""
    old, recent = utcnow() - YEARS_AGO_6, utcnow() - YEAR_AGO

    def person(**kwargs):
        return UserFactory(created_at=old, last_login_at=old, **kwargs)

    gone_finished = person(phone="+992 1")
    finished = application_in("completed", applicant=gone_finished)
    ended_long_ago(finished, old)
    withdrawn = ApplicationFactory(state="withdrawn", applicant=gone_finished)
    ended_long_ago(withdrawn, old)
    gone_never_applied = person()

    kept_recently_ended = person()
    ended_long_ago(application_in("not_selected", applicant=kept_recently_ended), recent)
    kept_still_running = person()
    ended_long_ago(application_in("abroad", applicant=kept_still_running), old)
    kept_staff = person(roles=["examiner"])
    kept_recent_login = UserFactory(created_at=old, last_login_at=recent)
    kept_ended_but_logs_in = UserFactory(created_at=old, last_login_at=recent)
    ended_long_ago(application_in("completed", applicant=kept_ended_but_logs_in), old)
    kept_new = UserFactory()
    kept_done_before = person(anonymised_at=recent)
    return {name: value for name, value in locals().items() if name.startswith(("gone_", "kept_"))} | {
        "finished": finished
    }


def account_snapshot():
    return [
        (user.id, user.email, user.full_name_native, user.phone, user.active, user.anonymised_at)
        for user in db.session.scalars(sa.select(User).order_by(User.id))
    ]


def test_a_dry_run_lists_the_accounts_and_changes_nothing(app, cli, people):
    before = account_snapshot()
    documents_before = db.session.scalar(sa.select(sa.func.count(Document.id)))
    files_before = stored_files(app)

    result = cli("purge-personal-data", "--older-than", "5", "--dry-run")

    assert result.exit_code == 0, result.output
    for name, user in people.items():
        if name.startswith("gone_"):
            assert f"would anonymise user {user.id} <{user.email}>" in result.output
        elif name.startswith("kept_"):
            assert f"user {user.id} " not in result.output
    assert "2 account(s) would be anonymised" in result.output
    assert account_snapshot() == before
    assert db.session.scalar(sa.select(sa.func.count(Document.id))) == documents_before
    assert stored_files(app) == files_before
    assert events_of("personal_data_purged") == []


def test_the_purge_anonymises_exactly_the_expected_accounts(app, cli, people):
    finished = people["finished"]
    their_files = {document.stored_name for document in finished.documents}
    other_files = stored_files(app) - their_files
    assert their_files
    kept = {name: (user.email, user.full_name_native) for name, user in people.items() if name.startswith("kept_")}
    login = client_for(app, people["gone_finished"])
    add_participant_data(finished)
    add_stay_change(finished)

    result = cli("purge-personal-data", "--older-than", "5")

    assert result.exit_code == 0, result.output
    assert "2 account(s) anonymised." in result.output
    for name in ("gone_finished", "gone_never_applied"):
        user = db.session.get(User, people[name].id)
        assert (user.full_name_native, user.full_name_latin, user.email, user.phone, user.active) == (
            "Removed",
            "Removed",
            f"removed-{user.id}@invalid",
            None,
            False,
        )
        assert user.anonymised_at is not None
        assert db.session.scalar(sa.select(UserSession.id).where(UserSession.user_id == user.id)) is None
    for name, (email, full_name) in kept.items():
        user = db.session.get(User, people[name].id)
        assert (user.email, user.full_name_native) == (email, full_name), name
    # The statistics keep the applications, their states and calls; the documents and files are gone.
    application = db.session.get(Application, finished.id)
    assert (application.state, application.call_id, application.motivation) == ("completed", finished.call_id, None)
    assert application.report.credits_recognised == 30 and application.report.results is None
    assert db.session.scalar(sa.select(Document.id).where(Document.application_id == finished.id)) is None
    assert application.participant_data is None
    stay_change = db.session.scalar(sa.select(StayChange).where(StayChange.application_id == finished.id))
    assert (stay_change.kind, stay_change.state, stay_change.interruption_days) == ("interruption", "approved", 5)
    assert (stay_change.reason, stay_change.force_majeure_explanation, stay_change.comment) == ("", None, None)
    assert stored_files(app) & their_files == set()
    assert other_files <= stored_files(app)
    # The old password opens nothing, and the login that was kept open has ended.
    assert not is_logged_in(login)
    purged = people["gone_finished"]
    fresh = app.test_client()
    response = fresh.post_form(
        "/auth/login", {"email": f"removed-{purged.id}@invalid", "password": PASSWORD}, token_from="/auth/login"
    )
    assert response.status_code == 401
    events = events_of("personal_data_purged")
    assert sorted(event.user_id for event in events) == sorted(
        [people["gone_finished"].id, people["gone_never_applied"].id]
    )
    assert all(event.actor_id is None for event in events)

    again = cli("purge-personal-data", "--older-than", "5")
    assert again.exit_code == 0 and "No account to anonymise." in again.output
    assert len(events_of("personal_data_purged")) == 2


def test_an_applicant_who_starts_an_application_after_the_decision_is_skipped(app, cli, people, monkeypatch):
    applicant = people["gone_never_applied"]
    email = applicant.email
    call = CallFactory()
    db.session.commit()
    browser = client_for(app, applicant)
    browser.irflow_csrf_token = browser.csrf_token()
    decide = operations.purge_candidates

    def decide_then_apply(years):
        candidates = decide(years)
        assert post(browser, f"/applications/new/{call.id}").status_code == 302
        return candidates

    monkeypatch.setattr(operations, "purge_candidates", decide_then_apply)
    result = cli("purge-personal-data", "--older-than", "5")

    assert result.exit_code == 0, result.output
    assert f"skipped user {applicant.id} <{email}>: no longer to be anonymised" in result.output
    assert "1 account(s) anonymised, 1 skipped." in result.output
    user = db.session.get(User, applicant.id)
    assert (user.email, user.anonymised_at, user.active) == (email, None, True)
    assert db.session.scalar(sa.select(Application.state).where(Application.applicant_id == user.id)) == "draft"
    assert db.session.get(User, people["gone_finished"].id).anonymised_at is not None
    assert [event.user_id for event in events_of("personal_data_purged")] == [people["gone_finished"].id]


def test_an_account_anonymised_meanwhile_starts_no_application(app):
    applicant = UserFactory()
    call = CallFactory()
    db.session.commit()
    with app.test_request_context():
        starting = db.session.get(User, applicant.id)
        # What the purge commits while the start request waits for the account's row.
        with app.app_context():
            db.session.execute(sa.update(User).where(User.id == applicant.id).values(active=False))
            db.session.commit()
        with pytest.raises(Refused, match="This account has been deactivated"):
            start_application(db.session.get(Call, call.id), starting)
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_final_states_are_what_the_purge_waits_for():
    assert "completed" in FINAL_STATES and "abroad" not in FINAL_STATES


def test_a_user_without_a_language_is_offered_the_one_the_pages_are_in(client, login_as):
    user = UserFactory(locale=None)
    login_as(user)
    page = client.get("/account/", headers={"Accept-Language": "tg"}).get_data(as_text=True)
    assert re.search(r'<option selected value="tg">|<option value="tg" selected>', page), "Tajik not preselected"
