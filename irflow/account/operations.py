"""Changes a user makes to their own account, and the anonymisation of accounts long
finished. Nothing here commits: a request is the unit of work (irflow/web/unit_of_work.py);
the purge command commits each account itself (cli.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import events
from ..auth import sessions, throttle
from ..auth.operations import FormRefused, refuse_while_braked
from ..auth.passwords import hash_password, verify_password
from ..errors import Refused
from ..extensions import db
from ..models import (
    Application,
    Document,
    LearningAgreement,
    LearningAgreementChange,
    LearningAgreementChangeRow,
    LoginAttempt,
    Notification,
    ParticipantData,
    PredepartureItem,
    PredepartureItemChange,
    ReturnReport,
    StaffMobilityAgreement,
    StayChange,
    TransitionLog,
    User,
    UserRole,
    UserSession,
)
from ..models.base import utcnow
from ..models.states import FINAL_STATES
from . import policy
from .personal_data import PersonalDataArchive

PROFILE_FIELDS = ("full_name_native", "full_name_latin", "phone", "locale", "timezone")
PINNED_FIELDS = ("faculty_id", "category")


@dataclass(frozen=True)
class ProfileChange:
    """What the profile form holds; faculty and category are None when not offered."""

    full_name_native: str
    full_name_latin: str
    phone: str | None
    locale: str
    timezone: str
    faculty_id: int | None = None
    category: str | None = None


class FacultyAndCategoryPinned(Refused):
    """An application past draft keeps the user's faculty and category as they are."""


def pinned_message():
    return _("Your application is being processed with this faculty and category; ask the office to change them.")


def update_profile(user: User, change: ProfileChange) -> list[str]:
    """Write the changed fields; returns their names (an event lists them, never the values)."""
    wanted = {name: getattr(change, name) for name in PROFILE_FIELDS}
    wanted["phone"] = wanted["phone"] or None
    for name in PINNED_FIELDS:
        if getattr(change, name) is not None:
            wanted[name] = getattr(change, name)
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    if any(name in PINNED_FIELDS for name in changed) and not policy.may_change_faculty_and_category(user):
        raise FacultyAndCategoryPinned(pinned_message())
    for name in changed:
        setattr(user, name, wanted[name])
    if "faculty_id" in changed:
        # Drafts go to the coordinators of the faculty the applicant belongs to when they submit.
        db.session.execute(
            sa.update(Application)
            .where(Application.applicant_id == user.id, Application.state == "draft")
            .values(faculty_id=user.faculty_id, version=Application.version + 1)
            .execution_options(synchronize_session=False)
        )
    if changed:
        events.record("profile_changed", actor=user, user=user, details={"fields": changed})
    return changed


def change_password(user: User, current_password: str, new_password: str, keep_token: str, address: str) -> int:
    """A new password, after the current one; every other login of `user` ends, this one
    stays. Wrong current passwords are braked like failed logins. Returns how many logins
    ended."""
    # This browser is logged in to the account: the account-wide brake is not its concern.
    refuse_while_braked(user.email, address, user, "current_password", known_device=True)
    if not verify_password(user, current_password):
        throttle.record_failure(user.email, address, user, "wrong_current_password")
        raise FormRefused(_("This is not your current password."), "current_password")
    throttle.clear_failures(user.email, address)
    user.password_hash = hash_password(new_password)
    ended = sessions.end_other_sessions(user, keep_token, "password_change")
    events.record("password_changed", actor=user, user=user, details={"other_sessions_ended": ended})
    return ended


def sign_out_elsewhere(user: User, keep_token: str) -> int:
    ended = sessions.end_other_sessions(user, keep_token, "signed_out_elsewhere")
    events.record("sessions_ended", actor=user, user=user, details={"count": ended})
    return ended


def personal_data_archive(user: User) -> PersonalDataArchive:
    archive = PersonalDataArchive(user, utcnow())
    events.record("personal_data_downloaded", actor=user, user=user, details={"files": archive.files})
    return archive


