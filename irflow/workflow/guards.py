"""Guards: each returns the list of unmet conditions (empty means the trigger may fire).

`ctx` carries actor, comment, data (the keyword arguments given to fire) and now.
A guard may leave what it found on ctx (the place `select` will take) for the effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext as _

from ..extensions import db
from ..models import Document, LearningAgreement, Recognition, ReturnReport, StaffMobilityAgreement
from ..models.base import DOCUMENT_KINDS
from . import allocation

if TYPE_CHECKING:
    from ..models import Application
    from .engine import FireContext
    from .states import Transition


def application_problems(application: Application) -> list[str]:
    """What a submission still lacks: fields, host choices, documents, eligibility."""
    return [message for _field, message in application_problems_by_field(application)]


def application_problems_by_field(application: Application) -> list[tuple[str | None, str]]:
    """application_problems with where each is fixed: the edit form's field name,
    "document:<kind>" for a missing document, or None (nothing the applicant can fix)."""
    call = application.call
    problems: list[tuple[str | None, str]] = []
    if not call.admits_category(application.applicant.category):
        problems.append((None, _("This call is not open to your category.")))
    if not (application.motivation or "").strip():
        problems.append(("motivation", _("Write your motivation.")))
    if application.average_grade is None:
        problems.append(("average_grade", _("Enter your average grade.")))
    elif application.average_grade > call.grade_scale:
        problems.append(("average_grade", _("The average grade cannot be above %(scale)s.", scale=call.grade_scale)))
    if not (application.language or "").strip():
        problems.append(("language", _("Name the language of the mobility.")))
    if not application.cefr_level:
        problems.append(("cefr_level", _("Give your language level (CEFR).")))
    problems.extend(("planned_start", message) for message in _planned_dates_problems(application))
    problems.extend(("first_choice", message) for message in _choice_problems(application))
    missing = [kind for kind in call.required_document_kinds or [] if kind not in application.document_kinds()]
    for kind in missing:
        problems.append(
            (f"document:{kind}", _("Upload the required document: %(kind)s.", kind=DOCUMENT_KINDS.get(kind, kind)))
        )
    return problems


def _planned_dates_problems(application: Application) -> list[str]:
    start, end, call = application.planned_start, application.planned_end, application.call
    if start is None or end is None:
        return [_("Give the planned start and end dates.")]
    if end <= start:
        return [_("The planned end must be after the planned start.")]
    months = months_between(start, end)
    if months < call.min_months or months > call.max_months:
        return [
            _(
                "The planned stay must last between %(low)s and %(high)s months.",
                low=call.min_months,
                high=call.max_months,
            )
        ]
    return []


def months_between(start: date, end: date) -> int:
    """Calendar months a stay spans, counting a started month as whole (1 Sep–31 Jan is 5)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months + (1 if end.day >= start.day else 0)


def _choice_problems(application: Application) -> list[str]:
    choices = application.choices
    if not 1 <= len(choices) <= 3:
        return [_("Choose between one and three host institutions.")]
    if any(choice.place.call_id != application.call_id for choice in choices):
        return [_("Choose host institutions among the places of this call.")]
    return []


def _comment_problem(ctx: FireContext) -> list[str]:
    return [] if (ctx.comment or "").strip() else [_("A comment is required.")]


def _email_problems(application: Application) -> list[str]:
    # Registering is open to anyone: an application is taken only from an owner who has
    # shown the address is theirs, since every message about it goes there.
    if application.applicant.email_verified:
        return []
    return [
        _(
            "Verify your e-mail address first: open the link we sent you at registration "
            "(or ask for a new one on the application page)."
        )
    ]


def guard_submit(application: Application, ctx: FireContext) -> list[str]:
    problems = _email_problems(application)
    if not application.call.is_open(ctx.now):
        problems.append(_("The call is not open for applications."))
    return problems + application_problems(application)


def guard_resubmit(application: Application, ctx: FireContext) -> list[str]:
    problems = _email_problems(application)
    if application.changes_due_at is not None and ctx.now > application.changes_due_at:
        problems.append(_("The time given for the changes has run out."))
    return problems + application_problems(application)


def guard_record_score(application: Application, ctx: FireContext) -> list[str]:
    scores = {score.criterion_id: score.value for score in application.scores}
    problems = []
    for criterion in application.call.test_criteria:
        value = scores.get(criterion.id)
        if value is None or not 0 <= value <= 100:
            problems.append(_("Score %(criterion)s from 0 to 100.", criterion=criterion.name))
    if not application.call.test_criteria:
        problems.append(_("This call has no test criteria to score."))
    return problems


