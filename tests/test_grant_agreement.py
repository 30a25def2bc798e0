"""The grant agreement: the participant's green travel, the office's travel days, issuing
(the total frozen, instalments scheduled), the printable agreement in the participant's
language and its signed copy; the planned grant recomputed after a shortening."""

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.grants import operations
from irflow.models import Application, GrantPayment, GrantRules, ParticipantData, SecurityEvent, StayChange
from irflow.payments import operations as payments

from .fixtures.factories import (
    UserFactory,
    actors_for,
    add_document,
    notifications_for,
    outsiders_for,
)
from .fixtures.files import PDF
from .fixtures.grants import amounts, participant_in_berlin
from .fixtures.payments import participant_with_grant
from .fixtures.web import client_for, field_error, form_of, post, text_of

# The factory's stay: 2027-02-01 to 2027-06-30 = 150 days = 5 months; Berlin is band 6.
STAY_TOTAL = Decimal("4320.00")  # 5 × 700 + 820
STAY_TOTAL_GREEN = Decimal("4420.00")  # 5 × 700 + 920


def grant_url(application, tail=""):
    return f"/applications/{application.id}/grant{tail}"


def agreement_of(application):
    db.session.expire_all()
    return operations.agreement_of(db.session.get(Application, application.id))


def version_of(application):
    agreement = agreement_of(application)
    return "" if agreement is None else str(agreement.version)


def choose(app, application, green, version=None):
    client = client_for(app, application.applicant)
    data = {
        "green_travel": "yes" if green else "no",
        "version": version_of(application) if version is None else version,
    }
    return post(client, grant_url(application, "/travel"), data)


def set_days(app, user, application, days):
    data = {"travel_days": str(days), "version": version_of(application)}
    return post(client_for(app, user), grant_url(application, "/travel-days"), data)


def issue(app, user, application):
    return post(client_for(app, user), grant_url(application, "/issue"), {"version": version_of(application)})


def instalments(application):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(GrantPayment).where(GrantPayment.application_id == application.id).order_by(GrantPayment.instalment)
    ).all()


def planned_of(application):
    db.session.expire_all()
    return operations.grants_of(db.session.get(Application, application.id))[1]


@pytest.fixture
def confirmed(app):
    return participant_in_berlin()


@pytest.fixture
def people(confirmed):
    return actors_for(confirmed, kinds=("owner", "coordinator", "head", "examiner"))


# --- green travel and travel days ------------------------------------------------------------


def test_green_travel_changes_the_granted_total(app, confirmed):
    assert planned_of(confirmed).granted_total == STAY_TOTAL
    response = choose(app, confirmed, True)
    assert response.status_code == 302, text_of(response)
    assert agreement_of(confirmed).green_travel is True
    planned = planned_of(confirmed)
    assert planned.granted_total == STAY_TOTAL_GREEN and planned.total == STAY_TOTAL
    page = text_of(client_for(app, confirmed.applicant).get(grant_url(confirmed)))
    assert "Granted total" in page and "4,420.00" in page
    assert "Without green travel it would be 4,320.00" in page
    assert "up to 6 travel days of individual support instead of 2." in page

    assert choose(app, confirmed, False).status_code == 302
    assert planned_of(confirmed).granted_total == STAY_TOTAL


def test_travel_days_count_as_days_of_individual_support(app, confirmed, people):
    response = set_days(app, people["coordinator"], confirmed, 2)
    assert response.status_code == 302, text_of(response)
    planned = planned_of(confirmed)
    assert (planned.days, planned.travel_days, planned.supported_days) == (150, 2, 152)
    # 5 months and 2 days × 700 = 3,500 + 46.67
    assert amounts(planned)["individual_support"] == Decimal("3546.67")
    assert planned.granted_total == Decimal("4366.67")
    page = text_of(client_for(app, confirmed.applicant).get(grant_url(confirmed)))
    assert "150 days of the stay and 2 travel days" in page


def test_a_staff_member_s_travel_days_are_paid_per_day(app):
    application = participant_in_berlin(
        mobility_type="teaching", planned_start=date(2026, 10, 5), planned_end=date(2026, 10, 14)
    )
    head = actors_for(application, kinds=("head",))["head"]
    assert choose(app, application, True).status_code == 302
    assert set_days(app, head, application, 4).status_code == 302
    planned = planned_of(application)
    assert amounts(planned)["individual_support"] == Decimal("2520.00")  # (10 + 4) days × 180
    assert planned.granted_total == Decimal("3440.00")  # + green band 6: 920


