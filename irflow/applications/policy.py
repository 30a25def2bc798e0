"""Who may see and do what with an application and its documents: the one place for these
rules. Views, queries (`visible_filter`) and, through the booleans and lists the views pass,
templates all ask here. Deny by default: whatever is not granted here is refused.

Seeing: the owner sees their own applications; a coordinator sees the applications of the
faculties they coordinate once they have been submitted (a draft withdrawn or cancelled
before submission stays its owner's); the head (and the admin, who may do all the
head may) sees everything. Examiners get nothing here: they see only what they score, on
the score sheet of the calls they examine (irflow/scoring), never the application with its
motivation, documents and messages. A deactivated user sees nothing.

Documents: the rules for uploading are data (UPLOAD_RULES): who ("owner", or "coordinator"
of the application's faculty), in which states, which kinds. `CALL_KINDS` stands for the
kinds the call asks for plus the kinds always accepted (documents.call_kinds);
`SIGNED_AGREEMENT` and `ISSUED_GRANT_AGREEMENT` for kinds that depend on the mobility or on
an issued grant agreement.
"""

from collections import namedtuple

import sqlalchemy as sa
from flask import abort

from ..extensions import db
from ..models import Application, ApplicationCount, GrantAgreement
from ..models.base import DOCUMENT_KINDS
from .documents import call_kinds

# The owner edits the details and the documents of the application only in these states.
EDITABLE_STATES = frozenset({"draft", "changes_requested"})

CALL_KINDS = "call"  # placeholder in a rule: the call's document kinds (see documents.call_kinds)
# Placeholder: the signed learning agreement of a study mobility, the signed mobility
# agreement of a teaching or training one (agreements/).
SIGNED_AGREEMENT = "signed_agreement"

SIGNED_AGREEMENT_KINDS = {
    "study": {"learning_agreement"},
    "teaching": {"mobility_agreement"},
    "training": {"mobility_agreement"},
}

# Placeholder: the signed grant agreement, once the office has issued it (grant_agreements/).
ISSUED_GRANT_AGREEMENT = "issued_grant_agreement"

UploadRule = namedtuple("UploadRule", "who states kinds")

PREDEPARTURE_STATES = frozenset({"confirmed", "nominated", "host_accepted", "abroad"})
PREDEPARTURE_KINDS = frozenset({"visa", "insurance_policy", "travel_tickets", "accommodation", "invitation_letter"})

UPLOAD_RULES = (
    UploadRule("owner", EDITABLE_STATES, CALL_KINDS),
    UploadRule(
        "owner", frozenset({"abroad", "returned"}), frozenset({"certificate_of_attendance", "transcript_of_records"})
    ),
    UploadRule("coordinator", frozenset({"nominated"}), frozenset({"host_acceptance"})),
    # The learning (or mobility) agreement signed by the three parties, before departure; the office often
    # gets it back from the host itself.
    UploadRule("owner", frozenset({"confirmed", "nominated", "host_accepted"}), SIGNED_AGREEMENT),
    UploadRule("coordinator", frozenset({"confirmed", "nominated", "host_accepted"}), SIGNED_AGREEMENT),
    # Hosts often send the certificate and the transcript of records straight to the office,
    # also while the report is being reviewed; the participant, by contrast, changes nothing
    # under review (a returned report reopens `returned` for them).
    # The pre-departure checklist's evidence (predeparture/items.py), from either side; the certificate
    # of arrival only once abroad.
    UploadRule("owner", PREDEPARTURE_STATES, PREDEPARTURE_KINDS),
    UploadRule("coordinator", PREDEPARTURE_STATES, PREDEPARTURE_KINDS),
    # The grant agreement signed by the participant, from its issue on (also brought in once abroad).
    UploadRule("owner", PREDEPARTURE_STATES, ISSUED_GRANT_AGREEMENT),
    UploadRule("coordinator", PREDEPARTURE_STATES, ISSUED_GRANT_AGREEMENT),
    UploadRule("owner", frozenset({"abroad"}), frozenset({"certificate_of_arrival"})),
    UploadRule("coordinator", frozenset({"abroad"}), frozenset({"certificate_of_arrival"})),
    UploadRule(
        "coordinator",
        frozenset({"abroad", "returned", "report_submitted"}),
        frozenset({"certificate_of_attendance", "transcript_of_records"}),
    ),
)


def _active(user):
    return user is not None and getattr(user, "is_authenticated", False) and bool(user.active)


# --- seeing -------------------------------------------------------------------------------


def visible_filter(user):
    """A WHERE clause limiting Application rows to those `user` may see (as `may_view`)."""
    if not _active(user):
        return sa.false()
    if user.has_role("head"):
        return sa.true()
    clauses = [Application.applicant_id == user.id]
    if user.has_role("coordinator") and user.coordinated_faculty_ids:
        clauses.append(
            sa.and_(
                Application.faculty_id.in_(sorted(user.coordinated_faculty_ids)),
                Application.submitted_at.is_not(None),
            )
        )
    return sa.or_(*clauses)


# The whole department: the head's (and admin's) reach over the faculties.
EVERY_FACULTY = None


