"""The head's own texts of the automatic notices, through HTTP: one is used for its notice in
its language only, a preview fills it in without saving, a reset brings the built-in text
back; and the placeholder filling itself (unknown names stay visible, nothing else is read)."""

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import NoticeText
from irflow.workflow.notice_texts import fill, text_problem, unknown_placeholders

from .fixtures.applications import fire
from .fixtures.factories import FacultyFactory, UserFactory, application_in, notifications_for
from .fixtures.web import client_for, post, text_of

OWN_SUBJECT = "Заявка {number}: ҳуҷҷатҳо қабул шуданд"
OWN_BODY = "Салом, {name}!\nЗаявкаи {number} ба «{call}»: {state}.\n{mystery}"


def notice_url(kind="approve_eligibility", language="tg"):
    return f"/messages/notices/{kind}/{language}"


def save(client, subject=OWN_SUBJECT, body=OWN_BODY, kind="approve_eligibility", language="tg"):
    return post(client, notice_url(kind, language), {"subject": subject, "body": body, "action": "save"})


@pytest.fixture
def head_client(app):
    return client_for(app, UserFactory(roles=["head"]))


def approved(app, locale):
    """An application of an applicant writing in `locale`, approved by its coordinator through HTTP."""
    faculty = FacultyFactory()
    application = application_in("submitted", applicant=UserFactory(faculty=faculty, locale=locale))
    coordinator = client_for(app, UserFactory(coordinates=[faculty]))
    assert fire(coordinator, application.id, "approve_eligibility").status_code == 302
    [notice] = notifications_for(application)
    return application, notice


def test_an_own_text_is_used_for_its_notice_in_its_language_only(app, head_client):
    assert save(head_client).status_code == 302

    application, notice = approved(app, "tg")
    assert notice.subject == f"Заявка {application.id}: ҳуҷҷатҳо қабул шуданд"
    assert notice.body.startswith(f"Салом, {application.applicant.full_name_native}!\nЗаявкаи {application.id} ба «")
    assert notice.body.endswith("{mystery}")  # unknown placeholders stay visible
    assert "{name}" not in notice.body and "{state}" not in notice.body

    _english, english_notice = approved(app, "en")
    assert "Салом" not in english_notice.body
    assert english_notice.body.startswith("Dear ")
    assert "is now: Eligible." in english_notice.body


def test_an_own_text_of_one_notice_leaves_the_others_built_in(app, head_client):
    save(head_client, kind="reject_eligibility")
    _application, notice = approved(app, "tg")
    assert "Салом" not in notice.body


def test_reset_brings_the_built_in_text_back(app, head_client):
    save(head_client)
    assert "Own text" in text_of(head_client.get("/messages/notices"))
    page = text_of(head_client.get(notice_url()))
    assert "Back to the built-in text" in page

    answer = post(head_client, f"{notice_url()}/reset")

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/messages/notices")
    assert db.session.scalar(sa.select(sa.func.count(NoticeText.id))) == 0
    assert "Own text" not in text_of(head_client.get("/messages/notices"))
    _application, notice = approved(app, "tg")
    assert "Салом" not in notice.body and "{" not in notice.body


def test_the_edit_form_starts_from_the_built_in_text_in_its_language(head_client):
    page = text_of(head_client.get(notice_url("request_changes", "ru")))
    assert "{name}" in page and "{deadline}" in page and "{comment}" in page
    assert "The built-in text is sent" in page
    english = text_of(head_client.get(notice_url("request_changes", "en")))
    assert "Dear {name}," in english and "Please make the changes and resubmit by {deadline}." in english


def test_a_preview_fills_in_a_sample_and_saves_nothing(head_client):
    answer = post(
        head_client,
        notice_url("select", "en"),
        {"subject": "Offer for {name}", "body": "Place at {host} until {deadline}. {nonsense}", "action": "preview"},
    )

    page = text_of(answer)
    assert answer.status_code == 200
    assert "Offer for Малика Раҳимова" in page
    assert "Place at Universidad de Granada until " in page
    assert "{nonsense}" in page and "These placeholders are not known" in page
    assert db.session.scalar(sa.select(sa.func.count(NoticeText.id))) == 0


def test_a_badly_formed_text_is_refused_next_to_its_field(head_client):
    answer = save(head_client, subject="", body="Dear {name")
    page = text_of(answer)
    assert answer.status_code == 400
    assert "Enter the subject." in page and "Write a placeholder as a name in braces" in page
    assert db.session.scalar(sa.select(sa.func.count(NoticeText.id))) == 0


def test_the_comment_is_added_when_the_text_has_no_place_for_it(app, head_client):
    save(head_client, kind="request_changes", language="en", subject="Changes", body="Please change {number}.")
    faculty = FacultyFactory()
    application = application_in("submitted", applicant=UserFactory(faculty=faculty))
    coordinator = client_for(app, UserFactory(coordinates=[faculty]))

    fire(coordinator, application.id, "request_changes", comment="Upload the passport again.")

    [notice] = notifications_for(application)
    assert notice.body == f"Please change {application.id}.\n\nComment: Upload the passport again."


def test_only_the_head_edits_the_notices(app):
    faculty = FacultyFactory()
    for user in (UserFactory(coordinates=[faculty]), UserFactory(), UserFactory(roles=["examiner"])):
        client = client_for(app, user)
        assert client.get("/messages/notices").status_code == 403
        assert client.get(notice_url()).status_code == 403
        assert save(client).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(NoticeText.id))) == 0


@pytest.mark.parametrize("path", [notice_url("teleport", "en"), notice_url("submit", "de")])
def test_an_unknown_notice_or_language_is_not_found(head_client, path):
    assert head_client.get(path).status_code == 404


# --- the filling itself ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("Dear {name}", "Dear Ali"),
        ("{name} / {unknown}", "Ali / {unknown}"),
        ("{{name}} is {name}", "{name} is Ali"),
        ("no placeholders", "no placeholders"),
        # Not well formed: sent as typed, nothing looked up.
        ("{name.__class__}", "{name.__class__}"),
        ("{name[0]}", "{name[0]}"),
        ("{name!r}", "{name!r}"),
        ("{name:>20}", "{name:>20}"),
        ("{0}", "{0}"),
        ("Dear {name", "Dear {name"),
        ("}", "}"),
    ],
)
def test_fill(text, filled):
    assert fill(text, {"name": "Ali"}) == filled


def test_a_value_is_never_filled_in_again():
    assert fill("{name}", {"name": "{number}", "number": "7"}) == "{number}"


def test_text_problem_and_unknown_placeholders():
    assert text_problem("Dear {name}, {{braces}}") is None
    assert text_problem("{name.attr}") and text_problem("{") and text_problem("{}")
    assert unknown_placeholders("{name} {mystery} {mystery} {call}") == ["mystery"]
