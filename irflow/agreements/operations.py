"""The learning agreement's use cases. Nothing here commits: the request commits once when
the view has succeeded. A refusal raises Refused (errors.py) with the reason."""

from decimal import Decimal
from math import ceil

from flask import current_app
from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import (
    LearningAgreement,
    LearningAgreementChange,
    LearningAgreementChangeRow,
    LearningAgreementCourse,
    StaffMobilityAgreement,
)
from ..models.base import utcnow
from ..models.learning_agreement import CHANGE_REASONS
from ..models.staff_agreement import MAX_DAYS, MIN_DAYS, TEACHING_HOURS_PER_WEEK
from . import notices, policy


def agreement_of(application):
    return db.session.scalar(db.select(LearningAgreement).where(LearningAgreement.application_id == application.id))


def minimum_ects(application):
    """The ECTS the courses abroad must add up to: MIN_ECTS_PER_SEMESTER for each semester of
    the place's months (a semester counted for every started six months)."""
    place = application.allocated_place
    months = place.months if place is not None else application.call.min_months
    return Decimal(current_app.config["MIN_ECTS_PER_SEMESTER"] * max(1, ceil(months / 6)))


def _mark_submitted(record, application, kind):
    """An agreement or a change (`kind`: learning, mobility, change) goes to the coordinators,
    who are told; any earlier return comment is done with."""
    record.state = "submitted"
    record.submitted_at = utcnow()
    record.comment = None
    notices.queue_submitted(application, kind)


def _record_decision(record, application, kind, user, approve, comment):
    """Approve `record` (an agreement or a change), or return it with `comment`, which is
    required; the participant is told."""
    if not approve and not (comment or "").strip():
        raise Refused(_("Say what should be changed."))
    record.state = "approved" if approve else "returned"
    record.comment = None if approve else comment.strip()
    record.decided_at = utcnow()
    record.decided_by = user
    notices.queue_decided(application, kind, record)


def _check_version(agreement, posted_version):
    if agreement is not None and str(posted_version) != str(agreement.version):
        raise Refused(_("The learning agreement was changed by someone else after you opened it. Nothing was saved."))


def save_draft(application, user, posted_version, language, host_courses, home_courses):
    """Write the participant's draft; `*_courses` are (code, title, ects, semester) tuples."""
    agreement = agreement_of(application)
    if not policy.may_draft(user, application, agreement):
        raise Refused(_("The learning agreement cannot be changed now. Nothing was saved."))
    _check_version(agreement, posted_version)
    if agreement is None:
        agreement = LearningAgreement(application=application, state="draft")
        db.session.add(agreement)
    agreement.language_of_instruction = language
    agreement.courses = [
        LearningAgreementCourse(side=side, position=position, code=code, title=title, ects=ects, semester=semester)
        for side, courses in (("host", host_courses), ("home", home_courses))
        for position, (code, title, ects, semester) in enumerate(courses)
    ]
    agreement.updated_at = utcnow()
    db.session.flush()
    return agreement


def submission_problems(application, agreement):
    """What keeps the draft from being submitted, each said whole."""
    problems = []
    if not (agreement.language_of_instruction or "").strip():
        problems.append(_("Give the language of instruction."))
    if not agreement.courses_on("host"):
        problems.append(_("List the courses you will take at the host."))
    if not agreement.courses_on("home"):
        problems.append(_("List the home courses they will be recognised as."))
    needed = minimum_ects(application)
    if agreement.courses_on("host") and agreement.ects("host") < needed:
        problems.append(
            _(
                "The courses at the host add up to %(ects)s ECTS; at least %(needed)s are needed for this mobility.",
                ects=agreement.ects("host"),
                needed=needed,
            )
        )
    return problems


def submit(application, user, posted_version):
    agreement = agreement_of(application)
    if agreement is None or not policy.may_draft(user, application, agreement):
        raise Refused(_("The learning agreement cannot be submitted now."))
    _check_version(agreement, posted_version)
    problems = submission_problems(application, agreement)
    if problems:
        raise Refused(_("The learning agreement cannot be submitted yet."), problems)
    _mark_submitted(agreement, application, "learning")
    db.session.flush()
    return agreement