# --- purge ------------------------------------------------------------------------------------

REMOVED_NAME = "Removed"
# Not an Argon2 hash: verify_password can never accept anything against it.
UNUSABLE_PASSWORD_HASH = "!anonymised"


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class PurgeCandidate:
    user: User
    applications: int
    last_activity: datetime
    cutoff: datetime
    documents: int = 0


@dataclass
class PurgeResult:
    candidate: PurgeCandidate
    stored_names: list[str] = field(default_factory=list)


def _last_login(user: User) -> datetime:
    return user.last_login_at or user.created_at


def _idle_applicants(cutoff: datetime):
    """Applicants (no staff role), not anonymised yet, who have not logged in since `cutoff`."""
    staff = sa.select(UserRole.user_id)
    return sa.select(User).where(
        User.anonymised_at.is_(None),
        User.id.not_in(staff),
        sa.func.coalesce(User.last_login_at, User.created_at) < cutoff,
    )


def _candidate(user: User, cutoff: datetime) -> PurgeCandidate | None:
    """`user` as a candidate when all their applications ended before `cutoff`, else None."""
    applications = db.session.execute(
        sa.select(
            Application.state,
            sa.func.coalesce(
                sa.select(sa.func.max(TransitionLog.created_at))
                .where(TransitionLog.application_id == Application.id)
                .scalar_subquery(),
                Application.updated_at,
            ),
        ).where(Application.applicant_id == user.id)
    ).all()
    if any(state not in FINAL_STATES for state, _ in applications):
        return None
    last_change = max((changed for _, changed in applications), default=None)
    if last_change is not None and last_change >= cutoff:
        return None
    candidate = PurgeCandidate(user, len(applications), max(filter(None, (last_change, _last_login(user)))), cutoff)
    candidate.documents = db.session.scalar(
        sa.select(sa.func.count(Document.id))
        .join(Application, Application.id == Document.application_id)
        .where(Application.applicant_id == user.id)
    )
    return candidate


def purge_candidates(years: int, now: datetime | None = None) -> list[PurgeCandidate]:
    """Applicants (no staff role), not anonymised yet, who have not logged in for `years`
    years and either have no application or only applications in a final state whose last
    transition is that old. Someone still logging in keeps their account even with old
    applications: they may be preparing the next one."""
    cutoff = years_before(now or utcnow(), years)
    users = db.session.scalars(_idle_applicants(cutoff).order_by(User.id)).all()
    return [candidate for user in users if (candidate := _candidate(user, cutoff)) is not None]


def _still_candidate(candidate: PurgeCandidate) -> PurgeCandidate | None:
    """The candidate as it is now, its account's row and applications locked (PostgreSQL)
    until the commit; None when it is no longer to be anonymised. Starting an application
    locks the same row first (applications/operations.py): an application started after the
    list was made is seen here, or waits and then finds the account anonymised."""
    user = db.session.scalar(
        sa.select(User).where(User.id == candidate.user.id).with_for_update().execution_options(populate_existing=True)
    )
    if user is None:
        return None
    # A change to one of them (a reopening) being made now is waited for and then read.
    db.session.execute(sa.select(Application.id).where(Application.applicant_id == user.id).with_for_update()).all()
    if db.session.scalar(_idle_applicants(candidate.cutoff).where(User.id == user.id)) is None:
        return None
    return _candidate(user, candidate.cutoff)


