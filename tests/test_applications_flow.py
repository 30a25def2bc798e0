"""The applicant's way through irflow, and the coordinator's screening, over HTTP."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from irflow.extensions import db
from irflow.models import Application, Notification, TransitionLog, User
from irflow.models.base import utcnow

from .fixtures.applications import edit_data, fire, upload
from .fixtures.auth import login
from .fixtures.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    UserFactory,
    add_document,
    application_in,
    log_rows,
    stored_state,
)
from .fixtures.files import PDF, PNG
from .fixtures.web import client_for, field_error, follow, forget_csrf_token, post, text_of


def register(client, faculty, email="dilnoza@example.org", category="bachelor"):
    response = client.post(
        "/auth/register",
        data={
            "csrf_token": client.csrf_token("/auth/register"),
            "email": email,
            "full_name_native": "Раҳимова Дилноза",
            "full_name_latin": "RAHIMOVA DILNOZA",
            "category": category,
            "faculty_id": str(faculty.id),
            "phone": "",
            "locale": "en",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "privacy_consent": "y",
        },
    )
    assert response.status_code == 302, text_of(response)
    assert login(client, email, PASSWORD).status_code == 302  # registering logs nobody in
    forget_csrf_token(client)
    user = db.session.scalar(db.select(User).where(User.email == email))
    # The flow starts after the address is confirmed (tests/test_email_verification.py follows the link).
    user.email_verified_at = utcnow()
    db.session.commit()
    return user


def test_register_apply_request_changes_resubmit_and_approve(app, client):
    faculty = FacultyFactory()
    call = CallFactory(required_document_kinds=["cv", "passport"])
    coordinator = UserFactory(coordinates=[faculty])
    applicant = register(client, faculty)

    response = post(client, f"/applications/new/{call.id}")
    application = db.session.scalar(db.select(Application).where(Application.applicant_id == applicant.id))
    assert application is not None and application.state == "draft"
    assert application.faculty_id == faculty.id
    assert response.headers["Location"].endswith(f"/applications/{application.id}/edit")
    detail_url = f"/applications/{application.id}"

    form_page = text_of(client.get(f"{detail_url}/edit"))
    assert f'name="version" type="hidden" value="{application.version}"' in form_page
    assert call.places[0].partner.name in form_page
    response = post(client, f"{detail_url}/edit", edit_data(application))
    assert response.status_code == 302 and response.headers["Location"].endswith(detail_url)
    application = db.session.get(Application, application.id)
    assert application.state == "draft"
    assert application.average_grade == Decimal("4.25")
    assert [choice.call_place_id for choice in application.choices] == [call.places[0].id, call.places[1].id]

    page = text_of(client.get(detail_url))
    assert "What is still missing before you can submit" in page
    assert "Upload the required document: CV." in page
    assert "Upload the required document: Passport." in page

    assert upload(client, application.id, "cv", PDF, "cv.pdf").status_code == 302
    assert upload(client, application.id, "passport", PNG, "passport.png").status_code == 302
    page = text_of(client.get(detail_url))
    assert "Nothing: your application is complete" in page

    page = text_of(follow(client, fire(client, application.id, "submit")))
    assert "the application is now “Submitted”" in page
    assert stored_state(application)[0] == "submitted"

    staff = client_for(app, coordinator)
    page = text_of(staff.get(detail_url))
    assert f"/applications/{application.id}/fire/request_changes" in page
    assert "RAHIMOVA DILNOZA" in page
    response = fire(staff, application.id, "request_changes", comment="Add the grades of the last term.")
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.state == "changes_requested"
    assert application.changes_due_at is not None

    page = text_of(client.get(detail_url))
    assert "Add the grades of the last term." in page
    assert "Changes have been requested. Make them and resubmit by" in page
    form_page = text_of(client.get(f"{detail_url}/edit"))
    assert "Add the grades of the last term." in form_page[form_page.index('id="change-request"') :]
    response = post(
        client,
        f"{detail_url}/edit",
        edit_data(application, motivation="Now with the grades of the last term.", average_grade="4.40"),
    )
    assert response.status_code == 302
    page = text_of(follow(client, fire(client, application.id, "resubmit")))
    assert "the application is now “Submitted”" in page

    page = text_of(follow(staff, fire(staff, application.id, "approve_eligibility")))
    assert "the application is now “Eligible”" in page
    application = db.session.get(Application, application.id)
    assert application.state == "eligible"
    assert application.motivation == "Now with the grades of the last term."
    rows = log_rows(application)
    assert [(row.trigger, row.actor_id) for row in rows] == [
        ("submit", applicant.id),
        ("request_changes", coordinator.id),
        ("resubmit", applicant.id),
        ("approve_eligibility", coordinator.id),
    ]

    page = text_of(client.get(detail_url))
    assert "Changes requested → <strong>Submitted</strong>" in page
    messages = text_of(client.get("/applications/messages"))
    assert messages.count(f"Application {application.id}: ") == 4
    assert f"Application {application.id}: Eligible" in messages


def test_reject_eligibility_needs_a_comment(app):
    application = application_in("submitted")
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    before = stored_state(application)

    page = text_of(follow(coordinator, fire(coordinator, application.id, "reject_eligibility", comment="  ")))
    assert "A comment is required." in page
    assert stored_state(application) == before
    assert log_rows(application) == []

    page = text_of(
        follow(
            coordinator,
            fire(coordinator, application.id, "reject_eligibility", comment="Not enrolled in a degree programme."),
        )
    )
    assert stored_state(application)[0] == "ineligible"
    assert "the application is now “Ineligible”" in page
    assert "Not enrolled in a degree programme." in page
    owner = client_for(app, application.applicant)
    assert "Not enrolled in a degree programme." in text_of(owner.get(f"/applications/{application.id}"))


def test_the_comment_field_is_marked_required_where_the_transition_needs_one(app):
    application = application_in("submitted")
    page = text_of(
        client_for(app, UserFactory(coordinates=[application.faculty])).get(f"/applications/{application.id}")
    )
    reject = page[page.index("fire/reject_eligibility") :]
    reject = reject[: reject.index("</form>")]
    assert "Comment (required)" in reject and "required" in reject[reject.index("<textarea") :]
    approve = page[page.index("fire/approve_eligibility") :]
    approve = approve[: approve.index("</form>")]
    assert "Comment (optional)" in approve
    assert f'name="version" value="{application.version}"' in approve


def test_submit_after_the_call_closed_is_refused(app):
    application = application_in("draft")
    application.call.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    owner = client_for(app, application.applicant)
    page = text_of(follow(owner, fire(owner, application.id, "submit")))
    assert "The call is not open for applications." in page
    assert "this draft can no longer be submitted" in page
    assert stored_state(application) == ("draft", application.version)


def test_submit_with_a_missing_document_names_it(app):
    application = ApplicationFactory()
    add_document(application, "cv")
    owner = client_for(app, application.applicant)
    page = text_of(follow(owner, fire(owner, application.id, "submit")))
    assert "This cannot be done yet:" in page
    assert "Upload the required document: Passport." in page
    missing = page[page.index('id="missing-documents"') :]
    assert "Required documents still missing:" in missing and "Passport" in missing[: missing.index("</div>")]
    assert stored_state(application)[0] == "draft"


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("closed", "This call is not open for applications."),
        ("unpublished", "This call is not open for applications."),
        ("not yet open", "This call is not open for applications."),
        ("category", "This call is not open to your category."),
    ],
)
def test_starting_a_draft_is_refused(app, problem, message):
    call = CallFactory()
    if problem == "closed":
        call.opens_at, call.closes_at = utcnow() - timedelta(days=30), utcnow() - timedelta(days=1)
    elif problem == "unpublished":
        call.published = False
    elif problem == "not yet open":
        call.opens_at, call.closes_at = utcnow() + timedelta(days=1), utcnow() + timedelta(days=30)
    else:
        call.eligible_categories = ["teacher", "staff"]
    db.session.commit()
    client = client_for(app, UserFactory(category="bachelor"))
    response = post(client, f"/applications/new/{call.id}")
    assert response.status_code == 302
    assert message in text_of(follow(client, response))
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 0


def test_starting_twice_opens_the_existing_application(app):
    application = application_in("submitted")
    client = client_for(app, application.applicant)
    response = post(client, f"/applications/new/{application.call_id}")
    assert response.headers["Location"].endswith(f"/applications/{application.id}")
    assert "You already have an application to this call." in text_of(follow(client, response))
    assert db.session.scalar(db.select(db.func.count(Application.id))) == 1


def test_starting_on_an_unknown_call_is_404(app):
    client = client_for(app, UserFactory())
    assert post(client, "/applications/new/987654").status_code == 404


BAD_EDITS = [
    ({"average_grade": "5.5"}, "average_grade", "above 5"),
    ({"average_grade": "-1"}, "average_grade", "0 or more"),
    ({"average_grade": "four"}, "average_grade", "Not a valid decimal value"),
    ({"second_choice": "FIRST"}, "second_choice", "You have chosen this host already."),
    ({"third_choice": "FIRST"}, "third_choice", "You have chosen this host already."),
    ({"first_choice": "", "second_choice": "SECOND"}, "second_choice", "Choose the first host before the second."),
    ({"second_choice": "", "third_choice": "THIRD"}, "third_choice", "Choose the second host before the third."),
    ({"first_choice": "OTHER_CALL"}, "first_choice", "Not a valid choice"),
    ({"cefr_level": "D1"}, "cefr_level", "Not a valid choice"),
    ({"planned_end": "2027-01-15"}, "planned_end", "The end must be after the start."),
    ({"planned_start": "2027-13-45"}, "planned_start", "Not a valid date value."),
    ({"motivation": "x" * 8001}, "motivation", "Field cannot be longer than 8000 characters."),
]


@pytest.mark.parametrize(
    ("overrides", "field_id", "error"), BAD_EDITS, ids=[f"{case[1]}-{index}" for index, case in enumerate(BAD_EDITS)]
)
def test_edit_errors_are_shown_next_to_the_field_and_nothing_is_saved(app, overrides, field_id, error):
    application = ApplicationFactory(motivation="The saved motivation.")
    places = {
        "FIRST": application.call.places[0].id,
        "SECOND": application.call.places[1].id,
        "THIRD": application.call.places[2].id,
    }
    if "OTHER_CALL" in overrides.values():
        places["OTHER_CALL"] = CallFactory(places=[1]).places[0].id
    overrides = {key: str(places.get(value, value)) for key, value in overrides.items()}
    before = stored_state(application)
    owner = client_for(app, application.applicant)
    typed = "Typed by hand: keep me."
    data = edit_data(application, motivation=typed, language="Deutsch")
    data.update(overrides)
    response = post(owner, f"/applications/{application.id}/edit", data)
    page = text_of(response)
    assert response.status_code == 400
    assert error in (field_error(page, field_id) or "")
    assert 'value="Deutsch"' in page
    if field_id != "motivation":
        assert typed in page
    for name, value in overrides.items():
        if name in ("average_grade", "planned_start", "planned_end"):
            assert f'value="{value}"' in page  # what was typed, not the saved value
    db.session.expire_all()
    assert stored_state(application) == before
    assert db.session.get(Application, application.id).motivation == "The saved motivation."


def test_a_draft_may_be_saved_half_done_and_accepts_a_decimal_comma(app):
    application = ApplicationFactory(hosts=[], motivation=None, average_grade=None)
    owner = client_for(app, application.applicant)
    response = post(
        owner,
        f"/applications/{application.id}/edit",
        edit_data(
            application,
            first_choice="",
            second_choice="",
            average_grade="4,5",
            cefr_level="",
            planned_start="",
            planned_end="",
        ),
    )
    assert response.status_code == 302
    application = db.session.get(Application, application.id)
    assert application.average_grade == Decimal("4.50")
    assert application.choices == [] and application.cefr_level is None and application.planned_start is None
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "Choose between one and three host institutions." in page


def test_host_choices_can_be_reordered_and_dropped(app):
    application = ApplicationFactory()
    first, second, third = application.call.places
    owner = client_for(app, application.applicant)
    response = post(
        owner,
        f"/applications/{application.id}/edit",
        edit_data(application, first_choice=str(second.id), second_choice=str(first.id), third_choice=str(third.id)),
    )
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert [choice.call_place_id for choice in application.choices] == [second.id, first.id, third.id]
    response = post(
        owner,
        f"/applications/{application.id}/edit",
        edit_data(application, first_choice=str(third.id), second_choice=""),
    )
    assert response.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert [(choice.rank, choice.call_place_id) for choice in application.choices] == [(1, third.id)]


def test_saving_only_new_host_choices_still_moves_the_version(app):
    application = ApplicationFactory()
    first, second, _third = application.call.places
    data = edit_data(application)
    data.update(
        motivation=application.motivation,
        average_grade=str(application.average_grade),
        language=application.language,
        cefr_level=application.cefr_level,
        planned_start=application.planned_start.isoformat(),
        planned_end=application.planned_end.isoformat(),
        first_choice=str(second.id),
        second_choice=str(first.id),
    )
    before = stored_state(application)[1]
    owner = client_for(app, application.applicant)
    assert post(owner, f"/applications/{application.id}/edit", data).status_code == 302
    assert stored_state(application)[1] == before + 1


def test_an_edit_posted_with_an_old_version_is_refused(app):
    application = ApplicationFactory(motivation="First version.")
    owner = client_for(app, application.applicant)
    url = f"/applications/{application.id}/edit"
    stale = edit_data(application, motivation="Typed in the old tab.")
    assert post(owner, url, edit_data(application, motivation="Saved in the new tab.")).status_code == 302
    saved = stored_state(application)

    response = post(owner, url, stale)
    page = text_of(response)
    assert response.status_code == 409
    assert "changed by someone else" in page
    assert "Typed in the old tab." in page
    assert "Saved in the new tab." in page  # the saved version, shown for comparison
    db.session.expire_all()
    assert stored_state(application) == saved
    assert db.session.get(Application, application.id).motivation == "Saved in the new tab."

    # Having looked, the user may save over the current version deliberately.
    assert f'name="version" type="hidden" value="{saved[1]}"' in page
    assert post(owner, url, dict(stale, version=str(saved[1]))).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).motivation == "Typed in the old tab."


def test_an_action_posted_with_an_old_version_is_refused(app):
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    old_version = application.version
    assert post(owner, f"/applications/{application.id}/edit", edit_data(application)).status_code == 302
    saved = stored_state(application)
    page = text_of(follow(owner, fire(owner, application.id, "submit", version=old_version)))
    assert "changed by someone else" in page
    assert stored_state(application) == saved == ("draft", old_version + 1)
    assert log_rows(application) == []


def test_the_owner_cannot_edit_after_submitting(app):
    application = application_in("submitted", motivation="As submitted.")
    owner = client_for(app, application.applicant)
    url = f"/applications/{application.id}/edit"
    response = owner.get(url)
    assert response.status_code == 302
    assert "can no longer be edited" in text_of(follow(owner, response))
    before = stored_state(application)
    response = post(owner, url, edit_data(application, motivation="Changed afterwards."))
    assert response.status_code == 302
    db.session.expire_all()
    assert stored_state(application) == before
    assert db.session.get(Application, application.id).motivation == "As submitted."


def test_an_unknown_trigger_is_404(app):
    application = application_in("draft")
    owner = client_for(app, application.applicant)
    assert fire(owner, application.id, "teleport").status_code == 404
    assert stored_state(application)[0] == "draft"


def test_a_trigger_the_user_may_not_fire_is_refused_with_a_message(app):
    application = application_in("submitted")
    owner = client_for(app, application.applicant)
    page = text_of(follow(owner, fire(owner, application.id, "approve_eligibility")))
    assert "You may not do this with this application." in page
    assert stored_state(application)[0] == "submitted"


def test_departure_and_return_take_a_date(app):
    application = application_in("host_accepted")
    owner = client_for(app, application.applicant)
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert 'name="date"' in page[page.index("fire/depart") :]

    page = text_of(follow(owner, fire(owner, application.id, "depart")))
    assert "Give the departure date." in page
    assert stored_state(application)[0] == "host_accepted"

    left = date.today() - timedelta(days=30)
    fire(owner, application.id, "depart", date=left.isoformat())
    fire(owner, application.id, "return_home", date=(left - timedelta(days=1)).isoformat())
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert (application.state, application.actual_departure) == ("abroad", left)
    page = text_of(follow(owner, fire(owner, application.id, "return_home", date=date.today().isoformat())))
    assert "the application is now “Returned”" in page
    db.session.expire_all()
    assert db.session.get(Application, application.id).actual_return == date.today()


def test_the_timeline_names_the_actor_or_the_system(app):
    application = application_in("selected")
    coordinator = UserFactory(coordinates=[application.faculty], full_name_native="Каримов Фаррух")
    db.session.add_all(
        [
            TransitionLog(
                application_id=application.id,
                trigger="select",
                from_state="waitlisted",
                to_state="selected",
                actor_id=None,
            ),
            TransitionLog(
                application_id=application.id,
                trigger="nominate",
                from_state="confirmed",
                to_state="nominated",
                actor_id=coordinator.id,
                comment="Sent to the host.",
            ),
        ]
    )
    db.session.commit()
    page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}"))
    timeline = page[page.index('id="timeline"') :]
    assert "System" in timeline and "Waiting list → " in timeline
    assert "Каримов Фаррух" in timeline and "Sent to the host." in timeline
    assert "You have been offered a place. Confirm or decline it by" in page


def test_the_list_shows_only_my_applications_newest_first(app):
    me = UserFactory()
    older = ApplicationFactory(
        applicant=me, call=CallFactory(title="Older call"), created_at=utcnow() - timedelta(days=3)
    )
    newer = ApplicationFactory(applicant=me, call=CallFactory(title="Newer call"))
    ApplicationFactory(call=CallFactory(title="Somebody else's call"))
    response = client_for(app, me).get("/applications/")
    page = text_of(response)
    assert response.status_code == 200
    assert page.index("Newer call") < page.index("Older call")
    assert "Somebody else's call" not in page
    assert f"/applications/{older.id}" in page and f"/applications/{newer.id}" in page
    assert older.call.program.name in page and "Draft" in page


def test_messages_lists_my_notifications_only_newest_first(app):
    me, other = UserFactory(), UserFactory()
    application = application_in("submitted", applicant=me)
    db.session.add_all(
        [
            Notification(
                recipient=me,
                recipient_email=me.email,
                application=application,
                subject="Older message",
                body="Body one",
                created_at=utcnow() - timedelta(days=1),
                sent_at=utcnow(),
            ),
            Notification(recipient=me, recipient_email=me.email, subject="Newer message", body="Body two"),
            Notification(recipient=other, recipient_email=other.email, subject="Not for me", body="Secret"),
        ]
    )
    db.session.commit()
    page = text_of(client_for(app, me).get("/applications/messages"))
    assert page.index("Newer message") < page.index("Older message")
    assert "Not for me" not in page and "Secret" not in page
    assert "not e-mailed yet" in page and "e-mailed " in page


def test_the_detail_page_shows_the_applicant_only_their_own_messages(app):
    application = application_in("submitted")
    coordinator = UserFactory(coordinates=[application.faculty])
    db.session.add_all(
        [
            Notification(
                recipient=application.applicant,
                recipient_email=application.applicant.email,
                application=application,
                subject="For the applicant",
                body="...",
            ),
            Notification(
                recipient=coordinator,
                recipient_email=coordinator.email,
                application=application,
                subject="For the coordinator",
                body="...",
            ),
        ]
    )
    db.session.commit()
    owner_page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}"))
    assert "For the applicant" in owner_page and "For the coordinator" not in owner_page
    staff_page = text_of(client_for(app, coordinator).get(f"/applications/{application.id}"))
    assert "For the applicant" in staff_page and "For the coordinator" in staff_page


@pytest.mark.parametrize(
    "path",
    [
        "/applications/",
        "/applications/messages",
        "/applications/1",
        "/applications/1/edit",
        "/applications/1/documents/1",
    ],
)
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_applicant_sees_score_and_rank_only_after_the_selection_is_confirmed(app):
    application = application_in("waitlisted", total_score=Decimal("71.25"), rank=4)
    owner = client_for(app, application.applicant)
    coordinator = client_for(app, UserFactory(coordinates=[application.faculty]))
    assert 'id="result"' not in owner.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "71.25" in coordinator.get(f"/applications/{application.id}").get_data(as_text=True)
    application.call.selection_confirmed_at = utcnow()
    db.session.commit()
    page = text_of(owner.get(f"/applications/{application.id}"))
    assert "Total score:</strong> 71.25" in page and "Rank:</strong> 4" in page


def test_messages_come_fifty_to_a_page(app):
    me = UserFactory()
    start = utcnow() - timedelta(days=1)
    db.session.add_all(
        [
            Notification(
                recipient=me,
                recipient_email=me.email,
                subject=f"Message number {number:02d}.",
                body="...",
                created_at=start + timedelta(minutes=number),
            )
            for number in range(51)
        ]
    )
    db.session.commit()
    client = client_for(app, me)
    first = text_of(client.get("/applications/messages"))
    assert first.count("Message number") == 50
    assert "Message number 50." in first and "Message number 00." not in first
    assert "/applications/messages?page=2" in first
    second = text_of(client.get("/applications/messages?page=2"))
    assert second.count("Message number") == 1 and "Message number 00." in second
