"""Places: `select` takes a free place at a chosen host, and a freed place goes at once to
the best-ranked waitlisted applicant who chose that host (trigger `select`, actor the system)."""

from datetime import timedelta

import pytest

from irflow.extensions import db
from irflow.models.base import utcnow
from irflow.workflow import WorkflowError, fire
from irflow.workflow.allocation import free_places

from .fixtures.factories import (
    CallFactory,
    actors_for,
    application_in,
    log_rows,
    notifications_for,
    one_commit,
    stored_state,
)

OFFER_DAYS = 3  # distinct from the factory's default, so the call's own value is seen to be used


def _waitlisted(call, hosts, rank):
    return application_in("waitlisted", call=call, hosts=hosts, rank=rank)


def _assert_promoted(application, place, started):
    """Selected by the system for `place`, with the call's reply days and a notice."""
    assert stored_state(application)[0] == "selected"
    assert application.allocated_place_id == place.id
    days = timedelta(days=OFFER_DAYS)
    assert started + days <= application.offer_deadline <= utcnow() + days
    [log] = log_rows(application)
    assert (log.trigger, log.from_state, log.to_state, log.actor_id) == ("select", "waitlisted", "selected", None)
    [notice] = notifications_for(application)
    assert notice.recipient_id == application.applicant_id
    assert place.partner.name in notice.body


def _assert_still_waiting(application):
    assert stored_state(application)[0] == "waitlisted"
    assert application.allocated_place_id is None
    assert log_rows(application) == []
    assert notifications_for(application) == []


DEST = {"decline_place": "declined", "withdraw": "withdrawn", "host_reject": "host_rejected", "cancel": "cancelled"}
FREEING = [
    ("decline_place", "selected", "owner"),
    ("decline_place", "selected", "system"),
    *[("withdraw", state, "owner") for state in ("selected", "confirmed", "nominated", "host_accepted")],
    ("host_reject", "nominated", "coordinator"),
    *[
        ("cancel", state, "head")
        for state in ("selected", "confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted")
    ],
]


@pytest.mark.parametrize(("trigger", "state", "kind"), FREEING, ids=["-".join(case) for case in FREEING])
def test_a_freed_place_goes_to_the_best_ranked_waitlisted_applicant(trigger, state, kind):
    with one_commit():
        call = CallFactory(places=(1, 1), offer_reply_days=OFFER_DAYS)
        host, other_host = call.places
        holder = application_in(state, call=call, hosts=[host])
        actor = actors_for(holder, kinds=(kind,))[kind]
        application_in("confirmed", call=call, hosts=[other_host])  # the other host is full
        # Created before the better-ranked one: rank decides, not age.
        second = _waitlisted(call, [other_host, host], rank=7)
        first = _waitlisted(call, [host], rank=4)
    assert holder.allocated_place_id == host.id and free_places(host) == 0
    started = utcnow()

    fire(holder, trigger, actor, comment="The place is free again.")
    db.session.commit()

    assert stored_state(holder)[0] == DEST[trigger]
    assert [log.trigger for log in log_rows(holder)] == [trigger]
    _assert_promoted(first, host, started)
    _assert_still_waiting(second)  # one place freed, one promotion
    assert free_places(host) == 0


def test_three_successive_declines_promote_three_waitlisted_applicants_in_rank_order():
    with one_commit():
        call = CallFactory(places=(1,), offer_reply_days=OFFER_DAYS)
        [host] = call.places
        holder = application_in("selected", call=call, hosts=[host])
        third = _waitlisted(call, [host], rank=3)
        first = _waitlisted(call, [host], rank=1)
        second = _waitlisted(call, [host], rank=2)
        fourth = _waitlisted(call, [host], rank=4)

    started = utcnow()
    fire(holder, "decline_place", holder.applicant)
    db.session.commit()
    _assert_promoted(first, host, started)
    assert [stored_state(a)[0] for a in (second, third, fourth)] == ["waitlisted"] * 3

    started = utcnow()
    fire(first, "decline_place", first.applicant)
    db.session.commit()
    _assert_promoted(second, host, started)
    assert [stored_state(a)[0] for a in (first, third, fourth)] == ["declined", "waitlisted", "waitlisted"]

    # The offer lapsed: the system declines for the applicant.
    started = utcnow()
    fire(second, "decline_place", None)
    db.session.commit()
    _assert_promoted(third, host, started)
    assert [log.actor_id for log in log_rows(second)] == [None, None]  # selected and declined by the system
    assert stored_state(fourth)[0] == "waitlisted"
    assert free_places(host) == 0


