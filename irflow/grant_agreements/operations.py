"""Issuing a grant agreement. Nothing here commits: the request commits once the view has
succeeded. A refusal raises Refused with its reasons.

The agreement's number is "GA-<first year of the call's academic year>-<application id in six
digits>", e.g. GA-2026-000123: readable, unique (one agreement per application) and kept
when the agreement is issued again."""

from flask_babel import gettext as _

from .. import events
from ..errors import Refused
from ..extensions import db
from ..grants import operations as grants
from ..models import Document, GrantAgreement
from ..models.base import utcnow
from ..payments import operations as payments
from ..services import mail
from ..web.links import mailed_url
from . import policy


def number_for(application):
    first_year = application.call.academic_year.split("/")[0]
    return f"GA-{first_year}-{application.id:06d}"


def signed_copies(application):
    """The uploaded signed copies that count (current, with their file)."""
    documents = db.session.scalars(
        db.select(Document)
        .where(
            Document.application_id == application.id,
            Document.kind == "grant_agreement",
            Document.deleted_at.is_(None),
        )
        .order_by(Document.uploaded_at, Document.id)
    )
    return [document for document in documents if document.counts()]


def reissue_problem(application, agreement):
    """Why an issued agreement may no longer be issued again (None: it may)."""
    if agreement is None or not agreement.issued:
        return None
    if signed_copies(application):
        return _("Its signed copy is uploaded: the grant agreement can no longer be issued again.")
    if any(payment.paid for payment in payments.instalments_of(application)):
        return _("An instalment is paid: the grant agreement can no longer be issued again.")
    return None


def issue_problems(application, rules, planned):
    """What keeps the planned grant from being stated in an agreement, each said whole."""
    if rules is None:
        return [_("The call has no grant rules yet.")]
    if planned is None:
        return [_("The planned dates of the stay are not given.")]
    messages = {
        "country_group": _("The host country has no country group in the call's grant rules."),
        "distance": _("The host has no coordinates: the distance band is unknown."),
        "band_amount": _("The call's grant rules give no amount for the distance band."),
    }
    return [messages[problem] for problem in planned.problems]


def issue(application, user, posted_version, today):
    """Issue (or issue again) the agreement: its total and the rates it was computed with
    frozen from the planned grant (with the rules as they are now), its instalments
    scheduled, the participant told."""
    if not policy.may_issue(user, application):
        raise Refused(_("The grant agreement cannot be issued now."))
    agreement = grants.agreement_of(application)
    if str(posted_version or "") != ("" if agreement is None else str(agreement.version)):
        raise Refused(grants.stale_message())
    problem = reissue_problem(application, agreement)
    if problem:
        raise Refused(problem)
    rules, planned, _actual = grants.grants_of(application, from_rules=True)
    problems = issue_problems(application, rules, planned)
    if problems:
        raise Refused(_("The grant agreement cannot be issued:"), problems)
    if agreement is None:
        agreement = GrantAgreement(application=application, green_travel=False, travel_days=0)
        db.session.add(agreement)
    agreement.amount = planned.granted_total
    grants.freeze_rates(agreement, planned.rates)
    agreement.number = number_for(application)
    agreement.issued_at = utcnow()
    agreement.issued_by = user
    events.record(
        "grant_agreement_issued",
        actor=user,
        user=application.applicant,
        details={"application": application.id, "number": agreement.number, "amount": str(agreement.amount)},
    )
    db.session.flush()
    payments.schedule_instalments(agreement, rules, today)
    mail.queue_for_user(
        application.applicant,
        "emails/grant_agreement_issued.txt",
        lambda: _("Application %(number)s: your grant agreement is ready to sign", number=application.id),
        application=application,
        agreement=agreement,
        link=mailed_url("grant_agreements.document", id=application.id),
    )
    return agreement
