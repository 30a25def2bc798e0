"""Races on PostgreSQL: a place being given while the head lowers the places of its host,
two places freed at once at the same host, and one password reset link submitted twice at
the same moment.

Each side of a race runs in its own thread with its own app context, database session and
transaction; a barrier releases them together. Every race is run REPETITIONS times, each
time on a call of its own; PARALLEL of those calls race at once (they share no row that
the race is about), which keeps the suite fast while the database waits. SQLite writes
one transaction at a time, so there is no race to test there.
"""

import dataclasses
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.account.operations import anonymise, purge_candidates
from irflow.applications.operations import start_application
from irflow.auth import password_reset
from irflow.errors import Refused
from irflow.extensions import db
from irflow.models import Application, Call, CallPlace, SecurityEvent, TransitionLog, User
from irflow.models.base import utcnow
from irflow.selection.cli import expire_offers
from irflow.workflow import WorkflowError, fire
from irflow.workflow.allocation import total_score
from irflow.workflow.states import HOLDING_STATES

from .fixtures.auth import login
from .fixtures.calls import edit_form
from .fixtures.factories import (
    ApplicationFactory,
    CallFactory,
    FacultyFactory,
    ProgramFactory,
    UserFactory,
    add_scores,
    one_commit,
)
from .fixtures.web import CSRF_INPUT, client_for, form_of, post, text_of

REPETITIONS = 20
PARALLEL = 4
TIMEOUT = 30  # seconds a thread may take before the race counts as hung (a lock never released)
CLOSED = "2021-01-01T09:00"  # a closing time in the past, as the call form posts it


@pytest.fixture(autouse=True)
def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writes one transaction at a time, and the guard is PostgreSQL's")


def run_together(app, actions):
    """Run each action in its own thread, app context and session, all released at once.
    Returns [(result, exception)] in the order of `actions`. Every session is closed
    before this returns: the tables are emptied after the test."""
    db.session.commit()  # the test's own transaction must hold nothing the threads need
    barrier = threading.Barrier(len(actions))
    outcomes = [(None, None)] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                barrier.wait(TIMEOUT)
                outcomes[index] = (action(), None)
            except Exception as error:  # handed to the test, which says what was allowed
                outcomes[index] = (None, error)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    db.session.expire_all()
    return outcomes


def races(app, worlds, sides):
    """Yield (slot, world, outcomes) for every world: `sides(slot, world)` gives the actions
    racing in that world; PARALLEL worlds race at a time, `slot` numbering them 0, 1, ..."""
    for start in range(0, len(worlds), PARALLEL):
        batch = worlds[start : start + PARALLEL]
        actions = [sides(slot, world) for slot, world in enumerate(batch)]
        outcomes = run_together(app, [action for racing in actions for action in racing])
        position = 0
        for slot, (world, racing) in enumerate(zip(batch, actions, strict=True)):
            yield slot, world, outcomes[position : position + len(racing)]
            position += len(racing)


def firing(application, trigger, actor_id):
    """An action doing what a request does: read the application, fire, commit. The ids are
    read now: the test's objects belong to the test's session, not to the racing threads."""
    application_id = application.id

    def action():
        fired = db.session.get(Application, application_id)
        actor = db.session.get(User, actor_id) if actor_id is not None else None
        fire(fired, trigger, actor, comment="Race.")
        db.session.commit()
        return fired.state

    return action


def holding(call, state, host, applicant):
    """An application of `call` in `state` that chose only `host` (and holds it if the state
    holds a place), without the documents and scores that the triggers raced here ignore."""
    application = ApplicationFactory(
        call=call, state=state, hosts=[host], applicant=applicant, submitted_at=utcnow() - timedelta(days=3)
    )
    if state in HOLDING_STATES:
        application.allocated_place = host
        application.offer_deadline = utcnow() + timedelta(days=5)
    return application


def calls_and_people(people, count=REPETITIONS, **call_fields):
    """`count` calls of one program with one host of two places, and `people` applicants who
    apply to each of them (each call is raced on once; the applicants can be shared)."""
    program = ProgramFactory()
    applicants = [UserFactory(faculty=FacultyFactory()) for _ in range(people)]
    calls = [CallFactory(program=program, places=(2,), **call_fields) for _ in range(count)]
    return calls, applicants


