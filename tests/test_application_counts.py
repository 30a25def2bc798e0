"""The counts the database keeps (application_counts, participant_counts) equal the
applications after every kind of write: a row written whole, a transition, a freed place
given to the waiting list, a withdrawal, a category changed, a row deleted; the
command that rebuilds them changes nothing then; the queue and the dashboard read them."""

from collections import Counter

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from irflow.extensions import db
from irflow.models import Application, ApplicationCount, ParticipantCount, User
from irflow.models.application_count import recount
from irflow.models.states import HOLDING_STATES
from irflow.workflow import fire

from .fixtures.factories import CallFactory, FacultyFactory, UserFactory, actors_for, application_in, one_commit
from .fixtures.web import client_for, text_of


def counted_from_the_applications():
    """({count key: number}, {participant key: number}) computed here from the rows,
    independently of the SQL that keeps them."""
    counted, participants = Counter(), Counter()
    rows = db.session.execute(
        sa.select(
            Application.call_id,
            Application.faculty_id,
            Application.state,
            Application.allocated_place_id,
            User.category,
        )
        .join(User, User.id == Application.applicant_id)
        .where(Application.submitted_at.is_not(None))
    )
    for call_id, faculty_id, state, place_id, category in rows:
        counted[(call_id, faculty_id or 0, state)] += 1
        if state in HOLDING_STATES:
            participants[(call_id, faculty_id or 0, state, place_id or 0, category or "")] += 1
    return dict(counted), dict(participants)


def stored_counts():
    def read(model):
        table = model.__table__
        key = [column for column in table.c if column.name != "number"]
        return {
            tuple(parts): number for *parts, number in db.session.execute(sa.select(*key, table.c.number)) if number
        }

    return read(ApplicationCount), read(ParticipantCount)


def assert_counts_hold():
    db.session.expire_all()
    assert stored_counts() == counted_from_the_applications()


@pytest.fixture
def busy_call():
    """A call with one place at its first host and applications at every stage."""
    with one_commit():
        call = CallFactory(places=[1, 3, 1])
        host = call.places[0]
        built = {
            "holder": application_in("selected", call=call, hosts=[host]),
            "first": application_in("waitlisted", call=call, hosts=[host], rank=1),
            "second": application_in("waitlisted", call=call, hosts=[host], rank=2),
            "submitted": application_in("submitted", call=call),
            "eligible": application_in("eligible", call=call),
            "abroad": application_in("abroad", call=call, hosts=[call.places[1]]),
            "draft": application_in("draft", call=call),
        }
    return call, built


def test_rows_written_whole_are_counted_and_drafts_are_not(busy_call):
    call, built = busy_call
    assert_counts_hold()
    counted, participants = stored_counts()
    assert not any(key[2] == "draft" for key in counted)
    # A participant is counted with the place and the category; another state is not a participant.
    holder = built["holder"]
    assert (
        call.id,
        holder.faculty_id,
        "selected",
        holder.allocated_place_id,
        holder.applicant.category,
    ) in participants
    assert (call.id, built["submitted"].faculty_id, "submitted") in counted
    assert not any(key[2] == "submitted" for key in participants)


def test_transitions_move_the_counts(busy_call):
    _call, built = busy_call
    holder = built["holder"]
    # Declining frees the place, which goes to the best-ranked applicant on the waiting list.
    fire(holder, "decline_place", holder.applicant)
    db.session.commit()
    assert db.session.get(Application, built["first"].id).state == "selected"
    assert_counts_hold()

    eligible = built["eligible"]
    fire(eligible, "withdraw", eligible.applicant)
    submitted = built["submitted"]
    coordinator = actors_for(submitted, kinds=("coordinator",))["coordinator"]
    fire(submitted, "approve_eligibility", coordinator)
    db.session.commit()
    assert_counts_hold()

    draft = built["draft"]
    fire(draft, "submit", draft.applicant)
    db.session.commit()
    assert_counts_hold()


def test_a_changed_category_moves_the_participants_only(busy_call):
    _call, built = busy_call
    for name in ("abroad", "submitted"):
        user = built[name].applicant
        user.category = "staff" if user.category != "staff" else "teacher"
    db.session.commit()
    assert_counts_hold()


def test_a_deleted_application_leaves_the_counts(busy_call):
    _call, built = busy_call
    db.session.execute(sa.delete(Application).where(Application.id == built["eligible"].id))
    db.session.commit()
    assert_counts_hold()


def test_the_rebuild_finds_nothing_to_change(app, busy_call):
    before = stored_counts()
    recount(db.session.connection())
    db.session.commit()
    assert stored_counts() == before

    # After a load that left the counts empty, the command makes them again.
    db.session.execute(sa.delete(ApplicationCount))
    db.session.execute(sa.delete(ParticipantCount))
    db.session.commit()
    answer = CliRunner().invoke(app.cli, ["recount-applications"])
    assert answer.exit_code == 0, answer.output
    rows = len(before[0]) + len(before[1])
    assert f"{rows} rows, {rows} differed" in answer.output
    assert_counts_hold()


def test_the_queue_counts_and_the_dashboard_read_the_kept_counts(app, busy_call):
    """Proved by changing the kept counts behind the applications' back: the pages show
    what the table says (the other tests prove the table says the truth)."""
    call, built = busy_call
    head = UserFactory(roles=["head"])
    faculty = built["submitted"].faculty_id
    db.session.execute(
        sa.update(ApplicationCount)
        .where(
            ApplicationCount.call_id == call.id,
            ApplicationCount.faculty_id == faculty,
            ApplicationCount.state == "submitted",
        )
        .values(number=ApplicationCount.number + 40)
    )
    db.session.commit()
    client = client_for(app, head)
    queue = client.get(f"/review/?call={call.id}")
    assert '<span class="badge text-bg-light border" data-state="submitted">41</span>' in queue.get_data(as_text=True)
    assert "41" in text_of(client.get("/dashboard/"))


def test_a_coordinator_counts_their_faculties_only(app):
    with one_commit():
        mine, other = FacultyFactory(), FacultyFactory()
        call = CallFactory()
        for faculty in (mine, mine, other):
            application_in("submitted", call=call, faculty=faculty)
        coordinator = UserFactory(roles=["coordinator"], coordinated_faculties=[mine])
    page = client_for(app, coordinator).get("/review/").get_data(as_text=True)
    assert '<span class="badge text-bg-light border" data-state="submitted">2</span>' in page