def decide(application, user, posted_version, approve, comment=None):
    """Approve the submitted agreement, or return it to the participant with `comment`."""
    agreement = agreement_of(application)
    if not policy.may_decide(user, application, agreement):
        raise Refused(_("The learning agreement cannot be decided on now."))
    _check_version(agreement, posted_version)
    _record_decision(agreement, application, "learning", user, approve, comment)
    db.session.flush()
    return agreement


# Changes during the mobility.


def _check_change_version(change, posted_version):
    expected = change.version if change is not None else ""
    if str(posted_version or "") != str(expected):
        raise Refused(_("The change was changed by someone else after you opened it. Nothing was saved."))


def host_ects_after(agreement, removed_course_ids, added):
    """The ECTS at the host of the final version once the change is applied."""
    kept = sum(
        (course.ects for course in agreement.courses_on("host") if course.id not in removed_course_ids), Decimal(0)
    )
    return kept + sum((row[3] for row in added if row[0] == "host"), Decimal(0))


def submit_change(application, user, posted_version, removed, added):
    """Submit a change (or the returned one again). `removed`: (course id, reason, text);
    `added`: (side, code, title, ects, semester, reason, text)."""
    agreement = agreement_of(application)
    if not policy.may_propose_change(user, application, agreement):
        raise Refused(_("The learning agreement cannot be changed now. Nothing was saved."))
    change = policy.open_change(agreement)
    _check_change_version(change, posted_version)
    in_force = {course.id for side in ("host", "home") for course in agreement.courses_on(side)}
    problems = []
    if not removed and not added:
        problems.append(_("Remove or add at least one course."))
    if any(course_id not in in_force for course_id, _reason, _text in removed):
        problems.append(_("A course to remove is no longer in the learning agreement."))
    reasons = [(row[1], row[2]) for row in removed] + [(row[5], row[6]) for row in added]
    if any(
        reason not in CHANGE_REASONS or (reason == "other" and not (text or "").strip()) for reason, text in reasons
    ):
        problems.append(_("Give the reason for every course removed or added."))
    needed = minimum_ects(application)
    total = host_ects_after(agreement, {row[0] for row in removed}, added).quantize(Decimal("0.1"))
    if total < needed:
        problems.append(
            _(
                "After the change the courses at the host add up to %(ects)s ECTS; "
                "at least %(needed)s are needed for this mobility.",
                ects=total,
                needed=needed,
            )
        )
    if problems:
        raise Refused(_("The change cannot be submitted."), problems)
    if change is None:
        change = LearningAgreementChange(agreement=agreement)
        db.session.add(change)
    courses = {course.id: course for course in agreement.courses}
    change.rows = [
        LearningAgreementChangeRow(
            action="removed",
            side=courses[course_id].side,
            course=courses[course_id],
            reason=reason,
            reason_text=(text or "").strip() or None,
        )
        for course_id, reason, text in removed
    ] + [
        LearningAgreementChangeRow(
            action="added",
            side=side,
            code=code,
            title=title,
            ects=ects,
            semester=semester,
            reason=reason,
            reason_text=(text or "").strip() or None,
        )
        for side, code, title, ects, semester, reason, text in added
    ]
    _mark_submitted(change, application, "change")
    db.session.flush()
    return change


def decide_change(application, user, posted_version, approve, comment=None):
    """Approve the submitted change and apply it to the courses, or return it with `comment`."""
    agreement = agreement_of(application)
    change = policy.open_change(agreement)
    if not policy.may_decide_change(user, application, change):
        raise Refused(_("The change cannot be decided on now."))
    _check_change_version(change, posted_version)
    _record_decision(change, application, "change", user, approve, comment)
    if approve:
        _apply(agreement, change)
    db.session.flush()
    return change


