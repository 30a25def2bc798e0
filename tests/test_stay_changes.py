"""Changes during the stay, over HTTP: the participant asks for an extension, a shortening
or an interruption while abroad; a coordinator of the faculty (or the head) decides; an
approved change shows on the application page and in the selected participants export."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import Application, StayChange

from .fixtures.factories import UserFactory, actors_for, application_in, notifications_for, outsiders_for
from .fixtures.web import client_for, field_error, follow, form_of, post, text_of

PLANNED_END = date(2027, 6, 30)  # the factory's planned end


def new_url(application):
    return f"/applications/{application.id}/stay-changes/new"


def list_url(application):
    return f"/applications/{application.id}/stay-changes"


def request_data(**overrides):
    data = {"kind": "extension", "new_end": "2027-08-31", "reason": "The host offers a second semester."}
    data.update(overrides)
    return data


def stored_changes(application):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(StayChange).where(StayChange.application_id == application.id).order_by(StayChange.id)
    ).all()


def stored_application(application):
    db.session.expire_all()
    return db.session.get(Application, application.id)


def export_row(client, application):
    response = client.get(f"/calls/{application.call_id}/export/selected.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"), newline="")))
    header = rows[0]
    [row] = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    return row


def decision_values(page_response, stay_change):
    """What the decision form of `stay_change` posts (hidden fields as rendered)."""
    page = page_response.get_data(as_text=True)
    start = page.find(f'id="stay-change-{stay_change.id}"')
    assert start != -1
    form = page[start : page.find("</form>", start)]
    values = form_of(type("R", (), {"get_data": lambda self, as_text=True: form})())
    values.pop("csrf_token", None)
    return values


@pytest.fixture
def abroad(app):
    return application_in("abroad")


@pytest.fixture
def people(abroad):
    return actors_for(abroad, kinds=("owner", "coordinator", "examiner", "head"))


def ask(app, application, **overrides):
    client = client_for(app, application.applicant)
    response = post(client, new_url(application), request_data(**overrides))
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"].endswith(list_url(application))
    [*_, stay_change] = stored_changes(application)
    return stay_change


def decide(app, user, application, stay_change, decision, comment=""):
    client = client_for(app, user)
    values = decision_values(client.get(list_url(application)), stay_change)
    values.update(decision=decision, comment=comment)
    return client, post(client, list_url(application), values)


def test_an_approved_extension_changes_the_planned_end_on_the_page_and_in_the_export(app, abroad, people):
    owner_client = client_for(app, abroad.applicant)
    detail = text_of(owner_client.get(f"/applications/{abroad.id}"))
    assert 'id="stay-changes-card"' in detail and 'id="stay-change-new-link"' in detail
    form_page = owner_client.get(new_url(abroad))
    assert form_page.status_code == 200 and 'id="stay-change-form"' in text_of(form_page)

    stay_change = ask(app, abroad)
    assert (stay_change.kind, stay_change.state, stay_change.new_end) == ("extension", "requested", date(2027, 8, 31))
    assert stay_change.previous_end == PLANNED_END and stay_change.requested_by_id == abroad.applicant_id
    # Nothing changes before the decision.
    assert stored_application(abroad).planned_end == PLANNED_END
    assert "A request is waiting for a decision." in text_of(owner_client.get(f"/applications/{abroad.id}"))

    coordinator = people["coordinator"]
    client, response = decide(app, coordinator, abroad, stay_change, "approve", "Agreed with the host.")
    assert response.status_code == 302 and response.headers["Location"].endswith(list_url(abroad))
    assert "The request has been approved." in text_of(follow(client, response))
    row = stored_changes(abroad)[0]
    assert (row.state, row.decided_by_id, row.comment) == ("approved", coordinator.id, "Agreed with the host.")
    assert row.decided_at is not None
    application = stored_application(abroad)
    assert application.planned_end == date(2027, 8, 31) and application.state == "abroad"

    detail = text_of(owner_client.get(f"/applications/{abroad.id}"))
    assert "Aug 31, 2027" in detail
    assert "Asked for an extension of the stay to Aug 31, 2027" in detail
    assert "Planned end changed from Jun 30, 2027 to Aug 31, 2027" in detail
    assert "Agreed with the host." in detail
    assert export_row(client_for(app, people["head"]), abroad)["Planned end"] == "2027-08-31"
    # The mobility overview (nominations and who is abroad) shows the new end too.
    overview = text_of(client_for(app, coordinator).get("/nominations"))
    abroad_list = overview[overview.find('id="abroad-list"') :]
    assert "Aug 31, 2027" in abroad_list[: abroad_list.find("</table>")]


def test_the_coordinators_hear_of_a_request_and_the_participant_of_the_decision(app, abroad, people):
    other_faculty_coordinator = outsiders_for(abroad)["other_coordinator"]
    stay_change = ask(app, abroad, reason="Сессияи иловагӣ.")
    [request_notice] = notifications_for(abroad)
    assert request_notice.recipient_id == people["coordinator"].id
    assert request_notice.recipient_id != other_faculty_coordinator.id
    assert "Extension of the stay to Aug 31, 2027" in request_notice.body
    assert "Сессияи иловагӣ." in request_notice.body

    decide(app, people["coordinator"], abroad, stay_change, "approve", "Agreed.")
    decision_notice = notifications_for(abroad)[-1]
    assert decision_notice.recipient_id == abroad.applicant_id
    assert "approved" in decision_notice.subject
    assert "Your stay now ends on Aug 31, 2027." in decision_notice.body and "Agreed." in decision_notice.body


def test_an_approved_shortening_changes_the_planned_end(app, abroad, people):
    stay_change = ask(app, abroad, kind="shortening", new_end="2027-05-15", reason="Family reasons.")
    _, response = decide(app, people["head"], abroad, stay_change, "approve")
    assert response.status_code == 302
    assert stored_application(abroad).planned_end == date(2027, 5, 15)
    assert "May 15, 2027" in text_of(client_for(app, abroad.applicant).get(list_url(abroad)))
    assert export_row(client_for(app, people["head"]), abroad)["Planned end"] == "2027-05-15"


def test_an_interruption_for_force_majeure_is_recorded_with_its_days(app, abroad, people):
    start = abroad.actual_departure + timedelta(days=10)
    stay_change = ask(
        app,
        abroad,
        kind="interruption",
        new_end="",
        interruption_from=start.isoformat(),
        interruption_to=(start + timedelta(days=13)).isoformat(),
        force_majeure="y",
        force_majeure_explanation="An earthquake closed the host university.",
        reason="The host was closed.",
    )
    assert stay_change.force_majeure is True
    assert stay_change.force_majeure_explanation == "An earthquake closed the host university."
    assert stay_change.new_end is None and stay_change.interruption_days == 14
    _, response = decide(app, people["coordinator"], abroad, stay_change, "approve")
    assert response.status_code == 302
    assert stored_changes(abroad)[0].state == "approved"
    # The planned end stays; the days are recorded as interrupted, not mobility days.
    assert stored_application(abroad).planned_end == PLANNED_END
    owner_client = client_for(app, abroad.applicant)
    page = text_of(owner_client.get(list_url(abroad)))
    assert 'id="interrupted-days"' in page and "14 days" in page
    assert "An earthquake closed the host university." in page
    detail = text_of(owner_client.get(f"/applications/{abroad.id}"))
    assert "Interrupted: 14 days (not mobility days)." in detail and "(force majeure)" in detail


def test_a_refused_request_changes_nothing_and_needs_a_comment(app, abroad, people):
    stay_change = ask(app, abroad)
    version_before = stored_application(abroad).version
    client, response = decide(app, people["coordinator"], abroad, stay_change, "refuse", "  ")
    assert response.status_code == 400
    assert "Say why the request is refused." in text_of(response)
    assert stored_changes(abroad)[0].state == "requested"

    _, response = decide(app, people["coordinator"], abroad, stay_change, "refuse", "The grant does not cover it.")
    assert response.status_code == 302
    row = stored_changes(abroad)[0]
    assert (row.state, row.comment) == ("refused", "The grant does not cover it.")
    application = stored_application(abroad)
    assert application.planned_end == PLANNED_END and application.version == version_before
    detail = text_of(client_for(app, abroad.applicant).get(f"/applications/{abroad.id}"))
    assert "Request refused" in detail and "The grant does not cover it." in detail
    assert export_row(client_for(app, people["head"]), abroad)["Planned end"] == "2027-06-30"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "extension", "new_end": "2027-06-30"}, "new_end", "The new end is the same as the current one."),
        ({"kind": "extension", "new_end": "2027-05-01"}, "new_end", "An extension ends after the current end"),
        ({"kind": "shortening", "new_end": "2027-07-15"}, "new_end", "A shortening ends before the current end"),
        (
            {"kind": "shortening", "new_end": "2027-01-15"},
            "new_end",
            "The new end must be after the start of the stay.",
        ),
        ({"kind": "extension", "new_end": ""}, "new_end", "Enter the new end date."),
        ({"kind": "extension", "new_end": "31.02.2027x"}, "new_end", "Not a valid date value."),
        (
            {"kind": "interruption", "interruption_from": "2027-03-10", "interruption_to": "2027-03-01"},
            "interruption_to",
            "The interruption cannot end before it starts.",
        ),
        (
            {"kind": "interruption", "interruption_from": "2027-06-20", "interruption_to": "2027-07-10"},
            "interruption_to",
            "The interruption must end within the stay.",
        ),
        (
            {"kind": "interruption", "interruption_from": "2020-01-01", "interruption_to": "2027-03-01"},
            "interruption_from",
            "The interruption must start within the stay.",
        ),
        (
            {"kind": "interruption", "interruption_from": "", "interruption_to": "2027-03-01"},
            "interruption_from",
            "Enter the first day of the interruption.",
        ),
        (
            {
                "kind": "interruption",
                "interruption_from": "2027-03-01",
                "interruption_to": "2027-03-02",
                "force_majeure": "y",
                "force_majeure_explanation": " ",
            },
            "force_majeure_explanation",
            "Explain the force majeure.",
        ),
        ({"reason": "  "}, "reason", "Give the reason for the change."),
        ({"kind": "prolongation"}, "kind", "Choose what you ask for."),
    ],
)
def test_invalid_requests_are_refused_next_to_the_field(app, abroad, data, field, message):
    client = client_for(app, abroad.applicant)
    response = post(client, new_url(abroad), request_data(**data))
    assert response.status_code == 400
    page = text_of(response)
    if field == "kind":
        assert message in page
    else:
        assert message in (field_error(page, field) or "")
    assert stored_changes(abroad) == []


def test_examiner_and_other_faculty_coordinator_get_404(app, abroad, people):
    stay_change = ask(app, abroad)
    outsiders = outsiders_for(abroad)
    for user in (people["examiner"], outsiders["other_coordinator"], outsiders["other_applicant"]):
        client = client_for(app, user)
        assert client.get(list_url(abroad)).status_code == 404
        assert client.get(new_url(abroad)).status_code == 404
        values = {"stay_change": stay_change.id, "version": 1, "application_version": 1, "decision": "approve"}
        assert post(client, list_url(abroad), values).status_code == 404
        assert 'id="stay-changes-card"' not in text_of(client.get(f"/applications/{abroad.id}"))
    assert stored_changes(abroad)[0].state == "requested"


def test_the_participant_cannot_decide(app, abroad):
    stay_change = ask(app, abroad)
    client = client_for(app, abroad.applicant)
    page = text_of(client.get(list_url(abroad)))
    assert "decision-form" not in page
    values = {
        "stay_change": stay_change.id,
        "version": stay_change.version,
        "application_version": abroad.version,
        "decision": "approve",
    }
    assert post(client, list_url(abroad), values).status_code == 403
    assert stored_changes(abroad)[0].state == "requested"
    assert stored_application(abroad).planned_end == PLANNED_END


def test_staff_cannot_ask_and_nobody_asks_before_departure(app, abroad, people):
    assert client_for(app, people["coordinator"]).get(new_url(abroad)).status_code == 403
    accepted = application_in("host_accepted")
    assert client_for(app, accepted.applicant).get(new_url(accepted)).status_code == 404
    assert 'id="stay-changes-card"' not in text_of(
        client_for(app, accepted.applicant).get(f"/applications/{accepted.id}")
    )


def test_a_second_open_request_is_refused(app, abroad):
    ask(app, abroad)
    client = client_for(app, abroad.applicant)
    response = post(client, new_url(abroad), request_data(kind="shortening", new_end="2027-05-01"))
    assert response.status_code == 302 and response.headers["Location"].endswith(list_url(abroad))
    assert "There is already a request waiting for a decision." in text_of(follow(client, response))
    assert len(stored_changes(abroad)) == 1
    assert 'id="new-stay-change"' not in text_of(client.get(list_url(abroad)))


def test_a_new_request_may_follow_a_decided_one(app, abroad, people):
    first = ask(app, abroad)
    decide(app, people["coordinator"], abroad, first, "refuse", "No.")
    second = ask(app, abroad, kind="shortening", new_end="2027-05-01")
    assert [row.state for row in stored_changes(abroad)] == ["refused", "requested"]
    assert second.id != first.id


def test_a_stale_decision_is_refused(app, abroad, people):
    stay_change = ask(app, abroad)
    coordinator_client = client_for(app, people["coordinator"])
    stale = decision_values(coordinator_client.get(list_url(abroad)), stay_change)

    # The head decides first; the coordinator's page is now out of date.
    _, response = decide(app, people["head"], abroad, stay_change, "refuse", "Not now.")
    assert response.status_code == 302
    response = post(coordinator_client, list_url(abroad), dict(stale, decision="approve", comment=""))
    assert response.status_code == 409
    assert "changed by someone else" in text_of(response)
    row = stored_changes(abroad)[0]
    assert (row.state, row.comment, row.decided_by_id) == ("refused", "Not now.", people["head"].id)
    assert stored_application(abroad).planned_end == PLANNED_END


def test_a_decision_on_an_application_changed_meanwhile_is_refused(app, abroad, people):
    stay_change = ask(app, abroad)
    coordinator_client = client_for(app, people["coordinator"])
    stale = decision_values(coordinator_client.get(list_url(abroad)), stay_change)
    application = stored_application(abroad)
    application.motivation = "Changed in another window."
    db.session.commit()

    response = post(coordinator_client, list_url(abroad), dict(stale, decision="approve"))
    assert response.status_code == 409
    assert stored_changes(abroad)[0].state == "requested"
    assert stored_application(abroad).planned_end == PLANNED_END


def test_a_decision_needs_the_csrf_token_and_a_known_request(app, abroad, people):
    stay_change = ask(app, abroad)
    client = client_for(app, people["coordinator"])
    values = {"stay_change": stay_change.id, "version": 1, "application_version": abroad.version, "decision": "approve"}
    assert client.post(list_url(abroad), data=values).status_code == 400
    assert post(client, list_url(abroad), dict(values, stay_change=stay_change.id + 999)).status_code == 404
    assert post(client, list_url(abroad), dict(values, stay_change="x")).status_code == 404
    assert stored_changes(abroad)[0].state == "requested"


def test_staff_who_went_abroad_do_not_decide_on_their_own_stay(app):
    owner = UserFactory(roles=["head"])
    application = application_in("abroad", applicant=owner)
    stay_change = ask(app, application)
    page = text_of(client_for(app, owner).get(list_url(application)))
    assert "decision-form" not in page
    values = {"stay_change": stay_change.id, "version": 1, "application_version": 1, "decision": "approve"}
    assert post(client_for(app, owner), list_url(application), values).status_code == 403


def test_an_interruption_may_not_overlap_one_already_approved(app, abroad, people):
    start = abroad.actual_departure + timedelta(days=10)
    first = ask(
        app,
        abroad,
        kind="interruption",
        interruption_from=start.isoformat(),
        interruption_to=(start + timedelta(days=4)).isoformat(),
    )
    decide(app, people["coordinator"], abroad, first, "approve")
    client = client_for(app, abroad.applicant)
    overlapping = request_data(
        kind="interruption",
        interruption_from=(start + timedelta(days=4)).isoformat(),
        interruption_to=(start + timedelta(days=8)).isoformat(),
    )
    response = post(client, new_url(abroad), overlapping)
    assert response.status_code == 400
    assert field_error(text_of(response), "interruption_from") == "These days overlap an interruption already approved."
    ask(
        app,
        abroad,
        kind="interruption",
        interruption_from=(start + timedelta(days=5)).isoformat(),
        interruption_to=(start + timedelta(days=8)).isoformat(),
    )
    assert [row.state for row in stored_changes(abroad)] == ["approved", "requested"]


def test_the_database_keeps_one_open_request_per_application(app, abroad):
    def open_request():
        return StayChange(
            application=abroad, kind="extension", new_end=date(2027, 8, 31), reason="x", state="requested"
        )

    db.session.add(open_request())
    db.session.commit()
    db.session.add(open_request())
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def record_return(application, coordinator, day):
    """The return, recorded through the workflow by the office."""
    from irflow.workflow import fire

    fire(application, "return_home", coordinator, return_date=day)
    db.session.commit()


@pytest.mark.parametrize("later_state", ["returned", "report_submitted"])
def test_a_request_still_open_at_the_return_may_be_decided_until_the_report_is_approved(
    app, abroad, people, later_state
):
    first_day = abroad.actual_departure + timedelta(days=10)
    stay_change = ask(
        app,
        abroad,
        kind="interruption",
        new_end="",
        interruption_from=first_day.isoformat(),
        interruption_to=(first_day + timedelta(days=4)).isoformat(),
    )
    record_return(stored_application(abroad), people["coordinator"], date.today())
    if later_state == "report_submitted":
        db.session.execute(sa.update(Application).where(Application.id == abroad.id).values(state=later_state))
        db.session.commit()

    _, response = decide(app, people["coordinator"], abroad, stay_change, "approve", "Noted on return.")

    assert response.status_code == 302, text_of(response)
    row = stored_changes(abroad)[0]
    assert (row.state, row.comment, row.interruption_days) == ("approved", "Noted on return.", 5)
    # Nothing new may be asked once back.
    response = post(client_for(app, abroad.applicant), new_url(abroad), request_data())
    assert response.status_code == 403


def test_a_request_open_when_the_report_is_approved_can_no_longer_be_decided(app, abroad, people):
    stay_change = ask(app, abroad)
    db.session.execute(sa.update(Application).where(Application.id == abroad.id).values(state="completed"))
    db.session.commit()
    client = client_for(app, people["coordinator"])
    assert 'name="decision"' not in text_of(client.get(list_url(abroad)))
    response = post(
        client,
        list_url(abroad),
        {"change_id": stay_change.id, "version": stay_change.version, "decision": "approve", "comment": ""},
    )
    assert response.status_code in (403, 404, 409)
    assert stored_changes(abroad)[0].state == "requested"
