"""The selection rule (irflow/selection/proposal.py): ranking, minimum, allocation by
preference, the waiting list, the checks on the head's changes and the fingerprint."""

from decimal import Decimal

from irflow.extensions import db
from irflow.models import Score
from irflow.models.application import state_assignment_allowed
from irflow.selection.proposal import Decision, build_proposal, check_decisions, proposal_for

from .fixtures.factories import CallFactory, UserFactory, application_in, one_commit
from .fixtures.querycount import counting_statements
from .fixtures.selection import scored

# Criteria of CallFactory: Language test ×2, Interview ×1, Average grade ×1 (grade / 5 × 100).
# total = (2·language + interview + grade·20) / 4; the defaults give (160 + 80 + 90) / 4 = 82.5.


def by_id(proposal):
    return {row.id: row for row in proposal.rows}


def test_ranking_by_total_with_ties_to_the_earlier_submission():
    with one_commit():
        call = CallFactory(places=(5,))
        examiner = UserFactory(roles=["examiner"])
        late = scored(call, submitted_days_ago=1, examiner=examiner)  # 82.5
        best = scored(call, language=100, examiner=examiner)  # 92.5
        early = scored(call, submitted_days_ago=6, examiner=examiner)  # 82.5, submitted first
        low = scored(call, language=60, submitted_days_ago=9, examiner=examiner)  # 72.5

    proposal = proposal_for(call)

    assert [row.id for row in proposal.ranked] == [best.id, early.id, late.id, low.id]
    assert [row.rank for row in proposal.ranked] == [1, 2, 3, 4]
    assert [row.total for row in proposal.ranked] == [
        Decimal("92.50"),
        Decimal("82.50"),
        Decimal("82.50"),
        Decimal("72.50"),
    ]


def test_equal_totals_and_submission_times_fall_back_to_the_id():
    with one_commit():
        call = CallFactory(places=(5,))
        first, second = scored(call), scored(call)
        second.submitted_at = first.submitted_at
    assert [row.id for row in proposal_for(call).ranked] == [first.id, second.id]


def test_breakdown_lists_criterion_weight_and_value_with_the_normalised_grade():
    with one_commit():
        call = CallFactory(places=(1,))
        application = scored(call, language=70, interview=90, grade="4.00")
    [row] = proposal_for(call).rows
    assert [(criterion.name, weight, value) for criterion, weight, value in row.breakdown] == [
        ("Language test", Decimal(2), Decimal(70)),
        ("Interview", Decimal(1), Decimal(90)),
        ("Average grade", Decimal(1), Decimal(80)),
    ]
    assert row.total == Decimal("77.50") and row.application.id == application.id


def test_below_the_minimum_is_not_selected_even_with_places_free():
    with one_commit():
        call = CallFactory(places=(5,), minimum_total_score=Decimal(60))
        below = scored(call, language=50, interview=50, grade="3.00")  # (100 + 50 + 60) / 4 = 52.5
        exactly = scored(call, language=60, interview=60, grade="3.00")  # 60: the minimum itself passes
    rows = by_id(proposal_for(call))
    assert (rows[below.id].result, rows[below.id].place, rows[below.id].meets_minimum) == ("not_select", None, False)
    assert rows[below.id].rank == 2  # ranked all the same: the applicant sees where they stood
    assert (rows[exactly.id].result, rows[exactly.id].total) == ("select", Decimal("60.00"))


def test_each_gets_the_highest_choice_with_a_free_place_and_the_rest_wait():
    with one_commit():
        call = CallFactory(places=(1, 1, 1))
        first_host, second_host, third_host = call.places
        top = scored(call, hosts=[first_host, second_host], language=100)
        second = scored(call, hosts=[first_host, second_host], language=95)  # first host full → second choice
        third = scored(call, hosts=[second_host, first_host], language=90)  # both full → waiting list
        fourth = scored(call, hosts=[third_host], language=85)
        fifth = scored(call, hosts=[first_host, third_host], language=80)  # all full → waiting list
    proposal = proposal_for(call)
    rows = by_id(proposal)

    assert rows[top.id].decision == Decision("select", first_host.id)
    assert rows[second.id].decision == Decision("select", second_host.id)
    assert rows[third.id].decision == Decision("waitlist", None)
    assert rows[fourth.id].decision == Decision("select", third_host.id)
    assert rows[fifth.id].decision == Decision("waitlist", None)
    assert [row.id for row in proposal.waitlist] == [third.id, fifth.id]  # in rank order
    assert [(line.places, line.held, line.proposed, line.free) for line in proposal.hosts] == [
        (1, 0, 1, 0),
        (1, 0, 1, 0),
        (1, 0, 1, 0),
    ]


