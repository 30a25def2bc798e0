"""fire() under random use: a hypothesis state machine over one call with few places.

Several applications of one call (two hosts with one or two places each) start in various
states; random actors fire triggers on them: the ones the table allows, and anything at all
(impossible triggers, wrong people, stale forms), with or without a comment, with good and
bad dates and hosts. Each step commits when fire() accepts and rolls back when it refuses,
as a request does. After every step the rules of DESIGN.md must hold: no state outside the
table, a refusal changes nothing, no host has more holders than places, a freed place goes
at once to the best-ranked waitlisted applicants who chose that host, and each
application's TransitionLog is one unbroken chain of what was fired, and by whom.

What each step should do is worked out here from the table of tests/test_workflow_table.py
and from how the people were built, not from the engine's own data. derandomize makes every
run (and both databases) go through the same examples.
"""

import collections
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from irflow.extensions import db
from irflow.models import Application, CallPlace, Notification, ReturnReport, TransitionLog, User
from irflow.models.base import utcnow
from irflow.workflow import STATES, TRIGGERS, WorkflowError, fire

from .fixtures.database import empty_tables
from .fixtures.factories import (
    CallFactory,
    FacultyFactory,
    UserFactory,
    add_document,
    add_scores,
    application_in,
    one_commit,
)
from .fixtures.workflow import FINAL, TABLE

