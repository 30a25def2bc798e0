"""The head's pages for partners and their agreements under /manage/. Every route here is
for the head (and admin) only.

A refused form is shown again with status 400, what was typed kept and each message next
to its field; a saved one redirects (Post/Redirect/Get)."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import web
from ..bad_input import page_number
from ..extensions import db
from ..models import Agreement, Partner
from ..programs.queries import all_programs
from ..services import storage
from ..web import EmptyForm
from ..web.access import gate_blueprint
from .forms import AgreementForm, PartnerFilterForm, PartnerForm
from .operations import SignedCopyRefused, create_partner, delete_agreement, save_agreement, update_partner
from .policy import may_manage
from .queries import partner_countries, partner_with_agreements, partners_query, taken_names, taken_oids

bp = Blueprint("manage", __name__, url_prefix="/manage")

PAGE_SIZE = 50
CONTENT_TYPES = {extension: content_type for _, content_type, extension in storage.SIGNATURES}


# Deny by default: every page of this blueprint is for those who manage (the head, admin).
gate_blueprint(bp, may_manage)


def _status(form):
    return 400 if form.is_submitted() else 200


def _other_refusal(error):
    flash(getattr(error, "message", None) or web.errors.changed_by_someone_else_message(), "danger")


# --- partners --------------------------------------------------------------------------------


@bp.route("/partners")
def index():
    form = PartnerFilterForm(partner_countries(), request.args)
    country, kind = form.filter_values()
    page = db.paginate(
        partners_query(country, kind), page=page_number(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "manage/partners.html", form=form, page=page, today=date.today(), filter_args=form.filter_args()
    )


def _partner_page(form, partner):
    return render_template("manage/partner_form.html", form=form, partner=partner, today=date.today()), _status(form)


def _when_name_taken(form, partner):
    """A name taken meanwhile by another request (the database's unique constraint) is shown
    next to the name, with the form as typed."""

    def page(error):
        if isinstance(error, IntegrityError) and "oid" in str(error.orig).lower():
            form.oid.errors = [*form.oid.errors, _("Another partner has this OID.")]
        elif isinstance(error, IntegrityError):
            form.name.errors = [*form.name.errors, _("This name is already taken.")]
        else:
            _other_refusal(error)
        return _partner_page(form, partner)

    web.when_refused(page)


@bp.route("/partners/new", methods=["GET", "POST"])
def new():
    form = PartnerForm(taken_names(request.form.get("name")), taken_oids=taken_oids(request.form.get("oid")))
    if form.validate_on_submit():
        _when_name_taken(form, None)
        partner = create_partner(form)
        flash(_("Partner %(name)s created.", name=partner.name), "success")
        return redirect(url_for("partners.manage.edit", partner_id=partner.id))
    return _partner_page(form, None)


@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
def edit(partner_id):
    partner = partner_with_agreements(partner_id)
    if partner is None:
        abort(404)
    form = PartnerForm(
        taken_names(request.form.get("name"), partner.id),
        obj=None if request.method == "POST" else partner,
        taken_oids=taken_oids(request.form.get("oid"), partner.id),
    )
    if form.validate_on_submit():
        _when_name_taken(form, partner)
        update_partner(partner, form)
        flash(_("Partner %(name)s saved.", name=partner.name), "success")
        return redirect(url_for("partners.manage.edit", partner_id=partner.id))
    return _partner_page(form, partner)


# --- agreements ------------------------------------------------------------------------------


def _agreement_page(form, partner, agreement):
    return render_template("manage/agreement_form.html", form=form, partner=partner, agreement=agreement), _status(form)


def _save(form, partner, agreement):
    """Save the agreement; a refused signed copy is shown next to the file field, the rest
    of the form as typed."""

    def page(error):
        if isinstance(error, SignedCopyRefused):
            form.signed_copy.errors = [*form.signed_copy.errors, error.message]
        else:
            _other_refusal(error)
        return _agreement_page(form, partner, agreement)

    web.when_refused(page)
    save_agreement(agreement, form)
    flash(_("Agreement with %(name)s saved.", name=partner.name), "success")
    return redirect(url_for("partners.manage.edit", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/agreements/new", methods=["GET", "POST"])
def new_agreement(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = AgreementForm(all_programs())
    if form.validate_on_submit():
        return _save(form, partner, Agreement(partner=partner))
    return _agreement_page(form, partner, None)


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
def agreement(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    form = AgreementForm(all_programs(), obj=None if request.method == "POST" else agreement)
    if request.method == "GET":
        form.program.data = agreement.program_id
    if form.validate_on_submit():
        return _save(form, agreement.partner, agreement)
    return _agreement_page(form, agreement.partner, agreement)


@bp.route("/agreements/<int:agreement_id>/delete", methods=["POST"], endpoint="delete_agreement")
def delete(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    partner_id = agreement.partner_id
    delete_agreement(agreement)
    flash(_("The agreement was deleted."), "success")
    return redirect(url_for("partners.manage.edit", partner_id=partner_id))


@bp.route("/agreements/<int:agreement_id>/signed-copy")
def signed_copy(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    stored_name = agreement.signed_copy_stored_name
    if not stored_name or not storage.exists(stored_name):
        abort(404)
    extension = "." + stored_name.rsplit(".", 1)[-1]
    return storage.send(
        stored_name,
        agreement.signed_copy_name or "agreement" + extension,
        CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
