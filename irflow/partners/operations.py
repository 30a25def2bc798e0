"""Changes the head makes to partners and their agreements, from validated forms. Nothing
here commits: the request commits once when the view has succeeded
(irflow/web/unit_of_work.py); a stored file the rollback cannot undo is discarded by
`after_rollback`."""

from flask import after_this_request

from ..errors import Refused
from ..extensions import db
from ..models import Agreement, Partner
from ..models.base import AGREEMENT_LEVELS, MOBILITY_TYPES
from ..services import storage
from ..web import after_rollback
from ..web.forms import fill_translated


class SignedCopyRefused(Refused):
    """The signed copy was not taken (not a PDF, JPEG or PNG; or the server could not store
    it): the message belongs next to the file field, and nothing is saved."""


def _fill_partner(partner, form):
    partner.name = form.name.data
    partner.country = form.country.data
    partner.city = form.city.data or None
    partner.latitude = form.latitude.data
    partner.longitude = form.longitude.data
    partner.kind = form.kind.data
    partner.oid = form.oid.data or None
    partner.erasmus_code = form.erasmus_code.data or None
    fill_translated(partner, form, "description")
    partner.website = form.website.data or None
    partner.contact_email = form.contact_email.data or None


def create_partner(form):
    """A new partner. Flushed, so that a name taken meanwhile by another request fails
    here (IntegrityError), inside the view."""
    partner = Partner()
    _fill_partner(partner, form)
    db.session.add(partner)
    db.session.flush()
    return partner


def update_partner(partner, form):
    _fill_partner(partner, form)
    db.session.flush()


def _fill_agreement(agreement, form):
    agreement.title = form.title.data or None
    agreement.program_id = form.program.data
    agreement.signed_on = form.signed_on.data
    agreement.valid_from = form.valid_from.data
    agreement.valid_until = form.valid_until.data
    agreement.places_per_year = form.places_per_year.data
    agreement.months_per_year = form.months_per_year.data
    agreement.days_per_year = form.days_per_year.data
    agreement.direction = form.direction.data
    # Whole new lists (JSON columns are not tracked in place), in the order of the value lists.
    ticked_types, ticked_levels = set(form.mobility_types.data or []), set(form.levels.data or [])
    agreement.mobility_types = [mobility_type for mobility_type in MOBILITY_TYPES if mobility_type in ticked_types]
    agreement.levels = [level for level in AGREEMENT_LEVELS if level in ticked_levels]
    agreement.isced_code = form.isced_code.data or None
    agreement.language = form.language.data or None
    agreement.language_level = form.language_level.data or None
    agreement.contact_name = form.contact_name.data or None
    agreement.contact_email = form.contact_email.data or None


def save_agreement(agreement, form):
    """Write the form into `agreement` (new or existing) with the signed copy uploaded, if
    any: the file is checked and written first, put under its name once the row exists, and
    discarded if the request is rolled back. A replaced or removed copy is deleted once the
    change is committed."""
    upload = form.uploaded_copy()
    stored = None
    if upload is not None:
        try:
            stored = storage.save_upload(upload)
        except storage.UploadError as error:
            raise SignedCopyRefused(str(error)) from error
        after_rollback(lambda: storage.discard(stored))
    previous = agreement.signed_copy_stored_name
    _fill_agreement(agreement, form)
    if stored is not None:
        agreement.signed_copy_stored_name = stored.stored_name
        agreement.signed_copy_name = stored.original_name
    elif form.remove_signed_copy.data:
        agreement.signed_copy_stored_name = agreement.signed_copy_name = None
    db.session.add(agreement)
    if stored is not None:
        db.session.flush()  # the row first, then the file under its name
        try:
            storage.place(stored)
        except storage.StorageError as error:
            raise SignedCopyRefused(str(error)) from error
    if previous and previous != agreement.signed_copy_stored_name:
        _delete_once_unnamed(previous)


def delete_agreement(agreement):
    stored_name = agreement.signed_copy_stored_name
    db.session.delete(agreement)
    if stored_name:
        _delete_once_unnamed(stored_name)


def _delete_once_unnamed(stored_name):
    """Delete the stored file at the end of the request if no agreement names it then: after
    the commit it is gone from the row; after a rollback the row still names it and it stays."""

    @after_this_request
    def delete_file(response):
        named = db.session.scalar(db.select(Agreement.id).where(Agreement.signed_copy_stored_name == stored_name))
        if named is None:
            storage.delete(stored_name)
        return response