def holders(place_id):
    return db.session.scalars(
        sa.select(Application.id)
        .where(Application.allocated_place_id == place_id, Application.state.in_(HOLDING_STATES))
        .order_by(Application.id)
    ).all()


def places_of(place_id):
    return db.session.scalar(sa.select(CallPlace.places).where(CallPlace.id == place_id))


def state_of(application):
    return db.session.scalar(sa.select(Application.state).where(Application.id == application.id))


def heads(app):
    """PARALLEL heads, each with a logged-in client whose CSRF token is read before any race."""
    with one_commit():
        users = [UserFactory(roles=["head"], category="staff") for _ in range(PARALLEL)]
    clients = [client_for(app, user) for user in users]
    for client in clients:
        client.irflow_csrf_token = client.csrf_token()
    return users, clients


def lower_places(client, call, places, **changes):
    """An action posting the call form of `call` with `places` at its first host."""
    form = edit_form(call, **{"places-0-places": str(places)}, **changes)
    url = f"/manage/calls/{call.id}/edit"
    return lambda: post(client, url, form)


def lowered(response, place_id, wanted):
    """True when the call form saved `wanted` places (302); False when it was refused with
    the field error (400) and the old number kept. Nothing else is allowed."""
    if response.status_code == 302:
        assert places_of(place_id) == wanted
        return True
    assert response.status_code == 400, response.status_code
    assert "places at this host are already allocated" in response.get_data(as_text=True)
    assert places_of(place_id) != wanted
    return False


# --- 13: lowering the places while one is given ------------------------------------------


def test_lowering_places_while_the_head_selects_never_overbooks(app):
    """Two places, one held, one tested applicant: either the places go down to one and the
    selection is refused, or the applicant is selected and the lowering is refused."""
    users, clients = heads(app)
    with one_commit():
        calls, (holder, candidate) = calls_and_people(2)
        worlds = []
        for call in calls:
            [host] = call.places
            holding(call, "confirmed", host, holder)
            worlds.append((call, host, holding(call, "tested", host, candidate)))

    for _, (_call, host, tested), outcomes in races(
        app,
        worlds,
        lambda slot, world: (lower_places(clients[slot], world[0], 1), firing(world[2], "select", users[slot].id)),
    ):
        (response, lowering_error), (_, select_error) = outcomes
        assert lowering_error is None
        assert select_error is None or isinstance(select_error, WorkflowError), repr(select_error)
        selected = select_error is None
        assert lowered(response, host.id, 1) != selected
        assert state_of(tested) == ("selected" if selected else "tested")
        assert len(holders(host.id)) <= places_of(host.id)


def test_lowering_places_while_a_freed_place_goes_to_the_waiting_list_never_overbooks(app):
    """Two places, one held, two waitlisted (the head waitlisted despite the free place):
    the decline fills both places, unless the places went down to one before it."""
    _, clients = heads(app)
    with one_commit():
        calls, people = calls_and_people(3)
        worlds = []
        for call in calls:
            [host] = call.places
            holder, second, first = (
                holding(call, state, host, person)
                for state, person in zip(("selected", "waitlisted", "waitlisted"), people, strict=True)
            )
            first.rank, second.rank = 1, 2
            worlds.append((call, host, holder, first, second))

    for _, (_call, host, _holder, first, second), outcomes in races(
        app,
        worlds,
        lambda slot, world: (
            lower_places(clients[slot], world[0], 1),
            firing(world[2], "decline_place", world[2].applicant_id),
        ),
    ):
        (response, lowering_error), (state, decline_error) = outcomes
        assert (lowering_error, decline_error, state) == (None, None, "declined")
        was_lowered = lowered(response, host.id, 1)
        assert state_of(first) == "selected"
        assert state_of(second) == ("waitlisted" if was_lowered else "selected")
        assert len(holders(host.id)) <= places_of(host.id)