def test_a_waitlisted_applicant_who_did_not_choose_the_host_is_skipped():
    with one_commit():
        call = CallFactory(places=(1, 1), offer_reply_days=OFFER_DAYS)
        host, other_host = call.places
        holder = application_in("confirmed", call=call, hosts=[host])
        application_in("confirmed", call=call, hosts=[other_host])
        elsewhere = _waitlisted(call, [other_host], rank=1)
        chose_it = _waitlisted(call, [other_host, host], rank=2)
    started = utcnow()

    fire(holder, "withdraw", holder.applicant)
    db.session.commit()

    _assert_still_waiting(elsewhere)
    _assert_promoted(chose_it, host, started)


def test_every_free_place_of_the_host_is_filled():
    with one_commit():
        call = CallFactory(places=(2,), offer_reply_days=OFFER_DAYS)
        [host] = call.places
        holder = application_in("selected", call=call, hosts=[host])
        # A place was left free earlier (the head waitlisted despite it).
        first = _waitlisted(call, [host], rank=1)
        second = _waitlisted(call, [host], rank=2)
        third = _waitlisted(call, [host], rank=3)
    assert free_places(host) == 1
    started = utcnow()

    fire(holder, "decline_place", holder.applicant)
    db.session.commit()

    _assert_promoted(first, host, started)
    _assert_promoted(second, host, started)
    _assert_still_waiting(third)


NOT_HOLDING = [
    ("withdraw", "tested", "owner"),
    ("withdraw", "waitlisted", "owner"),
    ("withdraw", "eligible", "owner"),
    ("cancel", "tested", "head"),
    ("cancel", "submitted", "head"),
]


@pytest.mark.parametrize(("trigger", "state", "kind"), NOT_HOLDING, ids=["-".join(case) for case in NOT_HOLDING])
def test_no_promotion_when_no_place_was_held(trigger, state, kind):
    with one_commit():
        call = CallFactory(places=(1,), offer_reply_days=OFFER_DAYS)
        [host] = call.places
        leaving = application_in(state, call=call, hosts=[host], rank=1)
        actor = actors_for(leaving, kinds=(kind,))[kind]
        waiting = _waitlisted(call, [host], rank=2)
    assert free_places(host) == 1  # a free place nobody was given: leaving must not hand it out

    fire(leaving, trigger, actor, comment="Leaving.")
    db.session.commit()

    assert [log.trigger for log in log_rows(leaving)] == [trigger]
    _assert_still_waiting(waiting)
    assert free_places(host) == 1


def test_a_place_held_by_a_final_application_is_free_again():
    with one_commit():
        call = CallFactory(places=(1,), offer_reply_days=OFFER_DAYS)
        [host] = call.places
        # Kept its allocated place for the record, but holds it no longer.
        for state in ("declined", "host_rejected"):
            application_in(state, call=call, hosts=[host])
        tested = application_in("tested", call=call, hosts=[host])
        head = actors_for(tested, kinds=("head",))["head"]
    assert free_places(host) == 1
    fire(tested, "select", head)
    db.session.commit()
    assert tested.allocated_place_id == host.id
    assert free_places(host) == 0


# --- select by the head ------------------------------------------------------------------


def test_select_takes_the_highest_chosen_host_with_a_free_place():
    with one_commit():
        call = CallFactory(places=(1, 1, 1), offer_reply_days=OFFER_DAYS)
        full, free_second, free_third = call.places
        application_in("confirmed", call=call, hosts=[full])
        tested = application_in("tested", call=call, hosts=[full, free_second, free_third])
        head = actors_for(tested, kinds=("head",))["head"]
    started = utcnow()

    fire(tested, "select", head)
    db.session.flush()

    assert tested.state == "selected"
    assert tested.allocated_place_id == free_second.id
    days = timedelta(days=OFFER_DAYS)
    assert started + days <= tested.offer_deadline <= utcnow() + days
    assert free_places(free_second) == 0 and free_places(free_third) == 1


def test_select_with_an_explicit_chosen_place():
    with one_commit():
        call = CallFactory(places=(1, 1))
        first_choice, second_choice = call.places
        tested = application_in("tested", call=call, hosts=[first_choice, second_choice])
        head = actors_for(tested, kinds=("head",))["head"]

    fire(tested, "select", head, place=second_choice)
    db.session.flush()

    assert stored_state(tested)[0] == "selected"
    assert tested.allocated_place_id == second_choice.id


def test_the_last_place_is_given_once():
    with one_commit():
        call = CallFactory(places=(1,))
        [host] = call.places
        one = application_in("tested", call=call, hosts=[host])
        other = application_in("tested", call=call, hosts=[host])
        head = actors_for(one, kinds=("head",))["head"]
    fire(one, "select", head)
    db.session.flush()
    version = other.version
    with pytest.raises(WorkflowError) as refused:
        fire(other, "select", head)
    assert refused.value.problems == ["None of the applicant's chosen hosts has a free place."]
    db.session.flush()
    assert stored_state(other) == ("tested", version)
    assert log_rows(other) == [] and notifications_for(other) == []
