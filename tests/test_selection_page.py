"""The selection page over HTTP: who may see it, the proposal, the head's changes, the
confirmation in one transaction (refused when anything changed since the page was shown),
the read-only decision afterwards and the printable protocol."""

from datetime import timedelta
from decimal import Decimal

import pytest

from irflow.extensions import db
from irflow.models import Application, Notification, Score, TransitionLog
from irflow.models.base import utcnow
from irflow.selection import operations as selection_operations
from irflow.selection.proposal import proposal_for
from irflow.workflow import WorkflowError, fire

from .fixtures.factories import CallFactory, UserFactory, add_scores, application_in
from .fixtures.selection import scored, selection_url
from .fixtures.web import form_of, text_of


def states(people):
    return {
        name: db.session.scalar(db.select(Application.state).where(Application.id == application.id))
        for name, application in people.items()
    }


def assert_nothing_done(call, people):
    db.session.expire_all()
    assert set(states(people).values()) == {"tested"}
    assert all(application.rank is None and application.allocated_place_id is None for application in people.values())
    assert db.session.scalar(db.select(db.func.count(TransitionLog.id))) == 0
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == 0
    assert call.selection_confirmed_at is None


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["anonymous", "applicant", "coordinator", "examiner", "inactive_head"])
def test_only_the_head_and_admin_reach_the_selection(kind, client, login_as, selection):
    call, people = selection
    examiner = UserFactory(roles=["examiner"])
    call.examiners = [examiner]  # assigned to this very call: still not theirs to decide
    users = {
        "applicant": people["ann"].applicant,
        "coordinator": UserFactory(coordinates=[people["ann"].faculty]),
        "examiner": examiner,
        "inactive_head": UserFactory(roles=["head"], active=False),
    }
    db.session.commit()
    if kind != "anonymous":
        login_as(users[kind])
    token = client.csrf_token("/")

    responses = [
        client.get(selection_url(call)),
        client.post(selection_url(call), data={"csrf_token": token}),
        client.get(selection_url(call, "/protocol")),
    ]

    for response in responses:
        if kind in ("anonymous", "inactive_head"):
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    assert_nothing_done(call, people)


@pytest.mark.parametrize("role", ["head", "admin"])
def test_head_and_admin_see_the_page_and_unknown_calls_are_404(role, client, login_as, selection):
    call, _people = selection
    login_as(UserFactory(roles=[role]))
    assert client.get(selection_url(call)).status_code == 200
    assert client.get(selection_url(call, "/protocol")).status_code == 409  # not confirmed yet
    assert client.get(f"/calls/{call.id + 1000}/selection").status_code == 404
    assert client.get(f"/calls/{call.id + 1000}/selection/protocol").status_code == 404
    token = client.csrf_token("/")
    assert client.post(f"/calls/{call.id + 1000}/selection", data={"csrf_token": token}).status_code == 404


# --- the proposal -------------------------------------------------------------------------


def test_the_page_shows_ranking_breakdown_allocation_places_and_waiting_list(
    client, login_as, selection_head, selection
):
    call, people = selection
    login_as(selection_head)

    response = client.get(selection_url(call))

    assert response.status_code == 200
    page = text_of(response)
    for header in ("Language test", "× 2", "Interview", "Average grade", "Total", "Rank"):
        assert header in page
    # In rank order, with each total (ann: (200 + 90 + 90) / 4 = 95).
    positions = [page.index(people[name].applicant.full_name_latin) for name in ("ann", "ben", "cid", "dan", "eve")]
    assert positions == sorted(positions)
    for total in ("95", "90", "85", "80", "25"):
        assert f">{total}" in page.replace(" ", "").replace("\n", "")
    form = form_of(response)
    a, b, c = call.places
    assert [form[f"result-{people[name].id}"] for name in ("ann", "ben", "cid", "dan")] == [
        "select",
        "select",
        "select",
        "waitlist",
    ]
    # Below the minimum there is nothing to choose: no field, the row is confirmed as proposed.
    assert f"result-{people['eve'].id}" not in form
    eve_row = page[page.index(f'id="row-{people["eve"].id}"') :]
    assert "Not selected" in eve_row[: eve_row.index("</tr>")]
    assert [form[f"place-{people[name].id}"] for name in ("ann", "ben", "cid", "dan")] == [
        str(a.id),
        str(a.id),
        str(b.id),
        "",
    ]
    assert len(form["fingerprint"]) == 64
    # A host select offers only the applicant's own choices.
    row = page[page.index(f'name="place-{people["ben"].id}"') :]
    row = row[: row.index("</select>")]
    assert c.partner.name in row and b.partner.name not in row
    assert "below the minimum" in page
    waitlist = page[page.index('id="waitlist"') :]
    assert people["dan"].applicant.full_name_latin in waitlist[: waitlist.index("</ol>")]
    hosts = page[page.index('id="hosts"') : page.index("</table>", page.index('id="hosts"'))]
    assert 'data-free="0"' in hosts and 'data-free="1"' in hosts  # c is left free