def _apply(agreement, change):
    """Removed courses keep their row, marked by the change; added ones join at the end of their side."""
    for row in change.rows:
        if row.action == "removed":
            row.course.removed_by_change_id = change.id
            continue
        position = max((course.position for course in agreement.courses if course.side == row.side), default=-1) + 1
        agreement.courses.append(
            LearningAgreementCourse(
                side=row.side,
                position=position,
                code=row.code,
                title=row.title,
                ects=row.ects,
                semester=row.semester,
                added_by_change_id=change.id,
            )
        )


# The staff mobility agreement (teaching, training).


def staff_agreement_of(application):
    return db.session.scalar(
        db.select(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == application.id)
    )


def minimum_teaching_hours(days):
    """TEACHING_HOURS_PER_WEEK for every started week of `days` of activity."""
    return TEACHING_HOURS_PER_WEEK * max(1, ceil(days / 7))


def staff_schedule_problems(mobility_type, first_day, last_day, days, teaching_hours):
    """What is wrong with the days and hours, by field name, each said whole."""
    problems = {}
    if first_day and last_day and last_day < first_day:
        problems["last_day"] = _("The last day cannot be before the first day.")
    if days is not None:
        if not MIN_DAYS <= days <= MAX_DAYS:
            problems["days"] = _(
                "A staff mobility lasts from %(min)s to %(max)s days of activity.", min=MIN_DAYS, max=MAX_DAYS
            )
        elif first_day and last_day and "last_day" not in problems and days > (last_day - first_day).days + 1:
            problems["days"] = _(
                "%(days)s days of activity do not fit between the first and the last day (%(span)s days).",
                days=days,
                span=(last_day - first_day).days + 1,
            )
    if mobility_type == "teaching" and days is not None and "days" not in problems:
        needed = minimum_teaching_hours(days)
        if teaching_hours is None:
            problems["teaching_hours"] = _("Give the teaching hours.")
        elif teaching_hours < needed:
            problems["teaching_hours"] = _(
                "Teaching needs at least 8 hours a week: at least %(needed)s hours for %(days)s days.",
                needed=needed,
                days=days,
            )
    return problems


def _check_staff_version(agreement, posted_version):
    if agreement is not None and str(posted_version) != str(agreement.version):
        raise Refused(_("The mobility agreement was changed by someone else after you opened it. Nothing was saved."))


def save_staff_draft(application, user, posted_version, details):
    """Write the participant's draft; `details` holds the form's fields by column name."""
    agreement = staff_agreement_of(application)
    if not policy.may_draft(user, application, agreement):
        raise Refused(_("The mobility agreement cannot be changed now. Nothing was saved."))
    _check_staff_version(agreement, posted_version)
    if application.call.mobility_type != "teaching":
        details = {**details, "teaching_hours": None}
    problems = staff_schedule_problems(
        application.call.mobility_type,
        details["first_day"],
        details["last_day"],
        details["days"],
        details["teaching_hours"],
    )
    if problems:
        raise Refused(_("The mobility agreement cannot be saved."), list(problems.values()))
    if agreement is None:
        agreement = StaffMobilityAgreement(application=application, state="draft")
        db.session.add(agreement)
    for name, value in details.items():
        setattr(agreement, name, value)
    agreement.updated_at = utcnow()
    db.session.flush()
    return agreement


def submit_staff(application, user, posted_version):
    agreement = staff_agreement_of(application)
    if agreement is None or not policy.may_draft(user, application, agreement):
        raise Refused(_("The mobility agreement cannot be submitted now."))
    _check_staff_version(agreement, posted_version)
    _mark_submitted(agreement, application, "mobility")
    db.session.flush()
    return agreement


def decide_staff(application, user, posted_version, approve, comment=None):
    """Approve the submitted mobility agreement, or return it to the participant with `comment`."""
    agreement = staff_agreement_of(application)
    if not policy.may_decide(user, application, agreement):
        raise Refused(_("The mobility agreement cannot be decided on now."))
    _check_staff_version(agreement, posted_version)
    _record_decision(agreement, application, "mobility", user, approve, comment)
    db.session.flush()
    return agreement