def test_more_than_two_travel_days_need_green_travel(app, confirmed, people):
    response = set_days(app, people["head"], confirmed, 3)
    assert response.status_code == 400
    assert field_error(text_of(response), "travel_days") == (
        "Enter a whole number of days from 0 to 2 (up to 6 only with green travel)."
    )
    assert agreement_of(confirmed) is None
    assert choose(app, confirmed, True).status_code == 302
    assert set_days(app, people["head"], confirmed, 6).status_code == 302
    response = set_days(app, people["head"], confirmed, 7)
    assert response.status_code == 400
    assert field_error(text_of(response), "travel_days") == "Enter a whole number of days from 0 to 6."
    # Giving up green travel cuts the days down to two.
    assert choose(app, confirmed, False).status_code == 302
    assert agreement_of(confirmed).travel_days == 2


@pytest.mark.parametrize("value", ["", "two", "-1"])
def test_bad_travel_days_are_refused_next_to_the_field(app, confirmed, people, value):
    response = set_days(app, people["coordinator"], confirmed, value)
    assert response.status_code == 400
    assert field_error(text_of(response), "travel_days")
    assert 'id="error-summary-title"' in text_of(response)


def test_a_travel_choice_without_an_answer_is_refused(app, confirmed):
    response = post(client_for(app, confirmed.applicant), grant_url(confirmed, "/travel"), {"version": ""})
    assert response.status_code == 400
    assert "Choose how you will travel." in text_of(response)


def test_a_stale_choice_is_409_and_saves_nothing(app, confirmed, people):
    assert choose(app, confirmed, True).status_code == 302
    stale = version_of(confirmed)
    assert set_days(app, people["coordinator"], confirmed, 4).status_code == 302
    response = choose(app, confirmed, False, version=stale)
    assert response.status_code == 409
    assert "changed by someone else" in text_of(response)
    agreement = agreement_of(confirmed)
    assert (agreement.green_travel, agreement.travel_days) == (True, 4)


def test_posts_without_a_csrf_token_are_400(app, confirmed, people):
    client = client_for(app, confirmed.applicant)
    assert client.post(grant_url(confirmed, "/travel"), data={"green_travel": "yes", "version": ""}).status_code == 400
    client = client_for(app, people["head"])
    assert client.post(grant_url(confirmed, "/issue"), data={"version": ""}).status_code == 400
    assert agreement_of(confirmed) is None


def test_who_may_post_what(app, confirmed, people):
    # The owner chooses the travel but neither sets the days nor issues.
    assert set_days(app, confirmed.applicant, confirmed, 1).status_code == 403
    assert issue(app, confirmed.applicant, confirmed).status_code == 403
    # The office sets the days and issues, but does not choose for the participant.
    client = client_for(app, people["coordinator"])
    data = {"green_travel": "yes", "version": ""}
    assert post(client, grant_url(confirmed, "/travel"), data).status_code == 403
    assert people["examiner"] and set_days(app, people["examiner"], confirmed, 1).status_code == 404
    outsiders = outsiders_for(confirmed)
    for kind, user in outsiders.items():
        # A deactivated account is sent to the login page; any other outsider gets a 404.
        expected = 302 if kind.startswith("inactive") else 404
        assert set_days(app, user, confirmed, 1).status_code == expected, kind
        assert issue(app, user, confirmed).status_code == expected, kind
        response = post(client_for(app, user), grant_url(confirmed, "/travel"), data)
        assert response.status_code == expected, kind
    assert agreement_of(confirmed) is None


# --- issuing ---------------------------------------------------------------------------------


def test_issuing_freezes_the_total_and_schedules_seventy_thirty(app, confirmed, people):
    assert set_days(app, people["coordinator"], confirmed, 2).status_code == 302
    response = issue(app, people["coordinator"], confirmed)
    assert response.status_code == 302
    agreement = agreement_of(confirmed)
    assert agreement.amount == Decimal("4366.67")
    assert agreement.number == f"GA-2026-{confirmed.id:06d}"
    assert agreement.issued_by_id == people["coordinator"].id and agreement.issued_at is not None
    [event] = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "grant_agreement_issued")).all()
    assert (event.actor_id, event.user_id) == (people["coordinator"].id, confirmed.applicant_id)
    assert event.details == {"application": confirmed.id, "number": agreement.number, "amount": "4366.67"}
    first, last = instalments(confirmed)
    assert (first.share_percent, first.amount) == (70, Decimal("3056.67"))  # 70 % of 4,366.67
    assert first.due_on == date(2027, 1, 18)  # 14 days before the planned departure
    assert (last.share_percent, last.amount, last.due_on) == (30, None, None)
    [mail] = [n for n in notifications_for(confirmed) if "grant agreement" in n.subject]
    assert mail.recipient_id == confirmed.applicant_id
    assert f"/applications/{confirmed.id}/grant/agreement" in mail.body and "4,366.67" in mail.body

    page = text_of(client_for(app, confirmed.applicant).get(grant_url(confirmed)))
    assert 'data-state="to_sign"' in page and "3,056.67" in page and "after the report is approved" in page
    # The travel is settled once issued.
    assert 'id="travel-form"' not in page
    assert choose(app, confirmed, True).status_code == 409
    detail = text_of(client_for(app, confirmed.applicant).get(f"/applications/{confirmed.id}"))
    assert "The grant agreement is issued: to print, sign and upload." in detail


