"""Changes the head makes to calls, their places and criteria, from validated forms.
Nothing here commits: the request commits once when the view has succeeded
(irflow/web/unit_of_work.py)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import Refused
from ..extensions import db
from ..models import Call, CallPlace, Criterion
from ..models.base import CATEGORIES, utcnow
from ..models.translated import TEXT_LANGUAGES
from ..partners.policy import agreement_problems
from ..partners.queries import partners_with_agreements
from ..web.forms import fill_translated, int_or_none, translated_data
from .forms import REQUIRABLE_DOCUMENT_KINDS
from .queries import held_places_by_partner

TRANSLATED_CALL_FIELDS = ("title", "description", "test_place")
CALL_FIELDS = (
    "mobility_type",
    "academic_year",
    "opens_at",
    "closes_at",
    "test_at",
    "min_months",
    "max_months",
    "minimum_total_score",
    "grade_scale",
    "offer_reply_days",
    "changes_reply_days",
)


class HostsNotCovered(Refused):
    """A call is published only when an agreement covers every host: `problems` names each
    host with what is missing."""


class PlacesGivenMeanwhile(Refused):
    """A place was given at a host since the form was checked, below the number typed: the
    message is next to that host in the form, and nothing is saved."""


def save_call(call, form, partners_by_id, examiners_by_id):
    """Write the form into `call` (new or existing). Hosts are matched by partner, so a host
    kept keeps its row (and the applications that chose it); criteria by their id.

    The places held are counted again under the places' lock first: one may have been given
    since the form was checked. The database refuses (IntegrityError) a host removed that an
    applicant chose in the moment between the check and the save."""
    lock_call_places(call)
    if not form.recheck_held_places(held_places_by_partner(call)):
        raise PlacesGivenMeanwhile(_("Nothing was saved. Please correct the fields marked below."))
    if call.id is None:
        db.session.add(call)
    for name in CALL_FIELDS:
        setattr(call, name, getattr(form, name).data)
    fill_translated(call, form, *TRANSLATED_CALL_FIELDS)
    call.program_id = form.program.data
    # Whole new lists (JSON columns are not tracked in place), in the order of the value lists.
    ticked_kinds, ticked_categories = set(form.required_document_kinds.data or []), set(form.eligible_categories.data)
    call.required_document_kinds = [kind for kind in REQUIRABLE_DOCUMENT_KINDS if kind in ticked_kinds]
    call.eligible_categories = [category for category in CATEGORIES if category in ticked_categories]
    call.examiners = [examiners_by_id[user_id] for user_id in form.examiners.data or [] if user_id in examiners_by_id]
    _save_places(call, form, partners_by_id)
    _save_criteria(call, form)
    db.session.flush()


def lock_call_places(call):
    """Lock the call's row, then its places in id order, until the end of the transaction.

    A place is given (select, promotion, the selection's confirmation) only under its
    place's lock, so once these are held nobody else can take a place at these hosts: the
    places held can be counted for good before the save lowers any number. The call comes
    first, as in the selection's confirmation, so that the two wait for each other instead
    of deadlocking."""
    if call.id is None:
        return
    db.session.execute(sa.select(Call.id).where(Call.id == call.id).with_for_update())
    db.session.execute(
        sa.select(CallPlace.id).where(CallPlace.call_id == call.id).order_by(CallPlace.id).with_for_update()
    )


def _save_places(call, form, partners_by_id):
    existing = {place.partner_id: place for place in call.places}
    kept = []
    for row in form.filled_places():
        place = existing.pop(row.partner.data, None) or CallPlace(partner=partners_by_id[row.partner.data])
        place.places = row.places.data
        place.months = row.months.data
        kept.append(place)
    call.places = kept  # hosts no longer listed are deleted (the form refused it for chosen ones)


def _save_criteria(call, form):
    existing = {criterion.id: criterion for criterion in call.criteria}
    rows = []
    for row in form.filled_criteria():
        criterion = existing.pop(int_or_none(row.criterion_id.data), None)
        rows.append((criterion, row))
    kept = [criterion for criterion, _ in rows if criterion is not None]
    # Deletions and renames first: the (call, name) uniqueness holds after every statement,
    # even when a name moves from one criterion to another.
    call.criteria = kept
    renamed = [
        criterion
        for criterion, row in rows
        if criterion is not None and _names(criterion) != translated_data(row, "name")
    ]
    if existing or renamed:
        for criterion in renamed:
            criterion.name_en, criterion.name_ru, criterion.name_tg = f"~renaming {criterion.id}~", None, None
        db.session.flush()
    criteria = []
    for position, (criterion, row) in enumerate(rows):
        criterion = criterion or Criterion()
        fill_translated(criterion, row, "name")
        criterion.source = row.source.data
        criterion.weight = row.weight.data
        criterion.position = position
        criteria.append(criterion)
    call.criteria = criteria


def _names(criterion):
    return {language: getattr(criterion, f"name_{language}") for language in TEXT_LANGUAGES}


def host_problems(call):
    """{partner id: [what is missing]} for the call's hosts not covered by an agreement."""
    partners = partners_with_agreements(place.partner_id for place in call.places)
    problems = {partner_id: agreement_problems(partner, call) for partner_id, partner in partners.items()}
    return {partner_id: messages for partner_id, messages in problems.items() if messages}


def set_published(call, published):
    """Publish (refused while a host lacks a valid agreement) or unpublish the call."""
    if published:
        problems = host_problems(call)
        if problems:
            names = {place.partner_id: place.partner.name for place in call.places}
            raise HostsNotCovered(
                _("Call %(title)s was not published: a valid agreement must cover every host.", title=call.title),
                [
                    _("%(host)s: %(problem)s", host=names[partner_id], problem=" ".join(messages))
                    for partner_id, messages in sorted(problems.items(), key=lambda item: names[item[0]])
                ],
            )
    call.published = published


def close_call(call, now=None):
    """End an open call now; False if it was not open."""
    now = now or utcnow()
    if not call.is_open(now) or now <= call.opens_at:
        return False
    call.closes_at = now
    return True