def guard_select(application: Application, ctx: FireContext) -> list[str]:
    wanted = ctx.data.get("place")
    chosen_ids = {choice.call_place_id for choice in application.choices}
    if wanted is not None:
        if wanted.id not in chosen_ids:
            return [_("The applicant did not choose this host.")]
        allocation.lock_place(wanted)
        if allocation.free_places(wanted) <= 0:
            return [_("There is no free place left at %(host)s.", host=wanted.partner.name)]
        ctx.place = wanted
        return []
    ctx.place = allocation.first_free_choice(application)
    if ctx.place is None:
        return [_("None of the applicant's chosen hosts has a free place.")]
    return []


def guard_confirm_place(application: Application, ctx: FireContext) -> list[str]:
    if application.offer_deadline is not None and ctx.now > application.offer_deadline:
        return [_("The offer has lapsed: the deadline to confirm has passed.")]
    return []


def guard_host_accept(application: Application, ctx: FireContext) -> list[str]:
    if "host_acceptance" not in application.document_kinds():
        return [_("Upload the host's acceptance letter first.")]
    return []


def _date_problems(value: object, today: date, missing: str, in_future: str) -> list[str]:
    # Whole sentences per date, not a word slotted into one: translations need them whole.
    if not isinstance(value, date) or isinstance(value, datetime):
        return [missing]
    if value > today:
        return [in_future]
    return []


def guard_depart(application: Application, ctx: FireContext) -> list[str]:
    problems = _date_problems(
        ctx.data.get("departure_date"),
        ctx.today,
        _("Give the departure date."),
        _("The departure date cannot be in the future."),
    )
    # A study mobility leaves with its courses agreed and signed by the three parties.
    if application.call.mobility_type == "study":
        agreement = db.session.scalar(
            db.select(LearningAgreement).where(LearningAgreement.application_id == application.id)
        )
        if agreement is None or agreement.state != "approved":
            problems.append(_("The learning agreement must be approved before departure."))
        if not _has_document(application, "learning_agreement"):
            problems.append(_("Upload the learning agreement signed by the participant and both institutions."))
    # A teaching or training mobility leaves with its days and programme agreed and signed.
    if application.call.mobility_type in ("teaching", "training"):
        staff_agreement = db.session.scalar(
            db.select(StaffMobilityAgreement).where(StaffMobilityAgreement.application_id == application.id)
        )
        if staff_agreement is None or staff_agreement.state != "approved":
            problems.append(_("The mobility agreement must be approved before departure."))
        if not _has_document(application, "mobility_agreement"):
            problems.append(_("Upload the mobility agreement signed by the participant and both institutions."))
    return problems


def guard_return_home(application: Application, ctx: FireContext) -> list[str]:
    returned_on = ctx.data.get("return_date")
    problems = _date_problems(
        returned_on, ctx.today, _("Give the return date."), _("The return date cannot be in the future.")
    )
    if not problems and application.actual_departure and returned_on < application.actual_departure:
        problems.append(_("The return date cannot be before the departure date."))
    return problems


def guard_submit_report(application: Application, ctx: FireContext) -> list[str]:
    problems = []
    report = db.session.scalar(db.select(ReturnReport).where(ReturnReport.application_id == application.id))
    if report is None or not report.is_filled_in():
        problems.append(_("Fill in the activities and results of your report."))
    if not _has_document(application, "certificate_of_attendance"):
        problems.append(_("Upload the certificate of attendance."))
    # Credits of a study mobility are recognised from the host's transcript of records.
    if application.call.mobility_type == "study" and not _has_document(application, "transcript_of_records"):
        problems.append(_("Upload the transcript of records."))
    return problems


def guard_approve_report(application: Application, ctx: FireContext) -> list[str]:
    # A study mobility completes with its courses recognised, course by course.
    if application.call.mobility_type != "study":
        return []
    recorded = db.session.scalar(
        db.select(sa.func.count()).select_from(Recognition).where(Recognition.application_id == application.id)
    )
    if not recorded:
        return [
            _("Record the recognition of the courses from the transcript of records before completing the mobility.")
        ]
    return []


def _has_document(application: Application, kind: str) -> bool:
    """A current document of `kind` whose file is there: removed ones and lost files do not count."""
    return any(
        document.counts()
        for document in db.session.scalars(
            db.select(Document).where(
                Document.application_id == application.id, Document.kind == kind, Document.deleted_at.is_(None)
            )
        )
    )


GUARDS: dict[str, Callable[[Application, FireContext], list[str]]] = {
    "submit": guard_submit,
    "resubmit": guard_resubmit,
    "record_score": guard_record_score,
    "select": guard_select,
    "confirm_place": guard_confirm_place,
    "host_accept": guard_host_accept,
    "depart": guard_depart,
    "return_home": guard_return_home,
    "submit_report": guard_submit_report,
    "approve_report": guard_approve_report,
}


def problems_for(transition: Transition, application: Application, ctx: FireContext) -> list[str]:
    problems = []
    if transition.comment_required:
        problems.extend(_comment_problem(ctx))
    guard = GUARDS.get(transition.trigger)
    if guard is not None:
        problems.extend(guard(application, ctx))
    return problems