def test_issuing_again_changes_the_total_and_the_instalments(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    assert instalments(confirmed)[0].amount == Decimal("3024.00")  # 70 % of 4,320
    application = db.session.get(Application, confirmed.id)
    application.planned_end = date(2027, 5, 31)  # 120 days = 4 months
    db.session.commit()
    assert issue(app, people["head"], confirmed).status_code == 302
    assert agreement_of(confirmed).amount == Decimal("3620.00")
    assert instalments(confirmed)[0].amount == Decimal("2534.00")
    assert len(instalments(confirmed)) == 2


def test_issuing_again_asks_first_and_says_what_changes(app, confirmed, people):
    client = client_for(app, people["head"])
    # Not issued yet: the grant page issues at once; there is nothing to ask about.
    assert client.get(grant_url(confirmed, "/issue")).status_code == 302
    assert issue(app, people["head"], confirmed).status_code == 302
    number = agreement_of(confirmed).number
    application = db.session.get(Application, confirmed.id)
    application.planned_end = date(2027, 5, 31)
    db.session.commit()

    page = text_of(client.get(grant_url(confirmed)))
    assert 'id="issue-form"' not in page and f'href="{grant_url(confirmed, "/issue")}"' in page
    confirm = client.get(grant_url(confirmed, "/issue"))
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "Issue the grant agreement again?" in text and number in text
    assert "4,320.00" in text and "3,620.00" in text  # the total stated now, and the new one
    assert agreement_of(confirmed).amount == Decimal("4320.00")  # asking changes nothing
    assert client_for(app, confirmed.applicant).get(grant_url(confirmed, "/issue")).status_code == 403
    assert (
        client_for(app, outsiders_for(confirmed)["other_coordinator"]).get(grant_url(confirmed, "/issue")).status_code
        == 404
    )


def test_no_issue_without_rules_or_with_problems(app, people, confirmed):
    partner = confirmed.allocated_place.partner
    partner.latitude = partner.longitude = None
    db.session.commit()
    client = client_for(app, people["head"])
    response = post(client, grant_url(confirmed, "/issue"), {"version": ""}, follow_redirects=True)
    page = text_of(response)
    assert "The grant agreement cannot be issued:" in page
    assert "The host has no coordinates: the distance band is unknown." in page
    assert agreement_of(confirmed) is None

    db.session.execute(sa.delete(GrantRules).where(GrantRules.call_id == confirmed.call_id))
    db.session.commit()
    response = post(client, grant_url(confirmed, "/issue"), {"version": ""}, follow_redirects=True)
    assert "The call has no grant rules yet." in text_of(response)
    assert agreement_of(confirmed) is None and instalments(confirmed) == []


def test_no_new_issue_after_the_signed_copy_or_a_payment(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    add_document(confirmed, "grant_agreement")
    client = client_for(app, people["head"])
    response = post(client, grant_url(confirmed, "/issue"), {"version": version_of(confirmed)}, follow_redirects=True)
    assert "Its signed copy is uploaded" in text_of(response)
    page = text_of(client.get(grant_url(confirmed)))
    assert 'data-state="signed"' in page and 'id="issue-form"' not in page

    other = participant_in_berlin()
    head = actors_for(other, kinds=("head",))["head"]
    assert issue(app, head, other).status_code == 302
    first = instalments(other)[0]
    first.paid_on, first.reference = date(2027, 1, 15), "TR-1"
    db.session.commit()
    response = post(
        client_for(app, head), grant_url(other, "/issue"), {"version": version_of(other)}, follow_redirects=True
    )
    assert "An instalment is paid" in text_of(response)
    assert "TR-1" in text_of(client_for(app, other.applicant).get(grant_url(other)))


def test_no_issue_once_abroad(app, people):
    application = participant_in_berlin("abroad")
    head = actors_for(application, kinds=("head",))["head"]
    response = post(client_for(app, head), grant_url(application, "/issue"), {"version": ""}, follow_redirects=True)
    assert "The grant agreement cannot be issued now." in text_of(response)
    assert agreement_of(application) is None


# --- the agreement's rates -------------------------------------------------------------------


def raise_student_rate(application, rate=900):
    rules = db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == application.call_id))
    rules.student_month_group1 = rate
    db.session.commit()


