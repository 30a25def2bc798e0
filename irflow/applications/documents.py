"""Who may upload (and so delete) which kind of document, in which state.

The rules are data: each says who ("owner" or "coordinator" of the application's faculty),
in which states, and which kinds. `CALL_KINDS` stands for the kinds the call asks for plus
`ALWAYS_ACCEPTED_KINDS`. Anything not granted here is refused.
"""
from collections import namedtuple

from ..models.base import DOCUMENT_KINDS

# Documents that only exist after selection: never part of an application being edited.
AFTER_SELECTION_KINDS = frozenset({"host_acceptance", "certificate_of_attendance", "transcript_of_records"})

# Kinds an applicant may add to any application even when the call does not require them
# (diplomas, certificates, a letter the office asked for by phone).
ALWAYS_ACCEPTED_KINDS = frozenset({"other"})

# Kinds of which an application holds several files; for every other kind a new upload
# replaces the previous file.
MULTIPLE_FILE_KINDS = frozenset({"motivation_letter", "recommendation", "language_certificate", "other"})

CALL_KINDS = "call"  # placeholder in a rule: the call's document kinds (see call_kinds())
EDITABLE_STATES = frozenset({"draft", "changes_requested"})

UploadRule = namedtuple("UploadRule", "who states kinds")

UPLOAD_RULES = (
    UploadRule("owner", EDITABLE_STATES, CALL_KINDS),
    UploadRule("owner", frozenset({"abroad", "returned"}),
               frozenset({"certificate_of_attendance", "transcript_of_records"})),
    UploadRule("coordinator", frozenset({"nominated"}), frozenset({"host_acceptance"})),
    # Hosts often send the certificate and the transcript of records straight to the office,
    # also while the report is being reviewed; the participant, by contrast, changes nothing
    # under review (a returned report reopens `returned` for them).
    UploadRule("coordinator", frozenset({"abroad", "returned", "report_submitted"}),
               frozenset({"certificate_of_attendance", "transcript_of_records"})),
)


def call_kinds(call):
    """The kinds an applicant may upload while editing an application to `call`."""
    wanted = set(call.required_document_kinds or []) | ALWAYS_ACCEPTED_KINDS
    return {kind for kind in wanted if kind in DOCUMENT_KINDS and kind not in AFTER_SELECTION_KINDS}


def _acts_as(who, application, user):
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
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
    return call_kinds(application.call) if rule.kinds == CALL_KINDS else set(rule.kinds)


def uploadable_kinds(application, user):
    """The kinds `user` may upload to `application` now, in the order of DOCUMENT_KINDS."""
    allowed = set()
    for rule in UPLOAD_RULES:
        if application.state in rule.states and _acts_as(rule.who, application, user):
            allowed |= _rule_kinds(rule, application)
    return [kind for kind in DOCUMENT_KINDS if kind in allowed]


def may_upload(application, user, kind):
    return kind in uploadable_kinds(application, user)


def may_delete(application, user, document):
    """The uploader or the owner, while the rules let them upload that kind."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if document.application_id != application.id:
        return False
    if user.id not in (document.uploaded_by_id, application.applicant_id):
        return False
    return may_upload(application, user, document.kind)


def replaces_previous(kind):
    """True when an application keeps only one file of `kind`."""
    return kind not in MULTIPLE_FILE_KINDS


def missing_required_kinds(application):
    present = application.document_kinds()
    return [kind for kind in application.call.required_document_kinds or [] if kind not in present]