def test_places_already_held_in_the_call_are_not_offered_again():
    with one_commit():
        call = CallFactory(places=(2, 1))
        first_host, second_host = call.places
        application_in("confirmed", call=call, hosts=[first_host])
        application_in("declined", call=call, hosts=[second_host])  # declined: holds nothing
        best = scored(call, hosts=[first_host], language=100)
        next_one = scored(call, hosts=[first_host, second_host], language=90)
    proposal = proposal_for(call)
    rows = by_id(proposal)
    assert rows[best.id].decision == Decision("select", first_host.id)
    assert rows[next_one.id].decision == Decision("select", second_host.id)
    assert [(line.held, line.proposed, line.free) for line in proposal.hosts] == [(1, 1, 0), (0, 1, 0)]


def test_build_proposal_is_pure_and_takes_the_held_places_as_given():
    with one_commit():
        call = CallFactory(places=(2,))
        [host] = call.places
        applications = [scored(call, hosts=[host], language=value) for value in (100, 90, 80)]
    scores = {application.id: list(application.scores) for application in applications}
    build_proposal(call, applications, scores, {})  # loads what was expired by the commit
    with counting_statements() as statements:
        proposal = build_proposal(call, list(reversed(applications)), scores, {host.id: 1})
    assert statements == []
    assert [row.result for row in proposal.ranked] == ["select", "waitlist", "waitlist"]
    assert proposal.hosts[0].free == 0


def test_an_application_missing_a_score_is_not_ranked_and_blocks_the_confirmation():
    with one_commit():
        call = CallFactory(places=(2,))
        complete = scored(call)
        missing = scored(call)
        db.session.delete(next(score for score in missing.scores if score.criterion.name == "Interview"))
    proposal = proposal_for(call)
    assert [row.id for row in proposal.ranked] == [complete.id]
    assert [row.id for row in proposal.incomplete] == [missing.id]
    errors, general = check_decisions(proposal, proposal.decisions())
    assert errors == {} and any("lack a score" in message for message in general)


def test_check_decisions_accepts_the_proposal_and_refuses_what_breaks_the_rule():
    with one_commit():
        call = CallFactory(places=(1, 1, 1), minimum_total_score=Decimal(60))
        first_host, second_host, third_host = call.places
        top = scored(call, hosts=[first_host, second_host], language=100)
        other = scored(call, hosts=[first_host, second_host], language=90)
        low = scored(call, hosts=[first_host], language=10, interview=10, grade="1.00")
    proposal = proposal_for(call)
    assert check_decisions(proposal, proposal.decisions()) == ({}, [])

    decisions = proposal.decisions()
    decisions[other.id] = Decision("select", first_host.id)  # two for one place
    errors, general = check_decisions(proposal, decisions)
    assert general == [] and set(errors) == {top.id, other.id}
    assert ": 2 selected, free places: 1." in errors[top.id][0]

    decisions = proposal.decisions()
    decisions[other.id] = Decision("select", third_host.id)  # not chosen
    assert check_decisions(proposal, decisions)[0] == {other.id: ["The applicant did not choose this host."]}

    decisions = proposal.decisions()
    decisions[other.id] = Decision("select", None)
    assert check_decisions(proposal, decisions)[0] == {other.id: ["Choose the host for a selected applicant."]}

    for result in ("select", "waitlist"):
        decisions = proposal.decisions()
        decisions[low.id] = Decision(result, first_host.id if result == "select" else None)
        errors = check_decisions(proposal, decisions)[0]
        assert list(errors) == [low.id] and "below the call's minimum" in errors[low.id][0]

    decisions = proposal.decisions()
    decisions[top.id] = Decision("promote", None)
    assert check_decisions(proposal, decisions)[0] == {top.id: ["Choose a result."]}


def test_the_fingerprint_moves_with_every_input_and_only_then():
    with one_commit():
        call = CallFactory(places=(1, 1))
        application = scored(call)
        other = scored(call)
    before = proposal_for(call).fingerprint
    assert len(before) == 64 and before == proposal_for(call).fingerprint

    changes = [
        lambda: setattr(
            db.session.scalars(db.select(Score).where(Score.application_id == application.id)).first(),
            "value",
            Decimal(55),
        ),
        lambda: setattr(application, "motivation", "Changed after the page was shown."),
        lambda: setattr(other, "state", "withdrawn"),
        lambda: setattr(call.places[0], "places", 3),
        lambda: setattr(call.criteria[0], "weight", Decimal(3)),
        lambda: setattr(call, "minimum_total_score", Decimal(70)),
        lambda: scored(call),
    ]
    seen = {before}
    for change in changes:
        with state_assignment_allowed():  # a change made behind the page's back, not a transition
            change()
        db.session.commit()
        now = proposal_for(call).fingerprint
        assert now not in seen
        seen.add(now)