def test_the_settlement_follows_the_rates_of_the_agreement_not_the_rules_changed_since(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    assert agreement_of(confirmed).amount == STAY_TOTAL  # 5 × 700 + 820
    raise_student_rate(confirmed)  # 700 → 900 after the issue
    application = db.session.get(Application, confirmed.id)
    application.actual_departure, application.actual_return = application.planned_start, application.planned_end
    payments.settle_instalments(application, date(2027, 7, 10))  # as the report's approval does
    db.session.commit()
    first, last = instalments(confirmed)
    assert first.amount + last.amount == STAY_TOTAL
    _, planned, actual = operations.grants_of(db.session.get(Application, confirmed.id))
    assert planned.granted_total == actual.granted_total == STAY_TOTAL
    assert amounts(actual)["individual_support"] == Decimal("3500.00")
    page = text_of(client_for(app, confirmed.applicant).get(grant_url(confirmed)))
    assert "The rates are those of the grant agreement" in page and "5,320.00" not in page


def test_the_agreement_keeps_the_rates_it_was_issued_with(app, confirmed, people):
    assert choose(app, confirmed, True).status_code == 302
    assert issue(app, people["head"], confirmed).status_code == 302
    agreement = agreement_of(confirmed)
    frozen = (
        agreement.frozen_country_group,
        agreement.frozen_individual_rate,
        agreement.frozen_distance_km,
        agreement.frozen_band,
        agreement.frozen_travel_amount,
        agreement.frozen_green_travel_amount,
        agreement.frozen_top_up_month,
    )
    assert frozen == (1, 700, 4396, 6, 820, 920, 250)


def test_issuing_again_takes_the_rules_as_they_are_now(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    raise_student_rate(confirmed)
    assert planned_of(confirmed).granted_total == STAY_TOTAL
    assert issue(app, people["head"], confirmed).status_code == 302
    assert agreement_of(confirmed).amount == planned_of(confirmed).granted_total == Decimal("5320.00")


def test_an_agreement_issued_before_its_rates_were_kept_follows_the_rules(app):
    application = participant_with_grant()  # issued without frozen rates
    raise_student_rate(application)
    _, planned, _ = operations.grants_of(application)
    assert planned.granted_total == Decimal("4870.00")  # 4.5 × 900 + 820
    page = text_of(client_for(app, application.applicant).get(grant_url(application)))
    assert "issued before its rates were kept" in page


# --- the printable agreement -----------------------------------------------------------------


def test_the_agreement_is_printed_in_the_participant_s_language(app):
    applicant = UserFactory(locale="tg", full_name_native="Раҳимова Дилноза")
    application = participant_in_berlin(applicant=applicant)
    head = UserFactory(roles=["head"], locale="en")
    url = grant_url(application, "/agreement")
    assert client_for(app, head).get(url).status_code == 404  # not issued yet
    assert issue(app, head, application).status_code == 302
    response = client_for(app, head).get(url)
    assert response.status_code == 200
    page = text_of(response)
    assert '<html lang="tg">' in page
    assert "Шартномаи грантӣ" in page
    assert f"GA-2026-{application.id:06d}" in page and "4 320,00" in page.replace("\xa0", " ")
    assert "Раҳимова Дилноза" in page
    assert "data-print" in page and "<script>" not in page
    [mail] = notifications_for(application)
    assert mail.subject == f"Аризаи {application.id}: шартномаи грантии шумо барои имзо омода аст"


def test_the_agreement_is_for_the_participant_and_the_office_only(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    url = grant_url(confirmed, "/agreement")
    for kind in ("owner", "coordinator", "head"):
        assert client_for(app, people[kind]).get(url).status_code == 200, kind
    assert client_for(app, people["examiner"]).get(url).status_code == 404
    for kind, user in outsiders_for(confirmed).items():
        expected = 302 if kind.startswith("inactive") else 404  # a deactivated account goes to the login page
        assert client_for(app, user).get(url).status_code == expected, kind


# --- the signed copy -------------------------------------------------------------------------


def upload_signed_copy(app, user, application):
    client = client_for(app, user)
    data = {"kind": "grant_agreement", "file": (io.BytesIO(PDF), "signed.pdf")}
    return post(client, f"/applications/{application.id}/documents", data, content_type="multipart/form-data")


def signed_copy_count(application):
    from irflow.models import Document

    return db.session.scalar(
        sa.select(sa.func.count(Document.id)).where(
            Document.application_id == application.id, Document.kind == "grant_agreement"
        )
    )


def test_the_signed_copy_is_uploaded_once_issued(app, confirmed, people):
    upload_signed_copy(app, confirmed.applicant, confirmed)
    assert signed_copy_count(confirmed) == 0
    assert issue(app, people["coordinator"], confirmed).status_code == 302
    response = upload_signed_copy(app, confirmed.applicant, confirmed)
    assert response.status_code == 302
    assert signed_copy_count(confirmed) == 1
    page = text_of(client_for(app, people["coordinator"]).get(grant_url(confirmed)))
    assert 'data-state="signed"' in page and "signed.pdf" in page
    detail = text_of(client_for(app, confirmed.applicant).get(f"/applications/{confirmed.id}"))
    assert "The grant agreement is signed." in detail


def test_the_coordinator_uploads_the_signed_copy_too(app, confirmed, people):
    assert issue(app, people["head"], confirmed).status_code == 302
    assert upload_signed_copy(app, people["coordinator"], confirmed).status_code == 302
    assert signed_copy_count(confirmed) == 1


# --- the grant follows the stay --------------------------------------------------------------


def test_a_shortening_recomputes_the_planned_grant_and_the_return_adds_the_actual_one(app):
    application = participant_in_berlin("abroad")
    people = actors_for(application, kinds=("owner", "coordinator"))
    owner = client_for(app, application.applicant)
    response = post(
        owner,
        f"/applications/{application.id}/stay-changes/new",
        {"kind": "shortening", "new_end": "2027-05-31", "reason": "Family reasons."},
    )
    assert response.status_code == 302, text_of(response)
    stay_change = db.session.scalar(sa.select(StayChange).where(StayChange.application_id == application.id))
    coordinator = client_for(app, people["coordinator"])
    values = decision_values(coordinator.get(f"/applications/{application.id}/stay-changes"), stay_change)
    values.update(decision="approve", comment="")
    assert post(coordinator, f"/applications/{application.id}/stay-changes", values).status_code == 302

    planned = planned_of(application)
    assert planned.days == 120 and planned.granted_total == Decimal("3620.00")  # 4 × 700 + 820
    page = text_of(owner.get(grant_url(application)))
    assert "3,620.00" in page and 'id="grant-actual"' not in page

    stored = db.session.get(Application, application.id)
    stored.actual_departure, stored.actual_return = date(2027, 2, 1), date(2027, 5, 15)
    db.session.commit()
    page = text_of(owner.get(grant_url(application)))
    assert 'id="grant-planned"' in page and 'id="grant-actual"' in page
    assert "3,620.00" in page and "3,246.67" in page  # 104 days: 3 months 14 days × 700 + 820


def decision_values(page_response, stay_change):
    page = page_response.get_data(as_text=True)
    start = page.find(f'id="stay-change-{stay_change.id}"')
    assert start != -1
    form = page[start : page.find("</form>", start)]
    values = form_of(type("R", (), {"get_data": lambda self, as_text=True: form})())
    values.pop("csrf_token", None)
    return values


def test_the_agreement_states_the_parties_the_mobility_the_schedule_and_the_obligations(app, confirmed, people):
    db.session.add(
        ParticipantData(
            application_id=confirmed.id,
            birth_date=date(2003, 5, 17),
            gender="female",
            nationality="TJ",
            isced_code="0613",
            study_cycle="bachelor",
            fewer_opportunities=False,
            special_needs=False,
            previous_mobility_months=Decimal(0),
            version=1,
        )
    )
    db.session.commit()
    assert choose(app, confirmed, True).status_code == 302
    assert issue(app, people["head"], confirmed).status_code == 302
    page = text_of(client_for(app, confirmed.applicant).get(grant_url(confirmed, "/agreement")))
    assert "Khujand State University named after B. Gafurov" in page
    assert "May 17, 2003" in page and "Tajikistan" in page
    assert "Berlin" in page and "Germany" in page and "February 1, 2027 – June 30, 2027" in page
    assert "4,396 km from the home city" in page and 'id="document-green-travel">Yes<' in page
    assert "The grant stated in this agreement: 4,420.00 €." in page
    assert "3,094.00" in page and "after the report is approved" in page  # 70 % of 4,420
    assert "within 30 days of the return" in page and "certificate of attendance" in page
    assert page.count('class="signature-line') == 4
