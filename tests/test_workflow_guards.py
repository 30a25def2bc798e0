"""Guards (each refusal says what is missing), the computed score, and lost-update protection."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import get_timezone
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from irflow.extensions import db
from irflow.models import Application, ApplicationChoice
from irflow.models.base import utcnow
from irflow.workflow import WorkflowError, fire
from irflow.workflow.engine import FireContext
from irflow.workflow.guards import guard_depart

from .fixtures.factories import (
    CallFactory,
    actors_for,
    add_document,
    application_in,
    log_rows,
    notifications_for,
    one_commit,
    stored_state,
)

TODAY = date.today()


def refused(application, trigger, actor, **data):
    """Fire `trigger`, expect a refusal that changes nothing, and return its problems."""
    db.session.commit()
    state, version = stored_state(application)
    with pytest.raises(WorkflowError) as refusal:
        fire(application, trigger, actor, **data)
    assert application.state == state
    db.session.flush()
    assert stored_state(application) == (state, version)
    assert log_rows(application) == [] and notifications_for(application) == []
    return refusal.value.problems


def fires(application, trigger, actor, **data):
    fire(application, trigger, actor, **data)
    db.session.flush()
    assert log_rows(application)[-1].trigger == trigger
    return application


def draft(**overrides):
    with one_commit():
        return application_in("draft", **overrides)


# --- submit and resubmit ---------------------------------------------------------------------


@pytest.mark.parametrize("when", ["closed", "not_open_yet", "unpublished"])
def test_submit_refused_when_the_call_is_not_open(when):
    application = draft()
    call, now = application.call, utcnow()
    if when == "closed":
        call.opens_at, call.closes_at = now - timedelta(days=30), now - timedelta(minutes=1)
    elif when == "not_open_yet":
        call.opens_at, call.closes_at = now + timedelta(hours=1), now + timedelta(days=30)
    else:
        call.published = False
    assert refused(application, "submit", application.applicant) == ["The call is not open for applications."]


def test_submit_refused_while_a_required_document_is_missing():
    application = draft()
    passport = next(document for document in application.documents if document.kind == "passport")
    db.session.delete(passport)
    db.session.commit()
    db.session.expire(application)
    [problem] = refused(application, "submit", application.applicant)
    assert "Passport" in problem

    for document in list(application.documents):
        db.session.delete(document)
    db.session.commit()
    db.session.expire(application)
    problems = refused(application, "submit", application.applicant)
    assert len(problems) == 2
    assert "CV" in problems[0] and "Passport" in problems[1]

    # A document the call does not ask for does not stand in for one it does.
    application.call.required_document_kinds = ["transcript"]
    db.session.commit()
    [problem] = refused(application, "submit", application.applicant)
    assert "Transcript" in problem


def test_submit_refused_without_host_choices():
    application = draft(hosts=[])
    assert refused(application, "submit", application.applicant) == ["Choose between one and three host institutions."]


def test_submit_refused_with_four_host_choices_and_allowed_with_three():
    with one_commit():
        call = CallFactory(places=(1, 1, 1, 1))
        application = application_in("draft", call=call, hosts=call.places[:3])
    # The database keeps choices to ranks 1–3, so a fourth exists only in memory, as on a form.
    state, version = stored_state(application)
    with db.session.no_autoflush:
        application.choices.append(ApplicationChoice(rank=4, place=call.places[3]))
        with pytest.raises(WorkflowError) as refusal:
            fire(application, "submit", application.applicant)
    assert refusal.value.problems == ["Choose between one and three host institutions."]
    assert application.state == "draft"
    db.session.rollback()
    assert stored_state(application) == (state, version)
    assert log_rows(application) == [] and notifications_for(application) == []

    assert len(application.choices) == 3
    fires(application, "submit", application.applicant)


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (date(2027, 2, 1), date(2027, 6, 30), False),  # 5 months
        (date(2027, 2, 1), date(2027, 2, 20), False),  # 1 month
        (date(2027, 2, 15), date(2027, 4, 10), True),  # 2 months, started months counted whole
        (date(2027, 2, 1), date(2027, 5, 31), True),  # 4 months
    ],
)
def test_submit_keeps_planned_dates_within_the_calls_month_limits(start, end, ok):
    with one_commit():
        application = application_in(
            "draft", call=CallFactory(min_months=2, max_months=4), planned_start=start, planned_end=end
        )
    if ok:
        fires(application, "submit", application.applicant)
    else:
        assert refused(application, "submit", application.applicant) == [
            "The planned stay must last between 2 and 4 months."
        ]


def test_submit_refused_for_a_category_the_call_does_not_admit():
    with one_commit():
        application = application_in("draft", call=CallFactory(eligible_categories=["master", "phd"]))
    assert application.applicant.category == "bachelor"
    assert refused(application, "submit", application.applicant) == ["This call is not open to your category."]
    application.applicant.category = "master"
    db.session.commit()
    fires(application, "submit", application.applicant)


def test_submit_lists_every_missing_field():
    application = draft(motivation="  ", average_grade=None, language=None, cefr_level=None)
    problems = refused(application, "submit", application.applicant)
    assert problems == [
        "Write your motivation.",
        "Enter your average grade.",
        "Name the language of the mobility.",
        "Give your language level (CEFR).",
    ]


def test_resubmit_refused_after_the_changes_were_due():
    with one_commit():
        application = application_in("changes_requested")
        # The call closed meanwhile: a resubmission is still allowed until the changes are due.
        application.call.opens_at = utcnow() - timedelta(days=40)
        application.call.closes_at = utcnow() - timedelta(days=1)
        application.changes_due_at = utcnow() - timedelta(minutes=1)
    assert refused(application, "resubmit", application.applicant) == ["The time given for the changes has run out."]

    application.changes_due_at = utcnow() + timedelta(hours=1)
    fires(application, "resubmit", application.applicant)
    assert application.state == "submitted" and application.changes_due_at is None


def test_resubmit_checks_the_application_again():
    with one_commit():
        application = application_in("changes_requested", hosts=[])
    assert refused(application, "resubmit", application.applicant) == [
        "Choose between one and three host institutions."
    ]


def test_request_changes_gives_the_calls_reply_days_and_submit_keeps_the_first_submission_time():
    with one_commit():
        application = application_in("submitted", call=CallFactory(changes_reply_days=10))
        coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    first_submission = application.submitted_at
    started = utcnow()
    fires(application, "request_changes", coordinator, comment="Add your transcript.")
    assert started + timedelta(days=10) <= application.changes_due_at <= utcnow() + timedelta(days=10)
    fires(application, "resubmit", application.applicant)
    assert application.submitted_at == first_submission  # ties in the ranking go to the earlier one


# --- scores ---------------------------------------------------------------------------------


def test_record_score_refused_while_a_test_criterion_is_unscored():
    with one_commit():
        application = application_in("eligible")
        examiner = actors_for(application, kinds=("examiner",))["examiner"]
    interview = next(score for score in application.scores if score.criterion.name == "Interview")
    application.scores.remove(interview)
    db.session.commit()
    assert refused(application, "record_score", examiner) == ["Score Interview from 0 to 100."]

    application.scores.clear()
    db.session.commit()
    assert refused(application, "record_score", examiner) == [
        "Score Language test from 0 to 100.",
        "Score Interview from 0 to 100.",
    ]


@pytest.mark.parametrize(
    ("scale", "grade", "language", "interview", "total"),
    [
        # (2·70 + 1·85 + 1·(3.60 / 4 · 100)) / 4 = (140 + 85 + 90) / 4
        (Decimal(4), Decimal("3.60"), 70, 85, Decimal("78.75")),
        # (2·91 + 1·68 + 1·(4.37 / 5 · 100)) / 4 = (182 + 68 + 87.4) / 4
        (Decimal(5), Decimal("4.37"), 91, 68, Decimal("84.35")),
        # (2·60 + 1·100 + 1·(72.5 / 100 · 100)) / 4 = (120 + 100 + 72.5) / 4 = 73.125, rounded half up
        (Decimal(100), Decimal("72.50"), 60, 100, Decimal("73.13")),
    ],
)
def test_record_score_computes_the_weighted_total(scale, grade, language, interview, total):
    with one_commit():
        application = application_in("eligible", call=CallFactory(grade_scale=scale), average_grade=grade)
        examiner = actors_for(application, kinds=("examiner",))["examiner"]
        values = {"Language test": language, "Interview": interview}
        for score in application.scores:
            score.value = Decimal(values[score.criterion.name])
    fires(application, "record_score", examiner)
    db.session.commit()
    db.session.expire_all()
    assert application.state == "tested"
    assert application.total_score == total


# --- select, confirm ------------------------------------------------------------------------


def _full_call():
    """A tested application whose two chosen hosts are full, while a third host is free."""
    with one_commit():
        call = CallFactory(places=(1, 1, 1))
        first, second, unchosen = call.places
        application_in("selected", call=call, hosts=[first])
        application_in("confirmed", call=call, hosts=[second])
        tested = application_in("tested", call=call, hosts=[first, second])
        head = actors_for(tested, kinds=("head",))["head"]
    return tested, head, (first, second, unchosen)


def test_select_refused_when_no_chosen_host_has_a_free_place():
    tested, head, (first, _second, unchosen) = _full_call()
    assert refused(tested, "select", head) == ["None of the applicant's chosen hosts has a free place."]
    assert refused(tested, "select", head, place=unchosen) == ["The applicant did not choose this host."]
    assert refused(tested, "select", head, place=first) == [f"There is no free place left at {first.partner.name}."]


def test_select_refused_for_a_place_the_applicant_did_not_choose():
    with one_commit():
        call = CallFactory(places=(1, 1, 1))
        tested = application_in("tested", call=call, hosts=call.places[:2])
        other_call_place = CallFactory().places[0]
        head = actors_for(tested, kinds=("head",))["head"]
    for place in (call.places[2], other_call_place):
        assert refused(tested, "select", head, place=place) == ["The applicant did not choose this host."]
    fires(tested, "select", head, place=call.places[1])
    assert tested.allocated_place_id == call.places[1].id


def test_confirm_place_refused_after_the_offer_deadline():
    with one_commit():
        application = application_in("selected")
        application.offer_deadline = utcnow() - timedelta(minutes=1)
    assert refused(application, "confirm_place", application.applicant) == [
        "The offer has lapsed: the deadline to confirm has passed."
    ]
    # Declining stays possible.
    fires(application, "decline_place", application.applicant)


# --- host, departure and return -----------------------------------------------------------


def test_host_accept_refused_without_the_host_acceptance_document():
    with one_commit():
        application = application_in("nominated")
        coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    letter = next(document for document in application.documents if document.kind == "host_acceptance")
    application.documents.remove(letter)
    db.session.commit()
    assert refused(application, "host_accept", coordinator) == ["Upload the host's acceptance letter first."]
    with one_commit():
        add_document(application, "host_acceptance", uploader=coordinator)
    db.session.expire(application)
    fires(application, "host_accept", coordinator)


def test_nominate_tells_a_host_that_has_an_address():
    with one_commit():
        application = application_in("confirmed")
        application.allocated_place.partner.contact_email = "incoming@partner.example"
        coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    fires(application, "nominate", coordinator)
    notices = notifications_for(application)
    assert sorted(notice.recipient_email for notice in notices) == sorted(
        [application.applicant.email, "incoming@partner.example"]
    )
    [to_host] = [notice for notice in notices if notice.recipient_id is None]
    assert to_host.subject == f"Nomination: {application.applicant.full_name_latin}"
    # No participant data yet: said so, not left empty; the nominating coordinator to reply to.
    assert "Date of birth: not given yet" in to_host.body
    assert f"Sending coordinator: {coordinator.full_name_latin}, {coordinator.email}" in to_host.body


@pytest.mark.parametrize("kind", ["owner", "coordinator"])
def test_depart_needs_a_departure_date_not_in_the_future(kind):
    with one_commit():
        application = application_in("host_accepted")
        actor = actors_for(application, kinds=(kind,))[kind]
    assert refused(application, "depart", actor) == ["Give the departure date."]
    assert refused(application, "depart", actor, departure_date=None) == ["Give the departure date."]
    assert refused(application, "depart", actor, departure_date="2026-01-01") == ["Give the departure date."]
    assert refused(application, "depart", actor, departure_date=TODAY + timedelta(days=2)) == [
        "The departure date cannot be in the future."
    ]
    fires(application, "depart", actor, departure_date=TODAY - timedelta(days=1))
    db.session.commit()
    assert application.actual_departure == TODAY - timedelta(days=1)


@pytest.mark.parametrize("kind", ["owner", "coordinator"])
def test_return_home_needs_a_return_date_not_before_departure(kind):
    with one_commit():
        application = application_in("abroad")
        actor = actors_for(application, kinds=(kind,))[kind]
    departed = application.actual_departure
    assert refused(application, "return_home", actor) == ["Give the return date."]
    assert refused(application, "return_home", actor, return_date=departed - timedelta(days=1)) == [
        "The return date cannot be before the departure date."
    ]
    assert refused(application, "return_home", actor, return_date=TODAY + timedelta(days=2)) == [
        "The return date cannot be in the future."
    ]
    fires(application, "return_home", actor, return_date=departed)  # a one-day conference
    db.session.commit()
    assert application.actual_return == departed


def test_today_for_dates_is_today_where_the_user_is():
    """At 01:30 in Dushanbe (20:30 UTC the day before) a departure that day is not in the future."""
    with one_commit():
        application = application_in("host_accepted")
    evening_utc = datetime(2026, 3, 9, 20, 30, tzinfo=UTC)
    local_today = evening_utc.astimezone(get_timezone()).date()
    assert str(get_timezone()) != "Asia/Dushanbe" or local_today == date(2026, 3, 10)

    def problems(departure_date):
        ctx = FireContext(
            actor=application.applicant, comment=None, data={"departure_date": departure_date}, now=evening_utc
        )
        return guard_depart(application, ctx)

    assert problems(local_today) == []
    assert problems(local_today + timedelta(days=1)) == ["The departure date cannot be in the future."]


# --- the return report ----------------------------------------------------------------------


def test_submit_report_refused_without_the_certificate_of_attendance():
    with one_commit():
        application = application_in("returned")
    certificate = next(d for d in application.documents if d.kind == "certificate_of_attendance")
    application.documents.remove(certificate)
    db.session.commit()
    assert refused(application, "submit_report", application.applicant) == ["Upload the certificate of attendance."]


@pytest.mark.parametrize("gap", ["no_report", "no_activities", "blank_results"])
def test_submit_report_refused_without_the_report_filled_in(gap):
    with one_commit():
        application = application_in("returned")
    if gap == "no_report":
        application.report = None
    elif gap == "no_activities":
        application.report.activities = None
    else:
        application.report.results = " \n "
    db.session.commit()
    assert refused(application, "submit_report", application.applicant) == [
        "Fill in the activities and results of your report."
    ]


def test_submit_report_lists_both_gaps():
    with one_commit():
        application = application_in("returned")
    application.report = None
    application.documents = [d for d in application.documents if d.kind != "certificate_of_attendance"]
    db.session.commit()
    assert refused(application, "submit_report", application.applicant) == [
        "Fill in the activities and results of your report.",
        "Upload the certificate of attendance.",
    ]


# --- no lost updates --------------------------------------------------------------------------


def test_a_stale_version_is_refused_and_nothing_is_saved():
    with one_commit():
        application = application_in("submitted")
        coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    rendered_with = application.version
    application.motivation = "Edited in another tab."
    db.session.commit()
    assert application.version == rendered_with + 1

    for stale in (rendered_with, str(rendered_with), "", "not a number", rendered_with + 1000):
        with pytest.raises(WorkflowError) as refusal:
            fire(application, "approve_eligibility", coordinator, version=stale)
        assert "changed by someone else" in str(refusal.value)
        assert "changed by someone else" in refusal.value.message
    db.session.flush()
    assert stored_state(application) == ("submitted", rendered_with + 1)
    assert log_rows(application) == [] and notifications_for(application) == []

    fire(application, "approve_eligibility", coordinator, version=str(application.version))
    db.session.commit()
    assert stored_state(application) == ("eligible", rendered_with + 2)


def test_a_concurrent_write_makes_the_other_flush_fail():
    with one_commit():
        application = application_in("draft")
    application_id, version = application.id, application.version
    owner = application.applicant

    with Session(db.engine) as other:
        theirs = other.get(Application, application_id)
        assert theirs.version == version
        theirs.motivation = "Changed in the other session."
        other.commit()
        assert theirs.version == version + 1

    # Ours was loaded before their commit and still says `version`.
    assert application.version == version
    fire(application, "submit", owner)
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()

    assert stored_state(application) == ("draft", version + 1)
    assert application.motivation == "Changed in the other session."
    assert log_rows(application) == [] and notifications_for(application) == []
