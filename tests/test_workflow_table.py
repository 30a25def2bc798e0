"""The workflow table of DESIGN.md, row by row: who may fire what from where, and nothing else.

The table is written out again on purpose (tests/fixtures/workflow.py): the tests check the
engine against the contract, not against the engine's own data.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_login import AnonymousUserMixin

from irflow.extensions import db
from irflow.models.base import utcnow
from irflow.workflow import FINAL_STATES, STATES, TRANSITIONS, WorkflowError, available_actions, fire

from .fixtures.factories import (
    ALLOWED_KINDS,
    OUTSIDER_KINDS,
    actors_for,
    application_in,
    log_rows,
    notifications_for,
    one_commit,
    outsiders_for,
    staff_applicant,
    stored_state,
)
from .fixtures.workflow import FINAL, HEAD, NOT_FINAL, TABLE

COMMENT_REQUIRED = {"request_changes", "reject_eligibility", "host_reject", "return_report", "cancel"}

ROWS = [
    (trigger, source, kind)
    for trigger, (sources, _dest, kinds) in TABLE.items()
    for source in sources
    for kind in kinds
]
ALL_KINDS = ALLOWED_KINDS + OUTSIDER_KINDS


def valid_data(trigger):
    """What the form would send for `trigger`, every value valid."""
    data = {"comment": f"Because of {trigger}."}
    if trigger == "depart":
        data["departure_date"] = date.today() - timedelta(days=3)
    if trigger == "return_home":
        data["return_date"] = date.today() - timedelta(days=1)
    return data


def allowed(trigger, state, kind):
    sources, _dest, kinds = TABLE[trigger]
    return state in sources and kind in kinds


def test_the_engine_table_is_the_design_table():
    who_to_kinds = {
        "owner": ("owner",),
        "coordinator": ("coordinator",),
        "examiner": ("examiner",),
        "head": HEAD,
        "system": ("system",),
    }
    engine = {
        t.trigger: (set(t.sources), t.dest, {kind for who in t.who for kind in who_to_kinds[who]}) for t in TRANSITIONS
    }
    design = {trigger: (set(sources), dest, set(kinds)) for trigger, (sources, dest, kinds) in TABLE.items()}
    assert engine == design
    assert {t.trigger for t in TRANSITIONS if t.comment_required} == COMMENT_REQUIRED
    assert set(FINAL_STATES) == FINAL
    assert set(STATES) == FINAL | set(NOT_FINAL)
    # Final states have no way out.
    assert not [t.trigger for t in TRANSITIONS if FINAL & set(t.sources)]


# --- every row fires -------------------------------------------------------------------


def _prepare(trigger, application):
    """Make the effect of `trigger` visible: start from values it must change."""
    if trigger == "resubmit":
        application.changes_due_at = utcnow() + timedelta(days=2)
        db.session.commit()


def _check_effect(trigger, application, before, started, data):
    week = timedelta(days=7)  # the factory call's offer_reply_days and changes_reply_days
    if trigger == "submit":
        assert started <= application.submitted_at <= utcnow()
    elif trigger == "request_changes":
        assert started + week <= application.changes_due_at <= utcnow() + week
    elif trigger == "resubmit":
        assert application.changes_due_at is None
    elif trigger == "record_score":
        # Scores 80 (weight 2) and 80 (weight 1), grade 4.50 of 5 = 90 (weight 1).
        assert application.total_score == Decimal("82.50")
    elif trigger == "select":
        assert application.allocated_place_id == application.choices[0].call_place_id
        assert started + week <= application.offer_deadline <= utcnow() + week
    elif trigger == "depart":
        assert application.actual_departure == data["departure_date"]
    elif trigger == "return_home":
        assert application.actual_return == data["return_date"]
    elif trigger in ("decline_place", "withdraw", "host_reject", "cancel"):
        # The freed place is not taken from the application's history.
        assert application.allocated_place_id == before["allocated_place_id"]


@pytest.mark.parametrize(("trigger", "source", "kind"), ROWS, ids=["-".join(row) for row in ROWS])
def test_row_fires_for_its_actor(trigger, source, kind):
    with one_commit():
        application = application_in(source)
        actor = actors_for(application, kinds=(kind,))[kind]
        _prepare(trigger, application)
    before = {"version": application.version, "allocated_place_id": application.allocated_place_id}
    assert not log_rows(application) and not notifications_for(application)
    data = valid_data(trigger)
    started = utcnow()

    assert fire(application, trigger, actor, **data) is application
    db.session.flush()

    assert application.state == TABLE[trigger][1]
    assert stored_state(application) == (TABLE[trigger][1], before["version"] + 1)
    [log] = log_rows(application)
    assert (log.trigger, log.from_state, log.to_state, log.comment) == (
        trigger,
        source,
        TABLE[trigger][1],
        data["comment"],
    )
    assert log.actor_id == (actor.id if actor is not None else None)
    assert started <= log.created_at <= utcnow()
    [notice] = notifications_for(application)
    assert notice.recipient_id == application.applicant_id
    assert notice.recipient_email == application.applicant.email
    assert notice.sent_at is None
    assert data["comment"] in notice.body
    _check_effect(trigger, application, before, started, data)
    db.session.commit()
    assert stored_state(application) == (TABLE[trigger][1], before["version"] + 1)


def test_fire_without_comment_logs_none():
    with one_commit():
        application = application_in("submitted")
        coordinator = actors_for(application)["coordinator"]
    fire(application, "approve_eligibility", coordinator, comment="   ")
    db.session.flush()
    [log] = log_rows(application)
    assert log.comment is None


# --- everything else is refused --------------------------------------------------------


def _assert_refused(application, trigger, actor, state, **data):
    with pytest.raises(WorkflowError) as refused:
        fire(application, trigger, actor, **data)
    assert refused.value.message
    assert application.state == state, (trigger, actor)
    assert not (db.session.new or db.session.dirty or db.session.deleted), (trigger, actor)


def _assert_untouched(application, state, version):
    db.session.flush()
    db.session.expire_all()
    assert stored_state(application) == (state, version)
    assert log_rows(application) == []
    assert notifications_for(application) == []


@pytest.mark.parametrize("state", STATES)
def test_every_other_actor_and_state_is_refused(state):
    with one_commit():
        application = application_in(state)
        people = {**actors_for(application), **outsiders_for(application)}
        staff = staff_applicant()
        own = application_in(state, applicant=staff)
        own.call.examiners = [staff]
    version, own_version = application.version, own.version
    for trigger in TABLE:
        for kind in ALL_KINDS:
            if not allowed(trigger, state, kind):
                _assert_refused(application, trigger, people[kind], state, **valid_data(trigger))
    # The buttons offered are exactly the triggers the table allows.
    for kind, user in people.items():
        if user is not None:
            assert _actions(application, user) == [trigger for trigger in TABLE if allowed(trigger, state, kind)], kind

    # Staff roles never act on their own application; only what an owner may do is left.
    for trigger in TABLE:
        if not allowed(trigger, state, "owner"):
            _assert_refused(own, trigger, staff, state, **valid_data(trigger))
    assert {t.trigger for t in available_actions(own, staff)} == {
        trigger for trigger in TABLE if allowed(trigger, state, "owner")
    }

    # A deactivated owner may do nothing either.
    application.applicant.active = False
    db.session.commit()
    for trigger in TABLE:
        _assert_refused(application, trigger, application.applicant, state, **valid_data(trigger))

    _assert_untouched(application, state, version)
    _assert_untouched(own, state, own_version)


def test_unknown_trigger_is_refused():
    application = application_in("draft")
    with pytest.raises(WorkflowError):
        fire(application, "approve", application.applicant)
    with pytest.raises(WorkflowError):
        fire(application, "to_submitted", application.applicant)  # no auto transitions
    _assert_untouched(application, "draft", application.version)


@pytest.mark.parametrize("trigger", sorted(COMMENT_REQUIRED))
def test_comment_is_required(trigger):
    source = TABLE[trigger][0][0]
    with one_commit():
        application = application_in(source)
        actor = actors_for(application)[TABLE[trigger][2][0]]
    version = application.version
    for comment in (None, "", "   \n\t "):
        with pytest.raises(WorkflowError) as refused:
            fire(application, trigger, actor, comment=comment)
        assert refused.value.problems == ["A comment is required."]
        assert application.state == source
    _assert_untouched(application, source, version)
    fire(application, trigger, actor, comment="  A reason.  ")
    db.session.flush()
    assert application.state == TABLE[trigger][1]
    assert log_rows(application)[0].comment == "A reason."


# --- available_actions ------------------------------------------------------------------


def _actions(application, user):
    return [transition.trigger for transition in available_actions(application, user)]


def test_available_actions_for_representative_cases():
    with one_commit():
        draft, submitted, eligible, tested, accepted, completed = (
            application_in(state)
            for state in ("draft", "submitted", "eligible", "tested", "host_accepted", "completed")
        )
        people = {
            application: {**actors_for(application), **outsiders_for(application)}
            for application in (draft, submitted, eligible, tested, accepted, completed)
        }

    assert _actions(draft, people[draft]["owner"]) == ["submit", "withdraw"]
    assert _actions(draft, people[draft]["coordinator"]) == []
    assert _actions(draft, people[draft]["head"]) == ["cancel"]
    assert _actions(draft, people[draft]["other_applicant"]) == []

    assert _actions(submitted, people[submitted]["coordinator"]) == [
        "request_changes",
        "approve_eligibility",
        "reject_eligibility",
    ]
    assert _actions(submitted, people[submitted]["other_coordinator"]) == []
    assert _actions(submitted, people[submitted]["inactive_coordinator"]) == []
    assert _actions(submitted, people[submitted]["owner"]) == ["withdraw"]
    # A coordinator of the draft's faculty has nothing to do on another faculty's application.
    assert _actions(submitted, people[draft]["coordinator"]) == []

    assert _actions(eligible, people[eligible]["examiner"]) == ["record_score", "mark_absent"]
    assert _actions(eligible, people[eligible]["other_examiner"]) == []
    assert _actions(eligible, people[eligible]["inactive_examiner"]) == []
    # Assigned to another call only.
    assert _actions(eligible, people[tested]["examiner"]) == []

    assert _actions(tested, people[tested]["head"]) == ["select", "waitlist", "not_select", "cancel"]
    assert _actions(tested, people[tested]["admin"]) == ["select", "waitlist", "not_select", "cancel"]
    assert _actions(tested, people[tested]["inactive_admin"]) == []
    assert _actions(tested, people[tested]["examiner"]) == []
    assert _actions(tested, people[tested]["owner"]) == ["withdraw"]

    assert _actions(accepted, people[accepted]["owner"]) == ["depart", "withdraw"]
    assert _actions(accepted, people[accepted]["coordinator"]) == ["depart"]
    assert _actions(accepted, people[accepted]["head"]) == ["cancel"]
    assert _actions(accepted, None) == []
    assert _actions(accepted, AnonymousUserMixin()) == []

    assert all(_actions(completed, user) == [] for user in people[completed].values())