def test_lowering_places_while_the_selection_is_confirmed_never_overbooks(app):
    """Two places, two tested applicants proposed for them: either the selection is
    confirmed and the lowering refused, or the places go down first and the confirmation
    finds the proposal changed and does nothing."""
    _, clients = heads(app)
    _, confirming = heads(app)
    with one_commit():
        calls, people = calls_and_people(
            2,
            minimum_total_score=Decimal(0),
            opens_at=utcnow() - timedelta(days=30),
            closes_at=utcnow() - timedelta(days=1),
        )
        examiner = UserFactory(roles=["examiner"])
        worlds = []
        for call in calls:
            [host] = call.places
            tested = [holding(call, "tested", host, person) for person in people]
            for index, application in enumerate(tested):
                add_scores(application, examiner, {"Language test": 90 - index})
                application.total_score = total_score(application, application.scores)
            worlds.append((call, host, tested))

    def sides(slot, world):
        call, client = world[0], confirming[slot]
        url = f"/calls/{call.id}/selection"
        form = form_of(client.get(url))  # the page as the head saw it before the race
        return lower_places(clients[slot], call, 1, closes_at=CLOSED), lambda: client.post(url, data=form)

    for _, (_call, host, tested), outcomes in races(app, worlds, sides):
        (lowering, lowering_error), (confirmation, confirm_error) = outcomes
        assert (lowering_error, confirm_error) == (None, None)
        if lowered(lowering, host.id, 1):
            assert confirmation.status_code == 409
            assert [state_of(application) for application in tested] == ["tested", "tested"]
        else:
            assert confirmation.status_code == 302
            assert [state_of(application) for application in tested] == ["selected", "selected"]
        assert len(holders(host.id)) <= places_of(host.id)


# --- 14: places freed at once at the same host -------------------------------------------


def two_holders_and_three_waiting(second_states=("selected",)):
    """REPETITIONS calls, each with one host of two places held by two applications and
    three waitlisted applicants who chose it, created out of rank order."""
    worlds = []
    with one_commit():
        calls, people = calls_and_people(5)
        for index, call in enumerate(calls):
            [host] = call.places
            states = ("selected", second_states[index % len(second_states)], "waitlisted", "waitlisted", "waitlisted")
            one, other, third, first, second = (
                holding(call, state, host, person) for state, person in zip(states, people, strict=True)
            )
            first.rank, second.rank, third.rank = 1, 2, 3
            worlds.append((host, one, other, (first, second, third)))
    return worlds


def assert_first_two_promoted_in_rank_order(host, waiting):
    first, second, third = waiting
    assert [state_of(application) for application in waiting] == ["selected", "selected", "waitlisted"]
    assert set(holders(host.id)) == {first.id, second.id}
    promotions = db.session.scalars(
        sa.select(TransitionLog.application_id)
        .where(
            TransitionLog.trigger == "select",
            TransitionLog.application_id.in_([application.id for application in waiting]),
        )
        .order_by(TransitionLog.id)
    ).all()
    assert promotions == [first.id, second.id]


# trigger: (state it frees a place from, who fires it, state it leads to)
FREEING = {
    "decline_place": ("selected", "owner", "declined"),
    "withdraw": ("confirmed", "owner", "withdrawn"),
    "host_reject": ("nominated", "coordinator", "host_rejected"),
    "cancel": ("selected", "head", "cancelled"),
}


def test_two_places_freed_at_once_both_go_to_the_waiting_list_in_rank_order(app):
    """A decline against each way of freeing a place in turn (5 times each)."""
    triggers = list(FREEING)
    worlds = two_holders_and_three_waiting([FREEING[trigger][0] for trigger in triggers])
    with one_commit():
        head = UserFactory(roles=["head"], category="staff")
        coordinator = UserFactory(coordinates=[worlds[0][2].faculty])
    actors = {"head": head.id, "coordinator": coordinator.id}
    chosen = {}

    def sides(slot, world):
        _, one, other, _ = world
        trigger = chosen[other.id] = triggers[len(chosen) % len(triggers)]
        actor = other.applicant_id if FREEING[trigger][1] == "owner" else actors[FREEING[trigger][1]]
        return firing(one, "decline_place", one.applicant_id), firing(other, trigger, actor)

    for _, (host, one, other, waiting), outcomes in races(app, worlds, sides):
        assert [error for _, error in outcomes] == [None, None]
        assert (state_of(one), state_of(other)) == ("declined", FREEING[chosen[other.id]][2])
        assert_first_two_promoted_in_rank_order(host, waiting)


