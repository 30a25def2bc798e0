"""Everything irflow holds about one user, as one ZIP: data.json and the files of the
documents of their own applications (current and removed ones).

Left out on purpose: the password hash, session tokens (only their hashes are stored, and
not even those are given), and other people's data — a staff member acting on the
application is named by their role in it ("staff"), not by name; a security event about the
user caused by someone else (an administrator, or someone not logged in: a failed login, a
registration with their address) is given as its kind, time and the actor's role only, no
address or details; and the links in mails that act on the account (a password reset, an
address confirmation) are removed from their bodies."""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from .. import upload_folder
from ..applications.policy import may_see_result
from ..extensions import db
from ..models import (
    Application,
    Document,
    GrantAgreement,
    GrantPayment,
    LearningAgreement,
    Notification,
    PredepartureItem,
    PredepartureItemChange,
    SecurityEvent,
    StaffMobilityAgreement,
    StayChange,
    TransitionLog,
    User,
    UserSession,
)

FORMAT_VERSION = 1


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(record, names):
    return {name: _value(getattr(record, name)) for name in names}


def _who(actor_id, user):
    if actor_id is None:
        return "system"
    return "you" if actor_id == user.id else "staff"


# The highest role an actor holds names them in an event about the user.
ROLES_BY_RANK = ("admin", "head", "coordinator", "examiner")
LINK_REMOVED = "[link removed]"
TOKEN_LINK_ENDPOINTS = ("auth.reset_password", "auth.verify_email")


def _role_of(actor):
    if actor is None:
        return "system"
    return next((role for role in ROLES_BY_RANK if role in actor.roles), "user")


def _security_event(event, user):
    if event.actor_id == user.id:
        return {
            "kind": event.kind,
            "at": _value(event.created_at),
            "by": "you",
            "address": event.address,
            "details": event.details,
        }
    # Someone else's doing: their address and the details (other accounts' ids) are theirs.
    return {"kind": event.kind, "at": _value(event.created_at), "by": _role_of(event.actor)}


def _token_links():
    """A pattern of the links that carry a token (reset, verification), wherever they point."""
    marker = "TOKEN"
    prefixes = [url_for(endpoint, token=marker).removesuffix(marker) for endpoint in TOKEN_LINK_ENDPOINTS]
    return re.compile(r"(?:[a-z][a-z0-9+.-]*://[^\s/]+)?(?:" + "|".join(map(re.escape, prefixes)) + r")\S+", re.I)


def _mail_state(notification):
    if notification.sent_at is not None:
        return "sent"
    # Given up after its last try (services/delivery.py); otherwise still to be tried.
    return "failed" if notification.error and notification.next_attempt_at is None else "waiting"


def _notification(notification, token_links):
    data = _fields(notification, ("recipient_email", "subject", "created_at", "sent_at"))
    data["state"] = _mail_state(notification)
    data["body"] = token_links.sub(LINK_REMOVED, notification.body)
    data["application_id"] = notification.application_id
    return data


def _user(user):
    data = _fields(
        user,
        (
            "id",
            "email",
            "full_name_native",
            "full_name_latin",
            "category",
            "phone",
            "locale",
            "timezone",
            "active",
            "created_at",
            "last_login_at",
        ),
    )
    data["faculty"] = user.faculty.name if user.faculty else None
    data["roles"] = sorted(user.roles)
    data["coordinated_faculties"] = [faculty.name for faculty in user.coordinated_faculties]
    return data


def document_path_in_zip(document):
    # Stored original names are cleaned of paths already (services/storage.py); the id keeps them apart.
    name = document.original_name.replace("/", "_").replace("\\", "_")
    return f"documents/application-{document.application_id}/{document.id}-{name}"


def _document(document, user):
    data = _fields(
        document,
        ("id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at", "deleted_at"),
    )
    data["uploaded_by"] = _who(document.uploaded_by_id, user)
    data["removed_by"] = _who(document.deleted_by_id, user) if document.deleted_at else None
    data["file"] = document_path_in_zip(document) if document.file_present() else None
    return data


