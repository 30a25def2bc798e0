"""The mobility half in the personal data download and the purge: the learning and staff
mobility agreements, the grant agreement and its payments, the pre-departure checklist."""

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from irflow.extensions import db
from irflow.models import (
    GrantAgreement,
    GrantPayment,
    LearningAgreement,
    LearningAgreementChange,
    LearningAgreementChangeRow,
    PredepartureItem,
    PredepartureItemChange,
    StaffMobilityAgreement,
    TransitionLog,
)
from irflow.models.base import utcnow

from .fixtures.factories import (
    CallFactory,
    UserFactory,
    add_approved_learning_agreement,
    add_approved_staff_agreement,
    add_recognition,
    application_in,
)
from .fixtures.web import client_for, post

LONG_AGO = timedelta(days=6 * 366)


def exported_application(app, application):
    response = post(client_for(app, application.applicant), "/account/data")
    assert response.status_code == 200, response.status_code
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.get_data())).read("data.json"))
    (exported,) = [row for row in data["applications"] if row["id"] == application.id]
    return exported


def add_learning_agreement_change(application):
    agreement = db.session.scalar(
        sa.select(LearningAgreement).where(LearningAgreement.application_id == application.id)
    )
    agreement.comment = "Fine by us."
    db.session.add(
        LearningAgreementChange(
            agreement=agreement,
            state="approved",
            comment="Approved, good luck.",
            submitted_at=utcnow(),
            decided_at=utcnow(),
            rows=[
                LearningAgreementChangeRow(
                    action="added",
                    side="host",
                    code="CS202",
                    title="Databases",
                    ects=Decimal(5),
                    reason="timetable",
                    reason_text="The course moved to my free afternoon.",
                )
            ],
        )
    )


def add_grant_and_checklist(application):
    db.session.add_all(
        [
            GrantAgreement(
                application=application,
                green_travel=True,
                travel_days=4,
                number=f"GA-2026-{application.id:06d}",
                issued_at=utcnow(),
                amount=Decimal("3000.00"),
            ),
            GrantPayment(
                application=application,
                instalment=1,
                share_percent=70,
                amount=Decimal("2100.00"),
                due_on=date(2026, 8, 1),
                paid_on=date(2026, 7, 30),
                reference="TRX-778",
            ),
            GrantPayment(application=application, instalment=2, share_percent=30),
            PredepartureItem(
                application=application, item="visa", state="not_needed", reason="A visa-free country for him."
            ),
            PredepartureItemChange(
                application=application, item="visa", state="not_needed", reason="A visa-free country for him."
            ),
        ]
    )


def test_the_download_holds_the_learning_agreement_its_changes_the_grant_and_the_checklist(app):
    abroad = application_in("abroad")
    add_approved_learning_agreement(abroad)
    add_learning_agreement_change(abroad)
    add_grant_and_checklist(abroad)
    db.session.commit()

    exported = exported_application(app, abroad)

    agreement = exported["learning_agreement"]
    assert (agreement["state"], agreement["language_of_instruction"], agreement["comment"]) == (
        "approved",
        "English",
        "Fine by us.",
    )
    assert sorted((course["side"], course["title"], course["ects"]) for course in agreement["courses"]) == [
        ("home", "Algorithms and data structures", "30.0"),
        ("host", "Algorithms", "30.0"),
    ]
    [change] = agreement["changes"]
    assert (change["state"], change["comment"], change["decided_by"]) == ("approved", "Approved, good luck.", "system")
    [row] = change["rows"]
    assert (row["action"], row["title"], row["reason"], row["reason_text"]) == (
        "added",
        "Databases",
        "timetable",
        "The course moved to my free afternoon.",
    )
    assert exported["staff_mobility_agreement"] is None
    grant = exported["grant_agreement"]
    assert (grant["green_travel"], grant["travel_days"], grant["amount"]) == (True, 4, "3000.00")
    assert [(row["instalment"], row["amount"], row["paid_on"], row["reference"]) for row in exported["payments"]] == [
        (1, "2100.00", "2026-07-30", "TRX-778"),
        (2, None, None, None),
    ]
    [item] = exported["predeparture_checklist"]
    assert (item["item"], item["state"], item["reason"]) == ("visa", "not_needed", "A visa-free country for him.")
    [change] = exported["predeparture_checklist_changes"]
    assert (change["item"], change["state"], change["reason"], change["by"]) == (
        "visa",
        "not_needed",
        "A visa-free country for him.",
        "system",
    )


def test_the_download_holds_the_staff_mobility_agreement(app):
    teacher = UserFactory(category="teacher")
    abroad = application_in("abroad", applicant=teacher, call=CallFactory(mobility_type="teaching"))
    add_approved_staff_agreement(abroad)
    db.session.commit()

    exported = exported_application(app, abroad)

    agreement = exported["staff_mobility_agreement"]
    assert (agreement["state"], agreement["days"], agreement["teaching_hours"]) == ("approved", 5, 8)
    assert agreement["objectives"] == "Share teaching methods."
    assert exported["learning_agreement"] is None
    assert exported["grant_agreement"] is None and exported["payments"] == []


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()  # read what the command committed
        return result

    return invoke


def finished_long_ago(application):
    old = utcnow() - LONG_AGO
    application.applicant.created_at = old
    application.applicant.last_login_at = old
    db.session.add(
        TransitionLog(
            application=application,
            trigger="approve_report",
            from_state="report_submitted",
            to_state="completed",
            created_at=old,
        )
    )
    db.session.commit()


def test_the_purge_removes_what_the_person_wrote_and_keeps_the_statistics_and_the_payments(app, cli):
    study = application_in("completed")
    add_approved_learning_agreement(study)
    add_learning_agreement_change(study)
    add_recognition(study)
    add_grant_and_checklist(study)
    teacher = UserFactory(category="teacher")
    teaching = application_in("completed", applicant=teacher, call=CallFactory(mobility_type="teaching"))
    add_approved_staff_agreement(teaching)
    db.session.commit()
    finished_long_ago(study)
    finished_long_ago(teaching)

    result = cli("purge-personal-data", "--older-than", "5")

    assert result.exit_code == 0, result.output
    assert "2 account(s) anonymised." in result.output
    agreement = db.session.scalar(sa.select(LearningAgreement).where(LearningAgreement.application_id == study.id))
    # Which courses were taken and recognised are statistics; what was said about them is not.
    assert sorted(course.title for course in agreement.courses) == ["Algorithms", "Algorithms and data structures"]
    assert agreement.comment is None
    [change] = agreement.changes
    assert change.comment is None and change.state == "approved"
    assert [(row.title, row.reason, row.reason_text) for row in change.rows] == [("Databases", "timetable", None)]
    staff = db.session.scalar(
        sa.select(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == teaching.id)
    )
    assert (staff.days, staff.objectives, staff.activities, staff.expected_outcomes) == (5, "", "", "")
    item = db.session.scalar(sa.select(PredepartureItem).where(PredepartureItem.application_id == study.id))
    assert (item.state, item.reason) == ("not_needed", None)
    change = db.session.scalar(
        sa.select(PredepartureItemChange).where(PredepartureItemChange.application_id == study.id)
    )
    assert (change.state, change.reason) == ("not_needed", None)
    # The grant agreement and the payments are the university's accounts: kept.
    grant = db.session.scalar(sa.select(GrantAgreement).where(GrantAgreement.application_id == study.id))
    assert grant.amount == Decimal("3000.00")
    payments = db.session.scalars(sa.select(GrantPayment).where(GrantPayment.application_id == study.id)).all()
    assert [payment.reference for payment in payments] == ["TRX-778", None]
