"""The head's pages under /manage/: programs, partners and their agreements, calls and
their places and criteria. Every route here is for the head (and admin) only.

Each form is shown again with status 400, what was typed kept and each message next to
its field, when it is refused; a saved one redirects (Post/Redirect/Get)."""

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..bad_input import page_number
from ..extensions import db
from ..models import Agreement, Call, CallPlace, Partner, Program
from ..models.base import utcnow
from ..models.partner import AGREEMENT_WARNING_DAYS
from ..services import storage
from ..web.access import role_required
from ..web.safety import local_path_or_none
from .forms import AgreementForm, CallForm, ConfirmForm, PartnerFilterForm, PartnerForm, ProgramForm
from .operations import close_call, fill_agreement, fill_partner, fill_program, lock_call_places, save_call
from .queries import (
    application_counts,
    examiner_candidates,
    expiring_agreements,
    held_places_by_partner,
    partner_countries,
    partners_query,
    protected_partners,
    scored_criteria,
)

bp = Blueprint("manage", __name__, url_prefix="/manage")

PAGE_SIZE = 50
CONTENT_TYPES = {extension: content_type for _, content_type, extension in storage.SIGNATURES}


@bp.before_request
@role_required("head")
def head_only():
    """Deny by default: every page of this blueprint needs the head (or admin) role."""
    return


def _status(form_posted):
    return 400 if form_posted else 200


