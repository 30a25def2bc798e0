"""The kinds of documents an application holds, and the participant's quota.

Who may upload, replace or delete which document is the policy's (policy.py)."""

from collections import namedtuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import file_size
from ..models import Document
from ..models.base import DOCUMENT_KINDS

# Documents that only exist after selection: never part of an application being edited.
AFTER_SELECTION_KINDS = frozenset(
    {
        "host_acceptance",
        "certificate_of_attendance",
        "transcript_of_records",
        # The pre-departure checklist's evidence (predeparture/items.py).
        "visa",
        "insurance_policy",
        "travel_tickets",
        "accommodation",
        "invitation_letter",
        "certificate_of_arrival",
        # The agreements signed once the place is confirmed (agreements/, grants/).
        "learning_agreement",
        "mobility_agreement",
        "grant_agreement",
    }
)

# Kinds an applicant may add to any application even when the call does not require them
# (diplomas, certificates, a letter the office asked for by phone).
ALWAYS_ACCEPTED_KINDS = frozenset({"other"})

# Kinds of which an application holds several files (a transcript or passport photographed
# page by page); for every other kind a new upload replaces the previous file.
MULTIPLE_FILE_KINDS = frozenset(
    {"motivation_letter", "recommendation", "language_certificate", "transcript", "passport", "travel_tickets", "other"}
)


def call_kinds(call):
    """The kinds an applicant may upload while editing an application to `call`."""
    wanted = set(call.required_document_kinds or []) | ALWAYS_ACCEPTED_KINDS
    return {kind for kind in wanted if kind in DOCUMENT_KINDS and kind not in AFTER_SELECTION_KINDS}


def replaces_previous(kind):
    """True when an application keeps only one file of `kind`."""
    return kind not in MULTIPLE_FILE_KINDS


def documents_by_kind(documents, also_kinds=()):
    """[(kind, [documents of that kind])] in the order of DOCUMENT_KINDS, for the kinds that
    have documents and for `also_kinds` (the required ones, shown as missing when empty)."""
    grouped = {}
    for document in documents:
        grouped.setdefault(document.kind, []).append(document)
    wanted = set(grouped) | set(also_kinds)
    return [(kind, grouped.get(kind, [])) for kind in DOCUMENT_KINDS if kind in wanted]


def missing_required_kinds(application):
    present = application.document_kinds()
    return [kind for kind in application.call.required_document_kinds or [] if kind not in present]


Usage = namedtuple("Usage", "files bytes max_files max_bytes kept_bytes max_kept_bytes")
Room = namedtuple("Room", "files_problem free_bytes over_size_message")


def upload_usage(application):
    """How many current documents the participant uploaded to the application and their
    total size, with the configured quota (removed and replaced documents do not count),
    and the bytes of all they ever uploaded to it (removed ones are kept on disk).
    The office's evidence is left out: a participant at the quota must never keep the
    coordinator from uploading the host's letter."""
    current = Document.deleted_at.is_(None)
    files, size, kept = db.session.execute(
        sa.select(
            sa.func.count(Document.id).filter(current),
            sa.func.coalesce(sa.func.sum(Document.size).filter(current), 0),
            sa.func.coalesce(sa.func.sum(Document.size), 0),
        ).where(Document.application_id == application.id, Document.uploaded_by_id == application.applicant_id)
    ).one()
    config = current_app.config
    return Usage(
        files,
        int(size),
        config["UPLOAD_MAX_FILES_PER_APPLICATION"],
        config["UPLOAD_MAX_BYTES_PER_APPLICATION"],
        int(kept),
        config["UPLOAD_MAX_KEPT_BYTES_PER_APPLICATION"],
    )


def room_for_upload(usage, replaced):
    """The room for one more upload by the participant that replaces `replaced` (only their
    own documents count): a problem with the number of files or None, the bytes still free
    and what to say when the file is larger than that."""
    replaced = [document for document in replaced if document.uploaded_by_id == document.application.applicant_id]
    free_current = usage.max_bytes - (usage.bytes - sum(document.size for document in replaced))
    free_kept = usage.max_kept_bytes - usage.kept_bytes  # a replaced file stays on disk
    if free_kept < free_current:
        over = _(
            "Every earlier version of this application's documents is kept, and with this file they would "
            "take more than %(limit)s. Contact the office; nothing was saved.",
            limit=file_size(usage.max_kept_bytes),
        )
    else:
        over = _(
            "The documents of an application may take at most %(limit)s together, and this file would take "
            "them over that. Remove a document that is no longer needed first; nothing was saved.",
            limit=file_size(usage.max_bytes),
        )
    problem = None
    if usage.files - len(replaced) + 1 > usage.max_files:
        problem = _(
            "An application may hold at most %(count)s documents, and this one holds that many already. "
            "Remove a document that is no longer needed first; nothing was saved.",
            count=usage.max_files,
        )
    return Room(problem, min(free_current, free_kept), over)