def faculty_reach(user):
    """The faculties whose submitted applications `user` reviews, follows and counts:
    EVERY_FACULTY (None) for the head, the ids a coordinator coordinates (sorted), else []."""
    if not _active(user):
        return []
    if user.has_role("head"):
        return EVERY_FACULTY
    if user.has_role("coordinator"):
        return sorted(user.coordinated_faculty_ids)
    return []


def counted_in_reach(user, counts=ApplicationCount):
    """A WHERE clause on the kept counts (`counts`: ApplicationCount or ParticipantCount):
    the rows of the faculties `user` reviews (they count submitted applications only, as
    the review queue shows them)."""
    reach = faculty_reach(user)
    if reach == []:
        return sa.false()
    return sa.true() if reach is EVERY_FACULTY else counts.faculty_id.in_(reach)


def visible_applications(user):
    return sa.select(Application).where(visible_filter(user))


def application_or_404(application_id, user):
    """The application if `user` may see it; a wrong or foreign id is a 404, never someone's data."""
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id, visible_filter(user))
    )
    if application is None:
        abort(404)
    return application


def may_view(user, application):
    """The page of the application with its documents, history and messages (as `visible_filter`)."""
    if not _active(user):
        return False
    if user.has_role("head") or application.applicant_id == user.id:
        return True
    return (
        user.has_role("coordinator")
        and application.faculty_id in user.coordinated_faculty_ids
        and application.submitted_at is not None
    )


def is_owner(user, application):
    """`user` is the (active) applicant: the page speaks to them, not about them."""
    return _active(user) and application.applicant_id == user.id


def may_see_removed_documents(user, application):
    """Staff keep access to what was removed or replaced; the participant sees it in the
    history only."""
    return may_view(user, application) and application.applicant_id != user.id


def may_see_all_messages(user, application):
    """Staff see every message about the application; the owner only those sent to them."""
    return may_view(user, application) and application.applicant_id != user.id


def may_see_result(user, application):
    """The total score and rank: staff who see the application at once, the applicant only
    once the head has confirmed the call's selection."""
    if not may_view(user, application):
        return False
    return application.applicant_id != user.id or application.call.selection_confirmed_at is not None


# --- changing -----------------------------------------------------------------------------


def may_edit(user, application):
    """The owner changes the details (and sees what is missing before they may submit) while
    the application is a draft or changes are requested."""
    return is_owner(user, application) and application.state in EDITABLE_STATES


def may_delete_draft(user, application):
    """A draft is its owner's alone: they may delete it (and start again)."""
    return is_owner(user, application) and application.state == "draft"


def must_verify_email(user, application):
    """The owner may prepare the application but not submit it before confirming their
    e-mail address: the page tells them and offers a new link."""
    return may_edit(user, application) and not user.email_verified


def _acts_as(who, application, user):
    if not _active(user):
        return False
    if who == "owner":
        return application.applicant_id == user.id
    if who == "coordinator":
        # As in workflow.permissions: coordinators act on other people's applications only.
        return (
            application.applicant_id != user.id
            and user.has_role("coordinator")
            and application.faculty_id is not None
            and application.faculty_id in user.coordinated_faculty_ids
        )
    return False


def _rule_kinds(rule, application):
    if rule.kinds == CALL_KINDS:
        return call_kinds(application.call)
    if rule.kinds == SIGNED_AGREEMENT:
        return SIGNED_AGREEMENT_KINDS.get(application.call.mobility_type, set())
    if rule.kinds == ISSUED_GRANT_AGREEMENT:
        return {"grant_agreement"} if _grant_agreement_issued(application) else set()
    return set(rule.kinds)


def _grant_agreement_issued(application):
    return (
        db.session.scalar(
            sa.select(GrantAgreement.id).where(
                GrantAgreement.application_id == application.id, GrantAgreement.issued_at.is_not(None)
            )
        )
        is not None
    )


def uploadable_kinds(user, application):
    """The kinds `user` may upload to `application` now, in the order of DOCUMENT_KINDS."""
    allowed = set()
    for rule in UPLOAD_RULES:
        if application.state in rule.states and _acts_as(rule.who, application, user):
            allowed |= _rule_kinds(rule, application)
    return [kind for kind in DOCUMENT_KINDS if kind in allowed]


def may_upload(user, application, kind=None):
    """`user` may upload a document of `kind` (of any kind, without one) to `application` now."""
    kinds = uploadable_kinds(user, application)
    return bool(kinds) if kind is None else kind in kinds


def may_delete(user, application, document):
    """The uploader, while the rules let them upload that kind. So evidence the office
    uploaded is never removed by the participant."""
    if not _active(user):
        return False
    if document.application_id != application.id or not document.is_current:
        return False
    if document.uploaded_by_id != user.id:
        return False
    return may_upload(user, application, document.kind)


def may_download(user, application, document):
    """Current documents for whoever sees the application; removed and replaced ones for staff."""
    if document.application_id != application.id or not may_view(user, application):
        return False
    return document.is_current or may_see_removed_documents(user, application)


def replacement_refused(user, application, replaced):
    """The participant may not replace what the office uploaded (a host's letter or
    certificate sent to the office): True when `replaced` holds such a document."""
    return application.applicant_id == user.id and any(document.uploaded_by_id != user.id for document in replaced)