def anonymise(candidate: PurgeCandidate, now: datetime | None = None) -> PurgeResult | None:
    """Replace the person's data with placeholders and remove their documents' rows; the
    files are the caller's to delete once this is committed (PurgeResult.stored_names).
    None, changing nothing, when the account is no longer to be anonymised: a login or a
    new application since the candidates were listed.

    Kept for statistics: the account's id, category and faculty, its applications with
    their states, calls, hosts, scores, dates and credits, and the transition log. Removed:
    names, e-mail, phone, logins (they hold browsers and addresses), the outbox's mails to
    them or about their applications, free texts they wrote (motivation, return report,
    reasons for changes to the stay and the comments on them, the staff mobility agreement's
    programme, the reasons for course changes and the comments on the agreements, why a
    checklist item was not needed), and their documents. The learning agreement's courses are
    kept (what was studied and recognised are statistics), and so are the grant agreement and
    its payments: they are the university's accounts. Document rows are deleted, not only marked removed: nothing else
    refers to them, a row without its file would read as a lost file (storage-check), and
    a kept row would still hold the file's name and checksum."""
    candidate = _still_candidate(candidate)
    if candidate is None:
        return None
    now = now or utcnow()
    user = candidate.user
    application_ids = sa.select(Application.id).where(Application.applicant_id == user.id)
    result = PurgeResult(candidate)
    result.stored_names = list(
        db.session.scalars(sa.select(Document.stored_name).where(Document.application_id.in_(application_ids)))
    )
    old_email = user.email
    db.session.execute(
        sa.delete(Document)
        .where(Document.application_id.in_(application_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(Notification)
        .where(sa.or_(Notification.recipient_id == user.id, Notification.application_id.in_(application_ids)))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Application)
        .where(Application.applicant_id == user.id)
        .values(motivation=None, version=Application.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(ReturnReport)
        .where(ReturnReport.application_id.in_(application_ids))
        .values(activities=None, results=None, recommendation=None)
        .execution_options(synchronize_session=False)
    )
    # Which changes to the stay and their dates are statistics; why, and what was said, are the person's.
    db.session.execute(
        sa.update(StayChange)
        .where(StayChange.application_id.in_(application_ids))
        .values(reason="", force_majeure_explanation=None, comment=None, version=StayChange.version + 1)
        .execution_options(synchronize_session=False)
    )
    _clear_agreement_texts(application_ids)
    # Date of birth, nationality and the sensitive flags are the person's, not statistics.
    db.session.execute(
        sa.delete(ParticipantData)
        .where(ParticipantData.application_id.in_(application_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id).execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(LoginAttempt).where(LoginAttempt.email == old_email).execution_options(synchronize_session=False)
    )
    user.full_name_native = REMOVED_NAME
    user.full_name_latin = REMOVED_NAME
    user.email = f"removed-{user.id}@invalid"
    user.phone = None
    user.active = False
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.anonymised_at = now
    events.record(
        "personal_data_purged",
        user=user,
        details={"applications": candidate.applications, "documents": len(result.stored_names)},
    )
    db.session.flush()
    return result


def _clear_agreement_texts(application_ids):
    """The free texts of the agreements and the checklist of the purged applications."""
    learning_agreement_ids = sa.select(LearningAgreement.id).where(
        LearningAgreement.application_id.in_(application_ids)
    )
    change_ids = sa.select(LearningAgreementChange.id).where(
        LearningAgreementChange.agreement_id.in_(learning_agreement_ids)
    )
    for statement in (
        sa.update(LearningAgreement)
        .where(LearningAgreement.id.in_(learning_agreement_ids))
        .values(comment=None, version=LearningAgreement.version + 1),
        sa.update(LearningAgreementChange)
        .where(LearningAgreementChange.id.in_(change_ids))
        .values(comment=None, version=LearningAgreementChange.version + 1),
        sa.update(LearningAgreementChangeRow)
        .where(LearningAgreementChangeRow.change_id.in_(change_ids))
        .values(reason_text=None),
        sa.update(StaffMobilityAgreement)
        .where(StaffMobilityAgreement.application_id.in_(application_ids))
        .values(
            objectives="",
            activities="",
            expected_outcomes="",
            comment=None,
            version=StaffMobilityAgreement.version + 1,
        ),
        sa.update(PredepartureItem)
        .where(PredepartureItem.application_id.in_(application_ids))
        .values(reason=None, version=PredepartureItem.version + 1),
        sa.update(PredepartureItemChange)
        .where(PredepartureItemChange.application_id.in_(application_ids))
        .values(reason=None),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