def test_confirming_the_proposal_fires_every_decision_as_the_head(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    form = form_of(client.get(selection_url(call)))

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 302 and response.headers["Location"].endswith(selection_url(call))
    a, b, _c = call.places
    assert states(people) == {
        "ann": "selected",
        "ben": "selected",
        "cid": "selected",
        "dan": "waitlisted",
        "eve": "not_selected",
    }
    assert [people[name].rank for name in ("ann", "ben", "cid", "dan", "eve")] == [1, 2, 3, 4, 5]
    assert people["ann"].total_score == Decimal("95.00")
    assert [people[name].allocated_place_id for name in ("ann", "ben", "cid")] == [a.id, a.id, b.id]
    assert all(people[name].offer_deadline is not None for name in ("ann", "ben", "cid"))
    logs = db.session.scalars(db.select(TransitionLog).order_by(TransitionLog.id)).all()
    assert {log.actor_id for log in logs} == {selection_head.id} and len(logs) == 5
    assert [log.trigger for log in logs] == ["select"] * 3 + ["waitlist", "not_select"]  # selects first
    notified = db.session.scalars(db.select(Notification.recipient_id)).all()
    assert sorted(notified) == sorted(application.applicant_id for application in people.values())
    assert call.selection_confirmed_at is not None

    page = text_of(client.get(selection_url(call)))
    assert "The selection was confirmed on" in page
    assert 'name="fingerprint"' not in page  # read-only now
    assert "3 selected, 1 on the waiting list, 1 not selected." in page
    assert people["dan"].applicant.full_name_latin in page[page.index('id="waitlist"') :]

    # A second confirmation (another tab) changes nothing.
    again = client.post(selection_url(call), data=form)
    assert again.status_code == 409
    assert "already been confirmed" in text_of(again)
    assert db.session.scalar(db.select(db.func.count(TransitionLog.id))) == 5


def test_the_head_may_change_a_host_and_a_result(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    a, b, c = call.places
    form = form_of(client.get(selection_url(call)))
    form[f"place-{people['ben'].id}"] = str(c.id)  # ben: second choice instead of the first
    form[f"result-{people['dan'].id}"] = "select"  # dan: takes the place ben left at A
    form[f"place-{people['dan'].id}"] = str(a.id)
    form[f"result-{people['cid'].id}"] = "not_select"  # cid: not selected after all
    form[f"place-{people['cid'].id}"] = ""

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 302
    assert states(people) == {
        "ann": "selected",
        "ben": "selected",
        "cid": "not_selected",
        "dan": "selected",
        "eve": "not_selected",
    }
    assert [people[name].allocated_place_id for name in ("ann", "ben", "dan")] == [a.id, c.id, a.id]
    assert people["cid"].allocated_place_id is None and people["cid"].rank == 3


@pytest.mark.parametrize("change", ["over_capacity", "host_not_chosen", "no_host", "below_minimum"])
def test_a_change_that_breaks_the_rule_is_refused_next_to_its_row(change, client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    a, b, c = call.places
    form = form_of(client.get(selection_url(call)))
    target, result, place, message = {
        "over_capacity": ("dan", "select", a, ": 3 selected, free places: 2."),
        "host_not_chosen": ("dan", "select", c, "The applicant did not choose this host."),
        "no_host": ("dan", "select", None, "Choose the host for a selected applicant."),
        "below_minimum": ("eve", "select", a, "below the call's minimum"),
    }[change]
    form[f"result-{people[target].id}"] = result
    form[f"place-{people[target].id}"] = str(place.id) if place else ""

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 400
    page = text_of(response)
    assert "Nothing was confirmed." in page
    row = page[page.index(f'id="row-{people[target].id}"') :]
    assert message in row[: row.index("</tr>")]
    assert "table-danger" in page[page.rindex("<tr", 0, page.index(f'id="row-{people[target].id}"')) :][:200]
    if change != "below_minimum":
        # What the head chose is kept.
        kept = form_of(response)
        assert kept[f"result-{people[target].id}"] == "select"
        if change != "host_not_chosen":  # (a host they did not choose is no option of the select)
            assert kept[f"place-{people[target].id}"] == (str(place.id) if place else "")
    assert_nothing_done(call, people)


def _change_score(call, people):
    score = db.session.scalars(db.select(Score).where(Score.application_id == people["dan"].id)).first()
    score.value = Decimal(100)


def _change_state(call, people):
    fire(people["ben"], "withdraw", people["ben"].applicant)  # the applicant withdrew meanwhile


def _edit_application(call, people):
    people["cid"].average_grade = Decimal("5.00")


def _new_tested_application(call, people):
    scored(call, hosts=list(call.places[:1]))


def _change_places(call, people):
    call.places[2].places = 2


@pytest.mark.parametrize(
    "change", [_change_score, _change_state, _edit_application, _new_tested_application, _change_places]
)
def test_a_confirmation_is_refused_when_anything_changed_since_the_page_was_shown(
    change, client, login_as, selection_head, selection
):
    call, people = selection
    login_as(selection_head)
    form = form_of(client.get(selection_url(call)))
    change(call, people)
    db.session.commit()
    before = states(people), db.session.scalar(db.select(db.func.count(TransitionLog.id)))

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 409
    page = text_of(response)
    assert "changed since the page was shown" in page
    assert (states(people), db.session.scalar(db.select(db.func.count(TransitionLog.id)))) == before
    assert call.selection_confirmed_at is None
    # The page shows the current proposal, and confirming it then works.
    fresh = form_of(response)
    assert fresh["fingerprint"] != form["fingerprint"]
    assert client.post(selection_url(call), data=fresh).status_code == 302
    assert call.selection_confirmed_at is not None


def test_the_confirmation_is_one_transaction(client, login_as, selection_head, selection, monkeypatch):
    call, people = selection
    login_as(selection_head)
    form = form_of(client.get(selection_url(call)))
    real_fire = selection_operations.fire
    fired = []

    def fire_failing_on_the_last(application, trigger, actor, **data):
        fired.append(trigger)
        if len(fired) == len(people):
            raise WorkflowError("The database said no.")
        return real_fire(application, trigger, actor, **data)

    monkeypatch.setattr(selection_operations, "fire", fire_failing_on_the_last)

    response = client.post(selection_url(call), data=form)

    assert response.status_code == 409
    assert "The database said no." in text_of(response)
    assert fired == ["select", "select", "select", "waitlist", "not_select"]
    assert_nothing_done(call, people)


def test_a_head_who_applied_to_the_call_cannot_confirm_it(client, login_as, selection):
    call, people = selection
    own = people["dan"].applicant
    own.set_roles(["head"])
    db.session.commit()
    login_as(own)
    response = client.post(selection_url(call), data=form_of(client.get(selection_url(call))))
    assert response.status_code == 400
    assert "You have applied to this call yourself" in text_of(response)
    assert_nothing_done(call, people)


def test_a_call_without_tested_applications_cannot_be_confirmed(client, login_as, selection_head):
    call = CallFactory(closes_at=utcnow() - timedelta(days=1))
    login_as(selection_head)
    response = client.get(selection_url(call))
    assert "No application of this call has been tested yet." in text_of(response)
    assert 'name="fingerprint"' not in text_of(response)  # nothing to confirm: no form
    form = {"csrf_token": client.csrf_token("/"), "fingerprint": proposal_for(call).fingerprint}
    response = client.post(selection_url(call), data=form)
    assert response.status_code == 400
    assert "There are no tested applications to decide on." in text_of(response)
    assert call.selection_confirmed_at is None


# --- the call must have closed -------------------------------------------------------------


@pytest.mark.parametrize("published", [True, False])
def test_the_selection_cannot_be_confirmed_while_the_call_is_open(
    client, login_as, selection_head, selection, published
):
    """Applications approved after the decision would have nobody to decide on them: the head
    learns why the button is unavailable, and a forged post confirms nothing. An unpublished
    call that has not reached its closing time could still be published and receive some."""
    call, people = selection
    call.closes_at = utcnow() + timedelta(days=3)
    call.published = published
    db.session.commit()
    login_as(selection_head)

    page = client.get(selection_url(call))
    html = text_of(page)
    assert 'id="still-open"' in html and "once the call has closed" in html
    assert ("Close the call now" in html) == published
    form_html = html[html.index('id="confirm"') : html.index("</form>", html.index('id="confirm"'))]
    assert 'type="submit"' not in form_html
    assert 'disabled aria-describedby="confirm-unavailable"' in form_html

    response = client.post(selection_url(call), data=form_of(page))
    assert response.status_code == 409
    assert "The call is still open for applications until" in text_of(response)
    assert_nothing_done(call, people)


def test_confirming_is_possible_once_the_call_has_closed(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    page = text_of(client.get(selection_url(call)))
    assert 'id="still-open"' not in page and 'id="confirm-unavailable"' not in page
    assert client.post(selection_url(call), data=form_of(client.get(selection_url(call)))).status_code == 302
    assert states(people)["ann"] == "selected"


def _late(call, hosts, examiner):
    """An applicant whose changes were requested before the confirmation, who reaches the
    test after it: resubmitted, approved and scored, all through fire()."""
    application = application_in("changes_requested", call=call, hosts=hosts)
    coordinator = UserFactory(coordinates=[application.faculty])
    fire(application, "resubmit", application.applicant)
    fire(application, "approve_eligibility", coordinator)
    add_scores(application, examiner, {"Language test": 99, "Interview": 99})
    fire(application, "record_score", examiner)
    db.session.commit()
    return application


def test_applications_tested_after_the_confirmation_are_decided_from_their_pages(
    client, login_as, selection_head, selection
):
    call, people = selection
    a, b, c = call.places  # a: ann and ben; b: cid; c: free (nobody chose it first)
    login_as(selection_head)
    client.post(selection_url(call), data=form_of(client.get(selection_url(call))))
    examiner = UserFactory(roles=["examiner"])
    call.examiners.append(examiner)
    free_elsewhere, full_host, unwanted = (_late(call, hosts, examiner) for hosts in ([a, c], [a], [b]))

    page = text_of(client.get(selection_url(call)))
    listed = page[page.index('id="tested-since"') :]
    assert "3 applications were tested after the confirmation" in listed
    for application in (free_elsewhere, full_host, unwanted):
        assert f'data-application="{application.id}"' in listed
        assert f'href="/applications/{application.id}"' in listed
    detail = text_of(client.get(f"/applications/{free_elsewhere.id}"))
    for trigger in ("select", "waitlist", "not_select"):
        assert f"/applications/{free_elsewhere.id}/fire/{trigger}" in detail

    def decide(application, trigger):
        return client.post_form(
            f"/applications/{application.id}/fire/{trigger}",
            {"version": application.version},
            token_from=selection_url(call),
        )

    assert decide(free_elsewhere, "select").status_code == 302
    assert decide(full_host, "select").status_code == 302  # refused: a is full
    assert decide(full_host, "waitlist").status_code == 302
    assert decide(unwanted, "not_select").status_code == 302
    db.session.expire_all()
    assert (free_elsewhere.state, free_elsewhere.allocated_place_id) == ("selected", c.id)
    assert (full_host.state, full_host.rank) == ("waitlisted", None)
    assert unwanted.state == "not_selected"
    assert 'id="tested-since"' not in text_of(client.get(selection_url(call)))

    # The late one waits behind the ranked waiting list: dan (rank 4, chose b then a) first.
    fire(people["ann"], "decline_place", people["ann"].applicant)
    db.session.commit()
    assert (states(people)["dan"], people["dan"].allocated_place_id) == ("selected", a.id)
    assert full_host.state == "waitlisted"
    fire(people["ben"], "decline_place", people["ben"].applicant)
    db.session.commit()
    assert (full_host.state, full_host.allocated_place_id) == ("selected", a.id)


# --- the protocol -------------------------------------------------------------------------


def test_the_protocol_prints_the_decision_with_signatures(client, login_as, selection_head, selection):
    call, people = selection
    login_as(selection_head)
    before = client.get(selection_url(call, "/protocol"))
    assert before.status_code == 409
    assert "once the selection of this call has been confirmed" in text_of(before)
    assert 'id="decision"' not in text_of(before)
    client.post(selection_url(call), data=form_of(client.get(selection_url(call))))

    response = client.get(selection_url(call, "/protocol"))

    assert response.status_code == 200
    page = text_of(response)
    assert "Protocol of the selection" in page and call.title in page and call.program.name in page
    assert "2026/2027" in page and "International Relations Department" in page
    assert "/static/css/protocol." in page and "no-print" in page
    assert 'class="navbar' not in page
    table = page[page.index('id="decision"') : page.index("</table>", page.index('id="decision"'))]
    ann = people["ann"].applicant
    assert ann.full_name_latin in table and ann.full_name_native in table
    positions = [table.index(people[name].applicant.full_name_latin) for name in ("ann", "ben", "cid", "dan", "eve")]
    assert positions == sorted(positions)
    assert table.count("Select") == 3 and "Waiting list" in table and "Not selected" in table
    assert call.places[0].partner.name in table
    waitlist = page[page.index('id="waitlist"') :]
    assert people["dan"].applicant.full_name_latin in waitlist[: waitlist.index("</ol>")]
    signatures = page[page.index('id="signatures"') :]
    assert "Head of the International Relations Department" in signatures
    assert "Members of the selection commission" in signatures