# DESIGN.md: the states that occupy the allocated place, and the triggers that free it.
HOLDING = {"selected", "confirmed", "nominated", "host_accepted", "abroad", "returned", "report_submitted", "completed"}
FREES_PLACE = {"decline_place", "withdraw", "host_reject", "cancel"}
# Where the applications start; the states around the waiting list come more often.
START_STATES = (
    "draft",
    "submitted",
    "changes_requested",
    "eligible",
    "tested",
    "tested",
    "waitlisted",
    "waitlisted",
    "waitlisted",
    "selected",
    "selected",
    "selected",
    "confirmed",
    "nominated",
    "host_accepted",
    "abroad",
    "returned",
)
# Drawn less often than the triggers that lead on, or most applications would end at once.
ENDINGS = {"withdraw", "cancel", "not_select", "reject_eligibility", "mark_absent"}
REASON = "Because of the rules."
ANY_COMMENT = (None, "", "  \n ", REASON, REASON)
MOSTLY_A_COMMENT = ("  ", REASON, REASON, REASON)
ANY_VERSION = ("none", "none", "current", "stale")  # the version the form was rendered with
FRESH_VERSION = ("none", "current")
STEP_KINDS = ("allowed",) * 6 + ("anything",) * 2 + ("lapse",)
# Days from today; "datetime" is a date and time where a date is wanted.
DATES = (None, "datetime", 3, -60, -30, -3, -3, 0, 0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# What the examples reached, so that the test fails when they stop reaching it.
REACHED = collections.Counter()


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _waiting_key(row):
    """The order of the waiting list: the best rank first, then the better total score,
    then the earlier submission; a missing value last."""
    submitted = _aware(row["submitted_at"])
    return (
        row["rank"] is None,
        row["rank"] or 0,
        row["total_score"] is None,
        -(row["total_score"] or 0),
        submitted is None,
        (submitted or EPOCH) - EPOCH,
        row["id"],
    )


def _equip(application, examiner):
    """What the guards further along ask for, so that an application can go on from where it
    starts: test scores, the host's letter, the report and its certificate (each only where
    the few steps of an example can reach the trigger that needs it)."""
    state = application.state
    if state in ("draft", "submitted", "changes_requested"):
        add_scores(application, examiner)
    if state in ("eligible", "tested", "waitlisted", "selected", "confirmed"):
        add_document(application, "host_acceptance", uploader=examiner)
    if state in ("selected", "confirmed", "nominated", "host_accepted", "abroad"):
        db.session.add(
            ReturnReport(
                application=application,
                activities="Courses and a lab project.",
                results="30 ECTS passed.",
                credits_recognised=Decimal(30),
            )
        )
        add_document(application, "certificate_of_attendance")


class WorkflowMachine(RuleBasedStateMachine):
    """One call with two hosts, four to six applicants from two faculties, and everyone who
    might act: each applicant, the coordinator of each faculty and of another one, the
    call's examiner, a head, an admin, a user with no role, and the system."""

    @initialize(
        places=st.lists(st.integers(1, 2), min_size=2, max_size=2),
        holding=st.lists(st.sampled_from(("selected", "selected", "confirmed", "nominated")), min_size=2, max_size=2),
        others=st.lists(st.sampled_from(START_STATES), min_size=1, max_size=3),
        data=st.data(),
    )
    def build(self, places, holding, others, data):
        # The first host starts full with two applicants waiting for it, so that places are
        # freed with a waiting list behind in most examples; the others start anywhere.
        starts = [*holding[: places[0]], "waitlisted", "waitlisted", *others]
        with one_commit():
            faculty_a, faculty_b, faculty_other = FacultyFactory(), FacultyFactory(), FacultyFactory()
            examiner = UserFactory(roles=["examiner"])
            # No required documents and no transcript (not a study stay): fewer rows to write.
            call = CallFactory(
                places=tuple(places), examiners=[examiner], required_document_kinds=[], mobility_type="training"
            )
            people = {
                "coordinator_a": UserFactory(coordinates=[faculty_a]),
                "coordinator_b": UserFactory(coordinates=[faculty_b]),
                "coordinator_other": UserFactory(coordinates=[faculty_other]),
                "examiner": examiner,
                "head": UserFactory(roles=["head"]),
                "admin": UserFactory(roles=["admin"]),
                "stranger": UserFactory(faculty=faculty_a),
            }
            hosts = list(call.places)
            holders = {place.id: 0 for place in hosts}
            applications = []
            for number, state in enumerate(starts):
                chosen = data.draw(
                    st.permutations(hosts).flatmap(
                        lambda order: st.integers(1, len(order)).map(lambda count, order=order: order[:count])
                    ),
                    label=f"hosts of {number}",
                )
                if number < places[0] + 2 and hosts[0] not in chosen:
                    chosen = [hosts[0], *chosen][:2]
                if state in HOLDING:
                    # The factory allocates the first choice; no host starts overbooked.
                    free = [place for place in chosen if holders[place.id] < place.places]
                    if free:
                        chosen = [free[0]] + [place for place in chosen if place is not free[0]]
                        holders[free[0].id] += 1
                    else:
                        state = "waitlisted"
                rank = data.draw(st.one_of(st.none(), st.integers(1, 8)), label=f"rank of {number}")
                applicant = UserFactory(faculty=faculty_a if number % 2 == 0 else faculty_b)
                application = application_in(
                    state, examiner=examiner, applicant=applicant, call=call, hosts=chosen, rank=rank
                )
                _equip(application, examiner)
                people[f"applicant_{number}"] = applicant
                applications.append(application)
            # Read now: the commit at the end of the block expires every object.
            self.place_ids = [place.id for place in hosts]
            self.places = {place.id: place.places for place in hosts}
            self.application_ids = [application.id for application in applications]
            self.choices = {
                application.id: [choice.call_place_id for choice in application.choices] for application in applications
            }
            self.start_states = {application.id: application.state for application in applications}
            self.actor_ids = {name: user.id for name, user in people.items()}
        self.actor_ids["system"] = None
        self.actor_names = sorted(self.actor_ids)
        self.kinds = {
            (name, application_id): self._kinds(name, number)
            for number, application_id in enumerate(self.application_ids)
            for name in self.actor_names
        }
        # (trigger, from, to, actor id) of every change: as fired here, or promoted by the system.
        self.expected_log = {application_id: [] for application_id in self.application_ids}
        self._seen = None

    @staticmethod
    def _kinds(name, number):
        """The actor kinds of the table that `name` is for application `number`."""
        if name == "system":
            return {"system"}
        kinds = set()
        if name == f"applicant_{number}":
            kinds.add("owner")
        if name == ("coordinator_a" if number % 2 == 0 else "coordinator_b"):
            kinds.add("coordinator")
        if name in ("examiner", "head", "admin"):
            kinds.add(name)
        return kinds

    def teardown(self):
        db.session.rollback()
        db.session.expunge_all()
        empty_tables()

    # --- what the database holds ---------------------------------------------------------

    def _snapshot(self):
        """(rows, log, notifications per application) as the database holds them now."""
        rows = (
            db.session.execute(
                db.select(
                    Application.id,
                    Application.state,
                    Application.version,
                    Application.allocated_place_id,
                    Application.offer_deadline,
                    Application.changes_due_at,
                    Application.submitted_at,
                    Application.total_score,
                    Application.rank,
                    Application.actual_departure,
                    Application.actual_return,
                )
                .where(Application.id.in_(self.application_ids))
                .order_by(Application.id)
            )
            .mappings()
            .all()
        )
        entries = db.session.execute(
            db.select(
                TransitionLog.application_id,
                TransitionLog.trigger,
                TransitionLog.from_state,
                TransitionLog.to_state,
                TransitionLog.actor_id,
                TransitionLog.id,
            )
            .where(TransitionLog.application_id.in_(self.application_ids))
            .order_by(TransitionLog.id)
        ).all()
        log = {application_id: [] for application_id in self.application_ids}
        for application_id, *entry in entries:
            log[application_id].append(tuple(entry))
        notices = dict.fromkeys(self.application_ids, 0)
        notices.update(
            db.session.execute(
                db.select(Notification.application_id, db.func.count(Notification.id))
                .where(Notification.application_id.in_(self.application_ids))
                .group_by(Notification.application_id)
            ).all()
        )
        return {row["id"]: dict(row) for row in rows}, log, notices

    def _read(self):
        """The snapshot taken after the last step (nothing changes between steps)."""
        if self._seen is None:
            self._seen = self._snapshot()
        return self._seen

    def _holders(self, rows):
        holders = {place_id: [] for place_id in self.place_ids}
        for row in rows.values():
            if row["state"] in HOLDING:
                holders[row["allocated_place_id"]].append(row["id"])
        return holders

    def _waiting_for(self, rows, place_id):
        return [row for row in rows.values() if row["state"] == "waitlisted" and place_id in self.choices[row["id"]]]

    def _owed(self, rows):
        """Hosts with a free place while someone who chose them waits."""
        holders = self._holders(rows)
        return {
            place_id
            for place_id in self.place_ids
            if len(holders[place_id]) < self.places[place_id] and self._waiting_for(rows, place_id)
        }

    # --- one request ----------------------------------------------------------------------

    def _draw_data(self, data, trigger):
        """The fields the form of `trigger` sends besides the comment."""
        if trigger == "depart":
            return {"departure_date": self._draw_date(data, "departure date")}
        if trigger == "return_home":
            return {"return_date": self._draw_date(data, "return date")}
        if trigger == "select":  # the head may give another host than the first free choice
            place_id = data.draw(st.sampled_from([None, None, *self.place_ids]), label="host")
            return {} if place_id is None else {"place": db.session.get(CallPlace, place_id)}
        return {}

    @staticmethod
    def _draw_date(data, label):
        days = data.draw(st.sampled_from(DATES), label=label)
        if days is None:
            return None
        if days == "datetime":
            return datetime.combine(date.today() - timedelta(days=5), time(9))
        return date.today() + timedelta(days=days)

    def _fire(self, data, application_id, trigger, actor_name, comments, versions):
        comment = data.draw(st.sampled_from(comments), label="comment")
        version_mode = data.draw(st.sampled_from(versions), label="version")
        extra = self._draw_data(data, trigger)
        before_rows, before_log, before_notices = self._read()
        before = before_rows[application_id]
        self._seen = None

        application = db.session.get(Application, application_id)
        actor_id = self.actor_ids[actor_name]
        actor = db.session.get(User, actor_id) if actor_id is not None else None
        version = {"none": None, "current": before["version"], "stale": before["version"] - 1}[version_mode]
        row = TABLE.get(trigger)
        permitted = (
            row is not None
            and before["state"] in row[0]
            and bool(self.kinds[(actor_name, application_id)] & set(row[2]))
        )
        try:
            fire(application, trigger, actor, comment=comment, version=version, **extra)
        except WorkflowError as error:
            refusal = error
        else:
            refusal = None
        if refusal is not None:
            # Nothing half done in the session, and nothing in the database after the rollback.
            assert application.state == before["state"], (trigger, actor_name)
            assert not (db.session.new or db.session.dirty or db.session.deleted), (trigger, actor_name)
            db.session.rollback()
            assert self._read() == (before_rows, before_log, before_notices), (trigger, actor_name)
            if permitted and version_mode != "stale":
                # The table allows it: only an unmet condition may refuse it, and it is named.
                assert refusal.problems, (trigger, actor_name, before["state"], refusal.message)
                REACHED["refused by a guard"] += 1
            else:
                REACHED["refused by the table or a stale form"] += 1
            return

        assert permitted, f"{actor_name} fired {trigger} from {before['state']}"
        assert version_mode != "stale", f"{trigger} was accepted from a stale form"
        assert application.state == row[1]
        db.session.commit()
        REACHED["fired"] += 1

        after_rows, after_log, after_notices = self._read()
        after = after_rows[application_id]
        assert (after["state"], after["version"]) == (row[1], before["version"] + 1)
        assert after_notices[application_id] > before_notices[application_id], "the applicant is not told"
        self.expected_log[application_id].append((trigger, before["state"], row[1], actor_id))

        freed = before["allocated_place_id"] if trigger in FREES_PLACE and before["state"] in HOLDING else None
        changed = [
            other
            for other in self.application_ids
            if other != application_id and after_rows[other] != before_rows[other]
        ]
        if freed is None:
            assert changed == [], f"{trigger} from {before['state']} changed other applications"
        else:
            self._check_promotion(
                freed, changed, (before_rows, before_log, before_notices), (after_rows, after_log, after_notices)
            )
        new_owed = self._owed(after_rows) - self._owed(before_rows)
        if trigger != "waitlist":
            # Only the head putting someone on the waiting list may leave a free place behind
            # with someone waiting for it (DESIGN.md: a freed place goes at once).
            assert not new_owed, f"{trigger} left a free place at host {new_owed} with applicants waiting"

    def _check_promotion(self, freed, promoted, before, after):
        (before_rows, before_log, before_notices), (after_rows, after_log, after_notices) = before, after
        for other in promoted:
            was, now = before_rows[other], after_rows[other]
            assert (was["state"], now["state"]) == ("waitlisted", "selected"), (was, now)
            assert now["allocated_place_id"] == freed and freed in self.choices[other]
            assert now["version"] == was["version"] + 1
            assert now["offer_deadline"] is not None and _aware(now["offer_deadline"]) > utcnow()
            assert after_notices[other] > before_notices[other], "the promoted applicant is not told"
            [entry] = after_log[other][len(before_log[other]) :]
            assert entry[:4] == ("select", "waitlisted", "selected", None)  # by the system
            self.expected_log[other].append(entry[:4])
            REACHED["promoted"] += 1
        # Promoted in waiting-list order, and nobody still waiting for this host ranks above
        # anyone promoted to it.
        by_log = sorted(promoted, key=lambda other: after_log[other][-1][4])
        assert by_log == sorted(promoted, key=lambda other: _waiting_key(before_rows[other]))
        left = self._waiting_for(after_rows, freed)
        for other in promoted:
            assert all(_waiting_key(before_rows[other]) < _waiting_key(row) for row in left), (
                f"{[row['id'] for row in left]} waited ahead of {other} for host {freed}"
            )
        held = len(self._holders(after_rows)[freed])
        assert held == self.places[freed] or not left, (
            f"host {freed}: {held} of {self.places[freed]} places held while {len(left)} wait"
        )

    # --- steps ----------------------------------------------------------------------------

    @rule(data=st.data())
    def request(self, data):
        """One request: mostly a trigger the table allows (which then only a guard may refuse,
        saying what is missing), otherwise anything at all; now and then time passes first."""
        kind = data.draw(st.sampled_from(STEP_KINDS), label="kind")
        if kind == "lapse":
            self._offer_lapses(data)
        if kind == "anything":
            self._fire_anything(data)
        else:
            self._fire_allowed(data)

    def _fire_allowed(self, data):
        """A trigger the state allows, by someone the table allows, on a fresh form."""
        rows = self._read()[0]
        open_ids = [
            application_id for application_id in self.application_ids if rows[application_id]["state"] not in FINAL
        ]
        if not open_ids:
            return self._fire_anything(data)
        application_id = data.draw(st.sampled_from(open_ids), label="application")
        state = rows[application_id]["state"]
        triggers = [trigger for trigger, (sources, _dest, _kinds) in TABLE.items() if state in sources]
        weighted = [trigger for trigger in triggers for _ in range(1 if trigger in ENDINGS else 3)]
        trigger = data.draw(st.sampled_from(weighted), label="trigger")
        actor_name = data.draw(
            st.sampled_from(
                [name for name in self.actor_names if self.kinds[(name, application_id)] & set(TABLE[trigger][2])]
            ),
            label="actor",
        )
        return self._fire(data, application_id, trigger, actor_name, MOSTLY_A_COMMENT, FRESH_VERSION)

    def _fire_anything(self, data):
        """Any trigger (an unknown one too) by anyone on any application, any form."""
        application_id = data.draw(st.sampled_from(self.application_ids), label="application")
        trigger = data.draw(st.sampled_from((*TRIGGERS, "approve")), label="trigger")
        actor_name = data.draw(st.sampled_from(self.actor_names), label="actor")
        return self._fire(data, application_id, trigger, actor_name, ANY_COMMENT, ANY_VERSION)

    def _offer_lapses(self, data):
        """Time passes beyond a selected applicant's offer deadline: confirming is refused
        from then on, and the system declines for them."""
        selected = [application_id for application_id, row in self._read()[0].items() if row["state"] == "selected"]
        if not selected:
            return
        application = db.session.get(Application, data.draw(st.sampled_from(selected), label="lapsed"))
        application.offer_deadline = utcnow() - timedelta(hours=1)
        db.session.commit()
        self._seen = None

    # --- after every step -------------------------------------------------------------------

    @invariant()
    def every_state_is_in_the_table(self):
        for row in self._read()[0].values():
            assert row["state"] in STATES, row

    @invariant()
    def no_host_is_overbooked(self):
        rows = self._read()[0]
        for place_id, holders in self._holders(rows).items():
            assert len(holders) <= self.places[place_id], (place_id, holders, self.places[place_id])
        for row in rows.values():
            if row["state"] in HOLDING:
                assert row["allocated_place_id"] in self.choices[row["id"]], row

    @invariant()
    def each_log_is_one_chain_of_what_was_fired(self):
        rows, log, _notices = self._read()
        for application_id, entries in log.items():
            state = self.start_states[application_id]
            for _trigger, from_state, to_state, _actor, _id in entries:
                assert from_state == state, (application_id, entries)
                state = to_state
            assert state == rows[application_id]["state"], (application_id, entries)
            assert [entry[:4] for entry in entries] == self.expected_log[application_id]


@pytest.mark.usefixtures("app")
def test_random_use_of_fire_keeps_the_invariants():
    REACHED.clear()
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,  # the same examples in every run and on every database
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    # The examples went where the invariants matter: successes, both kinds of refusal, promotions.
    assert REACHED["fired"] >= 50, REACHED
    assert REACHED["refused by a guard"] >= 20, REACHED
    assert REACHED["refused by the table or a stale form"] >= 40, REACHED
    assert REACHED["promoted"] >= 5, REACHED