def _application(application, user):
    data = _fields(
        application,
        (
            "id",
            "state",
            "motivation",
            "average_grade",
            "language",
            "cefr_level",
            "planned_start",
            "planned_end",
            "offer_deadline",
            "changes_due_at",
            "actual_departure",
            "actual_return",
            "created_at",
            "updated_at",
            "submitted_at",
        ),
    )
    call = application.call
    data["call"] = {"id": call.id, "title": call.title, "program": call.program.name, "year": call.academic_year}
    data["faculty"] = application.faculty.name if application.faculty else None
    data["choices"] = [_place(choice.place) | {"rank": choice.rank} for choice in application.choices]
    data["allocated_place"] = _place(application.allocated_place) if application.allocated_place else None
    # Scores and rank as the application page shows them: only once the result may be seen.
    if may_see_result(application.applicant, application):
        data["total_score"] = _value(application.total_score)
        data["rank"] = application.rank
        data["scores"] = [
            {"criterion": score.criterion.name, "value": _value(score.value), "recorded_at": _value(score.recorded_at)}
            for score in sorted(application.scores, key=lambda score: (score.criterion.position, score.id))
        ]
    data["transitions"] = [
        {
            "trigger": row.trigger,
            "from": row.from_state,
            "to": row.to_state,
            "by": _who(row.actor_id, user),
            "comment": row.comment,
            "at": _value(row.created_at),
        }
        for row in db.session.scalars(
            sa.select(TransitionLog).where(TransitionLog.application_id == application.id).order_by(TransitionLog.id)
        )
    ]
    report = application.report
    data["return_report"] = (
        _fields(report, ("activities", "results", "credits_recognised", "recommendation", "created_at", "updated_at"))
        if report
        else None
    )
    # The credits recognised above are these rows' sum once there are any.
    data["recognition"] = [
        {
            **_fields(
                row, ("host_code", "host_title", "host_grade", "home_grade", "ects", "home_course", "decided_at")
            ),
            "decided_by": _who(row.decided_by_id, user),
        }
        for row in application.recognitions
    ]
    participant_data = application.participant_data
    data["participant_data"] = (
        _fields(
            participant_data,
            (
                "birth_date",
                "gender",
                "nationality",
                "isced_code",
                "study_cycle",
                "fewer_opportunities",
                "special_needs",
                "previous_mobility_months",
                "updated_at",
            ),
        )
        if participant_data
        else None
    )
    data["stay_changes"] = [
        _fields(
            stay_change,
            (
                "kind",
                "new_end",
                "interruption_from",
                "interruption_to",
                "force_majeure",
                "force_majeure_explanation",
                "reason",
                "state",
                "comment",
                "created_at",
                "decided_at",
            ),
        )
        | {"decided_by": _who(stay_change.decided_by_id, user) if stay_change.decided_at else None}
        for stay_change in db.session.scalars(
            sa.select(StayChange).where(StayChange.application_id == application.id).order_by(StayChange.id)
        )
    ]
    data |= _mobility_agreements(application, user)
    data |= _grant_and_checklist(application, user)
    data["documents"] = [_document(document, user) for document in application.documents]
    return data


def _one(model, application):
    return db.session.scalar(sa.select(model).where(model.application_id == application.id))


def _decision(record, user):
    return {"decided_by": _who(record.decided_by_id, user) if record.decided_at else None}


