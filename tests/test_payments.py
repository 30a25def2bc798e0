"""Grant payments: the instalments scheduled from the issued grant agreement, the last one
settled when the report is approved, the head's list with its filters and totals, recording,
correcting and undoing a payment, the mail to the participant, and the export."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow import workflow
from irflow.errors import Refused
from irflow.extensions import db
from irflow.grants.operations import agreement_of
from irflow.models import GrantPayment, GrantRules, Notification, SecurityEvent
from irflow.models.base import utcnow
from irflow.payments import operations
from irflow.predeparture.reminders import department_today

from .fixtures.factories import UserFactory, actors_for, outsiders_for
from .fixtures.payments import PLANNED_START, PLANNED_TOTAL, participant_with_grant
from .fixtures.web import client_for, field_error, follow, post, text_of


def instalments(application):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(GrantPayment).where(GrantPayment.application_id == application.id).order_by(GrantPayment.instalment)
    ).all()


def rules_of(application):
    return db.session.scalar(sa.select(GrantRules).where(GrantRules.call_id == application.call_id))


# --- scheduling ----------------------------------------------------------------------------------


def test_issuing_schedules_70_percent_before_departure_and_the_rest_waiting(app):
    application = participant_with_grant("host_accepted")
    first, last = instalments(application)
    assert (first.share_percent, first.amount) == (70, Decimal("2779.00"))
    days_before = app.config["FIRST_PAYMENT_DAYS_BEFORE_DEPARTURE"]
    assert first.due_on == PLANNED_START - timedelta(days=days_before) == date(2026, 2, 15)
    assert (last.share_percent, last.amount, last.due_on) == (30, None, None)


def test_the_first_share_is_rounded_to_the_cent(app):
    application = participant_with_grant("host_accepted")
    agreement = agreement_of(application)
    agreement.amount = Decimal("1000.01")
    first, _ = operations.schedule_instalments(agreement, rules_of(application), date(2026, 2, 2))
    assert first.amount == Decimal("700.01")  # 700.007 rounded half up


def test_the_first_is_never_due_before_the_day_it_is_scheduled(app):
    application = participant_with_grant("host_accepted", today=date(2026, 2, 25))
    assert instalments(application)[0].due_on == date(2026, 2, 25)


def test_a_hundred_percent_before_departure_is_one_instalment(app):
    application = participant_with_grant("host_accepted", percent=100)
    (only,) = instalments(application)
    assert (only.instalment, only.share_percent, only.amount) == (1, 100, PLANNED_TOTAL)


def test_rescheduling_keeps_a_paid_instalment(app):
    application = participant_with_grant("host_accepted")
    first, _ = instalments(application)
    first.paid_on, first.reference = date(2026, 2, 10), "TR-1"
    agreement = agreement_of(application)
    agreement.amount = Decimal("5000.00")
    rules = rules_of(application)
    rules.first_instalment_percent = 60
    scheduled = operations.schedule_instalments(agreement, rules, date(2026, 2, 12))
    db.session.commit()
    first, last = instalments(application)
    assert [payment.id for payment in scheduled] == [first.id, last.id]
    assert (first.amount, first.share_percent, first.paid_on) == (Decimal("2779.00"), 70, date(2026, 2, 10))
    assert (last.share_percent, last.amount) == (30, None)


def test_rescheduling_to_a_hundred_percent_drops_the_waiting_instalment(app):
    application = participant_with_grant("host_accepted")
    rules = rules_of(application)
    rules.first_instalment_percent = 100
    operations.schedule_instalments(agreement_of(application), rules, date(2026, 2, 2))
    db.session.commit()
    assert [(payment.instalment, payment.amount) for payment in instalments(application)] == [(1, PLANNED_TOTAL)]


# --- the report's approval settles the last instalment -------------------------------------------------


def approve(application, actual_return=None):
    if actual_return is not None:
        application.actual_return = actual_return
    coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    workflow.fire(application, "approve_report", coordinator)
    db.session.commit()
    return department_today(utcnow())


def pay(payment, paid_on=date(2026, 2, 10), reference="TR-1"):
    payment.paid_on, payment.reference = paid_on, reference
    db.session.commit()


def test_approving_the_report_settles_the_last_instalment(app):
    application = participant_with_grant()
    approved_on = approve(application)
    first, last = instalments(application)
    assert last.amount == PLANNED_TOTAL - first.amount == Decimal("1191.00")
    assert last.due_on == approved_on + timedelta(days=app.config["FINAL_PAYMENT_DAYS_AFTER_REPORT"])


def test_a_shorter_stay_makes_the_last_instalment_smaller(app):
    application = participant_with_grant()
    approve(application, actual_return=date(2026, 6, 14))  # 106 days: 2,473.33 + 820
    assert instalments(application)[1].amount == Decimal("3293.33") - Decimal("2779.00") == Decimal("514.33")


def test_a_much_shorter_stay_is_paid_back(app):
    application = participant_with_grant()
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 3, 30))  # 30 days: 700 + 820
    assert instalments(application)[1].amount == Decimal("1520.00") - Decimal("2779.00") == Decimal("-1259.00")


def test_without_actual_dates_the_issued_total_stands(app):
    application = participant_with_grant()
    agreement = agreement_of(application)
    agreement.amount = Decimal("4000.00")  # not what the planned dates compute (3,970.00)
    operations.schedule_instalments(agreement, rules_of(application), date(2026, 2, 2))
    application.actual_departure = application.actual_return = None
    db.session.commit()
    approve(application)
    assert [payment.amount for payment in instalments(application)] == [Decimal("2800.00"), Decimal("1200.00")]


def test_grant_rules_emptied_since_the_issue_leave_the_issued_total_standing(app):
    application = participant_with_grant()
    rules = rules_of(application)
    rules.country_groups = []  # the host country lost its group: no individual support computed
    db.session.commit()
    approve(application)
    assert instalments(application)[1].amount == PLANNED_TOTAL - Decimal("2779.00")


def test_returning_the_report_leaves_the_last_instalment_waiting(app):
    application = participant_with_grant()
    coordinator = actors_for(application, kinds=("coordinator",))["coordinator"]
    workflow.fire(application, "return_report", coordinator, comment="Add the transcript.")
    db.session.commit()
    last = instalments(application)[1]
    assert (last.amount, last.due_on) == (None, None)


def test_a_paid_last_instalment_is_not_settled_again(app):
    application = participant_with_grant()
    last = instalments(application)[1]
    last.amount, last.paid_on, last.reference = Decimal("100.00"), date(2026, 2, 20), "TR-9"
    db.session.commit()
    approve(application)
    assert instalments(application)[1].amount == Decimal("100.00")


# --- the list ------------------------------------------------------------------------------------------


@pytest.fixture
def head(app):
    user = UserFactory(roles=["head"])
    db.session.commit()
    return user


def row_ids(page):
    return [int(number) for number in re.findall(r'<tr id="payment-(\d+)"', page)]


def test_the_list_shows_due_and_overdue_by_default(app, head):
    waiting = participant_with_grant("host_accepted")
    settled = participant_with_grant()
    approve(settled)
    page = text_of(client_for(app, head).get("/payments"))
    first_waiting, last_waiting = instalments(waiting)
    first_settled, last_settled = instalments(settled)
    assert set(row_ids(page)) == {first_waiting.id, first_settled.id, last_settled.id}
    assert f'href="/applications/{waiting.id}"' in page
    assert "1 of 2" in page and "70 %" in page
    # The first instalments were due in February 2026: overdue now.
    assert f'id="payment-{first_waiting.id}" data-state="overdue"' in page
    assert f'id="payment-{last_settled.id}" data-state="due"' in page
    assert "2,779.00" in page and "1,191.00" in page
    assert 'data-total="to-pay">6,749.00 EUR' in page  # 2,779 × 2 + 1,191

    waiting_page = text_of(client_for(app, head).get("/payments?state=waiting"))
    assert row_ids(waiting_page) == [last_waiting.id]
    assert "Waiting for the report" in waiting_page


def test_a_negative_instalment_is_shown_as_to_pay_back(app, head):
    application = participant_with_grant()
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 3, 30))
    page = text_of(client_for(app, head).get("/payments"))
    assert "1,259.00" in page and "to pay back" in page
    assert 'data-total="to-pay-back">1,259.00 EUR' in page


def test_filters_by_call_and_due_date(app, head):
    one, other = participant_with_grant("host_accepted"), participant_with_grant("host_accepted")
    page = text_of(client_for(app, head).get(f"/payments?call={one.call_id}"))
    assert row_ids(page) == [instalments(one)[0].id]
    assert row_ids(text_of(client_for(app, head).get("/payments?due_until=2026-02-14"))) == []
    assert len(row_ids(text_of(client_for(app, head).get("/payments?due_until=2026-02-15")))) == 2
    assert other.id


def test_an_invalid_filter_is_ignored_and_told(app, head):
    participant_with_grant("host_accepted")
    response = client_for(app, head).get("/payments?state=bogus&call=99999&due_until=never")
    assert response.status_code == 200
    assert "were ignored" in text_of(response)


def test_the_list_is_paged(app, head):
    from irflow.payments import routes

    for _ in range(3):
        participant_with_grant("host_accepted")
    original = routes.PAGE_SIZE
    routes.PAGE_SIZE = 2
    try:
        client = client_for(app, head)
        first = row_ids(text_of(client.get("/payments")))
        second = row_ids(text_of(client.get("/payments?page=2")))
    finally:
        routes.PAGE_SIZE = original
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)


def test_a_coordinator_sees_their_faculties_read_only(app):
    mine, theirs = participant_with_grant("host_accepted"), participant_with_grant("host_accepted")
    coordinator = UserFactory(coordinates=[mine.faculty])
    db.session.commit()
    page = text_of(client_for(app, coordinator).get("/payments"))
    assert row_ids(page) == [instalments(mine)[0].id]
    assert "Record the payment" not in page
    response = post(client_for(app, coordinator), f"/payments/{instalments(mine)[0].id}", {})
    assert response.status_code == 403
    assert theirs.id


@pytest.mark.parametrize("kind", ["other_applicant", "other_examiner", "inactive_head", "inactive_coordinator"])
def test_anyone_else_is_refused_the_list(app, kind):
    application = participant_with_grant("host_accepted")
    outsider = outsiders_for(application)[kind]
    # A deactivated account is logged out: the login page, as anywhere else.
    expected = 302 if kind.startswith("inactive") else 403
    assert client_for(app, outsider).get("/payments").status_code == expected
    assert client_for(app, outsider).get("/payments/export.csv").status_code == expected
    payment = instalments(application)[0]
    assert record(client_for(app, outsider), payment).status_code == expected
    assert instalments(application)[0].paid_on is None


def test_the_owner_and_an_anonymous_visitor_are_refused(app):
    application = participant_with_grant("host_accepted")
    assert client_for(app, application.applicant).get("/payments").status_code == 403
    response = app.test_client().get("/payments")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_head_s_menu_links_the_payments(app, head):
    assert 'href="/payments"' in text_of(client_for(app, head).get("/review/"))
    applicant = UserFactory()
    db.session.commit()
    assert 'href="/payments"' not in text_of(client_for(app, applicant).get("/"))


# --- recording a payment -------------------------------------------------------------------------------


def record(client, payment, **fields):
    prefix = f"p{payment.id}-"
    data = {
        f"{prefix}version": str(payment.version),
        f"{prefix}paid_on": "2026-02-12",
        f"{prefix}reference": "TR-2026-001",
    }
    data.update({f"{prefix}{name}": value for name, value in fields.items()})
    return post(client, f"/payments/{payment.id}?state=all", data)


def test_the_head_records_a_payment_and_the_participant_is_told(app, head):
    application = participant_with_grant("host_accepted")
    application.applicant.locale = "tg"
    db.session.commit()
    first = instalments(application)[0]
    client = client_for(app, head)
    response = record(client, first)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/payments?state=all#payment-{first.id}")
    first = instalments(application)[0]
    assert (first.paid_on, first.reference, first.recorded_by_id) == (date(2026, 2, 12), "TR-2026-001", head.id)
    page = text_of(follow(client, response))
    assert "Paid on" in page and "TR-2026-001" in page
    (notice,) = db.session.scalars(sa.select(Notification).where(Notification.application_id == application.id)).all()
    assert notice.recipient_id == application.applicant_id
    # In the participant's language (Tajik writes 2 779,00).
    assert "2\xa0779,00 EUR" in notice.body and "TR-2026-001" in notice.body
    assert "Маблағ:" in notice.body and "грант" in notice.subject


def test_a_repayment_is_recorded_as_received(app, head):
    application = participant_with_grant()
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 3, 30))
    last = instalments(application)[1]
    assert record(client_for(app, head), last, paid_on=department_today(utcnow()).isoformat()).status_code == 302
    notice = db.session.scalars(
        sa.select(Notification).where(Notification.application_id == application.id).order_by(Notification.id.desc())
    ).first()
    assert "repayment" in notice.subject and "1,259.00 EUR" in notice.body


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"paid_on": "2099-01-01"}, "paid_on", "cannot be in the future"),
        ({"paid_on": "2026-01-01"}, "paid_on", "before the grant agreement was issued"),
        ({"paid_on": ""}, "paid_on", "Enter the day"),
        ({"reference": ""}, "reference", "Enter the reference"),
        ({"reference": "x" * 101}, "reference", "at most 100 characters"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(app, head, fields, field, message):
    application = participant_with_grant("host_accepted")
    first = instalments(application)[0]
    response = record(client_for(app, head), first, **fields)
    assert response.status_code == 400
    page = text_of(response)
    assert message in (field_error(page, f"p{first.id}-{field}") or "")
    assert "There is a problem" in page
    assert instalments(application)[0].paid_on is None


def test_an_instalment_without_an_amount_cannot_be_paid(app, head):
    application = participant_with_grant("host_accepted")
    last = instalments(application)[1]
    response = record(client_for(app, head), last)
    assert response.status_code == 400
    assert "no amount yet" in text_of(response)
    assert instalments(application)[1].paid_on is None


def test_a_stale_version_is_409(app, head):
    application = participant_with_grant("host_accepted")
    first = instalments(application)[0]
    response = record(client_for(app, head), first, version=str(first.version - 1 if first.version > 1 else 99))
    assert response.status_code == 409
    assert "changed by someone else" in text_of(response)
    assert instalments(application)[0].paid_on is None


def test_without_the_csrf_token_it_is_400(app, head):
    application = participant_with_grant("host_accepted")
    first = instalments(application)[0]
    response = client_for(app, head).post(
        f"/payments/{first.id}",
        data={
            f"p{first.id}-version": str(first.version),
            f"p{first.id}-paid_on": "2026-02-12",
            f"p{first.id}-reference": "X",
        },
    )
    assert response.status_code == 400
    assert instalments(application)[0].paid_on is None


def test_a_payment_out_of_reach_is_404(app, head):
    assert record(client_for(app, head), GrantPayment(id=987654, version=1)).status_code == 404


def test_the_head_corrects_and_undoes_a_payment(app, head):
    application = participant_with_grant("host_accepted")
    client = client_for(app, head)
    record(client, instalments(application)[0])
    first = instalments(application)[0]
    assert record(client, first, paid_on="2026-02-13", reference="TR-FIXED").status_code == 302
    first = instalments(application)[0]
    assert (first.paid_on, first.reference) == (date(2026, 2, 13), "TR-FIXED")

    confirm = client.get(f"/payments/{first.id}/undo?state=paid")
    assert confirm.status_code == 200 and "Undo this payment?" in text_of(confirm)
    assert instalments(application)[0].paid_on is not None  # asking changes nothing
    stale = post(client, f"/payments/{first.id}/undo", {"version": str(first.version + 5)})
    assert stale.status_code == 409
    response = post(client, f"/payments/{first.id}/undo?state=paid", {"version": str(first.version)})
    assert response.status_code == 302 and "state=paid" in response.headers["Location"]
    first = instalments(application)[0]
    assert (first.paid_on, first.reference) == (None, None)
    # The accounts keep who did what: recorded, corrected, undone.
    events = db.session.scalars(
        sa.select(SecurityEvent)
        .where(SecurityEvent.kind.in_(("payment_recorded", "payment_undone")))
        .order_by(SecurityEvent.id)
    ).all()
    assert [(event.kind, event.actor_id, event.user_id) for event in events] == [
        ("payment_recorded", head.id, application.applicant_id),
        ("payment_recorded", head.id, application.applicant_id),
        ("payment_undone", head.id, application.applicant_id),
    ]
    assert events[1].details == {
        "application": application.id,
        "instalment": 1,
        "amount": "2779.00",
        "paid_on": "2026-02-13",
        "reference": "TR-FIXED",
        "corrected": True,
    }


def test_only_the_head_undoes(app):
    application = participant_with_grant("host_accepted")
    coordinator = UserFactory(coordinates=[application.faculty])
    db.session.commit()
    first = instalments(application)[0]
    assert client_for(app, coordinator).get(f"/payments/{first.id}/undo").status_code == 403


# --- export ---------------------------------------------------------------------------------------------


def test_the_export_holds_the_filtered_instalments(app, head):
    due = participant_with_grant("host_accepted")
    settled = participant_with_grant()
    pay(instalments(settled)[0])
    approve(settled, actual_return=date(2026, 3, 30))
    client = client_for(app, head)
    response = client.get(f"/payments/export.csv?call={settled.call_id}&state=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["No", "Application", "Full name (Latin)"]
    assert [(row[1], row[7], row[10]) for row in rows[1:]] == [
        (str(settled.id), "1", "2779.00"),
        (str(settled.id), "2", "-1259.00"),
    ]
    event = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "export")).all()[-1]
    assert event.details["list"] == "payments" and event.details["rows"] == 2

    xlsx = client.get("/payments/export.xlsx?state=all")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert due.id


def test_the_export_headers_are_in_the_head_s_language(app, head):
    participant_with_grant("host_accepted")
    head.locale = "ru"
    db.session.commit()
    text = client_for(app, head).get("/payments/export.csv").get_data(as_text=True)
    assert "Сумма" in text.splitlines()[0]


# --- settling what was paid against what is owed ----------------------------------------------------


def test_a_hundred_percent_paid_before_a_shortened_stay_is_paid_back(app):
    application = participant_with_grant(percent=100)
    pay(instalments(application)[0])
    approved_on = approve(application, actual_return=date(2026, 3, 30))  # 30 days: 700 + 820
    first, settling = instalments(application)
    assert (first.amount, first.paid_on) == (PLANNED_TOTAL, date(2026, 2, 10))
    assert (settling.instalment, settling.share_percent) == (2, 0)
    assert settling.amount == Decimal("1520.00") - PLANNED_TOTAL == Decimal("-2450.00")
    assert settling.due_on == approved_on + timedelta(days=app.config["FINAL_PAYMENT_DAYS_AFTER_REPORT"])
    # The grant page names it a settlement, not "0 %".
    page = text_of(client_for(app, application.applicant).get(f"/applications/{application.id}/grant"))
    assert "settlement" in page and "<td>0 %</td>" not in page


def test_a_hundred_percent_paid_before_a_longer_stay_is_topped_up(app):
    application = participant_with_grant(percent=100)
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 8, 12))
    first, settling = instalments(application)
    assert settling.amount == operations.granted_total(application) - PLANNED_TOTAL
    assert settling.amount > 0 and settling.share_percent == 0


def test_a_hundred_percent_paid_for_the_stay_as_planned_needs_no_settlement(app):
    application = participant_with_grant(percent=100)
    pay(instalments(application)[0])
    approve(application)
    assert [payment.amount for payment in instalments(application)] == [PLANNED_TOTAL]


def test_the_list_names_a_settling_instalment_instead_of_its_share(app, head):
    application = participant_with_grant(percent=100)
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 3, 30))
    settling = instalments(application)[1]
    page = text_of(client_for(app, head).get("/payments"))
    assert row_ids(page) == [settling.id]
    assert "2 of 2 · settlement" in page and "0 %" not in page


def test_an_unpaid_first_instalment_is_lowered_to_what_is_owed(app):
    application = participant_with_grant()
    approve(application, actual_return=date(2026, 3, 30))  # 1,520.00 owed, nothing paid
    first, last = instalments(application)
    assert (first.amount, last.amount) == (Decimal("1520.00"), Decimal("0.00"))


def test_an_unpaid_hundred_percent_is_lowered_without_a_settlement(app):
    application = participant_with_grant(percent=100)
    approve(application, actual_return=date(2026, 3, 30))
    assert [payment.amount for payment in instalments(application)] == [Decimal("1520.00")]


def test_an_unpaid_hundred_percent_keeps_its_amount_and_a_longer_stay_adds_the_rest(app):
    application = participant_with_grant(percent=100)
    approve(application, actual_return=date(2026, 8, 12))
    first, settling = instalments(application)
    assert first.amount == PLANNED_TOTAL and first.paid_on is None
    assert settling.amount == operations.granted_total(application) - PLANNED_TOTAL > 0


def test_a_repayment_waits_for_the_earlier_instalments(app, head):
    application = participant_with_grant()
    pay(instalments(application)[0])
    approve(application, actual_return=date(2026, 3, 30))
    first, last = instalments(application)
    assert last.amount == Decimal("-1259.00")
    pay(first, paid_on=None, reference=None)  # taken back after the settlement
    response = record(client_for(app, head), last, paid_on=department_today(utcnow()).isoformat())
    assert response.status_code == 409
    assert "earlier instalment is not paid" in text_of(response)
    assert instalments(application)[1].paid_on is None
    with pytest.raises(Refused):
        operations.record_payment(last, head, last.version, date(2026, 2, 12), "TR-2", date(2026, 2, 12))


def test_a_zero_last_instalment_is_settled_with_nothing_to_pay(app, head):
    application = participant_with_grant()
    approve(application, actual_return=date(2026, 3, 30))
    first, last = instalments(application)
    assert last.amount == Decimal("0.00")
    client = client_for(app, head)
    assert row_ids(text_of(client.get("/payments"))) == [first.id]
    assert row_ids(text_of(client.get("/payments?state=overdue"))) == [first.id]
    page = text_of(client.get("/payments?state=all"))
    assert f'id="payment-{last.id}" data-state="settled"' in page and "nothing to pay" in page
    assert f'id="payment-{last.id}-actions"' not in page
    notices = sa.select(sa.func.count(Notification.id)).where(Notification.application_id == application.id)
    before = db.session.scalar(notices)  # the report's approval
    response = record(client, last, paid_on=department_today(utcnow()).isoformat())
    assert response.status_code == 400 and "nothing to pay" in text_of(response)
    assert instalments(application)[1].paid_on is None
    assert db.session.scalar(notices) == before
    rows = list(csv.reader(io.StringIO(client.get("/payments/export.csv?state=all").get_data(as_text=True))))
    assert rows[-1][12] == "Settled: nothing to pay"


# --- the head's own grant -------------------------------------------------------------------------------


def test_a_head_does_not_record_payments_of_their_own_grant(app):
    application = participant_with_grant("host_accepted", applicant=UserFactory(roles=["head"]))
    head = application.applicant
    first = instalments(application)[0]
    client = client_for(app, head)
    page = text_of(client.get("/payments"))
    assert row_ids(page) == [first.id] and f'id="payment-{first.id}-actions"' not in page
    assert record(client, first).status_code == 403
    assert instalments(application)[0].paid_on is None
    pay(instalments(application)[0])
    first = instalments(application)[0]
    assert client.get(f"/payments/{first.id}/undo").status_code == 403
    assert post(client, f"/payments/{first.id}/undo", {"version": str(first.version)}).status_code == 403
    assert instalments(application)[0].paid_on is not None