def test_a_decline_and_expire_offers_at_once_both_succeed(app):
    """At each host one offer has lapsed and the other holder declines just then. One run
    of expire-offers per round declines the PARALLEL lapsed offers of that round."""
    worlds = two_holders_and_three_waiting()

    def sides(slot, world):
        _, lapsed, declining, _ = world
        lapsed.offer_deadline = utcnow() - timedelta(hours=1)
        decline = firing(declining, "decline_place", declining.applicant_id)
        return (expire_offers, decline) if slot == 0 else (decline,)

    report = None
    for slot, (host, lapsed, declining, waiting), outcomes in races(app, worlds, sides):
        if slot == 0:
            (report, expiry_error), (_, decline_error) = outcomes
            assert expiry_error is None
            assert report.failed == [], "expire-offers would exit with status 1"
        else:
            [(_, decline_error)] = outcomes
        assert decline_error is None
        assert lapsed.id in report.lapsed
        assert (state_of(lapsed), state_of(declining)) == ("declined", "declined")
        assert_first_two_promoted_in_rank_order(host, waiting)


# --- the guard in the database ---------------------------------------------------------


def test_the_database_refuses_a_holder_beyond_the_places():
    """Any writer, not only fire(): a place given without a free one is refused."""
    with one_commit():
        calls, (holder, other, third) = calls_and_people(3, count=1)
        call = calls[0]
        [host] = call.places
        held = [holding(call, "confirmed", host, person) for person in (holder, other)]
        waiting = holding(call, "waitlisted", host, third)
    with pytest.raises(sa.exc.IntegrityError, match="places_not_overbooked|would be held 3 times"):
        db.session.execute(
            sa.update(Application)
            .where(Application.id == waiting.id)
            .values(state="selected", allocated_place_id=host.id)
        )
    db.session.rollback()
    # Moving on within the holding states, or leaving them, needs no free place.
    db.session.execute(sa.update(Application).where(Application.id == held[0].id).values(state="nominated"))
    db.session.execute(sa.update(Application).where(Application.id == held[1].id).values(state="withdrawn"))
    db.session.execute(
        sa.update(Application).where(Application.id == waiting.id).values(state="selected", allocated_place_id=host.id)
    )
    db.session.commit()
    assert len(holders(host.id)) == 2


def test_the_database_refuses_fewer_places_than_held():
    with one_commit():
        calls, people = calls_and_people(1, count=1)
        [host] = calls[0].places
        holding(calls[0], "selected", host, people[0])
    with pytest.raises(sa.exc.IntegrityError, match="places_not_overbooked|offers 0 places but 1 are held"):
        db.session.execute(sa.update(CallPlace).where(CallPlace.id == host.id).values(places=0))
    db.session.rollback()
    db.session.execute(sa.update(CallPlace).where(CallPlace.id == host.id).values(places=1))
    db.session.commit()
    assert places_of(host.id) == 1


def test_the_database_refuses_a_holder_inserted_into_a_full_host():
    """A row written whole in a holding state (an import, a hand-made fix) is counted too."""
    with one_commit():
        calls, (first, second, third) = calls_and_people(3, count=1)
        call = calls[0]
        [host] = call.places
        for person in (first, second):
            holding(call, "confirmed", host, person)
    with pytest.raises(sa.exc.IntegrityError, match="places_not_overbooked|would be held 3 times"):
        ApplicationFactory(
            call=call,
            state="selected",
            hosts=[host],
            applicant=third,
            allocated_place=host,
            submitted_at=utcnow() - timedelta(days=3),
        )
    db.session.rollback()
    assert len(holders(host.id)) == 2
    # Written whole without a place, or in a state that holds none, it needs no free place.
    ApplicationFactory(
        call=call,
        state="waitlisted",
        hosts=[host],
        applicant=third,
        allocated_place=host,
        submitted_at=utcnow() - timedelta(days=3),
    )
    assert len(holders(host.id)) == 2


