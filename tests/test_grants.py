"""Grants: the distance band from partners' coordinates, a participant's grant from the
call's rules (planned and actual dates), who sees it, and the head's rules form."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.grants import compute, operations
from irflow.models import GrantAgreement, GrantRules, GrantTravelBand, ParticipantData, StayChange

from .fixtures.factories import (
    CallFactory,
    actors_for,
    add_approved_staff_agreement,
    application_in,
    one_commit,
    outsiders_for,
)
from .fixtures.grants import BERLIN, amounts, participant_in_berlin
from .fixtures.manage import head_client
from .fixtures.web import client_for, field_error, post, text_of

KHUJAND = (40.2833, 69.6167)
OSH = (40.5283, 72.7985)
ALMATY = (43.2389, 76.8897)


# --- distance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected_km", "band"),
    [
        # Osh: Δφ = 0.2450° = 0.004276 rad, Δλ = 3.1818° = 0.055533 rad,
        # a = sin²(Δφ/2) + cos 40.2833° · cos 40.5283° · sin²(Δλ/2) = 0.0004515,
        # d = 2 · 6371 · asin(√a) = 270.77 km → band 2 (100–499 km).
        (OSH, 270.77, 2),
        # Almaty: Δφ = 2.9556° = 0.051585 rad, Δλ = 7.2730° = 0.126938 rad, a = 0.0029008,
        # d = 2 · 6371 · asin(0.053859) = 686.61 km → band 3 (500–1,999 km).
        (ALMATY, 686.61, 3),
        # Berlin: Δφ = 12.2367° = 0.213571 rad, Δλ = −56.2117° = −0.981079 rad, a = 0.11438,
        # d = 2 · 6371 · asin(0.338201) = 4,396.05 km → band 6 (4,000–7,999 km).
        (BERLIN, 4396.05, 6),
    ],
)
def test_the_band_follows_the_great_circle_distance(host, expected_km, band):
    distance = compute.haversine_km(*KHUJAND, *host)
    assert distance == pytest.approx(expected_km, abs=0.01)
    assert compute.distance_band(distance) == band


@pytest.mark.parametrize(
    ("km", "band"),
    [(9.9, None), (10, 1), (99.9, 1), (100, 2), (1999, 3), (2000, 4), (3999.5, 5), (7999, 6), (8000, 7)],
)
def test_band_edges(km, band):
    assert compute.distance_band(km) == band


def test_months_count_thirty_days_and_a_thirtieth_per_extra_day():
    assert compute.month_parts(135) == (4, 15)
    assert compute.per_month_amount(700, 135) == Decimal("3150.00")  # 4 × 700 + 15 × 700 / 30
    assert compute.per_month_amount(700, 106) == Decimal("2473.33")  # 3 × 700 + 16 × 700 / 30


# --- the grant of a participant ----------------------------------------------------------------


def test_a_student_grant_is_months_times_the_group_rate_plus_the_band(app):
    application = participant_in_berlin(planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    _, planned, actual = operations.grants_of(application)
    assert planned.days == 135 and planned.country_group == 1 and planned.band == 6
    assert amounts(planned) == {
        "individual_support": Decimal("3150.00"),  # 4 months 15 days × 700
        "travel": Decimal("820.00"),
        "green_travel": Decimal("920.00"),
    }
    assert planned.total == Decimal("3970.00") and planned.total_green == Decimal("4070.00")
    assert actual is None


def add_fewer_opportunities(application):
    db.session.add(
        ParticipantData(
            application=application,
            birth_date=date(2003, 5, 17),
            gender="female",
            nationality="TJ",
            isced_code="0613",
            study_cycle="bachelor",
            fewer_opportunities=True,
            special_needs=False,
            previous_mobility_months=Decimal(0),
            version=1,
        )
    )


def test_fewer_opportunities_add_the_monthly_top_up(app):
    application = participant_in_berlin(planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    add_fewer_opportunities(application)
    db.session.commit()
    _, planned, _ = operations.grants_of(application)
    assert amounts(planned)["top_up"] == Decimal("1125.00")  # 4.5 months × 250
    assert planned.total == Decimal("5095.00")


def test_the_actual_dates_recompute_the_grant_beside_the_planned_one(app):
    application = participant_in_berlin("returned", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    application.actual_departure, application.actual_return = date(2026, 9, 1), date(2026, 12, 15)
    db.session.commit()
    _, planned, actual = operations.grants_of(application)
    assert planned.total == Decimal("3970.00")
    assert actual.days == 106
    assert amounts(actual)["individual_support"] == Decimal("2473.33")  # 3 months 16 days × 700
    assert actual.total == Decimal("3293.33")

    page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}/grant"))
    assert 'id="grant-planned"' in page and 'id="grant-actual"' in page
    assert "3,970.00" in page and "3,293.33" in page


def test_a_staff_grant_is_days_times_the_daily_rate(app):
    application = participant_in_berlin(
        mobility_type="teaching", planned_start=date(2026, 10, 5), planned_end=date(2026, 10, 14)
    )
    _, planned, _ = operations.grants_of(application)
    assert planned.days == 10
    assert amounts(planned)["individual_support"] == Decimal("1800.00")  # 10 days × 180
    assert planned.total == Decimal("2620.00")


def test_a_staff_grant_counts_the_mobility_agreement_s_days(app):
    application = participant_in_berlin(
        mobility_type="teaching", planned_start=date(2026, 10, 5), planned_end=date(2026, 10, 14)
    )
    add_approved_staff_agreement(application)
    db.session.commit()
    _, planned, _ = operations.grants_of(application)
    assert planned.days == 5 and amounts(planned)["individual_support"] == Decimal("900.00")


def approved_interruption(application, first_day, last_day, state="approved"):
    db.session.add(
        StayChange(
            application=application,
            kind="interruption",
            interruption_from=first_day,
            interruption_to=last_day,
            reason="Back home for a family emergency.",
            state=state,
            version=1,
        )
    )


def test_approved_interruptions_are_not_counted_in_the_actual_grant(app):
    application = participant_in_berlin("returned", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    application.actual_departure, application.actual_return = date(2026, 9, 1), date(2027, 1, 13)
    approved_interruption(application, date(2026, 11, 2), date(2026, 11, 15))  # 14 days
    approved_interruption(application, date(2026, 12, 1), date(2026, 12, 5), state="refused")
    db.session.commit()
    _, planned, actual = operations.grants_of(application)
    assert planned.total == Decimal("3970.00")  # planned: no interruption
    assert (actual.span_days, actual.interrupted_days, actual.days) == (135, 14, 121)
    # 121 days = 4 months 1 day × 700; the travel support stays
    assert amounts(actual)["individual_support"] == Decimal("2823.33")
    assert amounts(actual)["travel"] == Decimal("820.00")
    assert actual.total == Decimal("3643.33")
    page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}/grant"))
    assert "135 days from departure to return, of which 14 interrupted: not counted" in page


def test_an_interruption_is_not_counted_in_the_top_up_either(app):
    application = participant_in_berlin("returned", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    application.actual_departure, application.actual_return = date(2026, 9, 1), date(2027, 1, 13)
    approved_interruption(application, date(2026, 11, 2), date(2026, 11, 16))  # 15 days
    add_fewer_opportunities(application)
    db.session.commit()
    _, _, actual = operations.grants_of(application)
    assert amounts(actual)["top_up"] == Decimal("1000.00")  # 120 days = 4 months × 250


def returned_teacher(departure, return_day, travel_days=0):
    application = participant_in_berlin(
        "returned", mobility_type="teaching", planned_start=date(2026, 10, 5), planned_end=date(2026, 10, 14)
    )
    add_approved_staff_agreement(application)  # 5 days of activity
    application.actual_departure, application.actual_return = departure, return_day
    db.session.add(GrantAgreement(application=application, green_travel=False, travel_days=travel_days, version=1))
    db.session.commit()
    return application


def test_staff_actual_days_are_at_most_the_agreed_days_and_travel_days_come_on_top(app):
    application = returned_teacher(date(2026, 10, 5), date(2026, 10, 14), travel_days=2)  # a 10-day span
    _, planned, actual = operations.grants_of(application)
    assert (actual.span_days, actual.days, actual.supported_days) == (10, 5, 7)
    assert amounts(actual)["individual_support"] == Decimal("1260.00") == amounts(planned)["individual_support"]
    page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}/grant"))
    assert "At most the 5 days of activity of the staff mobility agreement count." in page


def test_a_shorter_staff_stay_counts_its_own_days_less_interruptions(app):
    application = returned_teacher(date(2026, 10, 5), date(2026, 10, 9))  # 5 days
    approved_interruption(application, date(2026, 10, 7), date(2026, 10, 8))
    db.session.commit()
    _, _, actual = operations.grants_of(application)
    assert actual.days == 3 and amounts(actual)["individual_support"] == Decimal("540.00")


def test_a_student_stay_counts_its_span_and_the_travel_days(app):
    application = participant_in_berlin("returned", planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 13))
    application.actual_departure, application.actual_return = date(2026, 9, 1), date(2027, 1, 13)
    db.session.add(GrantAgreement(application=application, green_travel=False, travel_days=2, version=1))
    db.session.commit()
    _, _, actual = operations.grants_of(application)
    assert (actual.days, actual.supported_days) == (135, 137)


def test_what_is_missing_is_named_not_guessed(app):
    application = participant_in_berlin()
    partner = application.allocated_place.partner
    partner.country, partner.latitude, partner.longitude = "FR", None, None
    db.session.commit()
    _, planned, _ = operations.grants_of(application)
    assert planned.problems == ["country_group", "distance"] and planned.lines == []


# --- who sees it -------------------------------------------------------------------------------


def test_the_participant_the_faculty_s_coordinator_and_the_head_see_it(app):
    application = participant_in_berlin()
    people = actors_for(application, kinds=("owner", "coordinator", "head", "examiner"))
    for kind in ("owner", "coordinator", "head"):
        response = client_for(app, people[kind]).get(f"/applications/{application.id}/grant")
        assert response.status_code == 200, kind
        assert "Individual support, country group 1" in text_of(response)
        detail = text_of(client_for(app, people[kind]).get(f"/applications/{application.id}"))
        assert f'href="/applications/{application.id}/grant"' in detail
    assert client_for(app, people["examiner"]).get(f"/applications/{application.id}/grant").status_code == 404
    outsiders = outsiders_for(application)
    for kind in ("other_applicant", "other_coordinator", "other_examiner"):
        response = client_for(app, outsiders[kind]).get(f"/applications/{application.id}/grant")
        assert response.status_code == 404, kind


def test_no_grant_before_a_place_is_confirmed(app):
    with one_commit():
        application = application_in("submitted")
    response = client_for(app, application.applicant).get(f"/applications/{application.id}/grant")
    assert response.status_code == 404


# --- the head's rules form ---------------------------------------------------------------------


def valid_rules_form(call, **overrides):
    data = {
        "payer": "eu_partner",
        "student_month_group1": "700",
        "student_month_group2": "600",
        "student_month_group3": "500",
        "staff_day_group1": "180",
        "staff_day_group2": "160",
        "staff_day_group3": "140",
        "fewer_opportunities_month": "250",
        "first_instalment_percent": "70",
        "version": "",
    }
    for band in range(1, 8):
        data[f"band{band}_amount"] = str(100 * band)
        data[f"band{band}_green"] = str(100 * band + 50)
    for country in {place.partner.country for place in call.places}:
        data[f"group_{country}"] = "1"
    return data | overrides


def test_the_head_saves_the_rules(app):
    client = head_client(app)
    with one_commit():
        call = CallFactory()
    url = f"/manage/calls/{call.id}/grant-rules"
    assert client.get(url).status_code == 200
    response = post(client, url, valid_rules_form(call, student_month_group2="650", first_instalment_percent="60"))
    assert response.status_code == 302
    db.session.expire_all()
    rules = db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == call.id))
    assert (rules.student_month_group2, rules.first_instalment_percent) == (650, 60)
    assert [(row.band, row.amount, row.green_amount) for row in rules.travel_bands][-1] == (7, 700, 750)
    assert {row.country: row.country_group for row in rules.country_groups} == {"DE": 1}
    # Saved again: the rows are updated, not duplicated.
    assert post(client, url, valid_rules_form(call, band7_amount="900", version=str(rules.version))).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(GrantTravelBand.id))) == 7


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("student_month_group1", "-5", "Enter a whole number of euros from 0 to 100000."),
        ("band3_green", "", "Enter an amount in whole euros (0 if none)."),
        ("group_DE", "", "Choose the country group."),
        ("first_instalment_percent", "0", "Enter the share paid before departure, from 1 to 100."),
        ("first_instalment_percent", "101", "Enter the share paid before departure, from 1 to 100."),
        ("first_instalment_percent", "", "Enter the share paid before departure, from 1 to 100."),
    ],
)
def test_the_rules_form_refuses_bad_input_next_to_the_field(app, field, value, message):
    client = head_client(app)
    with one_commit():
        call = CallFactory()
    url = f"/manage/calls/{call.id}/grant-rules"
    response = post(client, url, valid_rules_form(call, **{field: value}))
    assert response.status_code == 400
    assert field_error(text_of(response), field) == message
    assert db.session.scalar(sa.select(sa.func.count(GrantRules.id))) == 0


def rules_of(call):
    db.session.expire_all()
    return db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == call.id))


def test_a_new_form_pays_70_percent_before_departure_and_the_rest_after_the_report(app):
    with one_commit():
        call = CallFactory()
    page = text_of(head_client(app).get(f"/manage/calls/{call.id}/grant-rules"))
    assert (
        'name="first_instalment_percent"' in page
        and 'value="70"' in page.split('name="first_instalment_percent"')[1][:80]
    )
    assert "Paid before departure (%)" in page


def test_a_save_over_rules_changed_meanwhile_is_refused_with_the_figures_kept(app):
    client = head_client(app)
    with one_commit():
        call = CallFactory()
    url = f"/manage/calls/{call.id}/grant-rules"
    assert post(client, url, valid_rules_form(call)).status_code == 302
    opened_version = str(rules_of(call).version)
    # Someone else saves in the meantime.
    assert (
        post(client, url, valid_rules_form(call, student_month_group1="710", version=opened_version)).status_code == 302
    )

    response = post(client, url, valid_rules_form(call, student_month_group1="655", version=opened_version))
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page
    assert 'value="655"' in page.split('name="student_month_group1"')[1][:80]
    assert rules_of(call).student_month_group1 == 710
    # Saving again after checking is deliberate: the page carries the current version.
    current_version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    assert current_version == str(rules_of(call).version) != opened_version
    response = post(client, url, valid_rules_form(call, student_month_group1="655", version=current_version))
    assert response.status_code == 302 and rules_of(call).student_month_group1 == 655


def test_a_first_save_over_rules_created_meanwhile_is_refused(app):
    client = head_client(app)
    with one_commit():
        call = CallFactory()
    url = f"/manage/calls/{call.id}/grant-rules"
    assert post(client, url, valid_rules_form(call, student_month_group1="710")).status_code == 302
    response = post(client, url, valid_rules_form(call, student_month_group1="655", version=""))
    assert response.status_code == 409 and "changed by someone else" in text_of(response)
    assert rules_of(call).student_month_group1 == 710


def test_a_wrong_call_is_404(app):
    assert head_client(app).get("/manage/calls/999999/grant-rules").status_code == 404


def test_only_the_head_manages_rules(app):
    with one_commit():
        call = CallFactory()
        application = application_in("confirmed", call=call)
    people = actors_for(application, kinds=("coordinator", "examiner"))
    for user in people.values():
        assert client_for(app, user).get(f"/manage/calls/{call.id}/grant-rules").status_code in (403, 404)


# --- partners' coordinates ---------------------------------------------------------------------


def partner_form(partner, **overrides):
    return {
        "name": partner.name,
        "country": partner.country,
        "city": partner.city or "",
        "kind": partner.kind,
        "latitude": "52.52",
        "longitude": "13.405",
    } | overrides


def test_the_head_gives_a_partner_its_coordinates(app):
    client = head_client(app)
    with one_commit():
        partner = CallFactory().places[0].partner
    response = post(client, f"/manage/partners/{partner.id}", partner_form(partner))
    assert response.status_code == 302
    db.session.expire_all()
    assert (partner.latitude, partner.longitude) == (52.52, 13.405)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"latitude": "91"}, "latitude", "Enter a latitude between -90 and 90."),
        ({"longitude": "-180.5"}, "longitude", "Enter a longitude between -180 and 180."),
        ({"longitude": ""}, "longitude", "Enter both the latitude and the longitude, or neither."),
    ],
)
def test_coordinates_out_of_range_are_refused_next_to_the_field(app, overrides, field, message):
    client = head_client(app)
    with one_commit():
        partner = CallFactory().places[0].partner
    response = post(client, f"/manage/partners/{partner.id}", partner_form(partner, **overrides))
    assert response.status_code == 400
    assert field_error(text_of(response), field) == message
    db.session.expire_all()
    assert partner.latitude is None