def _mobility_agreements(application, user):
    """The learning agreement (its courses and the changes made abroad) and the staff mobility agreement."""
    learning = _one(LearningAgreement, application)
    staff = _one(StaffMobilityAgreement, application)
    decided_fields = ("state", "comment", "submitted_at", "decided_at", "created_at")
    return {
        "learning_agreement": _fields(learning, ("language_of_instruction", *decided_fields))
        | _decision(learning, user)
        | {
            "courses": [
                _fields(course, ("side", "position", "code", "title", "ects", "semester"))
                | {"added_by_change": course.added_by_change_id, "removed_by_change": course.removed_by_change_id}
                for course in learning.courses
            ],
            "changes": [
                _fields(change, ("id", "state", "comment", "submitted_at", "decided_at", "created_at"))
                | _decision(change, user)
                | {
                    "rows": [
                        _fields(row, ("action", "side", "code", "title", "ects", "semester", "reason", "reason_text"))
                        for row in change.rows
                    ]
                }
                for change in learning.changes
            ],
        }
        if learning
        else None,
        "staff_mobility_agreement": _fields(
            staff,
            (
                "first_day",
                "last_day",
                "days",
                "teaching_hours",
                "language",
                "objectives",
                "activities",
                "expected_outcomes",
                *decided_fields,
            ),
        )
        | _decision(staff, user)
        if staff
        else None,
    }


def _grant_and_checklist(application, user):
    grant = _one(GrantAgreement, application)
    payments = db.session.scalars(
        sa.select(GrantPayment).where(GrantPayment.application_id == application.id).order_by(GrantPayment.instalment)
    )
    items = db.session.scalars(
        sa.select(PredepartureItem)
        .where(PredepartureItem.application_id == application.id)
        .order_by(PredepartureItem.id)
    )
    changes = db.session.scalars(
        sa.select(PredepartureItemChange)
        .where(PredepartureItemChange.application_id == application.id)
        .order_by(PredepartureItemChange.id)
    )
    return {
        "grant_agreement": _fields(grant, ("number", "green_travel", "travel_days", "amount", "issued_at"))
        if grant
        else None,
        "payments": [
            _fields(payment, ("instalment", "share_percent", "amount", "due_on", "paid_on", "reference"))
            for payment in payments
        ],
        "predeparture_checklist": [
            _fields(
                item,
                (
                    "item",
                    "state",
                    "reason",
                    "visa_appointment",
                    "visa_decision",
                    "covered_from",
                    "covered_to",
                    "updated_at",
                ),
            )
            for item in items
        ],
        "predeparture_checklist_changes": [
            _fields(change, ("item", "state", "reason", "created_at")) | {"by": _who(change.actor_id, user)}
            for change in changes
        ],
    }


def _place(place):
    partner = place.partner
    return {"host": partner.name, "country": partner.country, "city": partner.city, "months": place.months}


def own_applications(user):
    return db.session.scalars(
        sa.select(Application).where(Application.applicant_id == user.id).order_by(Application.id)
    ).all()


def own_documents(user):
    return db.session.scalars(
        sa.select(Document)
        .join(Application, Application.id == Document.application_id)
        .where(Application.applicant_id == user.id)
        .order_by(Document.id)
    ).all()


def collect(user, now):
    """The contents of data.json for `user`."""
    notifications = db.session.scalars(
        sa.select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
    )
    logins = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    events = db.session.scalars(
        sa.select(SecurityEvent)
        .where(SecurityEvent.user_id == user.id)
        .options(selectinload(SecurityEvent.actor).selectinload(User.role_rows))
        .order_by(SecurityEvent.id)
    )
    token_links = _token_links()
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _value(now),
        "user": _user(user),
        "applications": [_application(application, user) for application in own_applications(user)],
        "notifications": [_notification(row, token_links) for row in notifications],
        "sessions": [
            _fields(row, ("created_at", "last_seen_at", "ended_at", "end_reason", "user_agent", "address", "remember"))
            for row in logins
        ],
        "security_events": [_security_event(event, user) for event in events],
    }


class PersonalDataArchive:
    """The ZIP, written to a temporary file (deleted when closed) and read from the start."""

    def __init__(self, user, now):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the response, or below on failure)
        self.files = 0
        try:
            with zipfile.ZipFile(self.file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(
                    "data.json", json.dumps(collect(user, now), ensure_ascii=False, indent=2, default=_value)
                )
                for document in own_documents(user):
                    if document.file_present():
                        archive.write(upload_folder.path_of(document.stored_name), document_path_in_zip(document))
                        self.files += 1
            self.size = self.file.tell()
            self.file.seek(0, os.SEEK_SET)
        except BaseException:
            self.file.close()
            raise
