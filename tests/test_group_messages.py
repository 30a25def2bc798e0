"""Group messages through HTTP: a message reaches exactly its group (one outbox row and one
message on the application per person), within the sender's reach, after a preview, once."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import GroupMessage, SecurityEvent

from .fixtures.factories import CallFactory, FacultyFactory, UserFactory, application_in, one_commit
from .fixtures.messages import group_copies, message_form, preview, preview_and_send, send, send_form
from .fixtures.web import client_for, text_of


def recipients_of(copies):
    return {(copy.recipient_id, copy.application_id) for copy in copies}


def people(applications):
    return {(application.applicant_id, application.id) for application in applications}


@pytest.fixture
def call_with_everyone():
    """A call with applications in every stage that matters, another call, and a deactivated
    participant: {name: application}."""
    with one_commit():
        # Enough places at the first host for everyone holding one (PostgreSQL checks it).
        call, other_call = CallFactory(places=[6, 1, 1]), CallFactory()
        built = {
            state: application_in(state, call=call)
            for state in ("selected", "confirmed", "abroad", "completed", "waitlisted", "submitted", "not_selected")
        }
        built["declined"] = application_in("declined", call=call)
        built["other_call"] = application_in("selected", call=other_call)
        built["inactive"] = application_in("confirmed", call=call, applicant=UserFactory(active=False))
    return call, built


def test_everyone_selected_in_a_call_and_nobody_else(app, call_with_everyone):
    call, built = call_with_everyone
    head = UserFactory(roles=["head"])
    client = client_for(app, head)
    data = message_form("selected", call=call)

    shown = preview(client, data)
    page = text_of(shown)
    assert shown.status_code == 200
    group = [built[name] for name in ("selected", "confirmed", "abroad", "completed")]
    assert "4 recipients" in page
    for application in group:
        assert application.applicant.full_name_latin in page
    for name in ("waitlisted", "submitted", "not_selected", "declined", "other_call", "inactive"):
        assert built[name].applicant.full_name_latin not in page
    assert group_copies() == []  # the preview sends nothing

    answer = send(client, send_form(shown, data))
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/messages/")
    copies = group_copies()
    assert recipients_of(copies) == people(group)
    assert len(copies) == 4
    assert {copy.recipient_email for copy in copies} == {application.applicant.email for application in group}

    # Each finds it among their messages and on their application's page; the others do not.
    reader = client_for(app, built["confirmed"].applicant)
    assert "Meeting before departure" in text_of(reader.get("/applications/messages"))
    assert "Meeting before departure" in text_of(reader.get(f"/applications/{built['confirmed'].id}"))
    outsider = client_for(app, built["waitlisted"].applicant)
    assert "Meeting before departure" not in text_of(outsider.get("/applications/messages"))

    [event] = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "group_message")).all()
    assert event.actor_id == head.id
    assert event.details["group"] == "selected" and event.details["count"] == 4
    assert event.details["call"] == call.id

    listing = text_of(client.get("/messages/"))
    assert "Everyone selected in a call" in listing and "Meeting before departure" in listing
    assert head.full_name_latin in listing


def test_each_copy_is_filled_in_for_its_reader(app):
    call = CallFactory(title="Erasmus+ Granada")
    first = application_in("waitlisted", call=call, applicant=UserFactory(full_name_native="Фарида Каримова"))
    client = client_for(app, UserFactory(roles=["head"]))
    body = "Dear {name}, application {number} to {call} is on the {state}. {unknown} {comment}"

    preview_and_send(client, message_form("waitlisted", call=call, body=body))

    [copy] = group_copies()
    assert copy.body == (
        f"Dear Фарида Каримова, application {first.id} to Erasmus+ Granada is on the Waiting list. "
        "{unknown} {comment}"
    )


def test_a_double_submit_sends_once(app):
    call = CallFactory()
    applications = [application_in("waitlisted", call=call) for _ in range(2)]
    client = client_for(app, UserFactory(roles=["head"]))
    data = message_form("waitlisted", call=call)
    form = send_form(preview(client, data), data)

    first, second = send(client, form), send(client, form)

    assert first.status_code == second.status_code == 302
    assert recipients_of(group_copies()) == people(applications) and len(group_copies()) == 2
    assert db.session.scalar(sa.select(sa.func.count(GroupMessage.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(SecurityEvent.kind == "group_message")) == 1
    assert "had been sent already" in text_of(client.get("/messages/"))


def test_a_group_changed_since_the_preview_is_not_sent(app):
    call = CallFactory()
    application_in("waitlisted", call=call)
    client = client_for(app, UserFactory(roles=["head"]))
    data = message_form("waitlisted", call=call)
    form = send_form(preview(client, data), data)
    application_in("waitlisted", call=call)  # one more since

    answer = send(client, form)

    assert answer.status_code == 409
    assert "The group has changed since the preview" in text_of(answer)
    assert group_copies() == [] and db.session.scalar(sa.select(sa.func.count(GroupMessage.id))) == 0


def test_a_coordinator_reaches_only_the_applications_of_their_faculties(app):
    with one_commit():
        mine, theirs = FacultyFactory(), FacultyFactory()
        call = CallFactory()
        coordinator = UserFactory(coordinates=[mine])
        own = [application_in("waitlisted", call=call, applicant=UserFactory(faculty=mine)) for _ in range(2)]
        foreign = application_in("waitlisted", call=call, applicant=UserFactory(faculty=theirs))
    client = client_for(app, coordinator)
    data = message_form("waitlisted", call=call)

    shown = preview(client, data)
    assert "2 recipients" in text_of(shown)
    assert foreign.applicant.full_name_latin not in text_of(shown)
    send(client, send_form(shown, data))

    assert recipients_of(group_copies()) == people(own)


def test_a_coordinator_cannot_choose_applications_outside_their_faculties(app):
    with one_commit():
        mine, theirs = FacultyFactory(), FacultyFactory()
        coordinator = UserFactory(coordinates=[mine])
        own = application_in("abroad", applicant=UserFactory(faculty=mine))
        foreign = application_in("abroad", applicant=UserFactory(faculty=theirs))
        draft = application_in("draft", applicant=UserFactory(faculty=mine))
    client = client_for(app, coordinator)

    for ids in ([foreign.id], [own.id, foreign.id], [draft.id], [own.id, 987654], ["x1"]):
        query = "&".join(f"application_ids={application_id}" for application_id in ids)
        assert client.get(f"/messages/new?{query}").status_code == 404
        assert preview(client, message_form("applications", ids=ids)).status_code == 404
        data = message_form("applications", ids=ids)
        assert send(client, {**data, "key": "a" * 32, "expected": "1"}).status_code == 404
    assert group_copies() == []


def test_ticked_applications_posted_by_the_review_queue(app):
    with one_commit():
        faculty = FacultyFactory()
        coordinator = UserFactory(coordinates=[faculty])
        ticked = [application_in("submitted", applicant=UserFactory(faculty=faculty)) for _ in range(2)]
        other = application_in("submitted", applicant=UserFactory(faculty=faculty))
    client = client_for(app, coordinator)

    # The queue posts its ticked rows to the compose page: the form, with them chosen.
    from .fixtures.web import post

    page = post(client, "/messages/new", {"application_ids": [str(application.id) for application in ticked]})
    assert page.status_code == 200
    assert "2 applications are chosen" in text_of(page)
    assert re.search(r'<option (selected )?value="applications"( selected)?>', text_of(page)).group(0) != (
        '<option value="applications">'
    )

    preview_and_send(client, message_form("applications", ids=[application.id for application in ticked]))

    assert recipients_of(group_copies()) == people(ticked)
    assert other.applicant_id not in {copy.recipient_id for copy in group_copies()}


def test_the_queue_sends_its_ticked_rows_to_the_compose_page(app):
    with one_commit():
        faculty = FacultyFactory()
        coordinator = UserFactory(coordinates=[faculty])
        ticked = [application_in("submitted", applicant=UserFactory(faculty=faculty)) for _ in range(2)]
        application_in("submitted", applicant=UserFactory(faculty=faculty))
    client = client_for(app, coordinator)

    queue = client.get("/review/").get_data(as_text=True)
    button = re.search(r'<button[^>]*formaction="([^"]+)"[^>]*>([^<]+)</button>', queue)
    assert button and button.group(1) == "/messages/new" and button.group(2) == "Write to the ticked"

    # What the button posts: the queue's form, its tick boxes as "id:version".
    from .fixtures.web import post

    rows = [f"{application.id}:{application.version}" for application in ticked]
    page = post(client, "/messages/new", {"row": rows, "action": ""})
    assert page.status_code == 200
    assert "2 applications are chosen" in text_of(page)
    for application in ticked:
        assert f'<input type="hidden" name="application_ids" value="{application.id}">' in page.get_data(as_text=True)


def test_participants_abroad_and_overdue_reports(app):
    with one_commit():
        abroad = [application_in("abroad"), application_in("abroad")]
        overdue, recent = application_in("returned"), application_in("returned")
        overdue.actual_return = date.today() - timedelta(days=45)
    client = client_for(app, UserFactory(roles=["head"]))

    preview_and_send(client, message_form("abroad", subject="Abroad"))
    preview_and_send(client, message_form("overdue_reports", subject="Your report"))

    assert recipients_of(group_copies("Abroad")) == people(abroad)
    assert recipients_of(group_copies("Your report")) == people([overdue])
    assert recent.applicant_id not in {copy.recipient_id for copy in group_copies()}


def test_one_message_per_person_even_with_two_applications_in_the_group(app):
    person = UserFactory()
    first, second = application_in("abroad", applicant=person), application_in("abroad", applicant=person)
    client = client_for(app, UserFactory(roles=["head"]))

    preview_and_send(client, message_form("applications", ids=[second.id, first.id]))

    assert recipients_of(group_copies()) == {(person.id, first.id)}


def test_the_form_says_what_is_wrong_next_to_each_field(app):
    call = CallFactory()
    application_in("submitted", call=call)  # the call is offered; its waiting list is empty
    client = client_for(app, UserFactory(roles=["head"]))

    no_call = preview(client, message_form("selected"))
    assert no_call.status_code == 400 and "Choose the call." in text_of(no_call)

    bad = preview(client, message_form("abroad", subject="", body="Dear {name"))
    assert bad.status_code == 400
    assert "Enter the subject." in text_of(bad) and "Write a placeholder as a name in braces" in text_of(bad)
    attribute = preview(client, message_form("abroad", body="{name.__class__}"))
    assert attribute.status_code == 400

    nobody = preview(client, message_form("waitlisted", call=call))
    assert nobody.status_code == 400 and "Nobody in this group can be written to." in text_of(nobody)


@pytest.mark.parametrize("roles", [(), ("examiner",)])
def test_applicants_and_examiners_may_not_write_to_groups(app, roles):
    client = client_for(app, UserFactory(roles=list(roles)))
    for path in ("/messages/", "/messages/new"):
        assert client.get(path).status_code == 403


def test_a_coordinator_lists_only_their_own_messages(app):
    with one_commit():
        faculty = FacultyFactory()
        coordinator = UserFactory(coordinates=[faculty])
        head = UserFactory(roles=["head"])
        application_in("abroad", applicant=UserFactory(faculty=faculty))
    preview_and_send(client_for(app, head), message_form("abroad", subject="From the head"))
    coordinator_client = client_for(app, coordinator)
    preview_and_send(coordinator_client, message_form("abroad", subject="From the coordinator"))

    mine = text_of(coordinator_client.get("/messages/"))
    assert "From the coordinator" in mine and "From the head" not in mine
    everything = text_of(client_for(app, head).get("/messages/"))
    assert "From the coordinator" in everything and "From the head" in everything


def test_every_post_needs_the_csrf_token(app):
    call = CallFactory()
    application_in("waitlisted", call=call)
    client = client_for(app, UserFactory(roles=["head"]))
    data = message_form("waitlisted", call=call)
    form = send_form(preview(client, data), data)
    for path, posted in (("/messages/new", {**data, "step": "preview"}), ("/messages/send", form)):
        assert client.post(path, data={**posted, "csrf_token": ""}).status_code == 400
    assert group_copies() == []