def _taken_names(model, exclude_id=None):
    """Names equal to the one typed (whatever the case) held by another row."""
    typed = (request.form.get("name") or "").strip()
    if not typed or "\x00" in typed:  # the form refuses a NUL; the database would fail on it
        return []
    query = db.select(model.name).where(sa.func.lower(model.name) == typed.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalars(query).all()


def _commit_or_name_taken(form):
    """Commit; a name taken meanwhile by another request is shown next to the name."""
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        form.name.errors = list(form.name.errors) + [_("This name is already taken.")]
        return False


# --- overview -------------------------------------------------------------------------------


@bp.route("/")
def index():
    now = utcnow()
    calls = db.session.scalars(
        db.select(Call)
        .where(sa.or_(Call.published.is_(False), Call.closes_at > now))
        .options(db.joinedload(Call.program))
        .order_by(Call.closes_at, Call.id)
    ).all()
    counts = application_counts([call.id for call in calls])
    return render_template(
        "manage/index.html",
        calls=calls,
        counts=counts,
        now=now,
        expiring=expiring_agreements(),
        warning_days=AGREEMENT_WARNING_DAYS,
        program_count=db.session.scalar(db.select(sa.func.count(Program.id))),
        partner_count=db.session.scalar(db.select(sa.func.count(Partner.id))),
        confirm_form=ConfirmForm(),
    )


# --- programs -------------------------------------------------------------------------------


@bp.route("/programs")
def programs():
    listed = db.session.scalars(db.select(Program).order_by(Program.name, Program.id)).all()
    call_counts = dict(
        db.session.execute(db.select(Call.program_id, sa.func.count(Call.id)).group_by(Call.program_id)).all()
    )
    return render_template("manage/programs.html", programs=listed, call_counts=call_counts, confirm_form=ConfirmForm())


@bp.route("/programs/new", methods=["GET", "POST"])
def new_program():
    form = ProgramForm(_taken_names(Program))
    if form.validate_on_submit():
        program = Program(published=False)
        fill_program(program, form)
        db.session.add(program)
        if _commit_or_name_taken(form):
            flash(_("Program %(name)s created. It is not published yet.", name=program.name), "success")
            return redirect(url_for("calls.manage.programs"))
    return render_template("manage/program_form.html", form=form, program=None), _status(form.is_submitted())


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
def edit_program(program_id):
    program = db.get_or_404(Program, program_id)
    form = ProgramForm(_taken_names(Program, program.id), obj=None if request.method == "POST" else program)
    if form.validate_on_submit():
        fill_program(program, form)
        if _commit_or_name_taken(form):
            flash(_("Program %(name)s saved.", name=program.name), "success")
            return redirect(url_for("calls.manage.programs"))
    return render_template("manage/program_form.html", form=form, program=program), _status(form.is_submitted())


@bp.route("/programs/<int:program_id>/publish", methods=["POST"])
def publish_program(program_id):
    return _set_program_published(program_id, True)


@bp.route("/programs/<int:program_id>/unpublish", methods=["POST"])
def unpublish_program(program_id):
    return _set_program_published(program_id, False)


def _set_program_published(program_id, published):
    program = db.get_or_404(Program, program_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    program.published = published
    db.session.commit()
    flash(
        _("Program %(name)s is published.", name=program.name)
        if published
        else _("Program %(name)s is closed: it no longer appears on the programs page.", name=program.name),
        "success",
    )
    return redirect(url_for("calls.manage.programs"))


# --- partners and agreements ------------------------------------------------------------------


@bp.route("/partners")
def partners():
    form = PartnerFilterForm(partner_countries(), request.args)
    country, kind = form.filter_values()
    page = db.paginate(
        partners_query(country, kind), page=page_number(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False
    )
    return render_template(
        "manage/partners.html",
        form=form,
        page=page,
        today=date.today(),
        filter_args={key: value for key, value in (("country", country), ("kind", kind)) if value},
    )


@bp.route("/partners/new", methods=["GET", "POST"])
def new_partner():
    form = PartnerForm(_taken_names(Partner))
    if form.validate_on_submit():
        partner = Partner()
        fill_partner(partner, form)
        db.session.add(partner)
        if _commit_or_name_taken(form):
            flash(_("Partner %(name)s created.", name=partner.name), "success")
            return redirect(url_for("calls.manage.partner", partner_id=partner.id))
    return render_template("manage/partner_form.html", form=form, partner=None), _status(form.is_submitted())


@bp.route("/partners/<int:partner_id>", methods=["GET", "POST"])
def partner(partner_id):
    partner = db.session.scalar(
        db.select(Partner)
        .where(Partner.id == partner_id)
        .options(db.selectinload(Partner.agreements).joinedload(Agreement.program))
    )
    if partner is None:
        abort(404)
    form = PartnerForm(_taken_names(Partner, partner.id), obj=None if request.method == "POST" else partner)
    if form.validate_on_submit():
        fill_partner(partner, form)
        if _commit_or_name_taken(form):
            flash(_("Partner %(name)s saved.", name=partner.name), "success")
            return redirect(url_for("calls.manage.partner", partner_id=partner.id))
    return render_template(
        "manage/partner_form.html", form=form, partner=partner, today=date.today(), confirm_form=ConfirmForm()
    ), _status(form.is_submitted())


def _programs():
    return db.session.scalars(db.select(Program).order_by(Program.name, Program.id)).all()


@bp.route("/partners/<int:partner_id>/agreements/new", methods=["GET", "POST"])
def new_agreement(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = AgreementForm(_programs())
    if form.validate_on_submit():
        agreement = Agreement(partner=partner)
        if _save_agreement(agreement, form):
            flash(_("Agreement with %(name)s saved.", name=partner.name), "success")
            return redirect(url_for("calls.manage.partner", partner_id=partner.id))
    return render_template("manage/agreement_form.html", form=form, partner=partner, agreement=None), _status(
        form.is_submitted()
    )


@bp.route("/agreements/<int:agreement_id>", methods=["GET", "POST"])
def agreement(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    form = AgreementForm(_programs(), obj=None if request.method == "POST" else agreement)
    if request.method == "GET":
        form.program.data = agreement.program_id
    if form.validate_on_submit() and _save_agreement(agreement, form):
        flash(_("Agreement with %(name)s saved.", name=agreement.partner.name), "success")
        return redirect(url_for("calls.manage.partner", partner_id=agreement.partner_id))
    return render_template(
        "manage/agreement_form.html", form=form, partner=agreement.partner, agreement=agreement
    ), _status(form.is_submitted())


def _save_agreement(agreement, form):
    """Store the upload (if any) and the fields in one go; False with the message next to
    the file field when the upload is refused (nothing saved then)."""
    upload = form.signed_copy.data
    stored = None
    if upload is not None and getattr(upload, "filename", ""):
        try:
            stored = storage.save_upload(upload)
        except storage.UploadError as error:
            form.signed_copy.errors = list(form.signed_copy.errors) + [str(error)]
            return False
    previous = agreement.signed_copy_stored_name
    fill_agreement(agreement, form)
    if stored is not None:
        agreement.signed_copy_stored_name = stored.stored_name
        agreement.signed_copy_name = stored.original_name
    elif form.remove_signed_copy.data:
        agreement.signed_copy_stored_name = agreement.signed_copy_name = None
    db.session.add(agreement)
    try:
        if stored is not None:
            db.session.flush()  # the row first, then the file under its name
            storage.place(stored)
        db.session.commit()
    except storage.StorageError as error:
        db.session.rollback()
        storage.discard(stored)
        form.signed_copy.errors = list(form.signed_copy.errors) + [str(error)]
        return False
    except BaseException:
        db.session.rollback()
        if stored is not None:
            storage.discard(stored)
        raise
    if previous and previous != agreement.signed_copy_stored_name:
        storage.delete(previous)
    return True


@bp.route("/agreements/<int:agreement_id>/delete", methods=["POST"])
def delete_agreement(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    partner_id, stored_name = agreement.partner_id, agreement.signed_copy_stored_name
    db.session.delete(agreement)
    db.session.commit()
    if stored_name:
        storage.delete(stored_name)
    flash(_("The agreement was deleted."), "success")
    return redirect(url_for("calls.manage.partner", partner_id=partner_id))


@bp.route("/agreements/<int:agreement_id>/signed-copy")
def signed_copy(agreement_id):
    agreement = db.get_or_404(Agreement, agreement_id)
    if not agreement.signed_copy_stored_name:
        abort(404)
    extension = "." + agreement.signed_copy_stored_name.rsplit(".", 1)[-1]
    try:
        return storage.send(
            agreement.signed_copy_stored_name,
            agreement.signed_copy_name or "agreement" + extension,
            CONTENT_TYPES.get(extension, "application/octet-stream"),
        )
    except FileNotFoundError:
        abort(404)


# --- calls --------------------------------------------------------------------------------------


@bp.route("/calls")
def calls():
    page = db.paginate(
        db.select(Call)
        .options(db.joinedload(Call.program), db.selectinload(Call.places))
        .order_by(Call.closes_at.desc(), Call.id.desc()),
        page=page_number(),
        per_page=PAGE_SIZE,
        max_per_page=PAGE_SIZE,
        error_out=False,
    )
    counts = application_counts([call.id for call in page.items])
    return render_template("manage/calls.html", page=page, counts=counts, now=utcnow(), confirm_form=ConfirmForm())


def _call_form(call):
    programs = _programs()
    partners = db.session.scalars(db.select(Partner).order_by(Partner.name, Partner.id)).all()
    examiners = examiner_candidates(call)
    form = CallForm(
        programs,
        partners,
        examiners,
        protected_partners=protected_partners(call),
        held_places=held_places_by_partner(call),
        scored_criteria=scored_criteria(call),
    )
    return form, {partner.id: partner for partner in partners}, {user.id: user for user in examiners}


def _save_call(call, form, partners_by_id, examiners_by_id):
    """Save and commit; False (nothing saved, a message above the hosts) when the database
    refuses, as when an applicant chose a host in the moment between the check and the save,
    or (a message at the host) when a place was given meanwhile below the number typed."""
    try:
        lock_call_places(call)
        if not form.recheck_held_places(held_places_by_partner(call)):
            db.session.rollback()
            return False
        save_call(call, form, partners_by_id, examiners_by_id)
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        form.place_errors.append(
            _(
                "The call changed while you were editing it (an applicant may have just "
                "chosen a host). Nothing was saved; please check and save again."
            )
        )
        return False


@bp.route("/calls/new", methods=["GET", "POST"])
def new_call():
    call = Call(published=False)
    form, partners_by_id, examiners_by_id = _call_form(call)
    if request.method == "GET":
        form.default_academic_year()
    if form.validate_on_submit() and _save_call(call, form, partners_by_id, examiners_by_id):
        flash(_("Call %(title)s created. It is not published yet.", title=call.title), "success")
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    form.add_empty_rows()
    return render_template("manage/call_form.html", form=form, call=None), _status(form.is_submitted())


@bp.route("/calls/<int:call_id>/edit", methods=["GET", "POST"])
def edit_call(call_id):
    call = db.session.scalar(
        db.select(Call)
        .where(Call.id == call_id)
        .options(
            db.selectinload(Call.places).joinedload(CallPlace.partner),
            db.selectinload(Call.criteria),
            db.selectinload(Call.examiners),
            db.joinedload(Call.program),
        )
    )
    if call is None:
        abort(404)
    form, partners_by_id, examiners_by_id = _call_form(call)
    if request.method == "GET":
        form.fill_from(call)
    elif form.validate_on_submit() and _save_call(call, form, partners_by_id, examiners_by_id):
        flash(_("Call %(title)s saved.", title=call.title), "success")
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    form.add_empty_rows()
    return render_template(
        "manage/call_form.html",
        form=form,
        call=call,
        now=utcnow(),
        confirm_form=ConfirmForm(),
        application_count=application_counts([call.id]).get(call.id, 0),
    ), _status(form.is_submitted())


@bp.route("/calls/<int:call_id>/publish", methods=["POST"])
def publish_call(call_id):
    return _set_call_published(call_id, True)


@bp.route("/calls/<int:call_id>/unpublish", methods=["POST"])
def unpublish_call(call_id):
    return _set_call_published(call_id, False)


def _set_call_published(call_id, published):
    call = db.get_or_404(Call, call_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    call.published = published
    db.session.commit()
    flash(
        _("Call %(title)s is published.", title=call.title)
        if published
        else _("Call %(title)s is unpublished: only the department sees it now.", title=call.title),
        "success",
    )
    return redirect(_back_to_calls())


def _back_to_calls():
    return local_path_or_none(request.form.get("next")) or url_for("calls.manage.calls")


@bp.route("/calls/<int:call_id>/close", methods=["GET", "POST"])
def close(call_id):
    call = db.get_or_404(Call, call_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if close_call(call):
            db.session.commit()
            flash(_("Call %(title)s is closed: no more applications can be submitted.", title=call.title), "success")
        else:
            flash(_("Call %(title)s is not open, so there is nothing to close.", title=call.title), "warning")
        return redirect(url_for("calls.manage.edit_call", call_id=call.id))
    return render_template(
        "manage/call_close.html",
        call=call,
        form=form,
        is_open=call.is_open(),
        application_count=application_counts([call.id]).get(call.id, 0),
    )