def test_the_database_refuses_a_holder_moved_to_a_full_host():
    with one_commit():
        program = ProgramFactory()
        call = CallFactory(program=program, places=(2, 1))
        full, free = call.places
        people = [UserFactory(faculty=FacultyFactory()) for _ in range(3)]
        for person in people[:2]:
            holding(call, "confirmed", full, person)
        moving = holding(call, "nominated", free, people[2])
    with pytest.raises(sa.exc.IntegrityError, match="places_not_overbooked|would be held 3 times"):
        db.session.execute(sa.update(Application).where(Application.id == moving.id).values(allocated_place_id=full.id))
    db.session.rollback()
    assert holders(free.id) == [moving.id]
    # Once a place there is given up, the move is allowed.
    leaving = holders(full.id)[0]
    db.session.execute(sa.update(Application).where(Application.id == leaving).values(state="withdrawn"))
    db.session.execute(sa.update(Application).where(Application.id == moving.id).values(allocated_place_id=full.id))
    db.session.commit()
    assert len(holders(full.id)) == 2


# --- one reset link, submitted twice at once ----------------------------------------------------


def submitting(browser, path, password):
    """An action posting the reset form at `path`; the CSRF token is read now, before the race."""
    token = CSRF_INPUT.search(browser.get(path).get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "password": password, "password_again": password}
    return lambda: browser.post(path, data=data)


def test_a_reset_link_submitted_twice_at_once_sets_one_password(app):
    """Both submits find the link valid when they start; the account's row, locked by the
    first, makes the second see the new password, and with it a used link."""
    for repetition in range(REPETITIONS // 2):
        user = UserFactory(email=f"racer{repetition}@example.org")
        with app.test_request_context("/"):
            path = f"/auth/reset/{password_reset.make_token(user)}"
        passwords = [f"first apricot orchard {repetition}", f"second apricot orchard {repetition}"]

        outcomes = run_together(app, [submitting(app.test_client(), path, password) for password in passwords])

        assert [error for _, error in outcomes] == [None, None]
        statuses = [response.status_code for response, _ in outcomes]
        assert sorted(statuses) == [302, 410], repetition
        refused = outcomes[statuses.index(410)][0]
        assert "This password reset link has already been used" in text_of(refused)
        winner, loser = passwords[statuses.index(302)], passwords[statuses.index(410)]
        assert login(app.test_client(), user.email, winner).status_code == 302
        assert login(app.test_client(), user.email, loser).status_code == 401
        resets = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.kind == "password_reset", SecurityEvent.user_id == user.id)
        ).all()
        assert len(resets) == 1


# --- the purge of personal data while the applicant starts an application ------------------


def test_the_purge_never_anonymises_an_applicant_holding_a_live_application(app):
    """The purge has listed an applicant whose applications all ended long ago; just then they
    start a new one. Either the purge goes first and the start is refused (the account is
    anonymised), or the start goes first and the purge skips the account."""
    long_ago = utcnow() - timedelta(days=6 * 366)
    with one_commit():
        worlds = [
            (UserFactory(created_at=long_ago, last_login_at=long_ago).id, CallFactory().id) for _ in range(REPETITIONS)
        ]
    listed = {candidate.user.id: candidate for candidate in purge_candidates(5)}
    assert set(listed) == {applicant_id for applicant_id, _ in worlds}

    def sides(slot, world):
        applicant_id, call_id = world

        def purge():
            # The decision of the list, anonymised in a transaction of its own as the command does.
            result = anonymise(dataclasses.replace(listed[applicant_id], user=db.session.get(User, applicant_id)))
            if result is None:
                db.session.rollback()
                return "skipped"
            db.session.commit()
            return "anonymised"

        def start():
            with app.test_request_context():
                call, applicant = db.session.get(Call, call_id), db.session.get(User, applicant_id)
                started = start_application(call, applicant)
                db.session.commit()
                return started.how

        return (purge, start)

    for _slot, (applicant_id, _call_id), outcomes in races(app, worlds, sides):
        (purged, purge_error), (started, start_error) = outcomes
        assert purge_error is None
        user = db.session.get(User, applicant_id)
        states = db.session.scalars(sa.select(Application.state).where(Application.applicant_id == applicant_id)).all()
        if purged == "anonymised":
            assert isinstance(start_error, Refused) and "deactivated" in start_error.message, (started, start_error)
            assert user.anonymised_at is not None and states == []
        else:
            assert purged == "skipped" and start_error is None and started == "new"
            assert user.anonymised_at is None and user.active and states == ["draft"]
