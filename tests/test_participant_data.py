"""Participant data for the European partner, over HTTP: who fills it in, who sees the
sensitive flags, what is refused and that nothing is saved then."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.isced import ISCED_FIELDS, is_isced_code, isced_label
from irflow.models import ParticipantData, SecurityEvent
from irflow.participants import policy
from irflow.participants.forms import age_on

from .fixtures.factories import FacultyFactory, UserFactory, actors_for, application_in, outsiders_for
from .fixtures.web import client_for, field_error, post, text_of


def url(application):
    return f"/applications/{application.id}/participant-data"


def valid_data(**overrides):
    data = {
        "version": "0",
        "birth_date": "2003-05-17",
        "gender": "female",
        "nationality": "TJ",
        "isced_code": "0613",
        "study_cycle": "bachelor",
        "fewer_opportunities": "yes",
        "special_needs": "no",
        "previous_mobility_months": "4,5",
    }
    data.update(overrides)
    return data


def stored(application):
    db.session.expire_all()
    return db.session.scalar(sa.select(ParticipantData).where(ParticipantData.application_id == application.id))


def sensitive_events():
    return db.session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == "sensitive_data_changed").order_by(SecurityEvent.id)
    ).all()


@pytest.fixture
def selected(app):
    return application_in("confirmed")


def test_the_participant_fills_it_in_and_sees_it(app, selected):
    client = client_for(app, selected.applicant)
    detail = text_of(client.get(f"/applications/{selected.id}"))
    assert 'id="participant-data-link"' in detail and "Fill in the participant data" in detail

    page = text_of(client.get(url(selected)))
    assert 'id="participant-data-form"' in page
    assert "0613 Software and applications development and analysis" in page
    assert '<optgroup label="06 Information and Communication Technologies (ICTs)">' in page

    response = post(client, url(selected), valid_data())
    assert response.status_code == 302 and response.headers["Location"].endswith(url(selected))
    row = stored(selected)
    assert row.birth_date == date(2003, 5, 17)
    assert (row.gender, row.nationality, row.isced_code, row.study_cycle) == ("female", "TJ", "0613", "bachelor")
    assert row.fewer_opportunities is True and row.special_needs is False
    assert row.previous_mobility_months == Decimal("4.5") and row.eqf_level == 6
    assert row.updated_by_id == selected.applicant_id

    page = text_of(client.get(url(selected)))
    assert "The participant data have been saved." in page
    assert 'value="2003-05-17"' in page and '<option selected value="0613">' in page
    assert 'name="version" type="hidden" value="1"' in page or 'value="1"' in page
    detail = text_of(client.get(f"/applications/{selected.id}"))
    assert "Check or correct the participant data" in detail


def test_editing_the_sensitive_flags_is_logged_without_their_values(app, selected):
    client = client_for(app, selected.applicant)
    assert post(client, url(selected), valid_data()).status_code == 302
    [first] = sensitive_events()
    assert first.actor_id == selected.applicant_id and first.user_id == selected.applicant_id
    assert first.details == {"application": selected.id, "fields": ["fewer_opportunities", "special_needs"]}

    # Other fields changed only: nothing more in the log.
    assert post(client, url(selected), valid_data(version="1", nationality="RU")).status_code == 302
    assert len(sensitive_events()) == 1

    assert post(client, url(selected), valid_data(version="2", special_needs="yes")).status_code == 302
    events = sensitive_events()
    assert len(events) == 2 and events[1].details == {"application": selected.id, "fields": ["special_needs"]}
    assert "yes" not in str(events[1].details).lower() and "true" not in str(events[1].details).lower()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", (date.today() + timedelta(days=3)).isoformat(), "The date of birth must be in the past."),
        ("birth_date", (date.today() - timedelta(days=365 * 10)).isoformat(), "a participant is 15 to 100 years old"),
        ("birth_date", "1900-01-01", "a participant is 15 to 100 years old"),
        ("birth_date", "17.05.2003x", "Not a valid date value."),
        ("isced_code", "0999x", "Choose the field of education from the list."),
        ("isced_code", "0620", "Choose the field of education from the list."),
        ("nationality", "XX", "Choose the nationality from the list of countries."),
        ("nationality", "EU", "Choose the nationality from the list of countries."),
        ("gender", "unknown", "Choose the gender from the list."),
        ("study_cycle", "eqf9", "Choose the study cycle from the list."),
        ("fewer_opportunities", "maybe", "Answer yes or no."),
        ("special_needs", "", "Answer yes or no."),
        ("previous_mobility_months", "37", "Enter a number of months from 0 to 36."),
        ("previous_mobility_months", "-1", "Enter a number of months from 0 to 36."),
        ("previous_mobility_months", "2,25", "Give the months with at most one decimal place."),
        ("previous_mobility_months", "", "Enter the number of months (0 if none)."),
    ],
)
def test_invalid_values_are_refused_next_to_the_field_and_nothing_is_saved(app, selected, field, value, message):
    client = client_for(app, selected.applicant)
    response = post(client, url(selected), valid_data(**{field: value}))
    assert response.status_code == 400
    page = text_of(response)
    assert message in (field_error(page, field) or "")
    assert 'id="error-summary-title"' in page and f'href="#{field}"' in page
    assert stored(selected) is None and sensitive_events() == []


def test_a_date_of_birth_on_the_limits_is_accepted(app, selected):
    today = date.today()
    fifteen = today.replace(year=today.year - 15) if (today.month, today.day) != (2, 29) else today - timedelta(days=1)
    assert age_on(fifteen, today) == 15
    client = client_for(app, selected.applicant)
    data = valid_data(birth_date=fifteen.isoformat(), previous_mobility_months="36")
    assert post(client, url(selected), data).status_code == 302
    assert stored(selected).previous_mobility_months == Decimal(36)


@pytest.mark.parametrize("who", ["coordinator", "head"])
def test_the_faculty_coordinator_and_the_head_see_and_correct_the_flags(app, selected, who):
    assert post(client_for(app, selected.applicant), url(selected), valid_data()).status_code == 302
    user = UserFactory(coordinates=[selected.faculty]) if who == "coordinator" else UserFactory(roles=["head"])
    client = client_for(app, user)
    detail = text_of(client.get(f"/applications/{selected.id}"))
    assert "Check or correct the participant data" in detail
    page = text_of(client.get(url(selected)))
    assert 'name="fewer_opportunities"' in page and 'name="special_needs"' in page
    assert '<option selected value="yes">' in page  # fewer opportunities

    response = post(client, url(selected), valid_data(version="1", fewer_opportunities="no", isced_code="0311"))
    assert response.status_code == 302
    row = stored(selected)
    assert row.fewer_opportunities is False and row.isced_code == "0311" and row.updated_by_id == user.id
    assert sensitive_events()[-1].actor_id == user.id


def test_a_completed_participant_reads_but_staff_still_correct(app):
    completed = application_in("completed")
    db.session.add(
        ParticipantData(
            application=completed,
            birth_date=date(2001, 1, 2),
            gender="male",
            nationality="TJ",
            isced_code="0311",
            study_cycle="master",
            fewer_opportunities=True,
            special_needs=True,
            previous_mobility_months=Decimal(0),
        )
    )
    db.session.commit()
    owner = client_for(app, completed.applicant)
    page = text_of(owner.get(url(completed)))
    assert 'id="participant-data-form"' not in page
    assert isced_label("0311") in page and 'id="special-needs-value">Yes' in page
    response = post(owner, url(completed), valid_data(version="1"))
    assert response.status_code == 409 and "can no longer be changed" in text_of(response)
    assert stored(completed).nationality == "TJ"
    head = client_for(app, UserFactory(roles=["head"]))
    assert 'id="participant-data-form"' in text_of(head.get(url(completed)))


@pytest.mark.parametrize("who", ["examiner", "other_coordinator", "other_applicant"])
def test_others_get_404_and_never_see_the_flags(app, selected, who):
    assert post(client_for(app, selected.applicant), url(selected), valid_data()).status_code == 302
    if who == "examiner":
        user = UserFactory(roles=["examiner"])
        selected.call.examiners.append(user)
        db.session.commit()
    elif who == "other_coordinator":
        user = UserFactory(coordinates=[FacultyFactory()])
    else:
        user = UserFactory(faculty=selected.faculty)
    client = client_for(app, user)
    assert client.get(url(selected)).status_code == 404
    assert post(client, url(selected), valid_data(version="1", special_needs="yes")).status_code == 404
    assert stored(selected).special_needs is False
    detail = client.get(f"/applications/{selected.id}")
    assert detail.status_code == 404 and "Participant with fewer opportunities" not in text_of(detail)


@pytest.mark.parametrize("state", ["draft", "submitted", "eligible", "tested", "waitlisted", "declined"])
def test_not_available_before_a_place_is_held(app, state):
    application = application_in(state)
    for user in (application.applicant, UserFactory(roles=["head"])):
        client = client_for(app, user)
        assert client.get(url(application)).status_code == 404
        assert post(client, url(application), valid_data()).status_code == 404
        assert 'id="participant-data-card"' not in text_of(client.get(f"/applications/{application.id}"))
    assert stored(application) is None


def test_available_from_selected_on(app):
    application = application_in("selected")
    client = client_for(app, application.applicant)
    assert client.get(url(application)).status_code == 200
    assert 'id="participant-data-card"' in text_of(client.get(f"/applications/{application.id}"))


def test_a_stale_form_is_refused(app, selected):
    owner = client_for(app, selected.applicant)
    coordinator = client_for(app, UserFactory(coordinates=[selected.faculty]))
    assert post(owner, url(selected), valid_data()).status_code == 302
    # The coordinator corrects it; the owner's form, opened before, still says version 1.
    assert post(coordinator, url(selected), valid_data(version="1", nationality="RU")).status_code == 302
    response = post(owner, url(selected), valid_data(version="1", nationality="KZ"))
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page
    assert '<option selected value="KZ">' in page  # what was typed is kept
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    assert stored(selected).nationality == "RU"


def test_a_second_first_save_is_refused(app, selected):
    """Two forms opened before any data existed: the later save is refused, not merged."""
    owner = client_for(app, selected.applicant)
    head = client_for(app, UserFactory(roles=["head"]))
    assert post(owner, url(selected), valid_data()).status_code == 302
    response = post(head, url(selected), valid_data(nationality="KZ"))
    assert response.status_code == 409 and "changed by someone else" in text_of(response)
    assert stored(selected).nationality == "TJ"


def test_a_missing_csrf_token_is_a_400(app, selected):
    client = client_for(app, selected.applicant)
    response = client.post(url(selected), data=valid_data())
    assert response.status_code == 400 and stored(selected) is None


@pytest.mark.parametrize("locale", ["ru", "tg"])
def test_the_page_speaks_russian_and_tajik(app, selected, locale):
    selected.applicant.locale = locale
    db.session.commit()
    client = client_for(app, selected.applicant)
    page = text_of(client.get(url(selected)))
    assert "Participant data" not in page and "Date of birth" not in page
    response = post(client, url(selected), valid_data(previous_mobility_months="40"))
    assert response.status_code == 400
    assert "Enter a number of months" not in text_of(response)


def test_the_isced_list():
    assert isced_label("0613") == "0613 Software and applications development and analysis"
    assert ISCED_FIELDS["06"] == "Information and Communication Technologies (ICTs)"
    assert ISCED_FIELDS["042"] == "Law" and ISCED_FIELDS["1041"] == "Transport services"
    assert all(is_isced_code(code) for code in ("00", "031", "0311", "0588", "1099"))
    assert not any(is_isced_code(code) for code in ("", "6", "0613 ", "0620", "99", None))
    for code in ISCED_FIELDS:
        assert code.isdigit() and len(code) in (2, 3, 4)
        assert len(code) == 2 or code[:-1] in ISCED_FIELDS, code  # every field under its parent


# --- the policy, person by person -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["owner", "coordinator", "head", "admin"])
def test_the_policy_lets_the_participant_and_responsible_staff_in(app, selected, kind):
    user = actors_for(selected, kinds=(kind,))[kind]
    assert policy.may_view_participant_data(user, selected)
    assert policy.may_edit_participant_data(user, selected)
    assert policy.may_see_sensitive(user, selected)


@pytest.mark.parametrize(
    "kind",
    [
        "other_applicant",
        "other_coordinator",
        "other_examiner",
        "inactive_coordinator",
        "inactive_examiner",
        "inactive_head",
        "inactive_admin",
    ],
)
def test_the_policy_keeps_everyone_else_out(app, selected, kind):
    user = outsiders_for(selected)[kind]
    assert not policy.may_view_participant_data(user, selected)
    assert not policy.may_edit_participant_data(user, selected)
    assert not policy.may_see_sensitive(user, selected)


def test_the_policy_keeps_the_examiner_of_the_call_out(app, selected):
    examiner = actors_for(selected, kinds=("examiner",))["examiner"]
    assert not policy.may_view_participant_data(examiner, selected)
    assert not policy.may_see_sensitive(examiner, selected)
